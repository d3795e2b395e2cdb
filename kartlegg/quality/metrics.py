"""How much follow-up a round got, for the report's methods chapter (pure functions on plain rows).

- share of units queried: units that got at least one query / all units in the round;
- share that corrected something: units with at least one flag ending as "corrected" / units queried (and / all);
- flags by check, with their states;
- median time to answer: from a query being sent to the unit's first reply, over the queries that were answered.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext


@dataclass(frozen=True)
class FlagRow:
    unit: str
    check: str
    state: str


@dataclass(frozen=True)
class QueryRow:
    unit: str
    sent_at: dt.datetime
    answered_at: dt.datetime | None


@dataclass
class FollowUp:
    units: int
    units_flagged: int
    units_queried: int
    units_corrected: int
    queries: int
    queries_answered: int
    flags: int
    flags_by_check: dict[str, dict[str, int]] = field(default_factory=dict)
    flags_by_state: dict[str, int] = field(default_factory=dict)
    median_hours_to_answer: float | None = None

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole * 100 if whole else None

    @property
    def share_queried(self) -> float | None:
        return self._share(self.units_queried, self.units)

    @property
    def share_corrected_of_queried(self) -> float | None:
        return self._share(self.units_corrected, self.units_queried)

    @property
    def share_corrected(self) -> float | None:
        return self._share(self.units_corrected, self.units)

    def as_dict(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "units_flagged": self.units_flagged,
            "units_queried": self.units_queried,
            "units_corrected": self.units_corrected,
            "share_queried": self.share_queried,
            "share_corrected_of_queried": self.share_corrected_of_queried,
            "share_corrected": self.share_corrected,
            "queries": self.queries,
            "queries_answered": self.queries_answered,
            "median_hours_to_answer": self.median_hours_to_answer,
            "flags": self.flags,
            "flags_by_check": self.flags_by_check,
            "flags_by_state": self.flags_by_state,
        }


def follow_up(units: int, flags: Iterable[FlagRow], queries: Iterable[QueryRow]) -> FollowUp:
    if isinstance(units, bool) or not isinstance(units, int) or units < 0:
        raise ValueError(f"Antall enheter må være et heltall som ikke er negativt, ikke {units!r}.")
    flag_rows = list(flags)
    query_rows = list(queries)
    by_check: dict[str, Counter[str]] = defaultdict(Counter)
    for row in flag_rows:
        by_check[row.check][row.state] += 1
    hours = []
    for query in query_rows:
        if query.answered_at is not None:
            if query.answered_at < query.sent_at:
                raise ValueError(f"Svaret fra {query.unit} er registrert før spørsmålet ble sendt.")
            hours.append((query.answered_at - query.sent_at).total_seconds() / 3600)
    return FollowUp(
        units=units,
        units_flagged=len({r.unit for r in flag_rows}),
        units_queried=len({r.unit for r in query_rows}),
        units_corrected=len({r.unit for r in flag_rows if r.state == "corrected"}),
        queries=len(query_rows),
        queries_answered=len(hours),
        flags=len(flag_rows),
        flags_by_check={
            check: {**dict(states), "total": sum(states.values())} for check, states in sorted(by_check.items())
        },
        flags_by_state=dict(Counter(r.state for r in flag_rows)),
        median_hours_to_answer=statistics.median(hours) if hours else None,
    )


def methods_sentence(result: FollowUp) -> str:
    """One sentence for the methods chapter, e.g. "Kvalitetskontrollen sendte spørsmål til 42 av 357 enheter
    (11,8 %); 30 av dem rettet minst ett tall. Median svartid var 2,5 døgn."."""
    from kartlegg.lib.numbers import format_number, format_percent

    if not result.units:
        return gettext("Runden har ingen enheter.")
    text = gettext("Kvalitetskontrollen sendte spørsmål til %(queried)s av %(units)s enheter (%(share)s)") % {
        "queried": format_number(result.units_queried, space=" "),
        "units": format_number(result.units, space=" "),
        "share": format_percent(result.share_queried, space=" "),
    }
    if result.units_queried:
        text += gettext("; %(n)s av dem rettet minst ett tall") % {
            "n": format_number(result.units_corrected, space=" ")
        }
    text += "."
    if result.median_hours_to_answer is not None:
        days = format_number(result.median_hours_to_answer / 24, 1, space=" ")
        text += " " + gettext("Median svartid var %(days)s døgn.") % {"days": days}
    return text
