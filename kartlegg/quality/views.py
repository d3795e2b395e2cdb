"""The analyst's QA pages: the rounds, a round's flag queue with bulk actions, one flag, running the checks and the
exports. Analysts only; every action goes through services.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kartlegg.accounts.permissions import Access, require_analyst
from kartlegg.geography.services import county_choices
from kartlegg.jobs.services import with_job
from kartlegg.responses import services as responses
from kartlegg.responses.models import Response, Round

from . import exports, metrics, services, tasks
from .checks import check_labels
from .forms import ACTIVE_FILTER, BULK_ACTIONS, BulkActionForm, FlagActionForm, QueueFilterForm
from .models import Flag
from .states import ACTIVE, FlagState, IllegalTransition, allowed_actions

PAGE_SIZE = 100


def _round(request: HttpRequest, round_id: int) -> Round:
    return responses.get_round_for_user(request.user, round_id, Access.EDIT)


def _filtered(request: HttpRequest, round_obj: Round) -> tuple[QueueFilterForm, Any]:
    data = request.GET.copy()
    if "state" not in data:
        data["state"] = ACTIVE_FILTER
    form = QueueFilterForm(data, counties=county_choices(round_obj.year))
    flags = services.flags_for_analyst(request.user, round_obj)
    if form.is_valid():
        flags = form.filter(flags)
    return form, flags.order_by("-impact", "severity", "unit__code", "id")


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    rounds = Round.objects.select_related("version__survey").annotate(
        flag_count=Count("flags"),
        active_count=Count("flags", filter=Q(flags__state__in=list(ACTIVE))),
    )
    return render(request, "quality/index.html", {"rounds": rounds})


@require_GET
@login_required
def queue(request: HttpRequest, round_id: int) -> HttpResponse:
    round_obj = _round(request, round_id)
    form, flags = _filtered(request, round_obj)
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("side"))
    labels = check_labels()
    for flag in page.object_list:
        flag.check_label = labels.get(flag.check_name, flag.check_name)
    follow_up = services.metrics_for_round(round_obj)
    query = request.GET.copy()
    query.pop("side", None)
    return render(
        request,
        "quality/queue.html",
        {
            "round": round_obj,
            "form": form,
            "page": page,
            "flags": page.object_list,
            "total": page.paginator.count,
            "metrics": follow_up,
            "sentence": metrics.methods_sentence(follow_up),
            "states": FlagState.choices,
            "by_check": [
                (check_labels().get(k, k), v["total"], [v.get(state, 0) for state in FlagState.values])
                for k, v in follow_up.flags_by_check.items()
            ],
            "filters": query.urlencode(),
            "version": services.current_data_version(round_obj),
            "bulk_form": BulkActionForm(),
        },
        status=200 if form.is_valid() else 400,
    )


@require_POST
@login_required
def bulk(request: HttpRequest, round_id: int) -> HttpResponse:
    """Step 1 (no `confirm`): show what will happen to which flags. Step 2 (`confirm`): do it."""
    round_obj = _round(request, round_id)
    queue = services.flags_for_analyst(request.user, round_obj)
    ids = list(queue.values_list("pk", flat=True))
    form = BulkActionForm(request.POST, flag_ids=ids)
    back = reverse("quality:queue", args=[round_obj.pk]) + (
        "?" + request.POST["filters"] if request.POST.get("filters") else ""
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    data = form.cleaned_data
    flags = list(queue.filter(pk__in=data["flags"]).order_by("unit__code", "id"))
    if not data["confirm"]:
        return render(
            request,
            "quality/bulk_confirm.html",
            {
                "round": round_obj,
                "flags": flags,
                "action": data["action"],
                "action_label": dict(BULK_ACTIONS)[data["action"]],
                "text": data["text"],
                "units": len({f.unit_id for f in flags}),
                "labels": check_labels(),
                "filters": request.POST.get("filters", ""),
            },
        )
    if data["action"] == "query":
        try:
            queries = services.send_queries_per_unit(flags, data["text"], request.user, request.build_absolute_uri("/"))
        except (IllegalTransition, services.QueryError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(n)s spørsmål er sendt.") % {"n": len(queries)})
            _warn_without_address(request, queries)
        return redirect(back)
    result = services.bulk_transition(flags, data["action"], request.user, data["text"])
    messages.success(request, _("%(n)s flagg er oppdatert.") % {"n": len(result.done)})
    if result.refused:
        messages.warning(
            request,
            _("%(n)s flagg ble ikke endret: %(why)s") % {"n": len(result.refused), "why": result.refused[0][1]},
        )
    return redirect(back)


def _warn_without_address(request: HttpRequest, queries: list[Any]) -> None:
    silent = sorted({q.unit.name for q in queries if not q.emails})
    if silent:
        messages.warning(
            request,
            _("Ingen kjent e-postadresse for %(units)s. De ser spørsmålet når de åpner skjemaet.")
            % {"units": ", ".join(silent)},
        )


@require_POST
@login_required
def run(request: HttpRequest, round_id: int) -> HttpResponse:
    round_obj = _round(request, round_id)
    page = reverse("quality:queue", args=[round_obj.pk])
    job = tasks.start_round_checks(round_obj, request.user, page)
    return redirect(with_job(page, job))


def _answer_history(flag: Flag) -> list[dict[str, Any]]:
    """What was changed in the variables the flag is about, newest first (the unit's answers' audit trail)."""
    if not flag.variables:
        return []
    response = Response.objects.filter(round=flag.round, unit=flag.unit).select_related("round__version").first()
    return responses.history.display_rows(response, list(flag.variables)) if response is not None else []


@require_http_methods(["GET", "POST"])
@login_required
def flag_detail(request: HttpRequest, flag_id: int) -> HttpResponse:
    require_analyst(request.user)
    flag = get_object_or_404(Flag.objects.select_related("round", "unit", "settled_by"), pk=flag_id)
    form = FlagActionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        action, text = form.cleaned_data["action"], form.cleaned_data["text"]
        try:
            if action == "query":
                query = services.send_query([flag], text, request.user, request.build_absolute_uri("/"))
                messages.success(request, _("Spørsmålet er sendt (%(n)s e-poster).") % {"n": query.emails})
                _warn_without_address(request, [query])
            else:
                services.transition(flag, action, request.user, text)
                messages.success(request, _("Flagget er oppdatert."))
        except (IllegalTransition, services.FlagError, services.QueryError) as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("quality:flag", flag.pk)
    return render(
        request,
        "quality/flag.html",
        {
            "flag": flag,
            "round": flag.round,
            "form": form,
            "events": flag.events.select_related("user"),
            "queries": flag.queries.prefetch_related("messages__author"),
            "label": check_labels().get(flag.check_name, flag.check_name),
            "allowed": allowed_actions(flag.state),
            "history": _answer_history(flag),
        },
        status=400 if form.errors else 200,
    )


def _export(request: HttpRequest, round_id: int, kind: str) -> HttpResponse:
    round_obj = _round(request, round_id)
    _form, flags = _filtered(request, round_obj)
    name = f"flagg-{round_obj.year}-{round_obj.pk}.{kind}"
    if kind == "xlsx":
        content = exports.flags_xlsx(flags)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content = exports.flags_csv(flags)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@login_required
def export_csv(request: HttpRequest, round_id: int) -> HttpResponse:
    return _export(request, round_id, "csv")


@require_GET
@login_required
def export_xlsx(request: HttpRequest, round_id: int) -> HttpResponse:
    return _export(request, round_id, "xlsx")
