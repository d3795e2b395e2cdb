"""Query parameters of the statistics pages and API, checked in one place: each bad value raises ParamError naming
the parameter and saying why, so both the page (a message) and the API (a 400) can tell the user exactly that.

Pure: what the database knows (the years with reference data, the levels offered) comes in through `Defaults`; the
result is a `Request`, which `services.read.build_table` turns into a table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kartlegg.analytics import levels as lv
from kartlegg.analytics.catalogue import MEASURE_LABELS, Catalogue, Variable
from kartlegg.analytics.imputation import RULES
from kartlegg.analytics.models import AS_REPORTED

AS_REPORTED_WORDS = ("own", "reported", "none", "0")
_YEAR = re.compile(r"[0-9]{4}")
_RANGE = re.compile(r"([0-9]{4})\s*[-–]\s*([0-9]{4})")
MAX_PARAM = 200


@dataclass(frozen=True)
class Request:
    variable: Variable
    measure: str
    level: str
    years: tuple[int, ...]
    structure: int  # AS_REPORTED (0): each year's own units and regions
    rule: str


class ParamError(ValueError):
    def __init__(self, param: str, message: str, status: int = 400) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message
        self.status = status


def clean(raw: str | None) -> str:
    # PostgreSQL refuses NUL in text; very long values are never valid here.
    return (raw or "").replace("\x00", "").strip()[:MAX_PARAM]


def parse_years(raw: str | None, available: Sequence[int]) -> list[int]:
    """`2017-2024`, `2022` or `2017,2019,2023`; every year must be one with statistics."""
    text = clean(raw)
    if not available:
        raise ParamError("years", _("ingen år har statistikk ennå"), 404)
    if not text:
        return list(available)
    span = f"{available[0]}–{available[-1]}"
    years: list[int] = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        match = _RANGE.fullmatch(part)
        if match:
            first, last = int(match.group(1)), int(match.group(2))
            if first > last:
                raise ParamError(
                    "years",
                    _("%(part)r: første år må komme først (f.eks. %(last)s-%(first)s)")
                    % {"part": part, "last": last, "first": first},
                )
            chosen = list(range(first, last + 1))
        elif _YEAR.fullmatch(part):
            chosen = [int(part)]
        else:
            raise ParamError(
                "years", _("%(part)r er ikke et år eller et intervall som 2017-2024") % {"part": part[:20]}
            )
        outside = [y for y in chosen if y not in available]
        if outside and (min(chosen) < available[0] or max(chosen) > available[-1]):
            raise ParamError(
                "years", _("%(part)s er utenfor årene med statistikk (%(span)s)") % {"part": part, "span": span}
            )
        years.extend(y for y in chosen if y in available)
    if not years:
        raise ParamError("years", _("ingen av årene har statistikk (%(span)s)") % {"span": span})
    return sorted(set(years))


def parse_level(raw: str | None, choices: Sequence[str], default: str = lv.NATION) -> str:
    """One of `choices` (services.read.level_choices(): the levels the reference data has)."""
    text = clean(raw) or default
    if text not in choices:
        raise ParamError(
            "level",
            _("ukjent nivå %(value)r; gyldige er %(valid)s") % {"value": text[:30], "valid": ", ".join(choices)},
        )
    return text


def parse_structure(raw: str | None, loaded: Sequence[int]) -> int:
    text = clean(raw).lower()
    if not text:
        if not loaded:
            raise ParamError("structure", _("ingen referansedata er lastet"), 404)
        return loaded[-1]
    if text in AS_REPORTED_WORDS:
        return AS_REPORTED
    if not _YEAR.fullmatch(text):
        raise ParamError(
            "structure",
            _("%(value)r er ikke et år; bruk f.eks. structure=%(year)s")
            % {"value": text[:20], "year": loaded[-1] if loaded else 2024},
        )
    year = int(text)
    if year not in loaded:
        shown = ", ".join(map(str, loaded)) or _("ingen")
        raise ParamError(
            "structure", _("%(year)s er ikke et lastet år (lastede år: %(shown)s)") % {"year": year, "shown": shown}
        )
    return year


def parse_measure(raw: str | None, variable: Variable, implied: str | None) -> str:
    text = clean(raw)
    if implied is not None:
        if text and text != implied:
            raise ParamError(
                "measure",
                _("%(code)s er allerede %(implied)s; utelat measure eller bruk %(implied)s")
                % {"code": variable.code, "implied": implied},
            )
        return implied
    if not text:
        return variable.default_measure
    if text not in MEASURE_LABELS:
        raise ParamError(
            "measure",
            _("ukjent mål %(value)r; gyldige er %(valid)s") % {"value": text[:30], "valid": ", ".join(MEASURE_LABELS)},
        )
    if text not in variable.measures:
        raise ParamError(
            "measure",
            _("%(value)s passer ikke for %(code)s; gyldige er %(valid)s")
            % {"value": text, "code": variable.code, "valid": ", ".join(variable.measures)},
        )
    return text


def parse_rule(raw: str | None, default: str) -> str:
    text = clean(raw) or default
    if text not in RULES:
        raise ParamError(
            "imputation",
            _("ukjent regel %(value)r; gyldige er %(valid)s") % {"value": text[:30], "valid": ", ".join(RULES)},
        )
    return text


def resolve_variable(catalogue: Catalogue, raw: str | None, param: str = "variable") -> tuple[Variable, str | None]:
    code = clean(raw)
    if not code:
        raise ParamError(param, _("mangler"))
    found = catalogue.resolve(code)
    if found is None:
        raise ParamError(
            param, _("ukjent variabel %(value)r; se /api/v1/statistics for listen") % {"value": code[:80]}, 404
        )
    return found


@dataclass(frozen=True)
class Defaults:
    level: str
    rule: str
    loaded: Sequence[int]  # services.read.structure_years()
    levels: Sequence[str]  # services.read.level_choices()


def parse_request(
    catalogue: Catalogue, variable_code: str | None, query: Mapping[str, str | None], defaults: Defaults
) -> Request:
    variable, implied = resolve_variable(catalogue, variable_code)
    # Any year with statistics may be asked for; a year before the variable existed shows as missing ("..").
    available = list(catalogue.years)
    return Request(
        variable=variable,
        measure=parse_measure(query.get("measure"), variable, implied),
        level=parse_level(query.get("level"), defaults.levels, defaults.level),
        years=tuple(parse_years(query.get("years"), available)),
        structure=parse_structure(query.get("structure"), defaults.loaded),
        rule=parse_rule(query.get("imputation"), defaults.rule),
    )
