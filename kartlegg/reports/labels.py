"""Fixed labels of the report (chapter titles, column heads, notes). The bokmål text is the msgid (marked with
gettext_noop); nynorsk and English come from the gettext catalogues (locale/nn, locale/en). The report is written in
one language, chosen when it is built: `labels(lang)` and `tr(lang, msgid)` translate under
`translation.override(lang)`, so the computation stays a function of its inputs and the language."""

from __future__ import annotations

import functools

from django.utils import translation
from django.utils.translation import gettext_noop

MSGIDS = {
    "title": gettext_noop("Kommunalt psykisk helse- og rusarbeid {year}"),
    "subtitle": gettext_noop("Årsverk, kompetanse og innhold i tjenestene"),
    "summary": gettext_noop("Sammendrag"),
    "headline": gettext_noop("Årsverk i kommunalt psykisk helse- og rusarbeid, {previous} og {year}"),
    "adults": gettext_noop("Voksne"),
    "children": gettext_noop("Barn og unge"),
    "total": gettext_noop("Totalt"),
    "group_adults": gettext_noop("voksne"),
    "group_children": gettext_noop("barn og unge"),
    "change": gettext_noop("Endring"),
    "change_pct": gettext_noop("Endring (%)"),
    "per_capita": gettext_noop("Per innbygger"),
    "regions": gettext_noop("Fylker, helseregioner og DPS-områder"),
    "series": gettext_noop("Utviklingen over tid"),
    "methods": gettext_noop("Metode og datagrunnlag"),
    "free_text": gettext_noop("Kommunenes egne beskrivelser"),
    "appendix": gettext_noop("Vedlegg: årsverk og kompetanse per kommune og bydel"),
    "profiles": gettext_noop("Kommuneprofiler"),
    "unit": gettext_noop("Kommune/bydel"),
    "year": gettext_noop("År"),
    "share": gettext_noop("Andel ja (%)"),
    "n": gettext_noop("N"),
    "nation": gettext_noop("Hele landet"),
    "county": gettext_noop("Fylke"),
    "size_group": gettext_noop("Kommunestørrelse"),
    "area": gettext_noop("Område"),
    "education": gettext_noop("Utdanning"),
    "service_area": gettext_noop("Tjenesteområde"),
    "share_of_total": gettext_noop("Andel av årsverkene (%)"),
    "adults_rate": gettext_noop("Voksne per 10 000 (18+)"),
    "children_rate": gettext_noop("Barn og unge per 10 000 (0–17)"),
    "total_rate": gettext_noop("Totalt per 1 000"),
    "total_rate_10k": gettext_noop("Totalt per 10 000"),
    "arsverk": gettext_noop("årsverk"),
    "source": gettext_noop("Kilde: SSB, Kartverket, SKDE; tall: kartlegg"),
    "demo": gettext_noop("Syntetiske demodata"),
    "contents": gettext_noop("Innhold"),
    "page": gettext_noop("side"),
    "of": gettext_noop("av"),
    "table_link": gettext_noop("Tabellen i statistikkbanken"),
    "free_text_table": gettext_noop("Temaer i svarene på «{question}»"),
    "free_text_n": gettext_noop(
        "N = {n}: kommuner og bydeler med et kodet, relevant svar (av {answered} som svarte, {coded} kodet). "
        "Andelene er prosent av N."
    ),
    "free_text_source": gettext_noop("Kilde: kartlegg, kodede fritekstsvar"),
    "units": gettext_noop("Kommuner"),
    "share_of_units": gettext_noop("Andel (%)"),
    "theme": gettext_noop("Tema"),
    "percent": gettext_noop("prosent"),
}


@functools.lru_cache(maxsize=8)
def labels(lang: str) -> dict[str, str]:
    """Every label translated into `lang` (nb: the msgids themselves)."""
    with translation.override(lang):
        return {key: translation.gettext(msgid) for key, msgid in MSGIDS.items()}


def tr(lang: str, msgid: str, **values: object) -> str:
    """One text (marked with gettext_noop where it is written) in `lang`, with its {placeholders} filled in."""
    with translation.override(lang):
        text = translation.gettext(msgid)
    return text.format(**values) if values else text
