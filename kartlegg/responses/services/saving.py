"""Reading and saving answers: with optimistic locking and an audit trail, in batches that can be undone. Every
channel (form, API, import, admin) goes through these functions, so the rules live here once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartlegg.accounts.models import AuditEvent, Channel
from kartlegg.surveys import engine

from .. import writes
from ..models import Response, ResponseStatus
from .access import NotWritable, lock_response, lock_response_for_user, read_response_for_user, writable_reason
from .validating import validate_values

# The engine limits text further; this only spares it from parsing megabytes sent by a misbehaving client.
MAX_TEXT_LENGTH = 100_000
ALREADY_SUBMITTED = "Skjemaet er allerede sendt inn."


@dataclass(frozen=True)
class Conflict:
    variable: str
    stored: Any
    submitted: Any


class StaleVersion(Exception):
    """Someone saved since the caller's version. Carries both values for every variable that was written since that
    version and whose submitted value differs from the stored one (possibly none), so the user can choose."""

    def __init__(self, current_version: int, conflicts: dict[str, Conflict]) -> None:
        super().__init__(f"Utdatert versjon (lagret versjon er {current_version}).")
        self.current_version = current_version
        self.conflicts = conflicts

    @property
    def stored_values(self) -> dict[str, Any]:
        return {code: c.stored for code, c in self.conflicts.items()}

    @property
    def submitted_values(self) -> dict[str, Any]:
        return {code: c.submitted for code, c in self.conflicts.items()}


class _Change(NamedTuple):
    variable: str
    text: str | None
    comment: str


@dataclass
class SaveResult:
    version: int
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    validation: engine.ValidationResult | None = None
    changed: list[str] = field(default_factory=list)
    batch: str = ""
    comments: dict[str, str] = field(default_factory=dict)
    # Saved from an older version: what others changed since (code → the stored text and comment now).
    others_changed: dict[str, _Change] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def comment_codes(defn: Any) -> set[str]:
    """Where a comment may be stored: every variable, and a whole grid (a warning about a grid total is explained
    once, not cell by cell)."""
    return set(engine.value_codes(defn)) | {q.code for q in defn.questions.values() if q.is_grid}


def stored_values(response: Response, defn: Any | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """(values, comments) as python values, for every stored variable the questionnaire knows."""
    defn = defn or response.round.version.definition()
    return values_from_rows(defn, ((row[0], row[1], row[3]) for row in writes.answer_rows(response.pk)))


def read_for_user(
    user: Any, round_id: int, unit_code: str
) -> tuple[Response, dict[str, Any], dict[str, str], engine.ValidationResult]:
    """What the API's GET answers: the response through the permission gate in one statement
    (access.read_response_for_user), its values and comments, and their validation (incremental, as after a save).
    Raises Http404 and PermissionDenied."""
    response = read_response_for_user(user, round_id, unit_code)
    defn = response.round.version.definition()
    values, comments = stored_values(response, defn)
    return response, values, comments, validate_values(response, values, comments, defn)


def values_from_rows(defn: Any, rows: Iterable[tuple[str, str | None, str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """(values, comments) from (variable, value_text, comment) rows, skipping variables the questionnaire lacks."""
    known = comment_codes(defn)
    values: dict[str, Any] = {}
    comments: dict[str, str] = {}
    for variable, text, comment in rows:
        if variable not in known:
            continue
        if text is not None or variable not in defn.questions or not defn.questions[variable].is_grid:
            values[variable] = engine.load_value(defn, variable, text)
        if comment:
            comments[variable] = comment
    return values, comments


def validate_response(response: Response) -> engine.ValidationResult:
    defn = response.round.version.definition()
    values, comments = stored_values(response, defn)
    return validate_values(response, values, comments, defn, incremental=False)


def parse_values(defn: Any, raw_values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse every raw value; returns (parsed, errors by variable). Unknown codes are errors, not ignored."""
    known = set(engine.value_codes(defn))
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for code, raw in raw_values.items():
        if code not in known:
            errors[code] = _("Ukjent variabel: %(code)s.") % {"code": code}
            continue
        if isinstance(raw, str) and len(raw) > MAX_TEXT_LENGTH:
            errors[code] = _("Teksten er for lang (høyst %(n)s tegn).") % {
                "n": f"{MAX_TEXT_LENGTH:,}".replace(",", " ")
            }
            continue
        try:
            value = engine.parse_answer(defn, code, raw)
        except engine.AnswerError as exc:
            errors[code] = str(getattr(exc, "message", "") or exc)
            continue
        parsed[code] = value
    return parsed, errors


