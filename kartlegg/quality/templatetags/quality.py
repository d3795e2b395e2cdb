"""{% load quality %}{% qa_queries response %}: the open QA queries of a response, for the respondent's form."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy

from kartlegg.quality.services.queries import open_queries_for_response
from kartlegg.quality.states import FlagState
from kartlegg.responses.models import ResponseStatus

register = template.Library()


@register.inclusion_tag("quality/_response_queries.html")
def qa_queries(response: Any) -> dict[str, Any]:
    return {"queries": open_queries_for_response(response) if response is not None else []}


# The facts a check records (flag.values) under plain codes; the flag page shows them in the page's language.
VALUE_LABELS = {
    "status": gettext_lazy("svarstatus"),
    "arsverk_forventet": gettext_lazy("forventet antall årsverk"),
    "arsverk": gettext_lazy("årsverk"),
    "seksjon": gettext_lazy("del av skjemaet"),
    "celler": gettext_lazy("antall celler"),
    "sum": gettext_lazy("sum"),
    "svar": gettext_lazy("svar"),
    "del": gettext_lazy("delen"),
    "helhet": gettext_lazy("helheten"),
    "oppgitt": gettext_lazy("oppgitt"),
    "sum_celler": gettext_lazy("sum av cellene"),
    "differanse": gettext_lazy("differanse"),
}
ANSWER_WORDS = {"ja": gettext_lazy("ja"), "nei": gettext_lazy("nei")}


@register.filter
def qa_value_label(key: str) -> str:
    """A flag fact's name: its label, or the code with spaces for one this list does not know yet."""
    return str(VALUE_LABELS.get(key) or str(key).replace("_", " "))


@register.filter
def qa_value(value: Any, key: str) -> str:
    """A flag fact's value: response states and yes/no as words, everything else as the check wrote it."""
    if key == "status":
        return str(dict(ResponseStatus.choices).get(value, value))
    if isinstance(value, str) and value in ANSWER_WORDS:
        return str(ANSWER_WORDS[value])
    return "–" if value in (None, "") else str(value)


@register.filter
def qa_state(value: str) -> str:
    """A flag state code (open, queried, ...) as its label; empty as a dash."""
    if not value:
        return "–"
    return str(FlagState(value).label) if value in FlagState.values else str(value)
