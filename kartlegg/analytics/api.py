"""Open statistics API: what is available, and one variable as JSON-stat 2.0 (or CSV).

Public once a year is published (analysts, with a token or a session, see every year). Parameters are strict: an
unknown parameter, a reversed year range or a structure that is not a loaded year is a 400 naming the parameter;
an unknown variable is a 404 naming it. Missing and suppressed figures are null with a status, never 0. Figures
come from the stored aggregates; a slice nobody has asked for before is computed on the spot and stored.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.http import http_date
from ninja import Router, Schema
from ninja.errors import HttpError

from kartlegg.accounts.tokens import api_user
from kartlegg.analytics import api_params, downloads, services
from kartlegg.analytics import levels as lv
from kartlegg.analytics.catalogue import ALIASES, MEASURE_LABELS
from kartlegg.analytics.imputation import RULES
from kartlegg.analytics.measures import AnalyticsError
from kartlegg.analytics.models import Publication
from kartlegg.analytics.params import Defaults, ParamError, clean, parse_request
from kartlegg.analytics.services import access as services_access
from kartlegg.analytics.services import freshness as services_freshness
from kartlegg.analytics.services import versions as services_versions
from kartlegg.analytics.services.read import SOURCE, build_table, data_stamp, level_choices, structure_years

router = Router(tags=["statistikk"])

ALLOWED = ("level", "years", "measure", "structure", "format", "imputation", "csv", "lang", "version")
LANGUAGES = ("nb", "nn", "en")
FORMATS = ("jsonstat", "csv", "xlsx", "px", "notes")
PARAMETERS = api_params.parameter_schemas(FORMATS)
CACHE_SECONDS = 600


class CodeLabel(Schema):
    code: str
    label: str


class VariableOut(Schema):
    code: str
    label: str
    kind: str
    section: str
    unit: str
    years: list[int]
    breaks: list[int]
    measures: list[str]
    default_measure: str
    alias_of: str | None = None


class CatalogueOut(Schema):
    source: str
    years: list[int]
    published_years: list[int]
    structures: list[int]
    default_structure: int | None
    levels: list[CodeLabel]
    measures: list[CodeLabel]
    imputation_rules: list[str]
    default_imputation: str
    variables: list[VariableOut]


class ErrorOut(Schema):
    error: str
    details: list[dict] | None = None


@router.get(
    "/statistics",
    response={200: CatalogueOut},
    summary="Available statistics",
    description=(
        "Every statistics variable (the headline årsverk series, the questionnaire's numbers, yes/no questions, "
        "grid cells and grid row/column totals), with its years, series breaks and measures; the levels, measures, "
        "loaded structure years and imputation rules. " + SOURCE + "."
    ),
)
def catalogue(request: HttpRequest, lang: str | None = None) -> CatalogueOut:
    """`lang` (nb, nn or en) gives the questionnaires' labels in that language where they are translated."""
    rounds = services.annual_rounds()
    cat = services.catalogue(rounds, _language(lang))
    loaded = services.loaded_years()
    variables = [
        VariableOut(
            code=v.code,
            label=v.label,
            kind=v.kind,
            section=v.section,
            unit=v.unit,
            years=v.years,
            breaks=list(v.breaks),
            measures=list(v.measures),
            default_measure=v.default_measure,
        )
        for v in cat.variables.values()
    ]
    for alias, (base, measure) in ALIASES.items():
        if base in cat.variables:
            v = cat.variables[base]
            variables.append(
                VariableOut(
                    code=alias,
                    label=f"{v.label} ({MEASURE_LABELS[measure].lower()})",
                    kind=v.kind,
                    section=v.section,
                    unit=v.unit,
                    years=v.years,
                    breaks=list(v.breaks),
                    measures=[measure],
                    default_measure=measure,
                    alias_of=base,
                )
            )
    return CatalogueOut(
        source=SOURCE,
        years=cat.years,
        published_years=sorted(services_access.published_years() & set(cat.years)),
        structures=loaded,
        default_structure=loaded[-1] if loaded else None,
        levels=[CodeLabel(code=c, label=lv.LEVEL_LABELS[c]) for c in level_choices()],
        measures=[CodeLabel(code=c, label=label) for c, label in MEASURE_LABELS.items()],
        imputation_rules=list(RULES),
        default_imputation=services.default_rule(),
        variables=variables,
    )


