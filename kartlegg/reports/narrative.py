"""The report's prose, written by rules on the numbers (pure functions, no ORM).

Each rule looks at the figures and decides what can be said: the direction word, whether a comparison is allowed,
which region is largest. It returns a Sentence (the text and the figures it quotes) or None when nothing may be
said. Rules never state a suppressed or missing figure, never state a change across a series break, and say when a
figure includes imputed units.

The dead band: a change smaller than DEAD_BAND per cent (in absolute value) is "uendret"; growth rates that differ
by less than DEAD_BAND percentage points are "på linje med" each other. A per-capita change smaller than
SMALL_CHANGE per cent is "liten".

Bokmål (nb) is complete; nynorsk (nn) and English (en) use the same rules with their own words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kartlegg.lib.numbers import format_number
from kartlegg.reports.document import IMPUTED, Cite
from kartlegg.reports.inputs import Fig
from kartlegg.reports.narrative_words import LANGUAGES, words

DEAD_BAND = 0.5  # per cent (changes) and percentage points (growth against growth)
SMALL_CHANGE = 2.0  # per cent: a per-capita change below this is "small"
UP, DOWN, FLAT = "up", "down", "flat"


@dataclass
class Sentence:
    text: str
    cites: list[Cite] = field(default_factory=list)


def join(sentences: Sequence[Sentence | None]) -> Sentence | None:
    """The sentences that were written, as one paragraph's text."""
    found = [s for s in sentences if s is not None and s.text]
    if not found:
        return None
    return Sentence(" ".join(s.text for s in found), [c for s in found for c in s.cites])


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"Ukjent språk {lang!r}; gyldige er {', '.join(LANGUAGES)}.")
    return lang


def number(value: float, decimals: int = 0, lang: str = "nb") -> str:
    """`17 436`, `2,1` (nb, nn); `17,436`, `2.1` (en)."""
    text = f"{value:,.{decimals}f}" if lang == "en" else format_number(value, decimals)
    return text.replace("-", "\u2212")


def percent_change(current: float | None, previous: float | None) -> float | None:
    """The change in per cent, or None when it cannot be computed (missing, or a base of zero or below)."""
    if current is None or previous is None or previous <= 0:
        return None
    return (current - previous) / previous * 100


def direction(change: float | None, dead_band: float = DEAD_BAND) -> str | None:
    """up, down or flat (|change| < dead_band); None for a missing change."""
    if change is None:
        return None
    if abs(change) < dead_band:
        return FLAT
    return UP if change > 0 else DOWN


def _cite(text: str, value: float | None, ref: str) -> Cite:
    return Cite(text=text, value=value, ref=ref)


# Rule 1: one figure against the year before


def change_sentence(
    subject: str,
    current: Fig,
    previous: Fig,
    year: int,
    previous_year: int,
    unit: str,
    decimals: int = 0,
    comparable: bool = True,
    lang: str = "nb",
    ref: str = "",
) -> Sentence | None:
    """ "Årsverk i alt økte med 2,1 prosent fra 2022 til 17 436 årsverk i 2023." Never across a break, never from or
    to a suppressed figure; with a zero or negative base the change is given in units, not per cent."""
    w = words(check_language(lang))
    if not current.usable:
        return None
    now = number(current.value or 0.0, decimals, lang)
    cites = [_cite(now, current.value, ref)]
    level = w["level"].format(subject=subject, value=now, unit=unit, year=year)
    if not comparable:
        return Sentence(level + " " + w["break"].format(year=year, previous=previous_year), cites)
    if not previous.usable:
        return Sentence(level, cites)
    before = previous.value or 0.0
    pct = percent_change(current.value, before)
    if pct is None:
        diff = (current.value or 0.0) - before
        way = direction(diff, 0.5 * 10**-decimals)
        if way == FLAT:
            return Sentence(w["flat"].format(subject=subject, value=now, unit=unit, year=year, previous=previous_year),
                            cites)  # fmt: skip
        amount = number(abs(diff), decimals, lang)
        cites.append(_cite(amount, abs(diff), ""))
        template = w["up_units"] if way == UP else w["down_units"]
        return Sentence(
            template.format(subject=subject, amount=amount, unit=unit, value=now, year=year, previous=previous_year),
            cites,
        )
    way = direction(pct)
    if way == FLAT:
        return Sentence(w["flat"].format(subject=subject, value=now, unit=unit, year=year, previous=previous_year),
                        cites)  # fmt: skip
    amount = number(abs(pct), 1, lang)
    cites.insert(0, _cite(amount, abs(pct), ""))
    template = w["up"] if way == UP else w["down"]
    return Sentence(
        template.format(subject=subject, pct=amount, unit=unit, value=now, year=year, previous=previous_year), cites
    )


