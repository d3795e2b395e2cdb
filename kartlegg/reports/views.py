"""Report pages: the list (/rapporter/), one report (HTML, PDF, XLSX), and for analysts the build with progress,
paragraph edits in a draft and the draft → review → approved workflow. Every view reaches a report through
services.get_report_for_user, so drafts stay with the analysts."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from kartlegg.accounts.permissions import require_analyst
from kartlegg.analytics import services as statistics
from kartlegg.reports import services
from kartlegg.reports.models import BuildState, ReportStatus
from kartlegg.reports.models import Report as StoredReport
from kartlegg.reports.render_html import APPENDIX, PROFILES, render_html
from kartlegg.reports.serving import serve_stored_page
from kartlegg.reports.sources import ReportError, form_version, locked_versions
from kartlegg.reports.tasks import build_report_task


def _is_analyst(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and getattr(request.user, "is_analyst", False))


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    reports = services.visible_reports(request.user).select_related("approved_by")
    rounds = statistics.annual_rounds() if _is_analyst(request) else {}
    years = sorted(rounds, reverse=True)
    locked = locked_versions(rounds)
    versions = [(y, locked[y]) for y in years if y in locked]  # the build form's choices, newest year first
    context = {"reports": reports, "years": years, "languages": services.LANGUAGES, "versions": versions}
    return render(request, "reports/index.html", context)


@require_POST
def build(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    raw_year, language = request.POST.get("year", ""), request.POST.get("language", "nb")
    if not raw_year.isdigit() or int(raw_year) not in statistics.annual_rounds():
        messages.error(request, f"year: {raw_year[:10]!r} er ikke et år med en årlig runde.")
        return redirect("reports:index")
    if language not in services.LANGUAGES:
        messages.error(request, f"language: ukjent språk {language[:10]!r}.")
        return redirect("reports:index")
    year = int(raw_year)
    try:
        data_version = form_version(year, request.POST.get("data_version", ""), statistics.annual_rounds())
    except ReportError as error:
        messages.error(request, str(error))
        return redirect("reports:index")
    stored = (
        StoredReport.objects.filter(year=year, language=language, status=ReportStatus.DRAFT)
        .order_by("-created_at")
        .first()
    )
    if stored is None:
        stored = StoredReport.objects.create(year=year, language=language, created_by=request.user,  # type: ignore[misc]
                                             build_state=BuildState.QUEUED, progress=0)  # fmt: skip
    else:
        StoredReport.objects.filter(pk=stored.pk).update(build_state=BuildState.QUEUED, progress=0)
    build_report_task.enqueue(stored.pk, data_version or "")
    return redirect("reports:detail", pk=stored.pk)


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The report page. Everyone gets the stored page (bytes, ETag, 304); an analyst gets a draft rendered with its
    edit forms."""
    stored = services.get_report_for_user(request.user, pk, light=True)
    building = stored.build_state in (BuildState.QUEUED, BuildState.RUNNING)
    analyst = _is_analyst(request)
    context = {"building": building, "analyst": analyst}
    if stored.html_hash and analyst and stored.is_draft and not building:
        body = render_html(services.document_of(stored), editable=True, request=request,
                           extra={"edit_url": reverse("reports:edit", args=[pk]), "code_version": stored.code_version,
                                  **services.PART_LINKS})  # fmt: skip
        response = render(request, "reports/detail.html", {**context, "stored": stored, "body": body,
                                                           "has_body": True})  # fmt: skip
        patch_cache_control(response, private=True, no_cache=True)
        return response
    return serve_stored_page(request, stored, context, services.code_version())


@require_GET
def appendix(request: HttpRequest, pk: int) -> HttpResponse:
    stored = services.get_report_for_user(request.user, pk)
    if not stored.document:
        raise Http404("Rapporten er ikke bygd ennå.")
    body = render_html(services.document_of(stored), part=APPENDIX, extra={"main_url": "../"})
    return render(request, "reports/detail.html", {"stored": stored, "body": body, "building": False,
                                                   "has_body": True, "analyst": _is_analyst(request)})  # fmt: skip


@require_GET
def profiles(request: HttpRequest, pk: int) -> HttpResponse:
    """The profiles: a list of the units, and one unit's profile with ?enhet=<code>."""
    stored = services.get_report_for_user(request.user, pk)
    if not stored.document:
        raise Http404("Rapporten er ikke bygd ennå.")
    document = services.document_of(stored)
    units = [(t.id.removeprefix("profil-"), t.title) for c in document.chapters if c.kind == "profiles"
             for t in c.tables]  # fmt: skip
    code = request.GET.get("enhet", "")[:10]
    if code and code not in {u for u, _ in units}:
        raise Http404("Ingen profil for den enheten i rapporten.")
    links = [(u, title, f"?{urlencode({'enhet': u})}") for u, title in units] if not code else []
    extra = {"main_url": "../", "unit": code or "-", "unit_links": links}
    body = render_html(document, part=PROFILES, extra=extra)
    return render(request, "reports/detail.html", {"stored": stored, "body": body, "building": False,
                                                   "has_body": True, "analyst": _is_analyst(request)})  # fmt: skip


@require_GET
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    require_analyst(request.user)
    stored = services.get_report_for_user(request.user, pk)
    response = render(request, "reports/_progress.html", {"stored": stored})
    if stored.build_state == BuildState.DONE and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # the build finished: show the report
    return response


def _file(content: bytes, kind: str, name: str) -> HttpResponse:
    types = {"pdf": "application/pdf",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip
    response = HttpResponse(content, content_type=types[kind])
    response["Content-Disposition"] = f'inline; filename="{name}.{kind}"' if kind == "pdf" else (
        f'attachment; filename="{name}.{kind}"')  # fmt: skip
    return response


@require_GET
def pdf(request: HttpRequest, pk: int) -> HttpResponse:
    stored = services.get_report_for_user(request.user, pk)
    if not stored.document:
        raise PermissionDenied("Rapporten er ikke bygd ennå.")
    return _file(services.pdf_of(stored), "pdf", f"rapport-{stored.year}")


@require_GET
def xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    stored = services.get_report_for_user(request.user, pk)
    if not stored.document:
        raise PermissionDenied("Rapporten er ikke bygd ennå.")
    return _file(services.xlsx_of(stored), "xlsx", f"rapport-{stored.year}")


@require_POST
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_analyst(request.user)
    stored = services.get_report_for_user(request.user, pk)
    paragraph_id = request.POST.get("paragraph", "")[:200]
    try:
        edited = services.edit_paragraph(stored, paragraph_id, request.POST.get("text", ""), request.user,
                                         add_after=request.POST.get("add_after") == "1")  # fmt: skip
    except ReportError as error:
        messages.error(request, str(error))
        return redirect("reports:detail", pk=pk)
    messages.success(request, "Avsnittet er lagret og merket som redigert.")
    return redirect(reverse("reports:detail", args=[pk]) + f"#p-{slugify(edited)}")


@require_POST
def status(request: HttpRequest, pk: int) -> HttpResponse:
    require_analyst(request.user)
    stored = services.get_report_for_user(request.user, pk)
    try:
        services.change_status(stored, request.POST.get("action", "")[:20], request.user)
    except ReportError as error:
        messages.error(request, str(error))
    return redirect("reports:detail", pk=pk)
