"""A field's history and a round's audit trail, read from accounts.AuditEvent (every save writes one row per
changed value or comment: who, when, old and new, channel).

- field_history(response, codes): the changes of some variables of one response, newest first, for the form (per
  field) and the QA flag page. The caller has reached the response through get_response_for_user, so a
  respondent sees only their own unit's history.
- audit_rows(round): every change to every response of a round, unit by unit and in order, as rows for a CSV. A
  generator over chunks of 200 responses, each one query sorted by unit and read through a server-side iterator: a
  round of 100× today's units streams in constant memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from kartlegg.accounts.models import AuditEvent, Channel, User
from kartlegg.surveys import engine

from ..models import Response, Round

ANSWER_ACTIONS = ("answer.changed", "answer.prefilled", "answer.comment")
RESPONSE_TYPE = Response._meta.label_lower
AUDIT_HEADER = [
    "tidspunkt",
    "enhet",
    "enhetsnavn",
    "variabel",
    "hendelse",
    "kanal",
    "bruker",
    "gammel_verdi",
    "ny_verdi",
]
# Responses per query of events (the query orders them by unit with a CASE of this many branches).
CHUNK = 200


@dataclass(frozen=True)
class Change:
    at: dt.datetime
    variable: str
    action: str
    who: str
    channel: str
    old: Any  # the stored text (value) or the comment
    new: Any

    @property
    def is_comment(self) -> bool:
        return self.action == "answer.comment"


def action_label(action: str) -> str:
    return {
        "answer.changed": _("endret"),
        "answer.prefilled": _("fylt inn fra i fjor"),
        "answer.comment": _("kommentar"),
        "response.submitted": _("sendt inn"),
        "response.reopened": _("gjenåpnet"),
    }.get(action, action)


def channel_label(channel: str) -> str:
    return str(dict(Channel.choices).get(channel, channel))


def user_label(user: User | None) -> str:
    if user is None:
        return _("systemet")
    name = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return name or user.email or user.get_username()


def history_codes(defn: Any, code: str) -> list[str]:
    """The variables a field's history covers: a grid's cells and the grid itself (its comment); else the code."""
    question = defn.questions.get(code)
    if question is not None and question.is_grid:
        return [code, *question.cell_codes()]
    return [code]


def field_history(response: Response, codes: Iterable[str], limit: int = 500) -> list[Change]:
    """The changes of `codes` in this response, newest first (at most `limit`)."""
    events = (
        AuditEvent.objects.filter(
            object_type=RESPONSE_TYPE, object_id=str(response.pk), variable__in=list(codes), action__in=ANSWER_ACTIONS
        )
        .select_related("user")
        .order_by("-at", "-id")[:limit]
    )
    return [
        Change(e.at, e.variable, e.action, user_label(e.user), channel_label(e.channel), e.old_value, e.new_value)
        for e in events
    ]


def display_rows(response: Response, codes: list[str]) -> list[dict[str, Any]]:
    """The changes of `codes`, newest first, ready to show: the field's label, old → new as the form shows values."""
    from .. import form_fields

    defn = response.round.version.definition()
    rows = []
    for change in field_history(response, codes):
        question = defn.question_for(change.variable)

        def shown(text: str | None, change: Change = change, question: Any = question) -> str:
            if change.is_comment or question is None:
                return text or "–"
            return form_fields.display_text(question, engine.load_value(defn, change.variable, text))

        rows.append(
            {
                "at": change.at,
                "label": field_label(defn, change.variable),
                "action": action_label(change.action),
                "kind": change.action,
                "who": change.who,
                "channel": change.channel,
                "old": shown(change.old),
                "new": shown(change.new),
            }
        )
    return rows


def field_label(defn: engine.Definition, code: str) -> str:
    cell = defn.cells.get(code)
    if cell is not None:
        grid, row, col = cell
        return f"{dict(grid.rows).get(row, row)} – {dict(grid.columns).get(col, col)}"
    question = defn.question_for(code)
    return question.label if question is not None else code


def _text(defn: Any, code: str, text: str | None) -> str:
    """A stored value as a spreadsheet reads it: decimal comma, ja/nei; a comment or unknown variable as it is."""
    if text is None:
        return ""
    question = defn.question_for(code) if code else None
    if question is None:
        return text
    value = engine.load_value(defn, code, text)
    if isinstance(value, bool):
        return "ja" if value else "nei"
    kind = question.cell_type if question.is_grid else question.type
    if kind in engine.NUMERIC_TYPES:
        return text.replace(".", ",")
    return text


def audit_rows(round_obj: Round) -> Iterator[list[Any]]:
    """Every logged change to the round's responses (answers, comments, submissions), by unit and in order."""
    defn = round_obj.version.definition()
    users: dict[int, str] = {}
    responses = list(
        Response.objects.filter(round=round_obj).order_by("unit__code").values_list("pk", "unit__code", "unit__name")
    )
    for start in range(0, len(responses), CHUNK):
        chunk = responses[start : start + CHUNK]
        units = {str(pk): (code, name) for pk, code, name in chunk}
        # The database sorts the chunk's events by unit (the chunk's order) and time, and hands them over through a
        # server-side iterator: nothing is held but the rows in flight, however many changes a unit has.
        position = Case(*[When(object_id=str(pk), then=Value(i)) for i, (pk, _c, _n) in enumerate(chunk)])
        events = (
            AuditEvent.objects.filter(object_type=RESPONSE_TYPE, object_id__in=list(units))
            .order_by(position, "id")
            .values_list("object_id", "at", "variable", "action", "channel", "user_id", "old_value", "new_value")
        )
        for object_id, at, variable, action, channel, user_id, old, new in events.iterator(chunk_size=2000):
            if user_id is not None and user_id not in users:
                users[user_id] = user_label(User.objects.filter(pk=user_id).first())
            code, name = units[object_id]
            is_comment = action == "answer.comment"
            yield [
                timezone.localtime(at).strftime("%d.%m.%Y %H:%M:%S"),
                code,
                name,
                variable,
                action_label(action),
                channel_label(channel),
                users.get(user_id, "") if user_id is not None else _("systemet"),
                old if is_comment else _text(defn, variable, old),
                new if is_comment else _text(defn, variable, new),
            ]
