"""Norwegian number formats: `17 436`, `2,1 %`, and parsing what users type."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kartlegg.lib.exports import csv_bytes, safe_cell
from kartlegg.lib.numbers import NBSP, NumberParseError, format_change, format_number, format_percent, parse_decimal


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (17436, 0, f"17{NBSP}436"),
        (5550203, 0, f"5{NBSP}550{NBSP}203"),
        (2.5, 1, "2,5"),
        (Decimal("1234.56"), 2, f"1{NBSP}234,56"),
        (-12.34, 1, "−12,3"),
        (-0.01, 1, "0,0"),
        (None, 0, "–"),
        (float("nan"), 0, "–"),
    ],
)
def test_format_number(value, decimals, expected) -> None:  # type: ignore[no-untyped-def]
    assert format_number(value, decimals) == expected


def test_percent_and_change() -> None:
    assert format_percent(2.1) == f"2,1{NBSP}%"
    assert format_change(2.1) == "+2,1"
    assert format_change(-0.4) == "−0,4"
    assert format_change(0) == "0,0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2,5", Decimal("2.5")),
        ("2.5", Decimal("2.5")),
        (f"1{NBSP}234,5", Decimal("1234.5")),
        ("1 234,5", Decimal("1234.5")),
        ("−3", Decimal("-3")),
        ("0", Decimal("0")),
        ("", None),
        ("   ", None),
        (None, None),
        (3, Decimal("3")),
    ],
)
def test_parse_decimal_accepts(text, expected) -> None:  # type: ignore[no-untyped-def]
    assert parse_decimal(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("50 %", "prosenttegn"),
        ("abc", "tall"),
        ("NaN", "tall"),
        ("1e308", "tall"),
        ("1,2,3", "desimaltegn"),
        ("2,555", "desimaler"),
    ],
)
def test_parse_decimal_rejects(text: str, message: str) -> None:
    with pytest.raises(NumberParseError, match=message):
        parse_decimal(text, max_decimals=2)


def test_parse_rejects_infinite_float_and_bool() -> None:
    with pytest.raises(NumberParseError):
        parse_decimal(float("inf"))
    with pytest.raises(NumberParseError):
        parse_decimal(True)


def test_exports_neutralise_formulas(settings) -> None:  # type: ignore[no-untyped-def]
    settings.KARTLEGG_DEMO_MODE = True
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert safe_cell("-2,5") == "-2,5"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    data = csv_bytes(["kode", "navn"], [["0301", "=cmd|' /C calc'!A0"]]).decode("utf-8")
    assert data.startswith("\ufeff# Syntetiske demodata")
    assert "'=cmd" in data


def test_soft_hyphens_break_long_words_at_syllables_and_keep_escaping() -> None:
    from django.utils import translation

    from kartlegg.lib.templatetags.kartlegg import soft_hyphens

    with translation.override("nb"):
        out = soft_hyphens("Erfaringskonsulenter <b>")
    assert out.replace("\u00ad", "") == "Erfaringskonsulenter &lt;b&gt;"
    word = out.split(" ")[0]
    assert "\u00ad" in word  # breaks inside the long word, at syllables of two letters or more
    assert all(len(part) >= 2 for part in word.split("\u00ad"))
    with translation.override("nb"):
        assert soft_hyphens("Lege") == "Lege"  # short words stay whole
        assert soft_hyphens(None) == ""
