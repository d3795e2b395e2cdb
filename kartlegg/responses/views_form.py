"""The respondent's form: an overview with progress, one page per section, autosave and as-you-type checks.

Views stay thin: every response is reached through services.get_response_for_user, values are parsed and validated
by the engine through services, and the page is built by form_fields. The page works without JavaScript (a plain
POST saves the section); form.js adds autosave, live totals, local backup and conflict handling on top.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kartlegg.accounts.models import Channel
from kartlegg.accounts.permissions import Access, can_access_unit
from kartlegg.surveys import engine

from . import form_fields, services
from .models import Response


def is_background(request: HttpRequest) -> bool:
    """Requests made by form.js or htmx, which want a status code rather than a login page."""
    return request.headers.get("HX-Request") == "true" or request.headers.get("X-Requested-With") == "fetch"


def login_required_or_401(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like login_required, but background requests get 401 so the page can keep the user's typing and say so."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if is_background(request):
                return JsonResponse({"error": "login_required", "login_url": reverse("accounts:login")}, status=401)
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


@dataclass
class FormState:
    """Everything a form page needs about one response, loaded once per request."""

    response: Response
    defn: engine.Definition
    values: dict[str, Any]
    comments: dict[str, str]
    validation: engine.ValidationResult
    can_edit: bool
    readonly_reason: str
    sections: list[form_fields.SectionView] = field(default_factory=list)

    @cached_property
    def previous(self) -> services.PreviousAnswers:
        """Last year's answers: several queries, so only for the pages that show them (never for autosave)."""
        return services.previous_values(self.response)

    @classmethod
    def load(cls, request: HttpRequest, response: Response) -> FormState:
        # The texts (labels, help, choices, rule messages) in the page's language; codes and rules are the same.
        defn = response.round.version.definition(get_language())
        values, comments = services.stored_values(response, defn)
        validation = services.validate_values(response, values, comments, defn)
        user = request.user
        allowed = can_access_unit(user, response.unit.code, response.unit.county_code, Access.EDIT)
        reason = services.writable_reason(response, user) if allowed else _("Du har bare lesetilgang.")
        state = cls(
            response=response,
            defn=defn,
            values=values,
            comments=comments,
            validation=validation,
            can_edit=allowed and not reason,
            readonly_reason=reason,
        )
        state.sections = form_fields.build_sections(defn, values, comments, validation)
        return state

    def section(self, code: str) -> engine.Section:
        for section in self.defn.sections:
            if section.code == code:
                return section
        raise Http404(_("Fant ikke denne delen av skjemaet."))

    def neighbours(self, code: str) -> tuple[str | None, str | None]:
        codes = [s.code for s in self.defn.sections]
        i = codes.index(code)
        return (codes[i - 1] if i > 0 else None), (codes[i + 1] if i + 1 < len(codes) else None)

    def section_of(self, variable: str) -> str:
        question = self.defn.question_for(variable)
        return question.section if question is not None else ""


def urls_for(response: Response) -> dict[str, str]:
    args = [response.round_id, response.unit.code]
    names = ["form", "save", "check", "state", "prefill", "undo", "colleague", "submit", "receipt", "receipt_pdf"]
    urls = {name: reverse(f"responses:{name}", args=args) for name in names}
    urls["reopen"] = reverse("responses:reopen", args=args)
    urls["history"] = reverse("responses:history", args=args)
    return urls


def base_context(request: HttpRequest, state: FormState) -> dict[str, Any]:
    response = state.response
    return {
        "response": response,
        "round": response.round,
        "unit": response.unit,
        "state": state,
        "sections": state.sections,
        "urls": urls_for(response),
        "storage_key": f"kartlegg:{response.round_id}:{response.unit.code}",
        "is_analyst": getattr(request.user, "is_analyst", False),
        # Set by views_form_actions.prefill; lets the user undo the last fill-in from last year.
        "undo_batch": request.session.get("kartlegg_prefill_undo", {}).get(str(response.pk), ""),
    }


@require_GET
@login_required_or_401
def overview(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.VIEW)
    state = FormState.load(request, response)
    context = base_context(request, state)
    context["first_section"] = state.defn.sections[0].code if state.defn.sections else None
    context["intro"] = state.defn.intro  # in the page's language
    context["has_previous"] = bool(state.previous)
    context["blank_count"] = sum(1 for code in state.previous.values if state.values.get(code) is None)
    return render(request, "responses/form_overview.html", context)


