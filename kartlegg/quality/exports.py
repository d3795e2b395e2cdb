"""The flag list as CSV and XLSX, through lib.exports (formula-safe, Excel-friendly, demo-marked)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from kartlegg.lib.exports import csv_bytes, xlsx_bytes

from .checks import check_labels
from .models import Flag, Severity
from .states import label

HEADER = [
    "unit_code",
    "unit_name",
    "county",
    "variable",
    "check",
    "check_label",
    "rule",
    "severity",
    "state",
    "values",
    "explanation",
    "impact_fte",
    "reason",
    "created_at",
    "updated_at",
]


def _time(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def rows(flags: Iterable[Flag], decimal_comma: bool = False) -> list[list[Any]]:
    """One row per flag. In CSV the impact carries a decimal comma, so Excel in a Norwegian locale reads a number;
    in XLSX it is a number."""
    labels = check_labels()
    severities = dict(Severity.choices)
    out = []
    for flag in flags:
        out.append(
            [
                flag.unit.code,
                flag.unit.name,
                flag.unit.county_code,
                flag.variable,
                flag.check_name,
                labels.get(flag.check_name, flag.check_name),
                flag.rule,
                str(severities.get(flag.severity, flag.severity)),
                label(flag.state),
                json.dumps(flag.values, ensure_ascii=False, sort_keys=True),
                flag.explanation,
                f"{flag.impact:.2f}".replace(".", ",") if decimal_comma else round(flag.impact, 2),
                flag.reason,
                _time(flag.created_at),
                _time(flag.updated_at),
            ]
        )
    return out


def flags_csv(flags: Iterable[Flag]) -> bytes:
    return csv_bytes(HEADER, rows(flags, decimal_comma=True))


def flags_xlsx(flags: Iterable[Flag]) -> bytes:
    return xlsx_bytes([("Flagg", HEADER, rows(flags))])