# Rule 2: the split of a total change (the institute's summary style)


def growth_breakdown(
    total: float | None, parts: Sequence[tuple[str, float | None]], comparable: bool = True, lang: str = "nb"
) -> Sentence | None:
    """ "Det rapporteres om en vekst i årsverk på totalt 1,0 prosent, fordelt på 2,2 prosent økning i tjenester til
    barn og unge og 0,7 prosents økning i tjenester til voksne." Parts are (target group phrase, change in per cent);
    a part without a change is left out; nothing is said across a break."""
    w = words(check_language(lang))
    way = direction(total)
    if not comparable or way is None:
        return None
    pieces: list[str] = []
    cites: list[Cite] = []
    for phrase, change in parts:
        part_way = direction(change)
        if part_way is None or change is None:
            continue
        if part_way == FLAT:
            pieces.append(w["part_flat"].format(group=phrase))
            continue
        amount = number(abs(change), 1, lang)
        cites.append(_cite(amount, abs(change), ""))
        pieces.append(w["part_up" if part_way == UP else "part_down"].format(pct=amount, group=phrase))
    if way == FLAT:
        head = w["total_flat"]
    else:
        amount = number(abs(total or 0.0), 1, lang)
        cites.insert(0, _cite(amount, abs(total or 0.0), ""))
        head = w["total_up" if way == UP else "total_down"].format(pct=amount)
    if pieces:
        listed = pieces[0] if len(pieces) == 1 else ", ".join(pieces[:-1]) + w["and"] + pieces[-1]
        head += w["split"].format(parts=listed)
    return Sentence(head + ".", cites)


# Rule 3: this year's growth against the years before


def growth_against_previous(
    current: float | None, earlier: Sequence[float | None], lang: str = "nb"
) -> Sentence | None:
    """ "Veksten er svakere enn veksten de to siste årene." `earlier` are the growth rates (per cent) of the years
    before, newest first, each comparable (no break); the comparison uses them only when all are there."""
    w = words(check_language(lang))
    rates = [r for r in earlier if r is not None]
    if current is None or not rates or len(rates) != len(earlier) or direction(current) != UP:
        return None
    average = sum(rates) / len(rates)
    gap = current - average
    key = "growth_same" if abs(gap) < DEAD_BAND else ("growth_stronger" if gap > 0 else "growth_weaker")
    return Sentence(w[key].format(years=w["years_count"][min(len(rates), len(w["years_count"])) - 1]))


# Rule 4: per capita against the raw figures


def per_capita_against_raw(
    group: str, raw_change: float | None, rate_change: float | None, comparable: bool = True, lang: str = "nb"
) -> Sentence | None:
    """ "Når vi tar hensyn til befolkningsutviklingen, er det ingen endring i årsverk pr. innbygger i tjenester til
    voksne." Said only when both changes exist, and when it adds something (the two directions differ, or the rate
    is flat or small)."""
    w = words(check_language(lang))
    raw, rate = direction(raw_change), direction(rate_change)
    if not comparable or raw is None or rate is None or rate_change is None:
        return None
    if raw == rate and abs(rate_change) >= SMALL_CHANGE:
        return None
    if rate == FLAT:
        what = w["capita_flat"]
    else:
        small = abs(rate_change) < SMALL_CHANGE
        what = w[("capita_small_" if small else "capita_") + ("up" if rate == UP else "down")]
    return Sentence(w["capita"].format(what=what, group=group))


# Rule 5: shares of units over several years, with N


