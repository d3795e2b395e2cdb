"""Where one figure comes from (`/statistikk/tall/`): the units behind a figure of one variable, level, region, year
and data version, which of them are imputed (and from which year's figure), and the QA corrections made to the
answers it adds up.

The figure is read like every table (read.build_table, at the version the user may see: access.version_keys); the
units are the same computation the statistics run (compute.unit_series / headline_units on the data of that version:
a pinned version reads the locked data of its basis, the live figures the current data), so the list adds up to the
figure. Grouping follows the table's structure: as reported, the year's own units in their own regions; harmonised,
the year's units behind the structure year's units (summed figures) or moved to the structure year's regions
(yes/no and percentages).

QA corrections are changes to the answers behind the figure (the variable's cells, of the units behind it) that the
audit log records (accounts.AuditEvent, `answer.changed`) after a QA flag on that unit named the cell, or after the
round was locked (a correction that made a new data version), up to the moment the data version was made (the live
figures: up to now). Flags are quality.Flag rows of those units naming those cells.

Who sees what: everyone who may see the year sees the figure, the units' list and the counts; a unit's own value is
left out for everyone but analysts where the statistics suppress it at unit level (a share of one unit), and a
suppressed figure shows no units at all. The details of a correction (cell, old → new, who, when) are shown for the
units the one permission check (accounts.permissions.can_access_unit) lets the user reach: analysts all, a county
reviewer the county's, a respondent their own; the public none.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from kartlegg.accounts.models import AuditEvent
from kartlegg.accounts.permissions import Access, can_access_unit, check_unit_access
from kartlegg.analytics import compute, headline
from kartlegg.analytics.catalogue import HEADLINE, HEADLINE_TAGS, SHARE, Catalogue, Variable
from kartlegg.analytics.measures import IMPUTED, MISSING, OK, SUPPRESSED
from kartlegg.analytics.models import AS_REPORTED, LIVE
from kartlegg.analytics.params import ParamError
from kartlegg.analytics.services import access, versions
from kartlegg.analytics.services import aggregates as services
from kartlegg.analytics.services.read import Cell, Request, Table, build_table, geography
from kartlegg.quality.models import DataVersion, Flag
from kartlegg.quality.states import FlagState
from kartlegg.responses.models import Response, Round
from kartlegg.responses.services.history import RESPONSE_TYPE, user_label


@dataclass(frozen=True)
class UnitLine:
    code: str
    name: str
    county: str
    value: float | None  # None: not shown (suppressed for this user) or no figure
    status: str  # ok, imputed, missing
    source_year: int | None = None  # the year an imputed unit's figure was taken from
    shown: bool = True  # whether this user may see the unit's value


@dataclass(frozen=True)
class Correction:
    unit: str
    unit_name: str
    cell: str
    old: str | None
    new: str | None
    who: str
    at: dt.datetime
    after_lock: bool  # made after the round was locked (a new data version)


@dataclass
class Provenance:
    table: Table
    region: str
    region_label: str
    year: int
    key: str  # "v2" or "live"
    cell: Cell
    units: list[UnitLine] = field(default_factory=list)
    units_hidden: bool = False  # a suppressed figure: no units are listed
    imputed_from: dict[int, int] = field(default_factory=dict)  # source year → units
    missing: int = 0
    flags: int = 0
    flags_corrected: int = 0
    corrections: int = 0
    units_corrected: int = 0
    details: list[Correction] = field(default_factory=list)
    details_units: int = 0  # units whose details this user may see
    cells: list[str] = field(default_factory=list)
    version_made: dt.datetime | None = None

    @property
    def imputed(self) -> int:
        return sum(self.imputed_from.values())

    @property
    def version_number(self) -> str:
        return self.key[1:] if self.key.startswith("v") else ""


def answer_cells(catalogue: Catalogue, variable: Variable, year: int) -> list[str]:
    """The stored answers a variable adds up in `year`: the tagged cells of a headline series, the cells of a grid
    total, else its own code."""
    if year not in variable.codes:
        return []
    if variable.kind == HEADLINE:
        tags = catalogue.tag_cells.get(year, {})
        return sorted({c for tag in HEADLINE_TAGS[variable.code] for c in tags.get(tag, ())})
    if variable.derived:
        return list(catalogue.cells_of(variable, year))
    return [variable.codes[year]]


def _data(rounds: dict[int, Round], catalogue: Catalogue, variable: Variable, year: int, key: str, rule: str) -> Any:
    """The data the figure was computed from: a pinned version reads the locked data its basis names (only those
    years, as versions.pin does), the live figures every round's current data."""
    # The three headline series are imputed together (adults and children): read the cells of both.
    chosen = catalogue.get(headline.TOTAL) if variable.kind == HEADLINE else variable
    wanted = [chosen or variable]
    if key == LIVE:
        return services.read_data(rounds, catalogue, wanted, sorted(rounds))
    number = int(key[1:])
    basis = versions.stored_basis(year, rule, number) or versions.default_basis(rounds, year, number)
    used = {y: rounds[y] for y in sorted(basis) if y in rounds}
    found = {
        y: DataVersion.objects.filter(round=used[y], number=n).first() for y, n in basis.items() if y in used
    }  # fmt: skip
    if any(v is None for v in found.values()):
        raise ParamError(
            "version", _("%(year)s har ingen dataversjon %(number)s") % {"year": year, "number": number}, 404
        )
    return services.read_data(used, catalogue, wanted, sorted(used), found)


