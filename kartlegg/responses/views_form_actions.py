"""Actions around the form: fill in from last year (and undo), invite a colleague, submit, receipt (page and PDF),
and reopen (analysts)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kartlegg.accounts.models import Channel
from kartlegg.accounts.permissions import Access, require_analyst

from . import form_fields, invitations, receipt, services
from .forms import ColleagueForm
from .models import ResponseStatus
from .views_form import FormState, base_context, login_required_or_401

UNDO_SESSION_KEY = "kartlegg_prefill_undo"


def _to_overview(response: Any) -> HttpResponse:
    return redirect("responses:form", response.round_id, response.unit.code)


@require_http_methods(["GET", "POST"])
@login_required_or_401
def prefill(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    """Confirm, then fill every blank field with last year's answer. Nothing the unit has typed is overwritten."""
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.EDIT)
    state = FormState.load(request, response)
    blanks = [code for code in state.previous.values if state.values.get(code) is None]
    if request.method == "POST":
        if not state.can_edit:
            raise PermissionDenied(state.readonly_reason)
        try:
            expected = int(request.POST.get("_version", ""))
        except ValueError:
            expected = None
        try:
            result = services.prefill_from_previous(response, request.user, expected_version=expected)
        except services.StaleVersion:
            messages.warning(request, _("Skjemaet er endret siden du åpnet siden. Se over og prøv igjen."))
            return redirect("responses:prefill", round_id, unit_code)
        count = len(result.changed)
        if count:
            undo = request.session.get(UNDO_SESSION_KEY, {})
            undo[str(response.pk)] = result.batch
            request.session[UNDO_SESSION_KEY] = undo
        messages.success(
            request,
            ngettext(
                "%(count)s felt ble fylt inn fra fjorårets svar.",
                "%(count)s felt ble fylt inn fra fjorårets svar.",
                count,
            )
            % {"count": count},
        )
        return _to_overview(response)
    context = base_context(request, state)
    context.update(blank_count=len(blanks), previous=state.previous)
    return render(request, "responses/prefill_confirm.html", context)


@require_POST
@login_required_or_401
def undo(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.EDIT)
    undo_map = request.session.get(UNDO_SESSION_KEY, {})
    batch = undo_map.get(str(response.pk))
    if not batch or batch != request.POST.get("batch"):
        messages.error(request, _("Det er ingenting å angre."))
        return _to_overview(response)
    try:
        result = services.undo_batch(response, batch, request.user)
    except services.NotWritable as exc:
        messages.error(request, str(exc))
        return _to_overview(response)
    undo_map.pop(str(response.pk), None)
    request.session[UNDO_SESSION_KEY] = undo_map
    messages.success(request, _("Utfyllingen er angret (%(count)s felt).") % {"count": len(result.changed)})
    return _to_overview(response)


@require_http_methods(["GET", "POST"])
@login_required_or_401
def colleague(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.EDIT)
    state = FormState.load(request, response)
    form = ColleagueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.invite_colleague(
                response, form.cleaned_data["email"], request.user, base_url=request.build_absolute_uri("/")
            )
        except ValueError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, _("Invitasjonen er sendt til %(email)s.") % {"email": form.cleaned_data["email"]})
            return _to_overview(response)
    context = base_context(request, state)
    context["form"] = form
    return render(request, "responses/colleague.html", context, status=400 if form.errors else 200)


def _issue_rows(state: FormState) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Errors (each linked to its field) and warnings grouped by the variable their comment is stored on."""
    from .views_form import _label_for

    def link(code: str) -> str:
        section = state.section_of(code)
        if not section:
            return ""
        args = [state.response.round_id, state.response.unit.code, section]
        return reverse("responses:section", args=args) + "#" + form_fields.html_id(code)

    errors = []
    for issue in state.validation.errors:
        code = issue.variables[0] if issue.variables else ""
        errors.append({"message": issue.message, "label": _label_for(state.defn, code), "href": link(code)})
    groups: dict[str, dict[str, Any]] = {}
    for issue in state.validation.warnings:
        key = issue.variables[0] if issue.variables else issue.rule_code
        group = groups.setdefault(
            key,
            {
                "key": key,
                "id": "comment-" + form_fields.html_id(key),
                "label": _label_for(state.defn, key),
                "href": link(key),
                "messages": [],
                "explained": True,
                "comment": next(
                    (state.comments[v] for v in issue.variables if state.comments.get(v)), state.comments.get(key, "")
                ),
            },
        )
        group["messages"].append(issue.message)
        group["explained"] = group["explained"] and issue.explained
    return errors, list(groups.values())


@require_http_methods(["GET", "POST"])
@login_required_or_401
def submit(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    access = Access.EDIT if request.method == "POST" else Access.VIEW
    response = services.get_response_for_user(request.user, round_id, unit_code, access)
    if request.method == "POST":
        if response.status == ResponseStatus.SUBMITTED:
            messages.info(request, _("Skjemaet er allerede sendt inn."))
            return redirect("responses:receipt", round_id, unit_code)
        comments = {
            name.removeprefix("comment:"): str(request.POST.get(name, ""))
            for name in request.POST
            if name.startswith("comment:")
        }
        try:
            if comments:
                saved = services.save_values(response, {}, comments, None, request.user, Channel.FORM)
                if saved.errors:
                    messages.error(request, " ".join(saved.errors.values()))
            result = services.submit(response, request.user)
        except services.NotWritable as exc:
            messages.error(request, str(exc))
            return _to_overview(response)
        if result.submitted:
            if result.already:
                messages.info(request, result.message)
            return redirect("responses:receipt", round_id, unit_code)
        messages.error(request, result.message)
    if response.status == ResponseStatus.SUBMITTED:
        return redirect("responses:receipt", round_id, unit_code)
    state = FormState.load(request, response)
    errors, warnings = _issue_rows(state)
    context = base_context(request, state)
    context.update(errors=errors, warnings=warnings, current="_submit")
    return render(request, "responses/submit.html", context)


@require_GET
@login_required_or_401
def receipt_page(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.VIEW)
    if response.status != ResponseStatus.SUBMITTED:
        messages.info(request, _("Skjemaet er ikke sendt inn ennå."))
        return _to_overview(response)
    state = FormState.load(request, response)
    context = base_context(request, state)
    context["all_sections"] = [
        form_fields.build_section(
            state.defn, section, state.values, state.comments, state.validation, state.previous.values
        )
        for section in state.defn.sections
    ]
    context["current"] = "_receipt"
    return render(request, "responses/receipt.html", context)


@require_GET
@login_required_or_401
def receipt_pdf(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.VIEW)
    content = receipt.receipt_pdf(response)
    stamp = timezone.localtime(response.submitted_at or timezone.now()).strftime("%Y%m%d")
    filename = f"kvittering-{response.unit.code}-{response.round.year}-{stamp}.pdf"
    reply = HttpResponse(content, content_type="application/pdf")
    reply["Content-Disposition"] = f'attachment; filename="{filename}"'
    reply["Cache-Control"] = "private, no-store"
    return reply


@require_POST
@login_required_or_401
def reopen(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    require_analyst(request.user)
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.EDIT)
    try:
        done = services.reopen(response, request.user, reason=request.POST.get("reason", "")[:500])
    except services.NotWritable as exc:
        messages.error(request, str(exc))
        return _to_overview(response)
    if done:
        messages.success(request, _("Skjemaet er gjenåpnet. Enheten kan endre svarene og sende inn på nytt."))
    else:
        messages.info(request, _("Skjemaet var ikke sendt inn, så det er allerede åpent."))
    return _to_overview(response)