def share_over_years(
    subject: str, points: Sequence[tuple[int, Fig]], breaks: Sequence[int] = (), lang: str = "nb", ref: str = ""
) -> Sentence | None:
    """ "Andelen kommuner som har FACT-team, økte fra 60 prosent i 2018 (N = 400) til 45 prosent i 2020 (N = 356)."
    Only years after the latest break and only figures that may be shown (five units or more) are used."""
    w = words(check_language(lang))
    last_break = max((b for b in breaks if any(y >= b for y, _ in points)), default=None)
    usable = [(y, f) for y, f in sorted(points) if f.usable and (last_break is None or y >= last_break)]
    if not usable:
        return None
    last_year, last = usable[-1]
    last_text = number(last.value or 0.0, 0, lang)
    cites = [_cite(last_text, last.value, ref.format(year=last_year) if ref else "")]
    n_last = number(last.n or 0, 0, lang)
    if len(usable) == 1:
        return Sentence(w["share_one"].format(subject=subject, pct=last_text, year=last_year, n=n_last), cites)
    first_year, first = usable[0]
    first_text = number(first.value or 0.0, 0, lang)
    cites.insert(0, _cite(first_text, first.value, ref.format(year=first_year) if ref else ""))
    gap = (last.value or 0.0) - (first.value or 0.0)
    way = direction(gap, 1.0)  # percentage points: a share that moved less than one point is unchanged
    template = {UP: w["share_up"], DOWN: w["share_down"], FLAT: w["share_flat"]}[way or FLAT]
    return Sentence(
        template.format(
            subject=subject, first=first_text, first_year=first_year, n_first=number(first.n or 0, 0, lang),
            last=last_text, year=last_year, n=n_last,
        ),
        cites,
    )  # fmt: skip


# Rule 6: largest and smallest regions


def extremes(
    what: str, items: Sequence[tuple[str, Fig]], decimals: int = 1, lang: str = "nb", refs: dict[str, str] | None = None
) -> Sentence | None:
    """ "Høyest er Troms (12,3), lavest Oslo (8,1)." Over the regions whose figure may be shown; needs two, and says
    nothing when they are equal."""
    w = words(check_language(lang))
    shown = [(label, f) for label, f in items if f.usable]
    if len(shown) < 2:
        return None
    top = max(shown, key=lambda item: item[1].value or 0.0)
    bottom = min(shown, key=lambda item: item[1].value or 0.0)
    if (top[1].value or 0.0) == (bottom[1].value or 0.0):
        return Sentence(w["extremes_equal"].format(what=what))
    high, low = number(top[1].value or 0.0, decimals, lang), number(bottom[1].value or 0.0, decimals, lang)
    refs = refs or {}
    cites = [_cite(high, top[1].value, refs.get(top[0], "")), _cite(low, bottom[1].value, refs.get(bottom[0], ""))]
    return Sentence(w["extremes"].format(what=what, top=top[0], high=high, bottom=bottom[0], low=low), cites)


# Rule 7: cumulative change over a period


def cumulative(
    subject: str, points: Sequence[tuple[int, Fig]], breaks: Sequence[int] = (), lang: str = "nb"
) -> Sentence | None:
    """ "Fra 2017 til 2023 økte årsverk i alt med 12,4 prosent." The period starts at the latest break (so no change
    crosses one) and needs two usable years."""
    w = words(check_language(lang))
    ordered = sorted(points)
    if not ordered:
        return None
    last_year = ordered[-1][0]
    start = max((b for b in breaks if b <= last_year), default=None)
    usable = [(y, f) for y, f in ordered if f.usable and (start is None or y >= start)]
    if len(usable) < 2 or usable[-1][0] != last_year:
        return None
    (first_year, first), (_, last) = usable[0], usable[-1]
    pct = percent_change(last.value, first.value)
    way = direction(pct)
    if way is None or pct is None:
        return None
    if way == FLAT:
        return Sentence(w["cumulative_flat"].format(subject=subject, first_year=first_year, year=last_year))
    amount = number(abs(pct), 1, lang)
    template = w["cumulative_up" if way == UP else "cumulative_down"]
    return Sentence(
        template.format(subject=subject, first_year=first_year, year=last_year, pct=amount),
        [_cite(amount, abs(pct), "")],
    )


# Rule 8: imputation, response rate and follow-up (the methods chapter)


def imputed_sentence(count: int | None, year: int, lang: str = "nb") -> Sentence | None:
    """ "66 kommuner og bydeler rapporterte ikke i 2020; deres sist rapporterte tall er brukt." Nothing when every
    unit reported (count 0) or the count is unknown."""
    w = words(check_language(lang))
    if not count or count < 0:
        return None
    text = number(count, 0, lang)
    template = w["imputed_one"] if count == 1 else w["imputed"]
    return Sentence(template.format(n=text, year=year), [_cite(text, float(count), "")])