class StatisticsVersionOut(Schema):
    version: str
    number: int | None
    created_at: str | None
    note: str
    units: int | None
    computed_at: str | None
    published: bool
    based_on: str


class YearVersionsOut(Schema):
    year: int
    published_version: str | None
    correction_note: str
    versions: list[StatisticsVersionOut]


@router.get(
    "/statistics/versions/{year}",
    response={200: YearVersionsOut, 403: ErrorOut, 404: ErrorOut},
    summary="The data versions of a year",
    description=(
        "Every locked data version of a survey year (newest first) and the live figures: when each was made, its "
        "note, when its figures were computed, and which one is published. The public sees published years only, "
        "and only the versions up to the published one. Ask for a version's figures with "
        "`/statistics/{variable}?years=Y&version=N`."
    ),
)
def year_versions(request: HttpRequest, year: int) -> YearVersionsOut:
    user = api_user(request)
    rounds = services.annual_rounds()
    if year not in rounds:
        raise HttpError(404, f"year: {year} har ingen årlig runde.")
    if not services_access.visible_years(user, [year]):
        raise HttpError(403, f"year: {year} er ikke publisert ennå.")
    publication = Publication.objects.filter(year=year).first()
    public = publication if publication is not None and publication.is_public() else None
    found = services_versions.year_versions(year)
    if not services_access.is_analyst(user):
        limit = public.data_version if public is not None and public.data_version else 0
        found = [v for v in found if (v.number is not None and v.number <= limit) or (v.published and public)]
    return YearVersionsOut(
        year=year,
        published_version=public.version_key if public is not None else None,
        correction_note=public.correction_note if public is not None else "",
        versions=[
            StatisticsVersionOut(
                version=v.key,
                number=v.number,
                created_at=v.created_at.isoformat() if v.created_at else None,
                note=v.note,
                units=v.units,
                computed_at=v.computed_at.isoformat() if v.computed_at else None,
                published=bool(v.published and public),
                based_on=v.source,
            )
            for v in found
        ],
    )


