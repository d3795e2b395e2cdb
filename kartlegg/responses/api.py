"""The machine channel for collection: read a unit's response, write values, submit.

Every operation reaches the response through services.get_response_for_user and writes through services.save_values
or services.submit (channel "api"), so the permission check, parsing, validation and audit trail are the same as in
the web form. The PUT body is parsed here rather than by Django Ninja so that every hostile body (an array, NaN,
1e308, deep nesting, a huge string) gets a 400 or 422 that names the field, never a 500; its schema is still
published in the OpenAPI document.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from kartlegg.accounts.models import Channel
from kartlegg.accounts.permissions import Access, unit_filter
from kartlegg.accounts.tokens import API_AUTH

from . import services
from .api_payload import BodyError, PutBody, issue_list, json_value, parse_put_body, text_type_errors
from .models import Response, Round

router = Router(tags=["innsamling"], auth=API_AUTH)

# A round id beyond this cannot exist; larger integers would overflow the database driver.
MAX_ID = 2**62


class ErrorOut(Schema):
    error: str


class FieldErrorsOut(Schema):
    error: str
    fields: dict[str, str] = Field(description="Every variable that was refused, with the reason in Norwegian.")
    unknown: list[str] = Field(default_factory=list, description="Variable codes the questionnaire does not have.")


class IssueOut(Schema):
    rule: str
    message: str
    variables: list[str]
    explained: bool = Field(False, description="A warning counts as explained when one of its variables has a comment.")


StatusCode = Literal["not_started", "draft", "submitted", "reopened"]


class ResponseOut(Schema):
    round: int
    unit: str
    status: StatusCode
    version: int = Field(description="Send this back with the next PUT (optimistic locking).")
    values: dict[str, Any] = Field(
        description="Stored values by variable code: numbers, true/false, text, lists (multichoice), ISO dates, "
        "or null for a deliberate blank. A grid cell's code is grid.row.column."
    )
    comments: dict[str, str]
    errors: list[IssueOut] = Field(description="Validation errors (block submitting).")
    warnings: list[IssueOut] = Field(description="Warnings (each needs a comment before submitting).")


class SavedOut(ResponseOut):
    changed: list[str] = Field(description="Variables whose value or comment this request changed.")
    others_changed: list[str] = Field(
        default_factory=list,
        description="Variables someone else changed since the version sent; they were kept (merged by variable).",
    )


class ConflictValue(Schema):
    stored: Any
    sent: Any


class ConflictOut(Schema):
    error: str
    version: int = Field(description="The version now stored.")
    conflicts: dict[str, ConflictValue] = Field(
        description="Each variable whose sent value differs from the stored one (`code#comment` for comments)."
    )


class SubmitOut(Schema):
    submitted: bool
    already: bool = Field(description="True when it had been submitted before; submitting twice is harmless.")
    status: StatusCode
    version: int
    message: str
    errors: list[IssueOut]
    warnings: list[IssueOut]


class RoundOut(Schema):
    id: int
    name: str
    year: int
    survey: str
    questionnaire: str
    opens_at: str
    deadline: str
    closes_at: str | None
    locked: bool
    open: bool


class ResponseSummaryOut(Schema):
    unit: str
    name: str
    county: str
    status: StatusCode
    version: int
    submitted_at: str | None


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


NOT_FOUND = "Fant ikke svaret: runden finnes ikke, eller enheten er ikke med i runden."


def _round_id(value: int) -> int:
    if not 0 < value < MAX_ID:
        raise HttpError(404, "Fant ikke runden.")
    return value


def _round(request: HttpRequest, round_id: int, access: Access) -> Round:
    """The one gate for rounds (services.get_round_for_user), with its exceptions as JSON errors."""
    try:
        return services.get_round_for_user(request.user, _round_id(round_id), access)
    except Http404:
        raise HttpError(404, "Fant ikke runden.") from None
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "Du har ikke tilgang til runden.") from None


def _response(request: HttpRequest, round_id: int, unit_code: str, access: Access) -> Response:
    """The one gate (services.get_response_for_user), with its exceptions as JSON errors."""
    try:
        return services.get_response_for_user(request.user, _round_id(round_id), unit_code, access)
    except Http404:
        raise HttpError(404, NOT_FOUND) from None
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "Du har ikke tilgang til denne enheten.") from None


def _payload(response: Response, values: dict[str, Any], comments: dict[str, str], validation: Any) -> dict[str, Any]:
    return {
        "round": response.round_id,
        "unit": response.unit.code,
        "status": response.status,
        "version": response.version,
        "values": {code: json_value(value) for code, value in values.items()},
        "comments": comments,
        "errors": issue_list(validation.errors if validation else []),
        "warnings": issue_list(validation.warnings if validation else []),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@router.get("/rounds", response={200: list[RoundOut], 401: ErrorOut}, summary="Rounds visible to the caller")
def list_rounds(request: HttpRequest) -> Any:
    """Analysts and county reviewers see every round; respondents the rounds their units take part in."""
    user = request.user
    rounds = Round.objects.select_related("version__survey")
    if not (getattr(user, "is_analyst", False) or getattr(user, "is_reviewer", False)):
        rounds = rounds.filter(unit_filter(user, Access.VIEW, prefix="responses__unit__")).distinct()
    return [
        {
            "id": r.pk,
            "name": r.name,
            "year": r.year,
            "survey": r.version.survey.code,
            "questionnaire": r.version.label,
            "opens_at": r.opens_at.isoformat(),
            "deadline": r.deadline.isoformat(),
            "closes_at": _iso(r.closes_at),
            "locked": r.is_locked,
            "open": r.is_open(),
        }
        for r in rounds
    ]


@router.get(
    "/rounds/{round_id}/responses",
    response={200: list[ResponseSummaryOut], **ERRORS},
    summary="Status of every response in a round the caller may see",
)
def list_responses(request: HttpRequest, round_id: int) -> Any:
    round_obj = _round(request, round_id, Access.VIEW)
    rows = services.responses_for_user(request.user, round_obj).order_by("unit__code")
    return [
        {
            "unit": r.unit.code,
            "name": r.unit.name,
            "county": r.unit.county_code,
            "status": r.status,
            "version": r.version,
            "submitted_at": _iso(r.submitted_at),
        }
        for r in rows
    ]


@router.get(
    "/rounds/{round_id}/units/{unit_code}/response",
    response={200: ResponseOut, **ERRORS},
    summary="A unit's response: values, comments, status, version and validation",
)
def get_response(request: HttpRequest, round_id: int, unit_code: str) -> Any:
    try:
        response, values, comments, validation = services.read_for_user(request.user, _round_id(round_id), unit_code)
    except Http404:
        raise HttpError(404, NOT_FOUND) from None
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "Du har ikke tilgang til denne enheten.") from None
    return _json(_payload(response, values, comments, validation))


PUT_DOC = """Store values, all or nothing, and return the stored values with the new version.

