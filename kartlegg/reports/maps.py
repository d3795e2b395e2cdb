"""The report's choropleths: årsverk per 10 000 inhabitants by county, HF and DPS area for the report's year, each a
figure whose table twin is the level's table in the regions chapter. Pure: the boundaries come in ReportInputs.maps
(read through analytics' map services by reports.sources), the spec is analytics.mapcharts' (the explorer's maps),
and the renderers draw it to SVG with vl-convert like every other figure.

A map colours a rate, never a sum (analytics.mapcharts); a suppressed figure is grey and marked ":", never shown.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from kartlegg.analytics import mapcharts
from kartlegg.reports.document import Figure
from kartlegg.reports.inputs import ADULTS, CHILDREN, COUNTY, DPS, HF, PER_CAPITA, ReportInputs
from kartlegg.reports.labels import labels, tr

MAP_LEVELS = (COUNTY, HF, DPS)
# Which rates each level gets a map of: DPS areas and health trusts serve adults; counties both groups.
MAPPED = {COUNTY: (ADULTS, CHILDREN), HF: (ADULTS,), DPS: (ADULTS,)}
TITLES = {
    ADULTS: gettext_noop("Årsverk for voksne per 10 000 innbyggere 18 år og over etter {what}, {year}"),
    CHILDREN: gettext_noop("Årsverk for barn og unge per 10 000 innbyggere 0–17 år etter {what}, {year}"),
}
WORDS = {
    "nb": {"value": "Verdi", "oslo": "Oslo"},
    "nn": {"value": "Verdi", "oslo": "Oslo"},
    "en": {"value": "Value", "oslo": "Oslo"},
}


def region_maps(inputs: ReportInputs, level: str, what: str, table_id: str, lang: str) -> list[Figure]:
    """The maps of `level` for the report's year (none without boundaries or figures)."""
    geometry = inputs.maps.get(level)
    if geometry is None:
        return []
    t = labels(lang)
    words = {"area": t["area"], **WORDS.get(lang, WORDS["nb"])}
    legends = {ADULTS: t["adults_rate"], CHILDREN: t["children_rate"]}
    out = []
    for variable in MAPPED.get(level, ()):
        series = inputs.get(variable, PER_CAPITA, level)
        if series is None or not series.regions:
            continue
        figures = {}
        for code, label in series.regions:
            fig = series.get(code, inputs.year)
            figures[code] = mapcharts.Figure(label, fig.value if fig.usable else None, fig.status)
        if not any(f.value is not None for f in figures.values()):
            continue
        title = tr(lang, TITLES[variable], what=what, year=inputs.year)
        spec = mapcharts.map_spec(title, geometry, figures, legends[variable], series.decimals, words)
        figure_id = f"kart-{table_id}-{variable.replace('_', '-')}"
        out.append(Figure(id=figure_id, title=title, kind="map", spec=spec, table_id=table_id))
    return out
