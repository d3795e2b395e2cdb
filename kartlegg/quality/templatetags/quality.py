"""{% load quality %}{% qa_queries response %}: the open QA queries of a response, for the respondent's form."""

from __future__ import annotations

from typing import Any

from django import template

from kartlegg.quality.services.queries import open_queries_for_response

register = template.Library()


@register.inclusion_tag("quality/_response_queries.html")
def qa_queries(response: Any) -> dict[str, Any]:
    return {"queries": open_queries_for_response(response) if response is not None else []}
