"""Wave-over-wave trends of a pulse series, as pure functions on plain data (no ORM).

For each question: the share of units giving each answer with N and a Wilson 95 % interval (yes/no, choice and
multiple choice questions), or the mean and median with N (numbers); the change since the previous wave, marked
when it is larger than the two intervals allow (Newcombe's interval for a difference of two proportions, built
from the two Wilson intervals; for means a 95 % interval of the difference of two means); breakdowns by county,
RHF and size group with groups under 5 units suppressed; and a panel option, where each change is computed only on
the units that answered the question in both waves (the mix of respondents shifts between waves).

Shares are of the units that answered the question (N); a unit that left it blank is not in N.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kartlegg.analytics.measures import MIN_UNITS_FOR_SHARE, OK, SUPPRESSED, share_from_counts

Z95 = 1.959963984540054
SHARE, NUMBER = "share", "number"
SHARE_TYPES = ("yesno", "choice", "multichoice")
NUMBER_TYPES = ("integer", "decimal")
YES, NO = "true", "false"
GROUP_LEVELS = ("county", "rhf", "size_group")

# unit code → variable → the stored text of its answer (engine.dump_value: "true", "stor", "video,telefon", "2.5")
WaveAnswers = Mapping[str, Mapping[str, str | None]]


@dataclass(frozen=True)
class WaveInfo:
    code: str  # the wave's opening date, ISO: the time code in every download
    label: str  # "Måling 3 (13.04.2020)"
    number: int


@dataclass(frozen=True)
class QuestionInfo:
    code: str
    label: str
    type: str  # the questionnaire type: yesno, choice, multichoice, integer, decimal
    choices: tuple[tuple[str, str], ...] = ()
    decimals: int = 1
    unit: str = ""

    @property
    def kind(self) -> str:
        return SHARE if self.type in SHARE_TYPES else NUMBER

    @property
    def categories(self) -> tuple[tuple[str, str], ...]:
        """The answers a share is computed for: yes and no for a yes/no question, else the choices."""
        if self.type == "yesno":
            return ((YES, "Ja"), (NO, "Nei"))
        return self.choices


@dataclass(frozen=True)
class UnitInfo:
    code: str
    county: str = ""
    county_name: str = ""
    rhf: str = ""
    rhf_name: str = ""
    size_group: str = ""

    def group(self, level: str) -> tuple[str, str]:
        if level == "county":
            return self.county, self.county_name or self.county
        if level == "rhf":
            return self.rhf, self.rhf_name or self.rhf
        if level == "size_group":
            return self.size_group, self.size_group
        raise ValueError(f"level: ukjent nivå {level!r}; gyldige er {', '.join(GROUP_LEVELS)}.")


def trendable(question: QuestionInfo) -> bool:
    return question.type in SHARE_TYPES + NUMBER_TYPES and (question.kind == NUMBER or bool(question.categories))


def wilson(count: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for count of n, in per cent. n = 0 gives (0, 100)."""
    if n <= 0:
        return 0.0, 100.0
    if not 0 <= count <= n:
        raise ValueError(f"Antallet ({count}) må ligge mellom 0 og N ({n}).")
    p = count / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if count == 0 else max(0.0, centre - half) * 100
    high = 100.0 if count == n else min(1.0, centre + half) * 100
    return low, high


@dataclass(frozen=True)
class Share:
    n: int
    count: int | None
    percent: float | None
    low: float | None
    high: float | None
    status: str = OK


def share(count: int, n: int, min_n: int = 1) -> Share:
    """A share with its Wilson interval; below `min_n` units suppressed (N still shown), no answers missing."""
    base = share_from_counts(count, n, min_n)
    if base.percent is None:
        return Share(n, None, None, None, None, base.status)
    low, high = wilson(count, n)
    return Share(n, count, base.percent, low, high)


@dataclass(frozen=True)
class NumberStat:
    n: int
    mean: float | None
    median: float | None
    sd: float | None
    status: str = OK


def number_stat(values: Sequence[float], min_n: int = 1) -> NumberStat:
    if not values:
        return NumberStat(0, None, None, None, "missing")
    if len(values) < min_n:
        return NumberStat(len(values), None, None, None, SUPPRESSED)
    sd = statistics.stdev(values) if len(values) > 1 else None
    return NumberStat(len(values), statistics.fmean(values), statistics.median(values), sd)


def choices_of(question: QuestionInfo, text: str | None) -> frozenset[str] | None:
    """The answer as a set of category codes; None when not answered."""
    if text is None or text == "":
        return None
    if question.type == "multichoice":
        return frozenset(part for part in text.split(",") if part)
    return frozenset([text])