def save_values(
    response: Response,
    raw_values: Mapping[str, Any],
    comments: Mapping[str, str] | None = None,
    expected_version: int | None = None,
    user: Any = None,
    channel: str = Channel.FORM,
) -> SaveResult:
    """Parse and store answers, all or nothing.

    A bad value stores nothing and SaveResult.errors names every bad variable. A stale expected_version raises
    StaleVersion (None skips the check, for imports). Only values that really change are written and audited.
    """
    defn = response.round.version.definition()
    parsed, errors = parse_values(defn, raw_values)
    errors.update(_comment_errors(defn, comments))
    if errors:
        return SaveResult(version=response.version, values={}, errors=errors)
    return store_parsed(response, parsed, comments, expected_version, user, channel, defn=defn)


def store_parsed(
    response: Response,
    values: Mapping[str, Any],
    comments: Mapping[str, str] | None = None,
    expected_version: int | None = None,
    user: Any = None,
    channel: str = Channel.FORM,
    *,
    defn: Any | None = None,
    batch: str = "",
    action: str = "answer.changed",
) -> SaveResult:
    """Store already parsed values (see save_values). Used directly by prefill and undo, whose values are typed.

    Every value is checked against the question's type here, whatever the channel (engine.check_value): a value of
    the wrong type stores nothing and SaveResult.errors names it.
    """
    defn = defn or response.round.version.definition()
    cleaned = _clean_comments(comments)
    type_errors = _type_errors(defn, values)
    if type_errors:
        return SaveResult(version=response.version, values={}, errors=type_errors)
    with transaction.atomic():
        locked = lock_response(response, "round", "unit")
        written = _write(locked, values, cleaned, expected_version, user, channel, defn, batch, action)
    response.version, response.status = locked.version, locked.status
    return _validated(locked, written, defn, batch)


def save_for_user(
    user: Any,
    round_id: int,
    unit_code: str,
    raw_values: Mapping[str, Any],
    comments: Mapping[str, str] | None = None,
    expected_version: int | None = None,
    channel: str = Channel.API,
    *,
    refused: Mapping[str, str] | None = None,
    check: Callable[[Any, Any], dict[str, str]] | None = None,
) -> tuple[Response, SaveResult]:
    """save_values for a caller who names the response (the API): the permission gate, the row lock and the save in
    one transaction, the gate folded into the statement that takes the lock (access.lock_response_for_user).

    `refused` are variables the caller already refused (their JSON type), `check(defn, raw_values)` the caller's
    own rules once the questionnaire is known; their errors join the engine's, so SaveResult.errors names every bad
    variable at once and nothing is stored. Raises Http404, PermissionDenied, NotWritable and StaleVersion."""
    with transaction.atomic():
        locked = lock_response_for_user(user, round_id, unit_code)
        defn = locked.round.version.definition()
        errors = dict(refused or {})
        if check is not None:
            errors.update(check(defn, raw_values))
        parsed, parse_errors = parse_values(defn, {c: v for c, v in raw_values.items() if c not in errors})
        errors = {**parse_errors, **_comment_errors(defn, comments), **errors}
        if not errors:
            errors = _type_errors(defn, parsed)
        if errors:
            return locked, SaveResult(version=locked.version, values={}, errors=errors)
        written = _write(
            locked, parsed, _clean_comments(comments), expected_version, user, channel, defn, "", "answer.changed"
        )
    return locked, _validated(locked, written, defn, "")


def _clean_comments(comments: Mapping[str, str] | None) -> dict[str, str]:
    return {code: (text or "").strip() for code, text in (comments or {}).items()}


def _comment_errors(defn: Any, comments: Mapping[str, str] | None) -> dict[str, str]:
    known = comment_codes(defn)
    errors: dict[str, str] = {}
    for code, text in (comments or {}).items():
        if code not in known:
            errors[code] = _("Ukjent variabel: %(code)s.") % {"code": code}
        elif len(text or "") > MAX_TEXT_LENGTH:
            errors[code] = _("Kommentaren er for lang.")
    return errors


