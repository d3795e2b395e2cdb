"""Agreement between coders: assign a second coder, see kappa per code and overall, resolve disagreements.
Analysts only (`get_codebook_for_user`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kartlegg.accounts.permissions import Access
from kartlegg.lib.numbers import parse_decimal
from kartlegg.responses import services as responses
from kartlegg.responses.models import Answer

from .services import agreement as services
from .services import coding
from .services.codebook import get_codebook_for_user


@require_GET
@login_required
def agreement(request: HttpRequest, book_id: int, round_id: int) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    round_obj = responses.get_round_for_user(request.user, round_id, Access.EDIT)
    report = services.report(book, round_obj)
    analysts = get_user_model().objects.filter(role="analyst", is_active=True).order_by("username")
    return render(
        request,
        "freetext/agreement.html",
        {
            "book": book,
            "round": round_obj,
            "report": report,
            "sentence": report.sentence(),
            "disagreements": coding.disagreements(book, coding.answers_for(book, round_obj)),
            "codes": list(book.active_codes()),
            "analysts": analysts,
        },
    )


@require_POST
@login_required
def assign(request: HttpRequest, book_id: int, round_id: int) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    round_obj = responses.get_round_for_user(request.user, round_id, Access.EDIT)
    coder = get_user_model().objects.filter(username=request.POST.get("coder", "")).first()
    try:
        share = parse_decimal(request.POST.get("share", ""))
    except ValueError:
        share = None
    if coder is None:
        messages.error(request, _("Andrekoder: velg en analytiker."))
    elif share is None:
        messages.error(request, _("Andel: skriv et tall mellom 1 og 100, for eksempel 15."))
    else:
        try:
            chosen = services.assign_second_coder(book, round_obj, coder, float(share) / 100, request.user)
            messages.success(request, _("%(n)s svar er gitt til andrekoderen.") % {"n": len(chosen)})
        except ValidationError as exc:
            messages.error(request, "; ".join(m for msgs in exc.message_dict.values() for m in msgs))
    return redirect("freetext:agreement", book.pk, round_obj.pk)


@require_POST
@login_required
def resolve(request: HttpRequest, book_id: int, round_id: int, answer_id: int) -> HttpResponse:
    book = get_codebook_for_user(request.user, book_id)
    round_obj = responses.get_round_for_user(request.user, round_id, Access.EDIT)
    answer = get_object_or_404(Answer.objects.select_related("response__unit"), pk=answer_id, response__round=round_obj)
    try:
        services.resolve(book, answer, request.user, request.POST.getlist("codes"))
        messages.success(request, _("Uenigheten er avgjort."))
    except ValidationError as exc:
        messages.error(request, "; ".join(m for msgs in exc.message_dict.values() for m in msgs))
    return redirect("freetext:agreement", book.pk, round_obj.pk)
