"""Statistics pages: the explorer (/statistikk/), a unit's profile (/statistikk/enhet/<code>/) and, for analysts, the
publication times. Every view is a GET with its choices in the query string (a stable, shareable address) and the
same address with format=csv|xlsx|jsonstat downloads what is shown. The pages work without JavaScript; htmx only
swaps the results in place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kartlegg.accounts.permissions import require_analyst
from kartlegg.analytics import levels as lv
from kartlegg.analytics import services, views_downloads
from kartlegg.analytics.catalogue import HEADLINE, MEASURE_LABELS
from kartlegg.analytics.models import AS_REPORTED, Publication
from kartlegg.analytics.params import Defaults, ParamError, clean, parse_request
from kartlegg.analytics.services import access as services_access
from kartlegg.analytics.services import explorer as services_explorer
from kartlegg.analytics.services import freshness as services_freshness
from kartlegg.analytics.services import profile as services_profile
from kartlegg.analytics.services import versions as services_versions
from kartlegg.analytics.services.read import SOURCE, SOURCE_DETAIL, build_table, level_choices
from kartlegg.geography.models import ReportingUnit

DEFAULT_VARIABLE = "arsverk_totalt"
FORMATS = views_downloads.FORMATS
PARAMS = ("variable", "q", "level", "years", "measure", "structure", "imputation", "map_year", "version")


def _query(request: HttpRequest) -> dict[str, str]:
    query = {key: clean(request.GET.get(key)) for key in PARAMS if clean(request.GET.get(key))}
    # `data_version` (v1, 2 …), as reports built before the pinned reads wrote their links, means `version`.
    alias = clean(request.GET.get("data_version")).lower()
    if alias and "version" not in query:
        query["version"] = alias[1:] if alias.startswith("v") and alias[1:].isdigit() else alias
    return query


def _parse(catalogue: Any, query: dict[str, str], loaded: list[int]) -> tuple[Any, list[ParamError]]:
    """The request; a bad parameter is reported and replaced by its default, so the page still shows something."""
    defaults = Defaults(level=lv.COUNTY, rule=services.default_rule(), loaded=loaded, levels=level_choices())
    errors: list[ParamError] = []
    current = dict(query)
    for _attempt in range(len(PARAMS) + 1):
        try:
            return parse_request(catalogue, current.get("variable") or DEFAULT_VARIABLE, current, defaults), errors
        except ParamError as error:
            errors.append(error)
            if error.param not in current:
                break
            current.pop(error.param)
    raise Http404(_("Ingen statistikk å vise."))


@require_GET
def explorer(request: HttpRequest) -> HttpResponse:
    rounds = services.annual_rounds()
    if not rounds:
        return render(request, "analytics/no_data.html", status=503)
    catalogue = services.catalogue(rounds, get_language())
    query = _query(request)
    search = query.get("q", "")
    if search and "variable" not in query:
        found = catalogue.search(search, limit=1)
        if found:
            query["variable"] = found[0].code
    stat_request, errors = _parse(catalogue, query, services.loaded_years())
    visible = services_access.visible_years(request.user, list(stat_request.years))
    context: dict[str, Any] = {"errors": errors, "query": query, "search": search, "stat": stat_request}
    kind = query.get("format", clean(request.GET.get("format")))
    keys: dict[int, str] = {}
    if visible:
        try:
            keys = services_access.table_keys(request.user, visible, catalogue.years, query.get("version"))
        except ParamError as error:
            errors.append(error)
            query.pop("version", None)
            keys = services_access.table_keys(request.user, visible, catalogue.years)
    if visible:
        stat_request = type(stat_request)(**{**stat_request.__dict__, "years": tuple(visible)})
        services.ensure(
            stat_request.variable, stat_request.rule, stat_request.structure, stat_request.level, list(keys), keys
        )
        published = services_access.published_years()
        table = build_table(stat_request, [y for y in visible if y not in published], keys)
        context["freshness"] = services_freshness.freshness([stat_request.variable.code])
        if kind in FORMATS:
            return views_downloads.respond(request, table.cube(), kind, context["freshness"])
        map_year = int(query["map_year"]) if query.get("map_year", "").isdigit() else None
        context["view"] = services_explorer.explorer_view(table, map_year=map_year)
    if kind and kind not in FORMATS:
        context["errors"].append(ParamError("format", views_downloads.unknown_format_message()))
    context.update(_choices(catalogue, stat_request, search))
    context["permalink"] = "?" + urlencode(_permalink(stat_request, query))
    # The chosen version (and rule) stay with the form and with the links to the profiles.
    context["version"] = query.get("version", "")
    context["version_query"] = "?" + urlencode({"version": query["version"]}) if query.get("version") else ""
    context["downloads"] = views_downloads.links(_permalink(stat_request, query))
    if context.get("view") and context["view"].map_instead:  # a map colours rates: the same view as a rate
        context["map_link"] = "?" + urlencode(
            {**_permalink(stat_request, query), "measure": context["view"].map_instead}
        )
    template = "analytics/explorer.html"
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        template = "analytics/_results.html"
    response = render(request, template, context, status=400 if errors and "view" not in context else 200)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _permalink(stat_request: Any, query: dict[str, str]) -> dict[str, str]:
    years = stat_request.years
    text = (
        f"{years[0]}-{years[-1]}" if list(years) == list(range(years[0], years[-1] + 1)) else ",".join(map(str, years))
    )
    params = {
        "variable": stat_request.variable.code,
        "level": stat_request.level,
        "years": text,
        "measure": stat_request.measure,
        "structure": "own" if stat_request.structure == AS_REPORTED else str(stat_request.structure),
    }
    if "imputation" in query:
        params["imputation"] = stat_request.rule
    if "version" in query:
        params["version"] = query["version"]
    return params


def _choices(catalogue: Any, stat_request: Any, search: str) -> dict[str, Any]:
    variables = catalogue.search(search, limit=500) if search else list(catalogue.variables.values())
    if stat_request.variable not in variables:
        variables.insert(0, stat_request.variable)
    sections: dict[str, list[Any]] = {}
    for variable in sorted(variables, key=lambda v: (v.kind != HEADLINE, v.section, v.code)):
        sections.setdefault(_("Hovedtall") if variable.kind == HEADLINE else variable.section or _("Annet"), []).append(
            variable
        )
    return {
        "variable_sections": sections,
        "levels": [(code, lv.LEVEL_LABELS[code]) for code in level_choices()],
        "measures": [(code, MEASURE_LABELS[code]) for code in stat_request.variable.measures],
        "all_years": catalogue.years,
        "structures": services.loaded_years(),
        "year_from": stat_request.years[0],
        "year_to": stat_request.years[-1],
        "source": SOURCE,
        "source_detail": SOURCE_DETAIL,
    }


@require_GET
def variable_search(request: HttpRequest) -> HttpResponse:
    """The variable list for a search text (htmx swaps it into the form; without JS the form reloads)."""
    catalogue = services.catalogue(language=get_language())
    search = clean(request.GET.get("q"))
    found = catalogue.search(search, limit=200) if search else list(catalogue.variables.values())
    chosen = clean(request.GET.get("variable"))
    return render(request, "analytics/_variable_options.html", {"variables": found, "chosen": chosen})


@require_GET
def profile(request: HttpRequest, code: str) -> HttpResponse:
    rounds = services.annual_rounds()
    if not rounds:
        return render(request, "analytics/no_data.html", status=503)
    structure = services.default_structure()
    try:
        unit, structure = services_profile.profile_subject(code, structure, sorted(rounds))
    except ReportingUnit.DoesNotExist:
        raise Http404(_("Ukjent enhet.")) from None
    if isinstance(unit, services_profile.Area):
        years = services_access.visible_years(request.user, sorted(rounds))
        if not years:
            raise PermissionDenied(_("Tallene er ikke publisert ennå."))
        level = unit.level
    else:
        years = services_access.unit_years_for_user(request.user, unit.code, sorted(rounds))
        level = lv.UNIT
    version = clean(request.GET.get("version"))
    try:
        keys = services_access.version_keys(request.user, years, version)
    except ParamError as error:
        raise Http404(str(error)) from None
    pinned = {"version": version} if version else {}
    rule = services.default_rule()
    catalogue = services.catalogue(rounds, get_language())
    headline = [catalogue.get(code) for code in services_profile.HEADLINE_TARGET]
    grids = services_profile.competence_grids(rounds[max(rounds)].definition())
    for variable in [*headline, *services_profile.competence_variables(catalogue, grids)]:
        if variable is not None:
            services.ensure(variable, rule, structure, level, years, keys)
    result = services_profile.build_profile(unit, structure, years, rule, catalogue, grids, keys)
    kind = clean(request.GET.get("format"))
    fresh = services_freshness.freshness(list(services_profile.HEADLINE_TARGET))
    if kind in FORMATS:
        return views_downloads.respond(request, result.cube(), kind, fresh)
    published = services_access.published_years()
    context = {
        "freshness": fresh,
        "profile": result,
        "unpublished": [y for y in years if y not in published],
        "downloads": views_downloads.links(pinned),
        "source": SOURCE,
        "source_detail": SOURCE_DETAIL,
        "explorer_link": "?"
        + urlencode({"variable": "arsverk_totalt", "level": level, "measure": "per_capita", **pinned}),
        "level_label": lv.LEVEL_LABELS[level],
    }
    context.update(services_profile.profile_tables(result))
    return render(request, "analytics/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def publications(request: HttpRequest) -> HttpResponse:
    """Analysts set when each year's results are published (the end of the embargo)."""
    require_analyst(request.user)
    rounds = services.annual_rounds()
    if request.method == "POST":
        year_text = clean(request.POST.get("year"))
        when_text = clean(request.POST.get("published_at"))
        version_text = clean(request.POST.get("data_version"))
        try:
            year = int(year_text)
            if year not in rounds:
                raise ValueError(year_text)
            moment = dt.datetime.fromisoformat(when_text) if when_text else timezone.now()
        except ValueError:
            messages.error(request, _("Velg et år med en runde og et gyldig tidspunkt (åååå-mm-ddTtt:mm)."))
            return redirect("analytics:publications")
        if version_text and not version_text.isdigit():
            messages.error(request, _("Dataversjon: skriv et helt tall (1, 2 …), eller la feltet stå tomt."))
            return redirect("analytics:publications")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        try:
            services_access.publish(
                year,
                moment,
                request.user,
                data_version=int(version_text) if version_text else None,
                correction_note=request.POST.get("correction_note", ""),
            )
        except (PermissionDenied, services_access.PublishError, services.StatisticsError) as error:
            messages.error(request, str(error))
            return redirect("analytics:publications")
        messages.success(request, _("Publiseringstidspunktet for %(year)s er lagret.") % {"year": year})
        return redirect("analytics:publications")
    existing = {p.year: p for p in Publication.objects.all()}
    newest = services_versions.current_numbers(rounds)
    rows = [(year, existing.get(year), newest.get(year)) for year in sorted(rounds, reverse=True)]
    context = {"rows": rows, "now": timezone.now(), "freshness": services_freshness.freshness()}
    return render(request, "analytics/publications.html", context)
