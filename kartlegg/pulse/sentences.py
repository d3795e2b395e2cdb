"""The quick report's sentences, in bokmål, from the figures alone (pure: no ORM).

"Andelen kommuner som melder om økt pågang, steg fra 34 % til 51 % siden forrige måling (N = 212)."

A change is a key change only when it is larger than the intervals allow (trends.Change.marked); a change that is
not is never written as a rise or a fall. What a share is of comes from PHRASES for the shipped pulse questionnaire,
else from the question and the answer ("kommuner som svarte «Økt» på «…»").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kartlegg.lib.numbers import format_number, format_percent

from .trends import NUMBER, SHARE, YES, Change, QuestionTrend

NOUN = "kommuner"  # Oslo's bydeler count as units too; the method text says so
MAX_KEY_CHANGES = 5

# (question, answer) → what the share is of, for pulse-2020.yaml. Anything else gets the generic phrase.
PHRASES: dict[tuple[str, str], str] = {
    ("P_henvisninger", "okt"): "kommuner som melder om økt pågang",
    ("P_henvisninger", "redusert"): "kommuner som melder om færre nye henvendelser",
    ("P_dagtilbud_stengt", "stengt"): "kommuner som har stengt dag- og aktivitetstilbudene",
    ("P_dagtilbud_stengt", "apne"): "kommuner som har dag- og aktivitetstilbudene åpne som vanlig",
    ("P_dagtilbud_stengt", "delvis"): "kommuner som har delvis stengt dag- og aktivitetstilbudene",
    ("P_gruppetilbud_stengt", YES): "kommuner som har avlyst eller utsatt gruppetilbud",
    ("P_omdisponert", YES): "kommuner der ansatte i psykisk helse- og rusarbeidet er omdisponert",
    ("P_bekymring_unge", "svart"): "kommuner som er svært bekymret for sårbare barn og unge",
    ("P_bekymring_unge", "lite"): "kommuner som er lite bekymret for sårbare barn og unge",
    ("P_tjenester_endret", "stor"): "kommuner der tilbudet til brukerne er endret i stor grad",
    ("P_tjenester_endret", "ikke"): "kommuner der tilbudet til brukerne ikke er endret",
    ("P_samarbeid_spesialist", "darligere"): "kommuner som melder om dårligere samarbeid med spesialisthelsetjenesten",
    ("P_kontaktform", "video"): "kommuner som holder kontakt med brukerne på video",
    ("P_kontaktform", "vanlig"): "kommuner som har vanlige samtaler på kontoret",
    ("P_kontaktform", "hjemmebesok"): "kommuner som gjør hjemmebesøk",
}


def phrase(trend: QuestionTrend, category: str) -> str:
    found = PHRASES.get((trend.question.code, category))
    if found:
        return found
    label = dict(trend.question.categories).get(category, category)
    return f"{NOUN} som svarte «{label}» på spørsmålet «{trend.question.label.rstrip('?')}»"


def pct(value: float) -> str:
    return format_percent(value, 0)


@dataclass(frozen=True)
class KeyChange:
    question: str
    category: str
    text: str
    size: float  # |change| in percentage points (shares) or in per cent of the earlier mean (numbers)
    marked: bool


def share_sentence(what: str, change: Change) -> str:
    """The change of one share since the wave before; None-safe: an empty string when a figure is missing."""
    if change.previous is None or change.current is None or change.diff is None:
        return ""
    n = format_number(change.n_current)
    before, now = pct(change.previous), pct(change.current)
    if change.marked:
        verb = "steg" if change.diff > 0 else "falt"
        return f"Andelen {what}, {verb} fra {before} til {now} siden forrige måling (N = {n})."
    if before == now:
        return f"Andelen {what}, var {now}, som ved forrige måling (N = {n})."
    return f"Andelen {what}, var {now} mot {before} ved forrige måling; forskjellen er innenfor usikkerheten (N = {n})."


def mean_sentence(label: str, unit: str, decimals: int, change: Change) -> str:
    if change.previous is None or change.current is None or change.diff is None:
        return ""
    n = format_number(change.n_current)
    suffix = f" {unit}" if unit else ""
    before, now = format_number(change.previous, decimals), format_number(change.current, decimals)
    what = f"Gjennomsnittet for «{label.rstrip('?')}»"
    if change.marked:
        verb = "steg" if change.diff > 0 else "falt"
        return f"{what} {verb} fra {before} til {now}{suffix} siden forrige måling (N = {n})."
    return f"{what} var {now}{suffix} mot {before} ved forrige måling; forskjellen er innenfor usikkerheten (N = {n})."


def key_changes(trends: Sequence[QuestionTrend], limit: int = MAX_KEY_CHANGES) -> list[KeyChange]:
    """The marked changes since the wave before, largest first, at most `limit`, one per question."""
    found: list[KeyChange] = []
    for trend in trends:
        best: KeyChange | None = None
        for category, changes in trend.changes.items():
            change = changes[-1] if changes else None
            if change is None or change.diff is None or not change.marked:
                continue
            if trend.question.kind == SHARE:
                if trend.question.type == "yesno" and category != YES:
                    continue  # "no" is the mirror of "yes"
                text, size = share_sentence(phrase(trend, category), change), abs(change.diff)
                if (trend.question.code, category) in PHRASES:
                    size += 1e-6  # of two equal moves (the two sides of a choice), say the one with words
            elif trend.question.kind == NUMBER:
                q = trend.question
                text = mean_sentence(q.label, q.unit, q.decimals, change)
                size = abs(change.diff) / abs(change.previous) * 100 if change.previous else abs(change.diff)
            else:
                continue
            if text and (best is None or size > best.size):
                best = KeyChange(trend.question.code, category, text, size, True)
        if best is not None:
            found.append(best)
    found.sort(key=lambda k: -k.size)
    return found[:limit]


def response_sentence(number: int, submitted: int, total: int, previous_rate: float | None) -> str:
    rate = 100.0 * submitted / total if total else None
    text = (
        f"{format_number(submitted)} av {format_number(total)} kommuner og bydeler svarte på måling {number}, "
        f"en svarprosent på {format_percent(rate, 1)}"
    )
    if previous_rate is not None:
        text += f" (forrige måling: {format_percent(previous_rate, 1)})"
    return text + "."


def no_key_change_sentence() -> str:
    return "Ingen endring siden forrige måling er større enn usikkerheten i tallene tillater."
