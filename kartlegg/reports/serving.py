"""The stored report page served as bytes. The report's HTML is rendered once, when the report is built or edited,
and stored with its fingerprint (models.Report.html_hash). A request renders only the small page around it (site
header, status, links: base.html with a marker where the report goes) and splices the stored bytes in; no template
sees the report and nothing is recomputed. The permission check comes first (services.get_report_for_user), then
the conditional request: the ETag covers the stored page, the report's status and everything the surrounding page
shows (who is logged in, the language, the CSRF cookie the forms carry, the code version), so a 304 Not Modified
is only ever sent for the same bytes."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language

from kartlegg.reports.models import BuildState, ReportStatus
from kartlegg.reports.models import Report as StoredReport

MARKER = "<!--kartlegg:report-body-->"
TEMPLATE = "reports/detail.html"
APPROVED_MAX_AGE = 60  # seconds a browser may reuse an approved report's page before asking again (ETag)


def page_etag(request: HttpRequest, stored: StoredReport, version: str) -> str:
    user = request.user
    get_token(request)  # the forms around the report carry this cookie's token: make sure there is one to name
    parts = [
        stored.html_hash,
        stored.status,
        str(stored.submitted_at),
        str(stored.approved_at),
        ",".join(stored.stale_paragraphs),
        str(user.pk) if user.is_authenticated else "-",
        get_language() or "",
        hashlib.sha256(str(request.META.get("CSRF_COOKIE", "")).encode()).hexdigest(),
        version,
    ]
    return quote_etag(hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40])


def serve_stored_page(
    request: HttpRequest, stored: StoredReport, context: dict[str, Any], version: str
) -> HttpResponse:
    """The page with the stored report: 304 when the browser has these bytes, else the page around the stored HTML.
    `stored` may come with its heavy fields deferred; the HTML is read only for a full answer."""
    cacheable = stored.build_state == BuildState.DONE and bool(stored.html_hash)
    etag = page_etag(request, stored, version) if cacheable else None
    last_modified = int(stored.html_at.timestamp()) if cacheable and stored.html_at else None
    # A page with messages waiting shows them (and uses them up): never answered with 304.
    if cacheable and not len(messages.get_messages(request)):
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            return _headers(not_modified, stored, etag, last_modified)
    page = render_to_string(TEMPLATE, {**context, "stored": stored, "body": MARKER,
                                       "has_body": bool(stored.html_hash)}, request=request)  # fmt: skip
    head, _, tail = page.partition(MARKER)
    body = stored.html if stored.html_hash else ""
    response = HttpResponse(b"".join((head.encode(), body.encode(), tail.encode())))
    return _headers(response, stored, etag, last_modified)


def _headers(response: HttpResponse, stored: StoredReport, etag: str | None, last_modified: int | None) -> HttpResponse:
    if etag is None:
        patch_cache_control(response, private=True, no_cache=True)
        return response
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    if stored.status == ReportStatus.APPROVED:
        patch_cache_control(response, private=True, max_age=APPROVED_MAX_AGE)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response
