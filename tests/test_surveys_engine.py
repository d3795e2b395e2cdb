"""The questionnaire engine: parsing every answer type, storage round-trip, skip logic, validation (errors,
warnings, explained warnings) and grid totals. Pure functions on small definitions built here: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from kartlegg.surveys import engine
from kartlegg.surveys.engine import AnswerError


def make_definition(questions: list[dict[str, Any]], rules: list[dict[str, Any]] | None = None) -> engine.Definition:
    return engine.definition_from_dict(
        {
            "survey": {"code": "test", "name": "Test", "kind": "annual"},
            "year": 2024,
            "label": "t",
            "title": "Test",
            "sections": [{"code": "A", "title": "Alt", "questions": questions}],
            "rules": rules or [],
        }
    )


GRID = {
    "code": "G",
    "type": "grid",
    "label": "Årsverk",
    "min": 0,
    "decimals": 2,
    "tags": ["arsverk_voksne"],
    "rows": [{"code": "ledelse", "label": "Ledelse"}, {"code": "fact", "label": "FACT"}],
    "columns": [{"code": "psykolog", "label": "Psykolog"}, {"code": "lege", "label": "Lege"}],
}


@pytest.fixture(scope="module")
def defn() -> engine.Definition:
    return make_definition(
        [
            {"code": "navn", "type": "text", "label": "Navn", "required": True, "max_length": 200},
            {"code": "fritekst", "type": "text", "label": "Fritekst"},
            {"code": "antall", "type": "integer", "label": "Antall", "min": 0, "max": 1000},
            {"code": "arsverk", "type": "decimal", "label": "Årsverk", "min": 0, "decimals": 2},
            {"code": "saldo", "type": "decimal", "label": "Saldo", "decimals": 1},
            {"code": "andel", "type": "percent", "label": "Andel"},
            {"code": "fact", "type": "yesno", "label": "FACT?"},
            {
                "code": "fact_type",
                "type": "choice",
                "label": "Type",
                "relevance": "fact = true",
                "required": True,
                "choices": [{"code": "fact", "label": "FACT"}, {"code": "act", "label": "ACT"}],
            },
            {
                "code": "kartlegging",
                "type": "multichoice",
                "label": "Kartlegging",
                "choices": [
                    {"code": "brukerplan", "label": "BrukerPlan"},
                    {"code": "ungdata", "label": "Ungdata"},
                    {"code": "nei", "label": "Nei"},
                ],
            },
            {"code": "dato", "type": "date", "label": "Dato"},
            GRID,
            {"code": "psykologer", "type": "decimal", "label": "Psykologer i alt", "min": 0, "decimals": 2},
        ],  # fmt: skip
        [
            {
                "code": "celle_maks",
                "each_cell": "G",
                "expression": "empty(_cell) or _cell <= 500",
                "severity": "error",
                "message": "For mange årsverk i én celle.",
            },
            {
                "code": "prosent",
                "each_cell": "G",
                "expression": "empty(_cell) or not (_cell in (25, 50, 75, 100))",
                "severity": "warning",
                "message": "Ligner en stillingsprosent.",
            },
            {
                "code": "psykolog_maks",
                "expression": "empty(psykologer) or psykologer <= sum(G)",
                "severity": "error",
                "message": "Flere psykologer enn årsverk.",
                "variables": ["psykologer"],
            },
            {
                "code": "fact_uten_team",
                "when": "fact = false",
                "expression": "sum(G.fact) = 0",
                "severity": "warning",
                "message": "FACT-årsverk uten team.",
                "variables": ["fact", "G"],
            },
            {
                "code": "per_innbygger",
                "expression": "empty(_population_total) or _population_total = 0"
                " or sum(G) * 1000 / _population_total <= 100",
                "severity": "warning",
                "message": "Urimelig mange årsverk per innbygger.",
                "variables": ["G"],
            },
        ],  # fmt: skip
    )


def parse(defn: engine.Definition, code: str, raw: Any) -> Any:
    return engine.parse_answer(defn, code, raw)


def parse_error(defn: engine.Definition, code: str, raw: Any) -> str:
    with pytest.raises(AnswerError) as info:
        engine.parse_answer(defn, code, raw)
    assert info.value.code == code
    return info.value.message


def test_value_codes_list_cells_and_never_the_grid_itself(defn: engine.Definition) -> None:
    codes = engine.value_codes(defn)
    assert "G" not in codes
    assert codes[codes.index("G.ledelse.psykolog") : codes.index("G.ledelse.psykolog") + 4] == [
        "G.ledelse.psykolog",
        "G.ledelse.lege",
        "G.fact.psykolog",
        "G.fact.lege",
    ]
    assert codes[0] == "navn" and codes[-1] == "psykologer"
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2,5", D("2.5")),
        ("2.5", D("2.5")),
        ("1\u00a0234,5", D("1234.5")),  # non-breaking space between thousands
        ("1 234,5", D("1234.5")),
        (" 0,25 ", D("0.25")),
        ("0", D(0)),
        (2.5, D("2.5")),
        (3, D(3)),
        (D("1.10"), D("1.1")),
    ],
)
def test_decimal_accepts_what_norwegians_type(defn: engine.Definition, raw: Any, expected: D) -> None:
    assert parse(defn, "arsverk", raw) == expected


@pytest.mark.parametrize(
    ("code", "raw", "fragment"),
    [
        ("arsverk", "50 %", "prosenttegn"),
        ("arsverk", "-1", "negativ"),
        ("arsverk", "abc", "Skriv et tall"),
        ("arsverk", "2,555", "2 desimaler"),
        ("arsverk", "1e308", "Skriv et tall"),
        ("arsverk", "NaN", "Skriv et tall"),
        ("arsverk", "Infinity", "Skriv et tall"),
        ("arsverk", float("nan"), "endelig"),
        ("arsverk", float("inf"), "endelig"),
        ("arsverk", "1" + "0" * 400, "urimelig stort"),
        ("arsverk", "1,2,3", "ett desimaltegn"),
        ("arsverk", True, "Ja/nei"),
        ("antall", "2,5", "helt tall"),
        ("antall", "1001", "større enn 1 000"),
        ("saldo", "1,25", "1 desimaler"),
    ],
)
def test_numbers_are_rejected_with_a_reason(defn: engine.Definition, code: str, raw: Any, fragment: str) -> None:
    assert fragment in parse_error(defn, code, raw)


def test_negative_allowed_where_no_minimum(defn: engine.Definition) -> None:
    assert parse(defn, "saldo", "−3,5") == D("-3.5")  # Unicode minus


def test_blank_is_none_and_zero_is_zero(defn: engine.Definition) -> None:
    for raw in (None, "", "   ", "\u00a0"):
        assert parse(defn, "arsverk", raw) is None
    zero = parse(defn, "arsverk", "0")
    assert zero == 0 and zero is not None


def test_percent_accepts_its_sign_and_stays_within_0_to_100(defn: engine.Definition) -> None:
    assert parse(defn, "andel", "50 %") == D(50)
    assert parse(defn, "andel", "12,5") == D("12.5")
    assert "større enn 100" in parse_error(defn, "andel", "150")
    assert "negativ" in parse_error(defn, "andel", "-1")


@pytest.mark.parametrize(
    ("raw", "expected"), [("ja", True), ("Nei", False), (True, True), (False, False), ("true", True), (0, False)]
)
def test_yesno(defn: engine.Definition, raw: Any, expected: bool) -> None:
    assert parse(defn, "fact", raw) is expected


def test_yesno_rejects_anything_else(defn: engine.Definition) -> None:
    assert "ja eller nei" in parse_error(defn, "fact", "kanskje")
    assert "ja eller nei" in parse_error(defn, "fact", 2)


def test_choice_by_code_or_label(defn: engine.Definition) -> None:
    assert parse(defn, "fact_type", "act") == "act"
    assert parse(defn, "fact_type", "ACT") == "act"
    assert "svaralternativene" in parse_error(defn, "fact_type", "fact_ung")


def test_multichoice_from_list_or_text_in_choice_order(defn: engine.Definition) -> None:
    assert parse(defn, "kartlegging", ["ungdata", "brukerplan", "ungdata"]) == ["brukerplan", "ungdata"]
    assert parse(defn, "kartlegging", "ungdata, brukerplan") == ["brukerplan", "ungdata"]
    assert parse(defn, "kartlegging", []) is None
    assert "svaralternativene" in parse_error(defn, "kartlegging", ["ungdata", "annet"])
    assert "Velg" in parse_error(defn, "kartlegging", 5)


def test_dates(defn: engine.Definition) -> None:
    assert parse(defn, "dato", "15.03.2024") == dt.date(2024, 3, 15)
    assert parse(defn, "dato", "2024-03-15") == dt.date(2024, 3, 15)
    assert parse(defn, "dato", dt.datetime(2024, 3, 15, 12, 0)) == dt.date(2024, 3, 15)
    assert "finnes ikke" in parse_error(defn, "dato", "31.02.2024")
    assert "dd.mm.åååå" in parse_error(defn, "dato", "i går")


def test_text_keeps_sami_letters_emoji_and_html_literally(defn: engine.Definition) -> None:
    sami = "Áltá ja Kárášjohka: čđŋšŧž ÁČĐŊŠŦŽ"
    assert parse(defn, "fritekst", sami) == sami
    assert parse(defn, "fritekst", "Bra 👍🏽 tilbud") == "Bra 👍🏽 tilbud"
    html = '<script>alert("x")</script> & <b>fet</b>'
    assert parse(defn, "fritekst", html) == html
    assert parse(defn, "fritekst", "  linje 1\r\nlinje 2  ") == "linje 1\nlinje 2"


def test_text_length_limit_default_and_per_question(defn: engine.Definition) -> None:
    assert len(parse(defn, "fritekst", "x" * engine.TEXT_MAX_LENGTH)) == engine.TEXT_MAX_LENGTH
    message = parse_error(defn, "fritekst", "x" * 100_000)
    assert "for lang" in message and "100 000" in message and "10 000" in message
    assert "200" in parse_error(defn, "navn", "x" * 201)


def test_text_rejects_control_characters(defn: engine.Definition) -> None:
    assert "kontrolltegn" in parse_error(defn, "fritekst", "før\x00etter")


def test_grid_cells_parse_as_decimals_and_the_grid_itself_is_not_storable(defn: engine.Definition) -> None:
    assert parse(defn, "G.ledelse.psykolog", "1,25") == D("1.25")
    assert "negativ" in parse_error(defn, "G.ledelse.psykolog", "-1")
    assert "celle for celle" in parse_error(defn, "G", "1")
    assert "Ukjent variabel" in parse_error(defn, "G.ledelse.tannlege", "1")
    assert "Ukjent variabel" in parse_error(defn, "finnes_ikke", "1")


@pytest.mark.parametrize(
    ("code", "raw"),
    [
        ("arsverk", "1 234,50"),
        ("arsverk", "0"),
        ("saldo", "-2,5"),
        ("antall", "100"),
        ("fact", "ja"),
        ("fact", "nei"),
        ("fact_type", "act"),
        ("kartlegging", ["nei", "ungdata"]),
        ("dato", "01.02.2024"),
        ("fritekst", "Čáhci, <b>vann</b> og 💧"),
        ("G.fact.lege", "0,5"),
    ],
)
def test_dump_and_load_round_trip(defn: engine.Definition, code: str, raw: Any) -> None:
    value = parse(defn, code, raw)
    text = engine.dump_value(value)
    assert isinstance(text, str)
    assert engine.load_value(defn, code, text) == value


def test_dump_never_uses_exponents_and_blank_stays_blank(defn: engine.Definition) -> None:
    assert engine.dump_value(D("1E+3")) == "1000"
    assert engine.dump_value(D("0.000")) == "0"
    assert engine.dump_value(None) is None
    assert engine.load_value(defn, "arsverk", None) is None
    assert engine.dump_value(True) == "true"


def test_relevance_follows_answers(defn: engine.Definition) -> None:
    assert "fact_type" not in engine.relevant_codes(defn, {})
    assert "fact_type" not in engine.relevant_codes(defn, {"fact": False})
    assert "fact_type" in engine.relevant_codes(defn, {"fact": True})
    assert "navn" in engine.relevant_codes(defn, {})


def test_hidden_required_question_is_not_required(defn: engine.Definition) -> None:
    base = {"navn": "Kari"}
    hidden = engine.validate(defn, {**base, "fact": False})
    assert not [e for e in hidden.errors if "fact_type" in e.variables]
    shown = engine.validate(defn, {**base, "fact": True})
    assert [e.rule_code for e in shown.errors if "fact_type" in e.variables] == ["required.fact_type"]


def test_a_question_hidden_by_a_hidden_question_stays_hidden() -> None:
    chain = make_definition(
        [
            {"code": "a", "type": "yesno", "label": "A"},
            {"code": "b", "type": "yesno", "label": "B", "relevance": "a = true"},
            {"code": "c", "type": "text", "label": "C", "relevance": "b = true", "required": True},
        ]
    )
    # b was answered earlier, then a changed to no: b's old answer must not keep c visible.
    shown = engine.relevant_codes(chain, {"a": False, "b": True})
    assert shown == {"a"}
    assert engine.validate(chain, {"a": False, "b": True}).errors == []


def test_required_fields_and_ranges(defn: engine.Definition) -> None:
    result = engine.validate(defn, {"antall": D(5000)})
    codes = {e.rule_code for e in result.errors}
    assert "required.navn" in codes
    assert "range.antall" in codes
    assert engine.validate(defn, {"navn": "Kari"}).errors == []


def test_raw_text_values_are_tolerated_by_validate(defn: engine.Definition) -> None:
    result = engine.validate(defn, {"navn": "Kari", "G.ledelse.psykolog": "600"})
    assert [e.variables for e in result.errors if e.rule_code == "celle_maks"] == [["G.ledelse.psykolog"]]


def test_cell_rule_error_attaches_to_the_cell(defn: engine.Definition) -> None:
    values = {"navn": "Kari", "G.ledelse.psykolog": D("500.01"), "G.fact.lege": D(500)}
    result = engine.validate(defn, values)
    assert [(e.rule_code, e.variables, e.severity) for e in result.errors] == [
        ("celle_maks", ["G.ledelse.psykolog"], "error")
    ]
    assert not result.ok and not result.can_submit


def test_percentage_looking_value_is_a_warning_that_a_comment_explains(defn: engine.Definition) -> None:
    values = {"navn": "Kari", "G.ledelse.lege": D(50), "psykologer": D(0)}
    result = engine.validate(defn, values)
    assert result.errors == []
    assert [(w.rule_code, w.variables) for w in result.warnings] == [("prosent", ["G.ledelse.lege"])]
    assert len(result.unexplained_warnings) == 1 and not result.can_submit
    explained = engine.validate(defn, values, {"G.ledelse.lege": "Oslo har mange leger her."})
    assert explained.warnings[0].explained and explained.unexplained_warnings == [] and explained.can_submit
    blank_comment = engine.validate(defn, values, {"G.ledelse.lege": "   "})
    assert len(blank_comment.unexplained_warnings) == 1
    other_comment = engine.validate(defn, values, {"navn": "kommentar et annet sted"})
    assert len(other_comment.unexplained_warnings) == 1


def test_psychologists_cannot_exceed_grid_total(defn: engine.Definition) -> None:
    values = {"navn": "Kari", "G.ledelse.psykolog": D(2), "G.fact.lege": D(1)}
    assert engine.validate(defn, {**values, "psykologer": D(3)}).errors == []
    too_many = engine.validate(defn, {**values, "psykologer": D("3.01")})
    assert [(e.rule_code, e.variables) for e in too_many.errors] == [("psykolog_maks", ["psykologer"])]


def test_no_fact_team_but_fact_arsverk_is_a_warning_on_a_grid_explained_by_any_cell(defn: engine.Definition) -> None:
    values = {"navn": "Kari", "fact": False, "G.fact.psykolog": D(1)}
    result = engine.validate(defn, values)
    assert [w.rule_code for w in result.warnings] == ["fact_uten_team"]
    assert engine.validate(defn, {**values, "fact": True}).warnings == []
    assert engine.validate(defn, {**values, "fact": None}).warnings == []  # `when` not met
    explained = engine.validate(defn, values, {"G.fact.psykolog": "Teamet er interkommunalt."})
    assert explained.unexplained_warnings == []


def test_population_is_a_reserved_read_only_variable(defn: engine.Definition) -> None:
    values = {"navn": "Kari", "G.ledelse.psykolog": D(150), "G.fact.lege": D(1)}
    assert engine.validate(defn, values).warnings == []  # no population given: the rule cannot judge
    small = engine.validate(defn, values, context={"_population_total": 1000})
    assert [w.rule_code for w in small.warnings] == ["per_innbygger"]
    large = engine.validate(defn, values, context={"_population_total": 100_000})
    assert large.warnings == []
    assert engine.validate(defn, values, context={"_population_total": 0}).warnings == []
    # A respondent cannot set it through the answers.
    with pytest.raises(AnswerError):
        engine.parse_answer(defn, "_population_total", "1")


def test_by_variable_groups_issues(defn: engine.Definition) -> None:
    result = engine.validate(defn, {"G.ledelse.psykolog": D(600)})
    grouped = result.by_variable()
    assert {i.rule_code for i in grouped["G.ledelse.psykolog"]} == {"celle_maks"}
    assert {i.rule_code for i in grouped["navn"]} == {"required.navn"}


def test_required_grid_needs_one_cell() -> None:
    required_grid = make_definition([{**GRID, "required": True}])
    assert [e.rule_code for e in engine.validate(required_grid, {}).errors] == ["required.G"]
    assert engine.validate(required_grid, {"G.fact.lege": D(0)}).errors == []


def test_grid_totals(defn: engine.Definition) -> None:
    values = {"G.ledelse.psykolog": D("1.5"), "G.ledelse.lege": None, "G.fact.psykolog": D(2), "G.fact.lege": "0,25"}
    totals = engine.grid_totals(defn, "G", values)
    assert totals["rows"] == {"ledelse": D("1.5"), "fact": D("2.25")}
    assert totals["columns"] == {"psykolog": D("3.5"), "lege": D("0.25")}
    assert totals["total"] == D("3.75")
    assert totals["filled"] == 3
    assert engine.grid_totals(defn, "G", {})["total"] == 0 and engine.grid_totals(defn, "G", {})["filled"] == 0
    with pytest.raises(KeyError):
        engine.grid_totals(defn, "navn", values)


def test_predecessor_map_follows_continues_and_renamed_rows() -> None:
    old = make_definition([{**GRID, "code": "G2020"}, {"code": "x", "type": "yesno", "label": "X"}])
    new_grid = {
        **GRID,
        "continues": "G2020",
        "rows": [{"code": "leder", "label": "Ledelse", "continues": "ledelse"}, {"code": "ny", "label": "Ny"}],
    }
    new = make_definition([new_grid, {"code": "y", "type": "yesno", "label": "Y", "continues": "x"}])
    mapping = engine.predecessor_map(new, old)
    assert mapping["G.leder.psykolog"] == "G2020.ledelse.psykolog"
    assert mapping["y"] == "x"
    assert "G.ny.psykolog" not in mapping  # no predecessor row
