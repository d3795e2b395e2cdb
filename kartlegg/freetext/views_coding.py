"""The coder page: one answer at a time, codes saved at once (fetch POST, or a plain form without JavaScript),
suggestions with their confidence, filters, undo. Analysts only (`get_codebook_for_user`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kartlegg.accounts.permissions import Access
from kartlegg.responses import services as responses
from kartlegg.responses.models import Answer, Round

from .classify import THRESHOLD, Prediction
from .models import Codebook
from .services import coding, suggest
from .services.codebook import get_codebook_for_user

FILTERS = ("alle", "ukodet", "kode", "usikker", "uenige")


def _context(request: HttpRequest, book_id: int, round_id: int) -> tuple[Codebook, Round]:
    book = get_codebook_for_user(request.user, book_id)
    return book, responses.get_round_for_user(request.user, round_id, Access.EDIT)


def _filter_params(request: Any) -> dict[str, str]:
    source = request.GET if request.method == "GET" else request.POST
    params = {
        "filter": source.get("filter", "alle") if source.get("filter") in FILTERS else "alle",
        "kode": source.get("kode", ""),
        "rekkefolge": "usikker" if source.get("rekkefolge") == "usikker" else "",
    }
    return {k: v for k, v in params.items() if v}


def _ordered_ids(
    book: Codebook, round_obj: Round, user: Any, params: dict[str, str], preds: dict[int, Prediction]
) -> list[int]:
    answers = coding.queue_for(book, round_obj, user)
    ids = list(answers.values_list("id", flat=True))
    kind = params.get("filter", "alle")
    by_answer = coding.codings_by_answer(book, ids)
    mine = {a: c for a, cs in by_answer.items() for c in cs if c.coder_id == user.pk and not c.consensus}
    if kind == "ukodet":
        ids = [i for i in ids if not (i in mine and mine[i].confirmed)]
    elif kind == "kode" and params.get("kode"):
        finals = coding.final_codes(book, ids)
        wanted = params["kode"]
        ids = [
            i
            for i in ids
            if wanted in finals.get(i, set()) or (i in mine and wanted in {c.key for c in mine[i].codes.all()})
        ]
    elif kind == "usikker":
        ids = [i for i in ids if suggest.is_low_confidence(preds.get(i))]
    elif kind == "uenige":
        ids = [a.pk for a, _ in coding.disagreements(book, answers)]
    if params.get("rekkefolge") == "usikker":
        ids.sort(key=lambda i: -(preds[i].uncertainty() if i in preds else 0))
    return ids


def _url(book: Codebook, round_obj: Round, answer_id: int | None, params: dict[str, str]) -> str:
    query = {**params, **({"svar": str(answer_id)} if answer_id else {})}
    return reverse("freetext:coder", args=[book.pk, round_obj.pk]) + ("?" + urlencode(query) if query else "")


@require_GET
@login_required
def coder(request: HttpRequest, book_id: int, round_id: int) -> HttpResponse:
    book, round_obj = _context(request, book_id, round_id)
    params = _filter_params(request)
    preds = suggest.predictions(book, round_obj)
    ids = _ordered_ids(book, round_obj, request.user, params, preds)
    wanted = request.GET.get("svar", "")
    current_id = int(wanted) if wanted.isdigit() and int(wanted) in ids else (ids[0] if ids else None)
    answers = coding.queue_for(book, round_obj, request.user)
    context: dict[str, Any] = {
        "book": book,
        "round": round_obj,
        "params": params,
        "filters": [(f, _filter_label(f)) for f in FILTERS],
        "codes": list(book.active_codes()),
        "progress": coding.progress(book, answers, request.user),
        "count": len(ids),
        "second_coder": coding.is_second_coder(book, round_obj, request.user),
        "threshold": THRESHOLD,
    }
    if current_id is not None:
        answer = get_object_or_404(Answer.objects.select_related("response__unit"), pk=current_id)
        index = ids.index(current_id)
        mine = coding.coding_of(book, answer, request.user)
        chosen = {c.key for c in mine.codes.all()} if mine else set()
        pred = preds.get(current_id)
        context.update(
            {
                "answer": answer,
                "position": index + 1,
                "confirmed": bool(mine and mine.confirmed),
                "rows": _rows(context["codes"], chosen, pred),
                "suggested": pred.codes() if pred else [],
                "next_url": _url(book, round_obj, ids[index + 1] if index + 1 < len(ids) else None, params),
                "prev_url": _url(book, round_obj, ids[index - 1], params) if index > 0 else "",
                "has_next": index + 1 < len(ids),
                "self_url": _url(book, round_obj, current_id, params),
            }
        )
    return render(request, "freetext/coder.html", context)


def _filter_label(name: str) -> str:
    return {
        "alle": _("Alle svar"),
        "ukodet": _("Ikke kodet"),
        "kode": _("Med koden"),
        "usikker": _("Usikre forslag"),
        "uenige": _("Uenighet mellom kodere"),
    }[name]


def _rows(codes: list[Any], chosen: set[str], pred: Prediction | None) -> list[dict[str, Any]]:
    rows = []
    for number, code in enumerate(codes, start=1):
        score = pred.scores.get(code.key) if pred else None
        rows.append(
            {
                "code": code,
                "number": number,
                "checked": code.key in chosen,
                "score": None if score is None else round(100 * score),
                "suggested": score is not None and score >= THRESHOLD,
                "source": pred.sources.get(code.key, "") if pred else "",
            }
        )
    return rows


@require_POST
@login_required
def save(request: HttpRequest, book_id: int, round_id: int, answer_id: int) -> HttpResponse:
    """Save the codes of one answer; `action` is save (a toggle), accept (add the suggestions) or confirm."""
    book, round_obj = _context(request, book_id, round_id)
    answer = get_object_or_404(Answer.objects.select_related("response__unit"), pk=answer_id, response__round=round_obj)
    action = request.POST.get("action", "save")
    codes = request.POST.getlist("codes")
    if action == "accept":
        pred = suggest.predictions(book, round_obj).get(answer.pk)
        codes = sorted(set(codes) | set(pred.codes() if pred else []))
    try:
        result = coding.set_codes(book, answer, request.user, codes, confirm=True if action == "confirm" else None)
    except ValidationError as exc:
        message = "; ".join(m for msgs in exc.message_dict.values() for m in msgs)
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": message}, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    answers = coding.queue_for(book, round_obj, request.user)
    progress = coding.progress(book, answers, request.user)
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "codes": sorted(c.key for c in result.codes.all()),
                "confirmed": result.confirmed,
                "coded": progress.coded,
                "total": progress.total,
            }
        )
    params = _filter_params(request)
    target = request.POST.get("next") if action == "confirm" else None
    return redirect(target if target and target.startswith("/") else _url(book, round_obj, answer.pk, params))


@require_POST
@login_required
def undo(request: HttpRequest, book_id: int, round_id: int) -> HttpResponse:
    book, round_obj = _context(request, book_id, round_id)
    answer = coding.undo_last(book, request.user)
    params = _filter_params(request)
    url = _url(book, round_obj, answer.pk if answer else None, {**params, "filter": "alle"} if answer else params)
    if _wants_json(request):
        return JsonResponse({"ok": answer is not None, "url": url})
    return redirect(url)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")