def number_of(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def answered(question: QuestionInfo, answers: WaveAnswers) -> dict[str, frozenset[str] | float]:
    """unit → its answer to the question (a set of categories, or a number), for the units that answered it."""
    found: dict[str, frozenset[str] | float] = {}
    for unit, values in answers.items():
        text = values.get(question.code)
        parsed: frozenset[str] | float | None
        parsed = choices_of(question, text) if question.kind == SHARE else number_of(text)
        if parsed is not None:
            found[unit] = parsed
    return found


def shares_of(question: QuestionInfo, values: Mapping[str, frozenset[str] | float], min_n: int = 1) -> dict[str, Share]:
    n = len(values)
    result = {}
    for code, _label in question.categories:
        count = sum(1 for chosen in values.values() if isinstance(chosen, frozenset) and code in chosen)
        result[code] = share(count, n, min_n)
    return result


def numbers_of(values: Mapping[str, frozenset[str] | float], min_n: int = 1) -> NumberStat:
    return number_stat([v for v in values.values() if isinstance(v, float)], min_n)


@dataclass(frozen=True)
class Change:
    previous: float | None
    current: float | None
    n_previous: int
    n_current: int
    low: float | None = None  # the 95 % interval of the difference
    high: float | None = None

    @property
    def diff(self) -> float | None:
        if self.previous is None or self.current is None:
            return None
        return self.current - self.previous

    @property
    def marked(self) -> bool:
        """The change is larger than the intervals allow: its 95 % interval does not contain 0."""
        if self.low is None or self.high is None:
            return False
        return self.low > 0 or self.high < 0


def share_change(previous: Share, current: Share) -> Change:
    """Newcombe's hybrid score interval (method 10) for the difference current − previous, in percentage points."""
    if previous.percent is None or current.percent is None:
        return Change(previous.percent, current.percent, previous.n, current.n)
    p1, l1, u1 = previous.percent, previous.low, previous.high
    p2, l2, u2 = current.percent, current.low, current.high
    assert l1 is not None and u1 is not None and l2 is not None and u2 is not None
    d = p2 - p1
    low = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return Change(p1, p2, previous.n, current.n, low, high)


def mean_change(previous: NumberStat, current: NumberStat) -> Change:
    """The difference of two means with a normal 95 % interval (Welch's standard error)."""
    if previous.mean is None or current.mean is None:
        return Change(previous.mean, current.mean, previous.n, current.n)
    if previous.sd is None or current.sd is None:
        return Change(previous.mean, current.mean, previous.n, current.n)
    d = current.mean - previous.mean
    se = math.sqrt(previous.sd**2 / previous.n + current.sd**2 / current.n)
    return Change(previous.mean, current.mean, previous.n, current.n, d - Z95 * se, d + Z95 * se)


@dataclass
class QuestionTrend:
    question: QuestionInfo
    waves: list[WaveInfo]
    shares: dict[str, list[Share]] = field(default_factory=dict)  # category → one Share per wave
    numbers: list[NumberStat] = field(default_factory=list)  # one per wave (numbers)
    # category (or "mean") → one Change per wave (None for the first wave): the change since the wave before
    changes: dict[str, list[Change | None]] = field(default_factory=dict)
    panel: bool = False

    def latest_change(self, category: str) -> Change | None:
        found = self.changes.get(category, [])
        return found[-1] if found else None


def question_trend(
    question: QuestionInfo, waves: Sequence[WaveInfo], answers: Sequence[WaveAnswers], panel: bool = False
) -> QuestionTrend:
    """The question wave over wave. With `panel`, each change is computed on the units that answered the question
    in both waves; the per-wave figures are always those of every unit that answered."""
    if len(waves) != len(answers):
        raise ValueError("Hver måling trenger sine svar.")
    per_wave = [answered(question, a) for a in answers]
    trend = QuestionTrend(question, list(waves), panel=panel)
    keys = [code for code, _ in question.categories] if question.kind == SHARE else ["mean"]
    trend.changes = {key: [None] for key in keys} if per_wave else {key: [] for key in keys}
    if question.kind == SHARE:
        per_wave_shares = [shares_of(question, values) for values in per_wave]
        trend.shares = {code: [s[code] for s in per_wave_shares] for code, _ in question.categories}
    else:
        trend.numbers = [numbers_of(values) for values in per_wave]
    for i in range(1, len(per_wave)):
        before, now = per_wave[i - 1], per_wave[i]
        if panel:
            both = before.keys() & now.keys()
            before = {u: before[u] for u in both}
            now = {u: now[u] for u in both}
        if question.kind == SHARE:
            b, c = shares_of(question, before), shares_of(question, now)
            for code in keys:
                trend.changes[code].append(share_change(b[code], c[code]))
        else:
            trend.changes["mean"].append(mean_change(numbers_of(before), numbers_of(now)))
    return trend


@dataclass(frozen=True)
class GroupShares:
    code: str
    label: str
    n: int
    shares: dict[str, Share]  # category → share (suppressed under the minimum)
    numbers: NumberStat | None = None


def breakdown(
    question: QuestionInfo,
    answers: WaveAnswers,
    units: Mapping[str, UnitInfo],
    level: str,
    min_n: int = MIN_UNITS_FOR_SHARE,
) -> list[GroupShares]:
    """The question's figures in one wave per county, RHF or size group; a group with fewer than `min_n` units that
    answered is suppressed (":"), its N still shown. Units without the group (e.g. no RHF) are left out."""
    if level not in GROUP_LEVELS:
        raise ValueError(f"level: ukjent nivå {level!r}; gyldige er {', '.join(GROUP_LEVELS)}.")
    values = answered(question, answers)
    groups: dict[tuple[str, str], dict[str, frozenset[str] | float]] = {}
    for unit, value in values.items():
        info = units.get(unit)
        if info is None:
            continue
        key = info.group(level)
        if not key[0]:
            continue
        groups.setdefault(key, {})[unit] = value
    result = []
    for (code, label), members in sorted(groups.items()):
        if question.kind == SHARE:
            result.append(GroupShares(code, label, len(members), shares_of(question, members, min_n)))
        else:
            result.append(GroupShares(code, label, len(members), {}, numbers_of(members, min_n)))
    return result


def response_rate(submitted: int, total: int) -> float | None:
    return 100.0 * submitted / total if total else None
