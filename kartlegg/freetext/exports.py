"""The summary as standalone HTML, XLSX and CSV (through lib.exports, with the demo mark in demo mode)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from kartlegg.lib.exports import csv_bytes, xlsx_bytes
from kartlegg.lib.numbers import format_number

from .summary import FreetextSummary, percent_text

HEADER = ["Tema", "Kode", "Antall", "Andel (%)", "Kvantor", "Setning"]


def _rows(summary: FreetextSummary) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for theme in summary.themes:
        rows.append([theme.label, "(tema samlet)", theme.count, round(theme.share, 1), theme.quantifier, ""])
        for code in theme.codes:
            rows.append([theme.label, code.label, code.count, round(code.share, 1), code.quantifier, code.sentence])
    return rows


def _footer(summary: FreetextSummary) -> list[list[Any]]:
    lines = [[summary.denominator_text.replace("\xa0", " ")]]
    if summary.method:
        lines.append([summary.method.replace("\xa0", " ")])
    return lines


def to_csv(summary: FreetextSummary) -> bytes:
    rows = _rows(summary) + [[]] + _footer(summary)
    return csv_bytes(HEADER, rows)


def to_xlsx(summary: FreetextSummary) -> bytes:
    keys = [(c.key, c.label) for t in summary.themes for c in t.codes]
    groups = [
        [g.dimension, g.group, g.units, "ja" if g.suppressed else ""]
        + [None if g.shares.get(k) is None else round(g.shares[k] or 0, 1) for k, _ in keys]
        for g in summary.groups
    ]
    quotes = [[t.label, q] for t in summary.themes for q in t.quotes]
    return xlsx_bytes(
        [
            ("Sammendrag", HEADER, _rows(summary) + [[]] + _footer(summary)),
            (
                "Fylke og størrelse",
                ["Inndeling", "Gruppe", "Enheter", f"Skjult (under {summary.min_group})"]
                + [label for _, label in keys],
                groups,
            ),
            ("Sitater", ["Tema", "Sitat (maskert)"], quotes),
        ]
    )


STANDALONE_CSS = Path(__file__).parent / "static" / "freetext" / "standalone.css"


def to_html(summary: FreetextSummary) -> bytes:
    """One self-contained file: the styles go into its head here (a downloaded file, not a page under our CSP)."""
    html = render_to_string(
        "freetext/standalone.html",
        {"summary": summary, "demo_mode": settings.KARTLEGG_DEMO_MODE, "groups": group_table(summary)},
    )
    css = STANDALONE_CSS.read_text(encoding="utf-8")
    return html.replace("</head>", f"<style>\n{css}</style>\n</head>", 1).encode("utf-8")


def group_table(summary: FreetextSummary) -> dict[str, Any]:
    """The breakdown as a table of theme shares (units mentioning any of the theme's codes); groups under the
    minimum show a dash."""
    rows = [
        {
            "dimension": group.dimension,
            "group": group.group,
            "units": format_number(group.units),
            "suppressed": group.suppressed,
            "cells": [percent_text(group.theme_shares.get(t.key)) for t in summary.themes],
        }
        for group in summary.groups
    ]
    return {"themes": [t.label for t in summary.themes], "rows": rows}
