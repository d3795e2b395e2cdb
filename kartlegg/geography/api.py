"""Open JSON API for the reference geography: municipalities and reporting units per year.

Public reference data, so no authentication. `year` is strict: four digits and a loaded year, or a 400 that
names the parameter. Unknown parameters are refused too, so a misspelt filter is not silently ignored.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from . import services
from .models import Municipality, ReportingUnit
from .views import YearError, parse_year

router = Router(tags=["geografi"])

SOURCE = (
    "Kilde: SSB (kommuneinndeling KLASS 131, folketall tabell 07459 og 10826, CC BY 4.0), "
    "SKDE (opptaksområder for helseforetak og DPS)"
)
YEAR_DESCRIPTION = "The year, four digits (e.g. 2024). Must be one of the loaded years; otherwise 400."


class CodeName(Schema):
    code: str
    name: str


class PopulationOut(Schema):
    total: int
    age_0_17: int
    age_18_plus: int


class MunicipalityOut(Schema):
    code: str
    name: str
    county: CodeName
    rhf: CodeName | None
    hf: CodeName | None  # null when the municipality spans several HF areas (Oslo): see hf_areas
    hf_areas: list[CodeName]
    size_group: str
    population: PopulationOut


class MunicipalityList(Schema):
    year: int
    source: str
    count: int
    municipalities: list[MunicipalityOut]


class UnitOut(Schema):
    code: str
    name: str
    kind: Literal["kommune", "bydel"]
    municipality: str
    county: CodeName
    rhf: CodeName | None
    hf: CodeName | None
    dps_area: str | None
    size_group: str
    population: PopulationOut


class UnitList(Schema):
    year: int
    source: str
    count: int
    units: list[UnitOut]


class ErrorOut(Schema):
    error: str  # names the parameter at fault, e.g. "year: ..."
    details: list[dict] | None = None  # the validator's own list, when the value could not be parsed at all


def checked_year(request: HttpRequest, allowed: tuple[str, ...] = ("year",)) -> int:
    """The request's year, or HttpError 400 with a message that names the parameter at fault."""
    unknown = sorted(set(request.GET) - set(allowed))
    if unknown:
        names = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise HttpError(400, f"Unknown query parameter {names}; this endpoint accepts only 'year'.")
    values = request.GET.getlist("year")
    if len(values) > 1:
        raise HttpError(400, "year: give the parameter once.")
    years = services.available_years()
    raw = values[0] if values else None
    try:
        return parse_year(raw, years)
    except YearError as error:
        shown = (raw or "")[:20]
        available = ", ".join(str(y) for y in years) or "none"
        if error.kind == "missing":
            raise HttpError(400, f"year: required; available years: {available}.") from None
        if error.kind == "invalid":
            raise HttpError(400, f"year: {shown!r} is not a year; give four digits, e.g. year=2024.") from None
        raise HttpError(400, f"year: no reference data for {shown}; available years: {available}.") from None


def _code_name(code: str, name: str) -> CodeName | None:
    return CodeName(code=code, name=name) if code else None


def _population(row: Municipality | ReportingUnit) -> PopulationOut:
    return PopulationOut(total=row.population_total, age_0_17=row.population_0_17, age_18_plus=row.population_18_plus)


def _county(code: str, counties: dict[str, str]) -> CodeName:
    return CodeName(code=code, name=counties.get(code, ""))


@router.get(
    "/municipalities",
    response={200: MunicipalityList, 400: ErrorOut},
    summary="Municipalities valid in a year",
    description=(
        "Every municipality valid in `year`, with its county, regional health authority (RHF), health trust area "
        "(HF), size group and population on 1 January. Oslo (0301) spans four HF areas through its bydeler: its "
        "`hf` is null and `hf_areas` lists them. " + SOURCE + "."
    ),
)
def municipalities(request: HttpRequest, year: int = Query(..., description=YEAR_DESCRIPTION)) -> MunicipalityList:
    checked = checked_year(request)
    counties = services.county_names(checked)
    rows = list(services.municipalities_for_year(checked))
    # A municipality without its own HF (Oslo) takes its HF areas, and its RHF if they agree, from its bydeler.
    split = {m.code for m in rows if not m.hf_code}
    areas: dict[str, dict[str, str]] = defaultdict(dict)
    regions: dict[str, dict[str, str]] = defaultdict(dict)
    if split:
        units = ReportingUnit.objects.filter(year=checked, municipality_code__in=split).exclude(hf_code="")
        for unit in units.only("municipality_code", "hf_code", "hf_name", "rhf_code", "rhf_name"):
            areas[unit.municipality_code][unit.hf_code] = unit.hf_name
            if unit.rhf_code:
                regions[unit.municipality_code][unit.rhf_code] = unit.rhf_name
    out = []
    for m in rows:
        hf = _code_name(m.hf_code, m.hf_name)
        rhf = _code_name(m.rhf_code, m.rhf_name)
        hf_areas = [hf] if hf is not None else [CodeName(code=c, name=n) for c, n in sorted(areas[m.code].items())]
        if rhf is None and len(regions[m.code]) == 1:
            ((code, name),) = regions[m.code].items()
            rhf = CodeName(code=code, name=name)
        out.append(
            MunicipalityOut(
                code=m.code,
                name=m.name,
                county=_county(m.county_code, counties),
                rhf=rhf,
                hf=hf,
                hf_areas=hf_areas,
                size_group=m.size_group,
                population=_population(m),
            )
        )
    return MunicipalityList(year=checked, source=SOURCE, count=len(out), municipalities=out)


@router.get(
    "/units",
    response={200: UnitList, 400: ErrorOut},
    summary="Reporting units of a year",
    description=(
        "The units that report in `year`: every municipality except Oslo, and Oslo's bydeler 01–15 in its place. "
        "Each has its county, RHF, HF, DPS area (adults), size group and population on 1 January. " + SOURCE + "."
    ),
)
def units(request: HttpRequest, year: int = Query(..., description=YEAR_DESCRIPTION)) -> UnitList:
    checked = checked_year(request)
    counties = services.county_names(checked)
    out = [
        UnitOut(
            code=u.code,
            name=u.name,
            kind=u.kind,  # type: ignore[arg-type]  # the model's choices are exactly the Literal's values
            municipality=u.municipality_code,
            county=_county(u.county_code, counties),
            rhf=_code_name(u.rhf_code, u.rhf_name),
            hf=_code_name(u.hf_code, u.hf_name),
            dps_area=u.dps_area or None,
            size_group=u.size_group,
            population=_population(u),
        )
        for u in services.units_for_year(checked)
    ]
    return UnitList(year=checked, source=SOURCE, count=len(out), units=out)
