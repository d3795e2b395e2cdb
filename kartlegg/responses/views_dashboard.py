"""The round dashboard for analysts (county reviewers see the same, read-only, for their own county), its status
CSV, bulk reminders to the filtered units, and the downloads of a round's responses.

What a user sees is always services.responses_for_user: analysts every unit, reviewers their county's units. The
filters narrow that set; they can never widen it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kartlegg.accounts.permissions import Access, is_staff_reader
from kartlegg.lib import vega
from kartlegg.lib.exports import csv_bytes
from kartlegg.lib.numbers import format_percent

from . import charts, dashboard, exports, services
from .models import ResponseStatus, Round

PAGE_SIZE = 100
REMIND_PREVIEW = 50


def _round_for_reader(request: HttpRequest, round_id: int) -> Round:
    if not is_staff_reader(request.user):
        raise PermissionDenied(_("Bare analytikere og fylkeslesere har tilgang til oversikten."))
    return services.get_round_for_user(request.user, round_id, Access.VIEW)


def _filtered(request: HttpRequest, round_obj: Round, params: Any) -> tuple[Any, Any, dashboard.Filters, dict]:
    names = dashboard.county_names(round_obj)
    visible = services.responses_for_user(request.user, round_obj)
    if not getattr(request.user, "is_analyst", False):
        # Reviewers choose only among their own counties.
        names = {code: name for code, name in names.items() if code == getattr(request.user, "county_code", "")}
    filters = dashboard.read_filters(params, names)
    return visible, dashboard.apply_filters(visible, filters), filters, names


def _dashboard_url(round_obj: Round, filters: dashboard.Filters) -> str:
    url = reverse("responses:dashboard", args=[round_obj.pk])
    params = filters.as_params()
    return f"{url}?{urlencode(params)}" if params else url


def _form_url(round_id: int, unit_code: str) -> str:
    try:
        return reverse("responses:form", args=[round_id, unit_code])
    except NoReverseMatch:
        return ""


@require_GET
@login_required
def round_dashboard(request: HttpRequest, round_id: int) -> HttpResponse:
    round_obj = _round_for_reader(request, round_id)
    visible, selected, filters, names = _filtered(request, round_obj, request.GET)
    overall, by_county = dashboard.rates(visible, names)
    per_day = dashboard.submissions_per_day(visible)
    start, data_end, axis_end = dashboard.curve_range(round_obj, last_submission=max(per_day, default=None))
    points = dashboard.response_curve(per_day, start, data_end, overall.total)
    page = Paginator(selected.select_related("unit").order_by("unit__code"), PAGE_SIZE).get_page(
        request.GET.get("side")
    )
    labels = dict(ResponseStatus.choices)
    counts = dashboard.status_counts(visible)
    rows = [
        {
            "response": r,
            "status_label": labels.get(r.status, r.status),
            "county_name": names.get(r.unit.county_code, r.unit.county_code),
            "form_url": _form_url(round_obj.pk, r.unit.code),
        }
        for r in page.object_list
    ]
    context = {
        "round": round_obj,
        "filters": filters,
        "counties": names,
        "statuses": ResponseStatus.choices,
        "status_counts": [(code, label, counts[code]) for code, label in ResponseStatus.choices],
        "selected_count": page.paginator.count,
        "overall": overall,
        "overall_text": format_percent(overall.percent),
        "by_county": [(rate, format_percent(rate.percent)) for rate in by_county],
        "points": points,
        "curve": vega.figure(
            charts.curve_spec(points, round_obj.deadline, axis_end),
            _("Andel enheter som har sendt inn, dag for dag"),
            "svarkurve-tabell",
            "curve",
        ),
        "page": page,
        "rows": rows,
        "query": urlencode(filters.as_params()),
        "is_analyst": getattr(request.user, "is_analyst", False),
        "csv_url": reverse("responses:dashboard_csv", args=[round_obj.pk]),
        "remind_url": reverse("responses:dashboard_remind", args=[round_obj.pk]),
        "export_csv_url": reverse("responses:round_export", args=[round_obj.pk, "csv"]),
        "audit_url": reverse("responses:round_audit", args=[round_obj.pk]),
        "export_xlsx_url": reverse("responses:round_export", args=[round_obj.pk, "xlsx"]),
    }
    return render(request, "responses/dashboard_round.html", context)


@require_GET
@login_required
def status_csv(request: HttpRequest, round_id: int) -> HttpResponse:
    round_obj = _round_for_reader(request, round_id)
    _visible, selected, _filters, names = _filtered(request, round_obj, request.GET)
    data = csv_bytes(dashboard.STATUS_HEADER, dashboard.status_rows(selected, names))
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="status-runde-{round_obj.pk}.csv"'
    return response


@require_POST
@login_required
def remind(request: HttpRequest, round_id: int) -> HttpResponse:
    """Step 1 shows who would be reminded; step 2 (confirm=1) sends. Only units that have not submitted."""
    round_obj = services.get_round_for_user(request.user, round_id, Access.EDIT)
    _visible, selected, filters, _names = _filtered(request, round_obj, request.POST)
    targets = selected.exclude(status=ResponseStatus.SUBMITTED).select_related("unit").order_by("unit__code")
    back = _dashboard_url(round_obj, filters)
    if round_obj.is_locked:
        messages.error(request, _("Runden er låst; det sendes ingen påminnelser."))
        return redirect(back)
    from . import invitations  # the reminder machinery (e-mail, one reminder per unit and day)

    if request.POST.get("confirm") != "1":
        preview = invitations.remind(round_obj, targets, user=request.user, dry_run=True)
        context = {
            "round": round_obj,
            "filters": filters,
            "count": targets.count(),
            "preview": preview,
            "units": [r.unit for r in targets[:REMIND_PREVIEW]],
            "more": max(0, targets.count() - REMIND_PREVIEW),
            "back_url": back,
            "remind_url": reverse("responses:dashboard_remind", args=[round_obj.pk]),
        }
        return render(request, "responses/dashboard_remind.html", context)
    report = invitations.remind(round_obj, targets, user=request.user)
    messages.success(
        request,
        _(
            "Påminnelse sendt til %(units)s enheter (%(emails)s e-poster). %(already)s var allerede påminnet i dag, "
            "%(missing)s mangler e-postadresse."
        )
        % {
            "units": len(report.sent),
            "emails": report.emails,
            "already": len(report.already_today),
            "missing": len(report.no_address),
        },
    )
    return redirect(back)


@require_GET
@login_required
def round_export(request: HttpRequest, round_id: int, fmt: str) -> HttpResponse:
    """All answers of the round: long CSV or wide XLSX (analysts only)."""
    round_obj = services.get_round_for_user(request.user, round_id, Access.EDIT)
    if fmt == "csv":
        data, content_type = exports.long_csv(round_obj), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        data, content_type = exports.wide_xlsx(round_obj), exports.XLSX_CONTENT_TYPE
    else:
        raise Http404(_("Ukjent format."))
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{exports.export_filename(round_obj, fmt)}"'
    return response