@login_required_or_401
def section_page(request: HttpRequest, round_id: int, unit_code: str, section: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    access = Access.EDIT if request.method == "POST" else Access.VIEW
    response = services.get_response_for_user(request.user, round_id, unit_code, access)
    state = FormState.load(request, response)
    state.section(section)
    if request.method == "POST":
        return _plain_post(request, state, section)
    return _render_section(request, state, section)


def _render_section(
    request: HttpRequest,
    state: FormState,
    section_code: str,
    *,
    raw_overrides: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: services.StaleVersion | None = None,
    status: int = 200,
) -> HttpResponse:
    section = state.section(section_code)
    view = form_fields.build_section(
        state.defn, section, state.values, state.comments, state.validation, state.previous.values, raw_overrides
    )
    _apply_parse_errors(view, errors or {})
    previous, following = state.neighbours(section_code)
    context = base_context(request, state)
    context.update(
        section=view,
        current=section_code,
        previous_section=previous,
        next_section=following,
        error_links=_error_links(state.defn, errors or {}),
        conflict=_conflict_rows(state, conflict) if conflict else None,
        conflict_version=conflict.current_version if conflict else None,
        previous_label=_previous_label(state),
    )
    return render(request, "responses/form_section.html", context, status=status)


def _previous_label(state: FormState) -> str:
    prev = state.previous
    if prev.round is None or not prev:
        return ""
    if prev.estimated:
        return _("Anslått fra %(codes)s i %(year)s") % {"codes": ", ".join(prev.source_codes), "year": prev.round.year}
    return _("I %(year)s") % {"year": prev.round.year}


def _apply_parse_errors(view: form_fields.SectionView, errors: dict[str, str]) -> None:
    if not errors:
        return
    for qv in view.questions:
        fields = [qv.field] if qv.field else [c for row in (qv.grid.rows if qv.grid else []) for c in row.cells]
        for fv in fields:
            if fv is not None and fv.code in errors:
                fv.messages.insert(0, form_fields.Message("error", errors[fv.code]))


def _conflict_rows(state: FormState, conflict: services.StaleVersion) -> list[dict[str, Any]]:
    rows = []
    for key, item in conflict.conflicts.items():
        question = state.defn.question_for(item.variable)
        is_comment = key.endswith("#comment")
        label = _label_for(state.defn, item.variable)
        rows.append(
            {
                "code": item.variable,
                "id": form_fields.html_id(item.variable),
                "label": label + (" (" + _("kommentar") + ")" if is_comment else ""),
                "is_comment": is_comment,
                "mine": item.submitted if is_comment else form_fields.display_text(question, item.submitted),
                "mine_raw": item.submitted if is_comment else form_fields.input_text(question, item.submitted),
                "stored": item.stored if is_comment else form_fields.display_text(question, item.stored),
                "stored_raw": item.stored if is_comment else form_fields.input_text(question, item.stored),
            }
        )
    return rows


def others_rows(state: FormState, result: services.SaveResult | None) -> list[dict[str, Any]]:
    """What colleagues changed since this browser's version and the save merged (their values were kept)."""
    if result is None:
        return []
    rows = []
    for code, change in sorted(result.others_changed.items()):
        question = state.defn.question_for(code)
        value = engine.load_value(state.defn, code, change.text)
        rows.append(
            {
                "code": code,
                "id": form_fields.html_id(code),
                "label": _label_for(state.defn, code),
                "value": form_fields.display_text(question, value) if question else change.text,
                "raw": form_fields.input_text(question, value) if question else change.text,
                "comment": change.comment,
            }
        )
    return rows


def _error_links(defn: engine.Definition, errors: dict[str, str]) -> list[dict[str, str]]:
    """The error summary's entries: a link to each field that could not be saved, with its label and the message."""
    return [
        {"id": form_fields.html_id(code), "message": f"{_label_for(defn, code)}: {message}"}
        for code, message in errors.items()
    ]


def _label_for(defn: engine.Definition, code: str) -> str:
    cell = defn.cells.get(code)
    if cell is not None:
        grid, row, col = cell
        return f"{grid.label}: {dict(grid.rows).get(row, row)} – {dict(grid.columns).get(col, col)}"
    question = defn.question_for(code)
    return question.label if question is not None else code


def posted_values(request: HttpRequest, defn: engine.Definition) -> tuple[dict[str, Any], dict[str, str]]:
    """Variable values and comments from a POST. Multichoice fields come as lists (a hidden blank marks the field as
    present when nothing is ticked); unknown names are passed on so that the service can name them as errors."""
    values: dict[str, Any] = {}
    comments: dict[str, str] = {}
    for name in request.POST:
        if name.startswith("_") or name == "csrfmiddlewaretoken" or name.startswith("choice:"):
            continue
        if name.startswith("comment:"):
            comments[name.removeprefix("comment:")] = request.POST.get(name, "")
            continue
        question = defn.question_for(name)
        if question is not None and question.type == "multichoice":
            values[name] = [v for v in request.POST.getlist(name) if v.strip()]
        else:
            values[name] = request.POST.get(name, "")
    return values, comments


def _resolve_choices(request: HttpRequest, values: dict[str, Any], comments: dict[str, str]) -> None:
    """After a conflict the user chose per variable: keep their value (it stays posted) or the stored one (dropped)."""
    for code in request.POST.getlist("_conflicts"):
        choice = request.POST.get(f"choice:{code}")
        if choice != "mine":
            values.pop(code, None)
            comments.pop(code, None)


@dataclass
class Outcome:
    """The result of one save from the form, for both the plain POST and the background save."""

    result: services.SaveResult | None = None
    errors: dict[str, str] = field(default_factory=dict)
    conflict: services.StaleVersion | None = None
    not_writable: str = ""
    saved: list[str] = field(default_factory=list)


def save_from_form(request: HttpRequest, state: FormState) -> Outcome:
    """Save what the form posted. Unlike the API, the form keeps going past a bad field: the fields that parse are
    saved and the bad ones are reported (and kept in the browser), so one typo never blocks autosave of the rest."""
    values, comments = posted_values(request, state.defn)
    _resolve_choices(request, values, comments)
    try:
        expected = int(request.POST.get("_version", ""))
    except ValueError:
        expected = -1
    parsed, errors = services.parse_values(state.defn, values)
    comment_codes = services.comment_codes(state.defn)
    for code in list(comments):
        if code not in comment_codes:
            errors[code] = _("Ukjent variabel: %(code)s.") % {"code": code}
            comments.pop(code)
    outcome = Outcome(errors=errors)
    try:
        # A save from an older version is merged by cell in the service; only a cell both changed conflicts.
        result = services.store_parsed(
            state.response, parsed, comments, expected, request.user, Channel.FORM, defn=state.defn
        )
    except services.StaleVersion as exc:
        outcome.conflict = exc
        return outcome
    except services.NotWritable as exc:
        outcome.not_writable = str(exc)
        return outcome
    outcome.result = result
    outcome.saved = sorted(set(parsed) | set(comments))
    state.values, state.comments = result.values, result.comments
    if result.validation is not None:
        state.validation = result.validation
    state.sections = form_fields.build_sections(state.defn, state.values, state.comments, state.validation)
    return outcome


def _plain_post(request: HttpRequest, state: FormState, section: str) -> HttpResponse:
    """The form without JavaScript: save the section, then go where the pressed button said."""
    outcome = save_from_form(request, state)
    if outcome.not_writable:
        messages.error(request, outcome.not_writable)
        return redirect("responses:section", state.response.round_id, state.response.unit.code, section)
    if outcome.conflict or outcome.errors:
        raw, _comments = posted_values(request, state.defn)
        if outcome.conflict:
            state.values, state.comments = services.stored_values(state.response, state.defn)
        return _render_section(
            request, state, section, raw_overrides=raw, errors=outcome.errors, conflict=outcome.conflict, status=200
        )
    messages.success(request, _("Lagret kl. %(time)s.") % {"time": timezone.localtime().strftime("%H:%M")})
    others = others_rows(state, outcome.result)
    if others:
        names = "; ".join(f"{row['label']}: {row['value']}" for row in others)
        messages.info(
            request,
            _("En kollega har lagret endringer i mellomtiden, og de er beholdt: %(fields)s") % {"fields": names},
        )
    target = request.POST.get("_goto", "")
    if target == "_submit":
        return redirect("responses:submit", state.response.round_id, state.response.unit.code)
    if target and any(s.code == target for s in state.defn.sections):
        return redirect("responses:section", state.response.round_id, state.response.unit.code, target)
    return redirect("responses:section", state.response.round_id, state.response.unit.code, section)


# Background requests from form.js and htmx


@require_POST
@login_required_or_401
def save(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    """Autosave. Answers with an HTML fragment (status text plus out-of-band updates of messages, progress and the
    conflict panel) and an X-Kartlegg-Save header with what happened, as JSON, for form.js."""
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.EDIT)
    state = FormState.load(request, response)
    section_code = request.POST.get("_section", "")
    outcome = save_from_form(request, state)
    section = next((s for s in state.defn.sections if s.code == section_code), None)
    now = timezone.localtime()
    meta: dict[str, Any] = {
        "version": state.response.version,
        "errors": outcome.errors,
        "time": now.strftime("%H:%M"),
        "relevant": sorted(state.validation.relevant),
    }
    if outcome.not_writable:
        meta.update(status="readonly", message=outcome.not_writable)
        saved: list[str] = []
    elif outcome.conflict:
        meta.update(status="conflict", version=outcome.conflict.current_version)
        saved = []
    else:
        meta["status"] = "invalid" if outcome.errors else "saved"
        saved = [c for c in outcome.saved if c not in outcome.errors]
    meta["saved"] = saved
    others = others_rows(state, outcome.result)
    # form.js puts the colleagues' values into the fields the user has not changed since.
    meta["others"] = {row["code"]: row["raw"] for row in others}
    view = None
    if section is not None:
        raw, _comments = posted_values(request, state.defn)
        view = form_fields.build_section(state.defn, section, state.values, state.comments, state.validation, {}, raw)
        _apply_parse_errors(view, outcome.errors)
    context = base_context(request, state)
    context.update(
        meta=meta,
        section=view,
        current=section_code,
        error_links=_error_links(state.defn, outcome.errors),
        conflict=_conflict_rows(state, outcome.conflict) if outcome.conflict else None,
        conflict_version=outcome.conflict.current_version if outcome.conflict else None,
        others=others,
    )
    reply = render(request, "responses/_save_result.html", context)
    reply["X-Kartlegg-Save"] = json.dumps(meta, ensure_ascii=True)
    return reply


@require_POST
@login_required_or_401
def check(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    """Check one field as it is typed, without saving it: parse it, then run the rules as if it were saved."""
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.EDIT)
    defn = response.round.version.definition(get_language())
    code = request.headers.get("HX-Trigger-Name") or request.POST.get("_field", "")
    question = defn.question_for(code)
    if question is None or (question.is_grid and code == question.code):
        return HttpResponse(status=400)
    posted, _comments = posted_values(request, defn)
    raw = posted.get(code, [] if question.type == "multichoice" else "")
    messages_for: list[form_fields.Message] = []
    try:
        value = engine.parse_answer(defn, code, raw)
    except engine.AnswerError as exc:
        messages_for.append(form_fields.Message("error", exc.message))
    else:
        values, comments = services.stored_values(response, defn)
        values[code] = value
        validation = services.validate_values(response, values, comments, defn)
        messages_for = form_fields.field_messages(defn, [code], validation)[code]
    invalid = any(m.severity == "error" for m in messages_for)
    context = {"id": form_fields.html_id(code), "messages": messages_for, "invalid": invalid}
    cell = defn.cells.get(code)
    if cell is not None:
        # A grid cell's messages stand under the grid, each with a link back to its cell.
        grid, row, col = cell
        context["link_label"] = f"{dict(grid.rows).get(row, row)} – {dict(grid.columns).get(col, col)}"
    return render(request, "responses/_field_messages.html", context)


@require_GET
def state_view(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    """For form.js after a lost session: is the user logged in again, the current version, and a fresh CSRF token
    (logging in rotates it, so the page's old one would be refused)."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False, "login_url": reverse("accounts:login")}, status=401)
    response = services.get_response_for_user(request.user, round_id, unit_code, Access.VIEW)
    return JsonResponse(
        {
            "authenticated": True,
            "version": response.version,
            "status": response.status,
            "csrf_token": get_token(request),
        },
        headers={"Cache-Control": "no-store"},
    )
