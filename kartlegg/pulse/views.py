"""Pulse pages for analysts: the series list, starting a series, the series page (waves, response rates, curves,
next wave, reminders), the confirmed actions (pause, resume, extend, stop), and the quick reports (analysts see
drafts; everyone sees published ones)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kartlegg.accounts.permissions import require_analyst
from kartlegg.analytics import charts
from kartlegg.jobs import services as jobs
from kartlegg.lib import vega
from kartlegg.responses.models import ReminderLog

from . import dashboard, services, tasks
from .forms import ExtendForm, SeriesForm, unit_list
from .models import ReportState, WaveState

CURVE_WAVES = 8


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    rows = [(s, services.next_wave_date(s)) for s in services.series_for_user(request.user)]
    return render(request, "pulse/index.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@login_required
def new(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    form = SeriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            series = services.start_series(
                data["version"], name=data["name"], first_date=data["first_date"], end_date=data["end_date"],
                interval_days=data["interval_days"], open_days=data["open_days"], scope=data["scope"],
                county_code=data.get("county", ""), unit_codes=unit_list(data.get("units", "")),
                language=data["language"], late_answers=data["late_answers"],
                publish_at_once=data["publish_at_once"], user=request.user,
            )  # fmt: skip
        except services.PulseError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            job = tasks.kick(request.user)
            messages.success(request, _("Serien er startet. Målingene åpner og stenger av seg selv."))
            return redirect(jobs.with_job(reverse("pulse:series", args=[series.pk]), job))
    return render(request, "pulse/new.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
@login_required
def series_page(request: HttpRequest, pk: int) -> HttpResponse:
    series = services.get_series_for_user(request.user, pk)
    waves = list(series.waves.select_related("round").order_by("slot"))
    opened = [w for w in waves if w.state != WaveState.SKIPPED]
    counts = services.wave_counts(opened)
    reports = {w.pk: getattr(w, "quick_report", None) for w in opened}
    labels = [f"{_('Måling')} {c.wave.number}" for c in counts]
    rate_lines, rate_x = dashboard.rate_series(labels, [c.rate for c in counts])
    rate_title = _("Svarprosent per måling")
    rate_spec = charts.line_chart(rate_lines, rate_x, rate_title, decimals=1, x_label=_("Måling"))
    curve_rows = []
    for c in counts[-CURVE_WAVES:]:
        per_day = services.data.submissions_by_day(c.wave)
        opened_day = timezone.localtime(c.wave.opens_at).date()
        curve_rows.append(dashboard.CurveRow(labels[counts.index(c)], dashboard.curve(
            per_day, opened_day, series.open_days, c.total)))  # fmt: skip
    curve_lines, curve_x = dashboard.curve_series(curve_rows, series.open_days)
    curve_title = _("Svarkurve: andel som har svart, etter dag i målingen")
    curve_spec = charts.line_chart(curve_lines, curve_x, curve_title, decimals=0, x_label=_("Dag"))
    reminders = list(
        ReminderLog.objects.filter(round__pulse_wave__series=series)
        .order_by("round__opens_at", "day")
        .values("round__pulse_wave__number", "day", "kind")
        .annotate(units=Count("id"), recipients=Sum("recipients"))
    )
    context = {
        "series": series,
        "waves": waves,
        "counts": counts,
        "reports": reports,
        "next_wave": services.next_wave_date(series),
        "rate_chart": vega.figure(rate_spec, rate_title, "puls-svar-tabell", "rate") if rate_spec else None,
        "curve_chart": vega.figure(curve_spec, curve_title, "puls-kurve-tabell", "curve") if curve_spec else None,
        "curve_rows": curve_rows,
        "curve_days": curve_x,
        "reminders": reminders,
        "accepts_late": series.late_answers == "accept",
    }
    return render(request, "pulse/series.html", context)


ACTION_TEXTS = {
    "pause": (gettext_lazy("Sett serien på pause"),
              gettext_lazy("Ingen nye målinger åpner mens serien står på pause. En åpen måling går til den stenger.")),
    "resume": (gettext_lazy("Gjenoppta serien"), gettext_lazy("Neste måling åpner på sin planlagte dato.")),
    "extend": (gettext_lazy("Forleng serien"), gettext_lazy("Serien får nye målinger fram til den nye siste dagen.")),
    "stop": (gettext_lazy("Stopp serien"),
             gettext_lazy("Ingen flere målinger åpner. En åpen måling går til den stenger. Dette kan ikke angres.")),
}  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """A confirmation page (GET) and the action itself (POST)."""
    series = services.get_series_for_user(request.user, pk)
    if action not in services.ACTIONS:
        raise Http404(_("Ukjent handling."))
    form = ExtendForm(request.POST or None) if action == "extend" else None
    status = 200
    if request.method == "POST":
        if form is not None and not form.is_valid():
            status = 400
        else:
            try:
                end_date = form.cleaned_data["end_date"] if form is not None else None
                services.change_series(series, action, request.user, end_date=end_date)
            except services.PulseError as exc:
                if form is not None and exc.field == "end_date":
                    form.add_error("end_date", str(exc))
                else:
                    messages.error(request, str(exc))
                    return redirect("pulse:series", pk)
                status = 400
            else:
                tasks.kick(request.user)
                messages.success(request, _("Endringen er lagret."))
                return redirect("pulse:series", pk)
    title, text = ACTION_TEXTS[action]
    context = {"series": series, "action": action, "title": title, "text": text, "form": form}
    return render(request, "pulse/confirm.html", context, status=status)


def _is_analyst(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and getattr(request.user, "is_analyst", False))


@require_GET
def report(request: HttpRequest, pk: int) -> HttpResponse:
    stored = services.get_report_for_user(request.user, pk)
    return render(
        request,
        "pulse/report.html",
        {"stored": stored, "analyst": _is_analyst(request), "body": mark_safe(stored.html)},
    )  # noqa: S308 - rendered by us


@require_GET
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    stored = services.get_report_for_user(request.user, pk)
    if not stored.pdf:
        raise Http404(_("Hurtigrapporten er ikke bygd ennå."))
    response = HttpResponse(bytes(stored.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="hurtigrapport-{stored.wave_id}.pdf"'
    return response


@require_POST
@login_required
def report_publish(request: HttpRequest, pk: int) -> HttpResponse:
    require_analyst(request.user)
    stored = services.get_report_for_user(request.user, pk)
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Bekreft at rapporten kan sendes til godkjenning."))
        return redirect("pulse:report", pk)
    try:
        services.submit_for_review(stored, request.user)
    except (ValueError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Hurtigrapporten er sendt til godkjenning i publiseringen."))
    return redirect("pulse:report", pk)


@require_POST
@login_required
def report_rebuild(request: HttpRequest, pk: int) -> HttpResponse:
    require_analyst(request.user)
    stored = services.get_report_for_user(request.user, pk)
    if stored.state == ReportState.PUBLISHED:
        messages.error(request, _("En publisert hurtigrapport bygges ikke på nytt."))
        return redirect("pulse:report", pk)
    job = tasks.queue_report(stored.wave_id, request.user)
    return redirect(jobs.with_job(reverse("pulse:report", args=[pk]), job))