def unit_series(ctx: compute.Context, variable: Variable) -> compute.UnitSeries:
    if variable.kind == HEADLINE:
        years = [y for y in ctx.years if y in variable.codes]
        return compute.headline_units(ctx, years)[variable.code]
    return compute.unit_series(ctx, variable)


def members(ctx: compute.Context, variable: Variable, level: str, region: str, year: int, structure: int) -> list[str]:
    """The year's own units behind the region of the table (in the structure the table is on)."""
    if structure in (AS_REPORTED, year):
        return ctx.frame(year, AS_REPORTED, "own").members(level).get(region, [])
    if variable.additive:
        harmonised = ctx.frame(year, structure, "harmonised").members(level).get(region, [])
        sources = ctx.plan(year, structure).sources
        return sorted({old for new in harmonised for old in sources.get(new, [])})
    return ctx.frame(year, structure, "regrouped").members(level).get(region, [])


def figure_provenance(
    user: Any,
    catalogue: Catalogue,
    request: Request,
    region: str,
    version: str | None,
    unit: str = "",
) -> Provenance:
    """The provenance of one figure for `user`. ParamError names a bad parameter (with its status);
    PermissionDenied when the year is not published for the user or `unit` is a unit they may not reach."""
    year = request.years[0]
    if not access.visible_years(user, [year]):
        raise PermissionDenied(_("Tallene for %(year)s er ikke publisert ennå.") % {"year": year})
    keys = access.table_keys(user, [year], catalogue.years, version)
    variable = request.variable
    versions.ensure(variable, request.rule, request.structure, request.level, [year], keys)
    table = build_table(request, [], keys)
    labels = dict(table.regions)
    if region not in labels:
        raise ParamError("region", _("%(region)r har ingen tall på dette nivået i %(year)s")
                         % {"region": region[:40], "year": year}, 404)  # fmt: skip
    rounds = services.annual_rounds()
    key = keys[year]
    cell = table.cell(region, year)
    result = Provenance(table, region, labels[region], year, key, cell)
    analyst = access.is_analyst(user)
    geo = geography()
    ctx = compute.Context(catalogue, geo, _data(rounds, catalogue, variable, year, key, request.rule), request.rule)
    codes = members(ctx, variable, request.level, region, year, request.structure)
    own = {u.code: u for u in geo.units.get(year, [])}
    if unit and unit not in codes:
        raise ParamError("unit", _("%(unit)r står ikke bak dette tallet") % {"unit": unit[:20]}, 404)
    if unit:
        check_unit_access(user, unit, own[unit].county_code if unit in own else "", Access.VIEW)
    series = unit_series(ctx, variable)
    values = series.values.get(year, {})
    sources = series.imputed.get(year, {})
    suppressed = cell.status == SUPPRESSED
    unit_shown = analyst or request.measure != SHARE  # a share of one unit is suppressed in the statistics
    result.units_hidden = suppressed and not analyst
    for code in sorted(codes, key=lambda c: (own[c].name if c in own else c, c)):
        value = values.get(code)
        status = IMPUTED if code in sources else (MISSING if value is None else OK)
        if status == IMPUTED:
            result.imputed_from[sources[code]] = result.imputed_from.get(sources[code], 0) + 1
        elif status == MISSING:
            result.missing += 1
        record = own.get(code)
        result.units.append(
            UnitLine(
                code,
                record.name if record else code,
                record.county_code if record else "",
                value if unit_shown else None,
                status,
                sources.get(code),
                unit_shown,
            )  # fmt: skip
        )
    if result.units_hidden:
        result.units = []
    _corrections(result, user, rounds[year], answer_cells(catalogue, variable, year), codes, own, unit)
    return result