@router.get(
    "/statistics/{variable}",
    response={200: dict, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="One statistics variable as JSON-stat 2.0, CSV, XLSX or PC-Axis",
    description=(
        "Query parameters (all optional): `level` (nation, county, rhf, hf, dps, size_group, municipality, unit; "
        "default nation), `years` (`2017-2024`, `2023` or `2017,2020`; default all), `measure` (sum, per_capita, "
        "change, change_percent, median, share; default the variable's own), `structure` (a loaded year to "
        "harmonise to, default the newest, or `own` for each year's own units and counties), `imputation` "
        "(carry_forward or none), `format` (jsonstat, the default; csv, xlsx, px, or notes: the table's notes as "
        "text), `csv` (excel, the default: semicolons and decimal commas; plain: commas and decimal points). CSV is "
        "one header row, then one row per cell (region code and name, measure, year, value, symbol). A share's N "
        "(units that answered) is a second category of the measure, `<code>.n`, in every format. `version` "
        "(`published`, the default: each published year at the data version its publication names, unpublished "
        "years live; `live`: the live figures, analysts only; a number N: data version N of every requested year, "
        "for the public only up to the published one; `2019:1,2020:2`: each named year at its own data version, the "
        "others as by default; see /statistics/versions/{year}). "
        "JSON-stat 2.0 as SSB's PxWebApi "
        "writes it; missing (`..`) and suppressed (`:`) figures are null with a status, imputed (`i`) and "
        "estimated (`e`) figures keep their value and carry a status. `extension.kartlegg` says when the figures were "
        "computed (`computed_at`) and whether a recompute is waiting (`recompute_pending`); so do the "
        "`Last-Modified` and `X-Recompute-Pending` headers. `lang` (nb, the default, nn or en) gives the labels in "
        "that language where the questionnaire translates them. " + SOURCE + "."
    ),
)
def variable_data(
    request: HttpRequest,
    variable: str,
    level: str | None = None,
    years: str | None = None,
    measure: str | None = None,
    structure: str | None = None,
    imputation: str | None = None,
    format: str | None = None,  # noqa: A002 - the public parameter name
    csv: str | None = None,
    lang: str | None = None,
    version: str | None = None,
) -> Any:
    unknown = sorted(set(request.GET) - set(ALLOWED))
    if unknown:
        names = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise HttpError(400, f"{names}: ukjent parameter; gyldige er {', '.join(ALLOWED)}.")
    for name in ALLOWED:
        if len(request.GET.getlist(name)) > 1:
            raise HttpError(400, f"{name}: oppgi parameteren én gang.")
    query_values = {name: request.GET.get(name) for name in ALLOWED}
    problem = api_params.check(query_values, PARAMETERS)
    if problem:
        raise HttpError(400, problem + ".")
    kind = clean(format) or "jsonstat"
    if kind not in FORMATS:
        raise HttpError(400, f"format: ukjent format {kind[:20]!r}; gyldige er {', '.join(FORMATS)}.")
    if csv is not None and (kind != "csv" or clean(csv) not in downloads.CSV_VARIANTS):
        raise HttpError(400, f"csv: gyldige er {', '.join(downloads.CSV_VARIANTS)}, og bare med format=csv.")
    rounds = services.annual_rounds()
    if not rounds:
        raise HttpError(404, "Ingen statistikk ennå: det finnes ingen årlige runder.")
    language = _language(lang)
    cat = services.catalogue(rounds, language)
    query = {"level": level, "years": years, "measure": measure, "structure": structure, "imputation": imputation}
    defaults = Defaults(level=lv.NATION, rule=services.default_rule(), loaded=structure_years(), levels=level_choices())
    try:
        stat = parse_request(cat, variable, query, defaults)
    except ParamError as error:
        raise HttpError(error.status, f"{error.param}: {error.message}.") from None
    visible = services_access.visible_years(api_user(request), list(stat.years))
    if not visible:
        raise HttpError(403, f"years: {', '.join(map(str, stat.years))} er ikke publisert ennå.")
    stat = type(stat)(**{**stat.__dict__, "years": tuple(visible)})
    user = api_user(request)
    try:
        keys = services_access.table_keys(user, visible, cat.years, version)
    except ParamError as error:
        raise HttpError(error.status, f"{error.param}: {error.message}.") from None
    published = services_access.published_years()
    fresh = services_freshness.freshness([stat.variable.code])
    key = _cache_key(request, visible, published, keys, fresh.pending)
    cached = cache.get(key)
    if cached is None:
        try:
            services.ensure(stat.variable, stat.rule, stat.structure, stat.level, list(keys), keys)
            with translation.override(language):
                table = build_table(stat, [y for y in visible if y not in published], keys)
                cube = table.cube()
        except (AnalyticsError, services.StatisticsError) as error:
            raise HttpError(400, str(error)) from None
        extension = {"kartlegg": services_freshness.freshness([stat.variable.code]).as_json()}
        found = downloads.render(cube, kind, plain=csv == "plain", extension=extension, attachment=kind != "jsonstat")
        disposition = f'attachment; filename="{found.filename}"' if found.filename else ""
        cached = (found.content, found.content_type, disposition)
        # The key holds the data stamp as it was after a cold slice was computed, so the next request hits.
        cache.set(_cache_key(request, visible, published, keys, fresh.pending), cached, CACHE_SECONDS)
    content, content_type, disposition = cached
    response = HttpResponse(content, content_type=content_type)
    if disposition:
        response["Content-Disposition"] = disposition
    # When the figures were computed, and whether a recompute waits (the JSON-stat says so in extension.kartlegg).
    if fresh.computed_at is not None:
        response["Last-Modified"] = http_date(fresh.computed_at.timestamp())
    response["X-Recompute-Pending"] = "true" if fresh.pending else "false"
    return response


def _language(lang: str | None) -> str:
    """The `lang` parameter: nb (the default), nn or en; anything else is the caller's mistake (400)."""
    value = clean(lang) or "nb"
    if value not in LANGUAGES:
        raise HttpError(400, f"lang: ukjent språk {value[:10]!r}; gyldige er {', '.join(LANGUAGES)}.")
    return value


def _cache_key(
    request: HttpRequest, visible: list[int], published: set[int], keys: dict[int, str], pending: bool = False
) -> str:
    """A rendered answer is reused until aggregates are written again (data_stamp), a year is published (or a
    correction), or the question differs; the data are the same for every caller who may see the same versions."""
    query = sorted((k, v) for k in request.GET for v in request.GET.getlist(k))
    corrected = list(Publication.objects.values_list("year", "data_version", "corrected_at"))
    text = (
        f"{request.path}|{query}|{visible}|{sorted(published)}|{sorted(keys.items())}|{corrected}|{data_stamp()}"
        f"|{pending}"
    )
    return "statistics-api:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