Values may be JSON numbers, strings (decimal comma allowed: "2,5"), true/false, lists (multichoice) or null
(= blank). A text variable takes a JSON string only: a number or true/false sent to it is refused (422).
`version` must be the version last read. If someone saved since, the save is merged by variable: variables nobody
changed since that version are stored, and `others_changed` lists what the others changed; 409 names the variables
that both changed (a variable sent back unchanged keeps the other's value). A bad value stores nothing: 422 names
every bad variable. Malformed JSON, a missing, negative or non-integer version, or text with an unpaired surrogate
(`"\\ud800"`) is 400 naming the field. A body over 2,5 MB is 413."""


@router.put(
    "/rounds/{round_id}/units/{unit_code}/response",
    response={200: SavedOut, **ERRORS, 409: ConflictOut, 413: ErrorOut, 422: FieldErrorsOut},
    summary="Save values (optimistic locking)",
    description=PUT_DOC,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PutBody.model_json_schema()}},
        }
    },
)
def put_response(request: HttpRequest, round_id: int, unit_code: str) -> Any:
    # Parse before touching the database: a malformed body costs no query.
    try:
        body = parse_put_body(request.body)
    except RequestDataTooBig:
        raise HttpError(413, "Forespørselen er for stor.") from None
    except BodyError as exc:
        raise HttpError(400, str(exc)) from None
    try:
        response, result = services.save_for_user(
            request.user,
            _round_id(round_id),
            unit_code,
            body.values,
            body.comments,
            expected_version=body.version,
            channel=Channel.API,
            refused=body.type_errors,
            check=text_type_errors,
        )
    except Http404:
        raise HttpError(404, NOT_FOUND) from None
    except services.NotWritable as exc:
        raise HttpError(403, str(exc)) from None
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "Du har ikke tilgang til denne enheten.") from None
    except services.StaleVersion as exc:
        return Status(
            409,
            {
                "error": "Svaret er endret siden du hentet det. Hent det på nytt og send endringene igjen.",
                "version": exc.current_version,
                "conflicts": {
                    code: {"stored": json_value(c.stored), "sent": json_value(c.submitted)}
                    for code, c in exc.conflicts.items()
                },
            },
        )
    if result.errors:
        return Status(422, _field_errors(result.errors))
    payload = _payload(response, result.values, _comments_after(response, result), result.validation)
    payload["version"] = result.version
    payload["changed"] = result.changed
    payload["others_changed"] = sorted(result.others_changed)
    return _json(payload)


def _json(payload: dict[str, Any]) -> HttpResponse:
    """A 200 answer written as JSON here rather than validated against ResponseOut/SavedOut by Django Ninja on every
    read and save (a fifth of a millisecond each): _payload holds only JSON values, in those schemas' fields
    (tests/test_responses_api.py checks both against their schemas)."""
    return HttpResponse(json.dumps(payload), content_type="application/json; charset=utf-8")


def _comments_after(response: Response, result: services.SaveResult) -> dict[str, str]:
    # SaveResult carries the values but (so far) not the comments; read them once when it does not.
    comments = getattr(result, "comments", None)
    if comments is not None:
        return dict(comments)
    return dict(response.answers.exclude(comment="").values_list("variable", "comment"))


def _field_errors(errors: dict[str, str]) -> dict[str, Any]:
    unknown = sorted(code for code, message in errors.items() if message.startswith("Ukjent variabel"))
    count = len(errors)
    return {
        "error": f"{count} verdi{'er' if count != 1 else ''} ble ikke godtatt. Ingenting er lagret.",
        "fields": errors,
        "unknown": unknown,
    }


@router.post(
    "/rounds/{round_id}/units/{unit_code}/submit",
    response={200: SubmitOut, **ERRORS, 422: SubmitOut},
    summary="Submit the response",
    description="Errors block submitting, and every warning needs a comment (422 lists them). Submitting a response "
    "that is already submitted is harmless (200, already=true).",
)
def submit_response(request: HttpRequest, round_id: int, unit_code: str) -> Any:
    response = _response(request, round_id, unit_code, Access.EDIT)
    try:
        result = services.submit(response, request.user, channel=Channel.API)
    except services.NotWritable as exc:
        raise HttpError(403, str(exc)) from None
    validation = result.validation
    payload = {
        "submitted": result.submitted,
        "already": result.already,
        "status": response.status,
        "version": response.version,
        "message": result.message,
        "errors": issue_list(validation.errors if validation else []),
        "warnings": issue_list(validation.unexplained_warnings if validation and not result.submitted else []),
    }
    return Status(200 if result.submitted else 422, payload)