def _type_errors(defn: Any, values: Mapping[str, Any]) -> dict[str, str]:
    return {code: message for code, value in values.items() if (message := typed_error(defn, code, value))}


class _Written(NamedTuple):
    changed: list[str]
    rows: list[tuple[str, str | None, str]]
    others_changed: dict[str, _Change]


def _write(
    locked: Response,
    values: Mapping[str, Any],
    comments: dict[str, str],
    expected_version: int | None,
    user: Any,
    channel: str,
    defn: Any,
    batch: str,
    action: str,
) -> _Written:
    """The write of a save, on a response locked by the caller's transaction (with its round and unit)."""
    reason = writable_reason(locked, user, channel)
    if reason:
        raise NotWritable(reason)
    # Plain rows, not model instances: a response holds a few hundred answers and a save touches about 30.
    answers = {row[0]: _Stored(*row[1:]) for row in writes.answer_rows(locked.pk)}
    wanted = set(values)
    current = {code: engine.load_value(defn, code, a.text) for code, a in answers.items() if code in wanted}
    others: list[str] = []
    if expected_version is not None and expected_version != locked.version:
        values, comments, others = _merge(locked, answers, current, values, comments, expected_version, defn)

    now = timezone.now()
    actor_id = user.pk if getattr(user, "is_authenticated", False) else None
    new_version = locked.version + 1
    # The version this change creates: a later save from an older version finds what the client saw.
    detail = {"round": locked.round_id, "version": new_version, **({"batch": batch} if batch else {})}
    label, object_id, unit_code = locked._meta.label_lower, str(locked.pk), locked.unit.code
    changed: list[str] = []
    events: list[writes.AuditRow] = []
    upserts: list[writes.AnswerRow] = []

    def event(kind: str, code: str, old: str | None, new: str | None) -> writes.AuditRow:
        return writes.AuditRow(actor_id, kind, channel, label, object_id, unit_code, code, old, new, detail)

    # Plain tuples, not model instances: building sixty Answer and AuditEvent objects was a tenth of a save.
    for code in sorted(set(values) | set(comments)):
        stored = answers.get(code)
        is_new = stored is None
        text, num, comment = (None, None, "") if stored is None else (stored.text, stored.num, stored.comment)
        touched = False
        if code in values and (is_new or current.get(code) != values[code]):
            new_text = engine.dump_value(values[code])
            if not (is_new and new_text is None):
                events.append(event(action, code, text, new_text))
                text, num = new_text, _numeric(values[code])
                touched = True
        if code in comments and comments[code] != comment:
            events.append(event("answer.comment", code, comment or None, comments[code] or None))
            comment = comments[code]
            touched = True
        if touched:
            changed.append(code)
            upserts.append(writes.AnswerRow(locked.pk, code, text, num, comment, new_version, now, actor_id))

    if changed:
        # One upsert for new and changed answers and one insert for their audit rows (see writes.py).
        writes.upsert_answers(upserts)
        for row in upserts:
            answers[row.variable] = _Stored(row.value_text, row.value_num, row.comment, row.version)
        writes.insert_audit(events, now)
        locked.version = new_version
        fields = ["version", "updated_at"]
        if locked.status == ResponseStatus.NOT_STARTED:
            locked.status = ResponseStatus.DRAFT
            fields.append("status")
        # "status" only when it changes: quality runs its checks on a save whose update_fields name it with the
        # status submitted (a submission), and an analyst's or an import's save of a submitted response is not one.
        writes.save_response(locked, fields)
    rows = [(code, a.text, a.comment) for code, a in answers.items()]
    others_changed = {code: _Change(code, answers[code].text, answers[code].comment) for code in others}
    return _Written(changed, rows, others_changed)


def _validated(locked: Response, written: _Written, defn: Any, batch: str) -> SaveResult:
    """The result of a save, validated after the commit: the lock is held only while writing."""
    all_values, all_comments = values_from_rows(defn, written.rows)
    validation = validate_values(locked, all_values, all_comments, defn)
    return SaveResult(
        version=locked.version,
        values=all_values,
        validation=validation,
        changed=written.changed,
        batch=batch,
        comments=all_comments,
        others_changed=written.others_changed,
    )