def includes_imputed(fig: Fig, lang: str = "nb") -> str:
    """The clause added after a figure that includes imputed units."""
    return words(check_language(lang))["includes_imputed"] if fig.status == IMPUTED else ""


def response_rate(submitted: int, units: int, year: int, lang: str = "nb") -> Sentence | None:
    w = words(check_language(lang))
    if units <= 0 or submitted < 0 or submitted > units:
        return None
    pct = number(submitted / units * 100, 1, lang)
    sub, all_ = number(submitted, 0, lang), number(units, 0, lang)
    return Sentence(
        w["response"].format(submitted=sub, units=all_, pct=pct, year=year),
        [_cite(sub, float(submitted), ""), _cite(all_, float(units), ""), _cite(pct, submitted / units * 100, "")],
    )


def follow_up_sentence(
    queried: int, units: int, corrected: int, flags: int, previous_share: float | None, lang: str = "nb"
) -> Sentence | None:
    """The QA follow-up in figures, and whether units were contacted less or more than the year before
    ("Vi har i mindre grad enn tidligere år kontaktet kommunene med spørsmål")."""
    w = words(check_language(lang))
    if units <= 0:
        return None
    share = queried / units * 100
    texts = [number(v, 0, lang) for v in (flags, queried, units, corrected)]
    text = w["followup"].format(flags=texts[0], queried=texts[1], units=texts[2], corrected=texts[3])
    way = direction(None if previous_share is None else share - previous_share, 1.0)
    if way == DOWN:
        text += " " + w["followup_less"]
    elif way == UP:
        text += " " + w["followup_more"]
    return Sentence(
        text, [_cite(t, float(v), "") for t, v in zip(texts, (flags, queried, units, corrected), strict=True)]
    )


# Rule 9: one unit against its county, size group and the nation (profiles)


def against_peers(
    name: str, what: str, value: Fig, peers: Sequence[tuple[str, Fig]], decimals: int = 1, lang: str = "nb"
) -> Sentence | None:
    """ "Molde har 3,1 årsverk per 1 000 innbyggere, høyere enn fylket og landet og om lag som kommunegruppen." A peer
    within DEAD_BAND * 4 per cent counts as "om lag som"; suppressed or missing figures are left out."""
    w = words(check_language(lang))
    if not value.usable:
        return None
    groups: dict[str, list[str]] = {UP: [], DOWN: [], FLAT: []}
    for label, fig in peers:
        if fig.usable:
            way = direction(percent_change(value.value, fig.value), DEAD_BAND * 4)
            if way is not None:
                groups[way].append(label)
    text = number(value.value or 0.0, decimals, lang)
    parts = []
    for way, key in ((UP, "peer_higher"), (DOWN, "peer_lower"), (FLAT, "peer_same")):
        if groups[way]:
            listed = (
                groups[way][0] if len(groups[way]) == 1 else ", ".join(groups[way][:-1]) + w["and"] + groups[way][-1]
            )
            parts.append(w[key].format(peers=listed))
    tail = (", " + ", ".join(parts)) if parts else ""
    return Sentence(w["peer"].format(name=name, value=text, what=what) + tail + ".", [_cite(text, value.value, "")])


# Rule 11: coded free text (the free-text chapter)


def largest_theme(themes: Sequence[tuple[str, int]], denominator: int, lang: str = "nb") -> Sentence | None:
    """ "Flest kommuner nevner «Stengte tilbud»: 45 av 120 kommuner med et kodet, relevant svar (38 prosent)." The
    theme (or, tied, the themes) with the most units, with the count, N and the share; nothing without a coded,
    relevant answer (N = 0) or when no theme has a unit."""
    w = words(check_language(lang))
    counted = [(label, count) for label, count in themes if count > 0]
    if denominator <= 0 or not counted:
        return None
    top = max(count for _, count in counted)
    tied = [label for label, count in counted if count == top]
    count, n = number(top, 0, lang), number(denominator, 0, lang)
    pct = number(top / denominator * 100, 0, lang)
    cites = [_cite(count, float(top), ""), _cite(pct, top / denominator * 100, "")]
    if len(tied) == 1:
        return Sentence(w["theme_top"].format(theme=tied[0], count=count, n=n, pct=pct), cites)
    quoted = [w["quoted"].format(label=label) for label in tied]
    themes_text = ", ".join(quoted[:-1]) + w["and"] + quoted[-1]
    return Sentence(w["theme_tie"].format(themes=themes_text, count=count, n=n, pct=pct), cites)
