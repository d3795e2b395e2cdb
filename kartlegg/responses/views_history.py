"""A field's change history (from the form, per field, loaded with htmx) and a round's audit trail as a streamed CSV.

Both reach their data through the one gate: the field history through services.get_response_for_user (analysts,
the unit's own respondents, its county's reviewers; anyone else 403), the round's trail for analysts only.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kartlegg.accounts.permissions import Access
from kartlegg.lib.exports import csv_stream

from . import exports, services
from .services import history


@require_GET
@login_required
def field_history(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    """?v=CODE: the history of one question (a grid: all its cells and its comment). htmx gets the table alone."""
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.VIEW)
    defn = response.round.version.definition()
    code = request.GET.get("v", "")
    question = defn.question_for(code)
    if question is None:
        raise Http404(_("Ukjent variabel."))
    codes = history.history_codes(defn, code) if code == question.code else [code]
    context = {
        "response": response,
        "code": code,
        "title": history.field_label(defn, code),
        "rows": history.display_rows(response, codes),
    }
    template = "responses/_history.html" if request.headers.get("HX-Request") else "responses/history.html"
    return render(request, template, context)


@require_GET
@login_required
def round_audit(request: HttpRequest, round_id: int) -> StreamingHttpResponse:
    """Every change to the round's answers, as a CSV that opens in Excel (analysts only). Streamed: a round of any
    size is written as it is read."""
    round_obj = services.get_round_for_user(request.user, round_id, Access.EDIT)
    reply = StreamingHttpResponse(
        csv_stream(history.AUDIT_HEADER, history.audit_rows(round_obj)), content_type="text/csv; charset=utf-8"
    )
    name = exports.export_filename(round_obj, "csv").replace("svar-", "endringslogg-", 1)
    reply["Content-Disposition"] = f'attachment; filename="{name}"'
    return reply
