"""The life of a flag, as a table (pure, no ORM).

    open ──query──▶ queried ──answer──▶ answered
      │               │                    │
      └──accept / dismiss / correct / resolve (by data)──▶ accepted | dismissed | corrected | resolved

accepted, corrected and dismissed are *settled*: an analyst (or the unit's correction) decided. resolved means the
check stopped firing on a re-run without anybody deciding: the data changed. Settled and resolved flags can be
reopened; a re-run reopens them by itself when the check fires again with different values.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FlagState(models.TextChoices):
    OPEN = "open", _("åpent")
    QUERIED = "queried", _("spurt")
    ANSWERED = "answered", _("besvart")
    ACCEPTED = "accepted", _("godtatt")
    CORRECTED = "corrected", _("rettet")
    DISMISSED = "dismissed", _("avvist")
    RESOLVED = "resolved", _("løst av data")


ACTIVE = frozenset({FlagState.OPEN, FlagState.QUERIED, FlagState.ANSWERED})
SETTLED = frozenset({FlagState.ACCEPTED, FlagState.CORRECTED, FlagState.DISMISSED})

# action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "query": (ACTIVE, FlagState.QUERIED),
    "answer": (frozenset({FlagState.QUERIED, FlagState.ANSWERED}), FlagState.ANSWERED),
    "correct": (ACTIVE, FlagState.CORRECTED),
    "accept": (ACTIVE, FlagState.ACCEPTED),
    "dismiss": (ACTIVE, FlagState.DISMISSED),
    "resolve": (ACTIVE, FlagState.RESOLVED),
    "reopen": (SETTLED | {FlagState.RESOLVED}, FlagState.OPEN),
}

ACTION_LABELS = {
    "query": _("send spørsmål"),
    "answer": _("svar"),
    "correct": _("rett"),
    "accept": _("godta"),
    "dismiss": _("avvis"),
    "resolve": _("løst av data"),
    "reopen": _("åpne igjen"),
}

# Who may take an action: analysts decide; the unit answers and corrects; only the system resolves by data.
ANALYST_ACTIONS = frozenset({"query", "accept", "dismiss", "reopen", "correct", "answer"})
UNIT_ACTIONS = frozenset({"answer", "correct"})
SYSTEM_ACTIONS = frozenset({"resolve", "reopen", "correct"})


class IllegalTransition(ValueError):
    """An action that the flag's state does not allow. The message names both, in bokmål."""

    def __init__(self, state: str, action: str) -> None:
        self.state = state
        self.action = action
        if action not in TRANSITIONS:
            message = f"Ukjent handling «{action}». Gyldige er {', '.join(TRANSITIONS)}."
        else:
            allowed = ", ".join(sorted(str(FlagState(s).label) for s in TRANSITIONS[action][0]))
            message = (
                f"Et flagg med status «{label(state)}» kan ikke få handlingen «{ACTION_LABELS[action]}» "
                f"(bare fra {allowed})."
            )
        super().__init__(message)


def label(state: str) -> str:
    try:
        return str(FlagState(state).label)
    except ValueError:
        return state


def next_state(state: str, action: str) -> str:
    """The state after `action`, or IllegalTransition."""
    rule = TRANSITIONS.get(action)
    if rule is None or state not in rule[0]:
        raise IllegalTransition(state, action)
    return rule[1]


def allowed_actions(state: str) -> list[str]:
    return [action for action, (sources, _target) in TRANSITIONS.items() if state in sources]
