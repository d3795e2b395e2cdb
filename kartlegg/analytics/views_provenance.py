"""One figure's provenance (/statistikk/tall/): the units behind it, the imputed ones and the QA corrections made to
it, at the data version asked for (services/provenance.py). A GET with the figure in the query string, as the
report's figures and quoted numbers link to it; a bad parameter is a 400 or 404 naming it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kartlegg.analytics import levels as lv
from kartlegg.analytics import services
from kartlegg.analytics.catalogue import SHARE, YESNO
from kartlegg.analytics.models import AS_REPORTED
from kartlegg.analytics.params import Defaults, ParamError, clean, parse_request
from kartlegg.analytics.services import explorer as services_explorer
from kartlegg.analytics.services import provenance as services_provenance
from kartlegg.analytics.services.read import level_choices, structure_years
from kartlegg.lib.numbers import format_number

PARAMS = ("variable", "measure", "level", "region", "year", "structure", "imputation", "version", "unit")


@require_GET
def figure(request: HttpRequest) -> HttpResponse:
    query = {key: clean(request.GET.get(key)) for key in PARAMS}
    try:
        rounds = services.annual_rounds()
        catalogue = services.catalogue(rounds, get_language())
        year = query["year"]
        if not year:
            raise ParamError("year", _("mangler"))
        if not year.isdigit() or len(year) != 4 or int(year) not in catalogue.years:
            raise ParamError("year", _("%(value)r er ikke et år med statistikk") % {"value": year[:20]}, 404)
        if not query["region"]:
            raise ParamError("region", _("mangler"))
        defaults = Defaults(level=lv.NATION, rule=services.default_rule(), loaded=structure_years(),
                            levels=level_choices())  # fmt: skip
        stat = parse_request(catalogue, query["variable"], {**query, "years": year}, defaults)
        found = services_provenance.figure_provenance(
            request.user, catalogue, stat, query["region"], query["version"], query["unit"]
        )
    except ParamError as error:
        context = {"error": error}
        return render(request, "analytics/provenance.html", context, status=error.status)
    return render(request, "analytics/provenance.html", context_for(found, query))


def context_for(found: services_provenance.Provenance, query: dict[str, str]) -> dict[str, object]:
    table = found.table
    stat = table.request
    explorer = {"variable": stat.variable.code, "measure": stat.measure, "level": stat.level,
                "years": str(found.year), "structure": "own" if stat.structure == AS_REPORTED else str(stat.structure),
                "imputation": stat.rule}  # fmt: skip
    if query["version"]:
        explorer["version"] = query["version"]
    yesno = stat.variable.kind == YESNO
    units = [
        (line, _unit_value(line.value, yesno or stat.measure == SHARE, stat.variable.decimals)) for line in found.units
    ]
    return {
        "found": found,
        "stat": stat,
        "shown": services_explorer.shown_cell(table, found.region, found.year),
        "explorer_link": "?" + urlencode(explorer),
        "units": units,
        "imputed_from": sorted(found.imputed_from.items()),
        "level_label": lv.LEVEL_LABELS[stat.level],
    }


def _unit_value(value: float | None, yesno: bool, decimals: int) -> str:
    if value is None:
        return ""
    if yesno:
        return _("ja") if value else _("nei")
    return format_number(value, decimals)
