from __future__ import annotations

from decimal import Decimal

from django import template

from kartlegg.lib import numbers

register = template.Library()


@register.filter
def nb_number(value: float | int | Decimal | None, decimals: int = 0) -> str:
    """`{{ 17436|nb_number }}` → `17 436`."""
    try:
        return numbers.format_number(value, int(decimals))
    except (TypeError, ValueError):
        return "–"


@register.filter
def nb_percent(value: float | Decimal | None, decimals: int = 1) -> str:
    """`{{ 2.1|nb_percent }}` → `2,1 %`."""
    try:
        return numbers.format_percent(value, int(decimals))
    except (TypeError, ValueError):
        return "–"


@register.filter
def nb_change(value: float | Decimal | None, decimals: int = 1) -> str:
    try:
        return numbers.format_change(value, int(decimals))
    except (TypeError, ValueError):
        return "–"