def _merge(
    locked: Response,
    answers: dict[str, _Stored],
    current: dict[str, Any],
    values: Mapping[str, Any],
    comments: dict[str, str],
    expected_version: int,
    defn: Any,
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """A save from an older version, merged by cell: what the client sent for cells nobody changed since its version
    is stored; a cell someone else changed since conflicts only when the client changed it too (its value differs
    from the one it started from and from the stored one). A cell the client sent back unchanged keeps the
    colleague's value. Raises StaleVersion naming the conflicting cells. Returns (values, comments, the codes
    others changed since the client's version)."""
    newer = {code for code, a in answers.items() if a.version > expected_version}
    touched = newer & (set(values) | set(comments))
    base_values, base_comments = _values_at(locked, touched, expected_version)
    conflicts: dict[str, Conflict] = {}
    kept_values = dict(values)
    for code, value in values.items():
        if code not in newer or current.get(code) == value:
            continue
        if code in base_values and engine.dump_value(value) == base_values[code]:
            del kept_values[code]  # the client did not change it: the colleague's value stays
            continue
        conflicts[code] = Conflict(code, current.get(code), value)
    kept_comments = dict(comments)
    for code, text in comments.items():
        stored_comment = answers[code].comment if code in answers else ""
        if code not in newer or stored_comment == text or code in conflicts:
            continue
        if code in base_comments and (base_comments[code] or "") == text:
            del kept_comments[code]
            continue
        conflicts[f"{code}#comment"] = Conflict(code, stored_comment, text)
    if conflicts:
        raise StaleVersion(locked.version, conflicts)
    return kept_values, kept_comments, sorted(newer - set(kept_values) - set(kept_comments))


def _values_at(response: Response, codes: set[str], version: int) -> tuple[dict[str, str | None], dict[str, str]]:
    """The stored text and comment of `codes` as they were at response version `version`, from the audit trail: the
    old value of the first change after that version. A code whose history does not say (audit rows older than
    the version stamp) is left out, so it counts as changed by the client (a conflict, never a silent loss)."""
    if not codes:
        return {}, {}
    events = AuditEvent.objects.filter(
        object_type=response._meta.label_lower,
        object_id=str(response.pk),
        variable__in=codes,
        action__startswith="answer.",
    ).order_by("id")
    values: dict[str, str | None] = {}
    comments: dict[str, str] = {}
    for ev in events.values_list("variable", "action", "old_value", "detail"):
        variable, action, old, detail = ev
        stamp = (detail or {}).get("version")
        if not isinstance(stamp, int) or stamp <= version:
            continue
        target: dict[str, Any] = comments if action == "answer.comment" else values
        target.setdefault(variable, (old or "") if action == "answer.comment" else old)
    return values, comments


def typed_error(defn: Any, code: str, value: Any) -> str:
    """Why a typed value cannot be stored for `code` now, or "" (engine.check_value)."""
    try:
        engine.check_value(defn, code, value)
    except engine.AnswerError as exc:
        return exc.message
    return ""


class _Stored(NamedTuple):
    """A stored answer, as store_parsed reads it."""

    text: str | None
    num: Decimal | None
    comment: str
    version: int


def _numeric(value: Any) -> Decimal | None:
    """The number statistics aggregate: the value itself, 1/0 for yes/no, nothing for text and choices."""
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.000001"))
    if isinstance(value, int):
        return Decimal(value)
    return None


def new_batch() -> str:
    return uuid.uuid4().hex


def undo_batch(response: Response, batch: str, user: Any, channel: str = Channel.FORM) -> SaveResult:
    """Put back the values a batch (e.g. a prefill) replaced, as long as nobody changed them since."""
    defn = response.round.version.definition()
    events = AuditEvent.objects.filter(
        object_type=response._meta.label_lower,
        object_id=str(response.pk),
        action="answer.prefilled",
        detail__batch=batch,
    )
    current, _comments = stored_values(response, defn)
    restore: dict[str, Any] = {}
    for ev in events:
        if engine.dump_value(current.get(ev.variable)) == ev.new_value:
            old = engine.load_value(defn, ev.variable, ev.old_value)
            # An old value no longer valid for the question (the questionnaire changed) is cleared, not restored.
            restore[ev.variable] = None if typed_error(defn, ev.variable, old) else old
    return store_parsed(response, restore, None, None, user, channel, defn=defn, batch=new_batch())
