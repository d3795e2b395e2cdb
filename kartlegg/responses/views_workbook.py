"""The helper workbook pages: download it, upload it filled in, see what would change, then confirm.

Upload and confirm are two requests. The preview carries the proposed grid values and the response version in one
signed field, so what is saved is exactly what was shown, without server-side state between the requests; saving
goes through services.save_values with that version, so a change made meanwhile is a conflict, not lost.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kartlegg.accounts.models import Channel
from kartlegg.accounts.permissions import Access

from . import exports, services, workbook
from .models import Response
from .spreadsheets import FileFormatError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SIGNING_SALT = "kartlegg.responses.workbook"
PREVIEW_MAX_AGE = 12 * 3600


def _page_url(response: Response) -> str:
    return reverse("responses:workbook", args=[response.round_id, response.unit.code])


def _form_url(response: Response) -> str:
    """The respondent form's overview; the workbook page when the form's URLs are not there."""
    try:
        return reverse("responses:form", args=[response.round_id, response.unit.code])
    except NoReverseMatch:
        return _page_url(response)


def _context(request: HttpRequest, response: Response, **extra: Any) -> dict[str, Any]:
    reason = services.writable_reason(response, request.user)
    return {
        "response": response,
        "round": response.round,
        "unit": response.unit,
        "readonly_reason": reason,
        "page_url": _page_url(response),
        "form_url": _form_url(response),
        "download_url": reverse("responses:workbook_download", args=[response.round_id, response.unit.code]),
        "confirm_url": reverse("responses:workbook_confirm", args=[response.round_id, response.unit.code]),
        "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        **extra,
    }


@require_GET
@login_required
def workbook_download(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.VIEW)
    defn = response.round.version.definition(get_language())
    data = workbook.build_workbook(
        defn, f"{response.unit.code} {response.unit.name}", response.round.name, demo=settings.KARTLEGG_DEMO_MODE
    )
    filename = f"hjelpeskjema-{response.unit.code}-{slugify(response.unit.name)}-{response.round.year}.xlsx"
    download = HttpResponse(data, content_type=exports.XLSX_CONTENT_TYPE)
    download["Content-Disposition"] = f'attachment; filename="{filename}"'
    return download


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def workbook_page(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.EDIT)
    if request.method != "POST":
        return render(request, "responses/workbook_upload.html", _context(request, response))
    reason = services.writable_reason(response, request.user)
    if reason:
        return render(request, "responses/workbook_upload.html", _context(request, response), status=403)
    upload = request.FILES.get("file")
    error = ""
    if upload is None:
        error = _("Velg hjelpeskjemaet (en .xlsx-fil) du vil laste opp.")
    elif upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        error = _("Filen er for stor (%(size)s MB). Største tillatte størrelse er %(max)s MB.") % {
            "size": f"{upload.size / (1024 * 1024):.1f}".replace(".", ","),
            "max": MAX_UPLOAD_BYTES // (1024 * 1024),
        }
    if error:
        return _upload_error(request, response, error)
    assert upload is not None
    defn = response.round.version.definition()
    try:
        parsed = workbook.parse_workbook(defn, upload.read(MAX_UPLOAD_BYTES + 1))
    except FileFormatError as exc:
        return _upload_error(request, response, str(exc))
    if parsed.problems:
        return render(
            request,
            "responses/workbook_upload.html",
            _context(request, response, problems=parsed.problems, filename=upload.name),
            status=422,
        )
    if not parsed.grids:
        return _upload_error(request, response, _("Hjelpeskjemaet har ingen utfylte stillinger."))
    current, _comments = services.stored_values(response, defn)
    changes = workbook.changes(defn, current, parsed.values)
    payload = signing.dumps(
        {
            "round": response.round_id,
            "unit": response.unit.code,
            "version": response.version,
            "values": {code: None if v is None else str(v) for code, v in parsed.values.items()},
        },
        salt=SIGNING_SALT,
        compress=True,
    )
    grid_totals = [
        {
            "label": grid.question.label,
            "group": grid.group,
            "old": workbook.totals(defn, grid, current),
            "new": workbook.totals(defn, grid, {**current, **parsed.values}),
        }
        for grid in parsed.grids
    ]
    context = _context(
        request,
        response,
        changes=changes,
        payload=payload,
        positions=parsed.positions,
        grid_totals=grid_totals,
        filename=upload.name,
        unchanged=len(parsed.values) - len(changes),
    )
    return render(request, "responses/workbook_preview.html", context)


def _upload_error(request: HttpRequest, response: Response, message: str) -> HttpResponse:
    context = _context(request, response, upload_error=message)
    return render(request, "responses/workbook_upload.html", context, status=400)


@require_POST
@login_required
def workbook_confirm(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.EDIT)
    try:
        payload = signing.loads(request.POST.get("payload", ""), salt=SIGNING_SALT, max_age=PREVIEW_MAX_AGE)
    except signing.SignatureExpired:
        return _upload_error(request, response, _("Forhåndsvisningen er for gammel. Last opp hjelpeskjemaet på nytt."))
    except signing.BadSignature:
        return _upload_error(
            request, response, _("Forhåndsvisningen kunne ikke leses. Last opp hjelpeskjemaet på nytt.")
        )
    if payload.get("round") != response.round_id or payload.get("unit") != response.unit.code:
        return _upload_error(request, response, _("Forhåndsvisningen gjelder et annet skjema."))
    values = {code: None if v is None else Decimal(v) for code, v in payload["values"].items()}
    try:
        result = services.save_values(
            response, values, None, expected_version=int(payload["version"]), user=request.user, channel=Channel.FORM
        )
    except services.StaleVersion as exc:
        context = _context(request, response, conflict=exc, conflict_count=len(exc.conflicts))
        return render(request, "responses/workbook_upload.html", context, status=409)
    except services.NotWritable as exc:
        return _upload_error(request, response, str(exc))
    if result.errors:
        problems = [(0, f"{code}: {message}") for code, message in result.errors.items()]
        return render(
            request, "responses/workbook_upload.html", _context(request, response, problems=problems), status=422
        )
    count = len(result.changed)
    messages.success(
        request,
        _("Årsverkstabellene er oppdatert fra hjelpeskjemaet (%(n)s celler endret).") % {"n": count}
        if count
        else _("Hjelpeskjemaet ga ingen endringer i tabellene."),
    )
    return redirect(_form_url(response))