def _corrections(
    result: Provenance, user: Any, round_obj: Round, cells: list[str], codes: list[str], own: dict[str, Any], unit: str
) -> None:
    result.cells = cells
    wanted = set(cells)
    version = (
        DataVersion.objects.filter(round=round_obj, number=int(result.key[1:])).first() if result.key != LIVE else None
    )
    until = version.created_at if version is not None else None
    first = DataVersion.objects.filter(round=round_obj, number=1).first()
    locked_at = first.created_at if first is not None else None
    flagged: dict[tuple[str, str], dt.datetime] = {}  # (unit, cell) → when a flag first named it
    flags = Flag.objects.filter(round=round_obj, unit__code__in=codes)
    if until is not None:
        flags = flags.filter(created_at__lte=until)
    states: Counter[str] = Counter()
    for code, variable, named, state, created in flags.values_list(
        "unit__code", "variable", "variables", "state", "created_at"
    ):
        touched = ({variable} | set(named or [])) & wanted
        if not touched:
            continue
        states[state] += 1
        for cell in touched:
            if (code, cell) not in flagged or created < flagged[(code, cell)]:
                flagged[(code, cell)] = created
    result.flags = sum(states.values())
    result.flags_corrected = states[FlagState.CORRECTED]
    responses = dict(Response.objects.filter(round=round_obj, unit__code__in=codes).values_list("pk", "unit__code"))
    events = AuditEvent.objects.filter(
        object_type=RESPONSE_TYPE,
        object_id__in=[str(pk) for pk in responses],
        action="answer.changed",
        variable__in=cells,
    )
    if until is not None:
        events = events.filter(at__lte=until)
    found: list[Correction] = []
    for event in events.select_related("user").order_by("at", "id"):
        owner = responses.get(int(event.object_id))
        if owner is None:
            continue
        after_lock = locked_at is not None and event.at >= locked_at
        since = flagged.get((owner, event.variable))
        if not after_lock and (since is None or event.at < since):
            continue  # the unit's own answering, not a correction
        record = own.get(owner)
        found.append(Correction(owner, record.name if record else owner, event.variable, event.old_value,
                                event.new_value, user_label(event.user), event.at, after_lock))  # fmt: skip
    result.corrections = len(found)
    result.units_corrected = len({c.unit for c in found})
    allowed = {
        code for code in {c.unit for c in found} | ({unit} if unit else set())
        if can_access_unit(user, code, own[code].county_code if code in own else "", Access.VIEW)
    }  # fmt: skip
    if unit:
        allowed &= {unit}
    result.details = [c for c in found if c.unit in allowed]
    result.details_units = len(allowed)
    result.version_made = until


__all__ = ["Provenance", "UnitLine", "Correction", "figure_provenance", "answer_cells"]
