"""Importing questionnaire YAML: every problem reported with its line number, nothing imported unless all is
good, re-import rules, the shipped questionnaires, and comparing versions."""

from __future__ import annotations

import textwrap
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kartlegg.accounts.models import AuditEvent
from kartlegg.surveys import engine
from kartlegg.surveys.compare import CONTINUED, compare
from kartlegg.surveys.models import Question, QuestionnaireVersion, Survey, ValidationRule
from kartlegg.surveys.services import QuestionnaireImportError, import_questionnaire, import_questionnaire_text

SHIPPED = Path(__file__).resolve().parent.parent / "questionnaires"

pytestmark = pytest.mark.django_db


def yaml_doc(body: str, *, year: int = 2024, label: str = "t", code: str = "test") -> str:
    """A minimal valid file header followed by `body` (sections and rules), so line numbers are predictable:
    the header is exactly 6 lines, and the body starts on line 7."""
    header = f"survey:\n  code: {code}\n  name: Test\n  kind: annual\nyear: {year}\nlabel: {label}\n"
    return header + "title: Test\n" + textwrap.dedent(body).lstrip("\n")


GOOD = """
sections:
  - code: A
    title: Alt
    questions:
      - code: fact
        type: yesno
        label: FACT?
      - code: antall
        type: integer
        label: Antall
        min: 0
        relevance: fact = true
      - code: G
        type: grid
        label: Årsverk
        tags: [arsverk_voksne]
        rows:
          - {code: ledelse, label: Ledelse}
        columns:
          - {code: lege, label: Lege}
rules:
  - code: maks
    expression: empty(antall) or antall <= sum(G)
    severity: warning
    message: For mange.
    variables: [antall]
"""


def problems_of(text: str, **kwargs: object) -> list[tuple[int, str]]:
    with pytest.raises(QuestionnaireImportError) as info:
        import_questionnaire_text(text, **kwargs)  # type: ignore[arg-type]
    return [(p.line, p.message) for p in info.value.problems]


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line containing `fragment` (so tests do not hard-code numbers)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


def test_good_file_imports_everything() -> None:
    version = import_questionnaire_text(yaml_doc(GOOD))
    assert version.survey.code == "test" and version.year == 2024 and version.label == "t"
    assert list(version.questions.values_list("code", flat=True)) == ["fact", "antall", "G"]
    assert version.rules.get().code == "maks"
    defn = version.definition()
    assert engine.value_codes(defn) == ["fact", "antall", "G.ledelse.lege"]
    assert defn.questions["G"].tags == ["arsverk_voksne"]
    assert version.source == yaml_doc(GOOD)
    assert AuditEvent.objects.filter(action="questionnaire.import", object_id=str(version.pk)).exists()


def test_every_problem_is_reported_with_its_line_and_nothing_is_imported() -> None:
    text = yaml_doc(
        """
        sections:
          - code: A
            title: Alt
            questions:
              - code: a
                type: number
                label: Ukjent type
              - code: a
                type: integer
                label: Duplikat
              - code: b
                type: integer
                label: Min over max
                min: 10
                max: 5
              - code: c
                type: choice
                label: Tom liste
                choices: []
              - code: d
                type: text
                label: Ukjent nøkkel
                requird: true
        """
    )
    found = problems_of(text)
    expected = [
        (line_of(text, "type: number"), "ukjent type «number»"),
        (line_of(text, "label: Duplikat") - 2, "koden er brukt før"),
        (line_of(text, "min: 10"), "min (10) er større enn max (5)"),
        (line_of(text, "choices: []"), "«choices» er tom"),
        (line_of(text, "requird"), "ukjent nøkkel «requird»"),
    ]
    for line, fragment in expected:
        assert any(p_line == line and fragment in message for p_line, message in found), (line, fragment, found)
    assert len(found) == len(expected)
    assert not Survey.objects.filter(code="test").exists()
    assert not QuestionnaireVersion.objects.filter(survey__code="test").exists()


def test_expression_problems_are_reported_alongside_structural_ones() -> None:
    text = yaml_doc(GOOD.replace("type: yesno", "type: janei").replace("relevance: fact = true", "relevance: 1 +"))
    found = problems_of(text)
    assert any(line == line_of(text, "type: janei") and "ukjent type" in msg for line, msg in found), found
    assert any(line == line_of(text, "relevance:") and "slutten av uttrykket" in msg for line, msg in found), found


def test_bad_expressions_report_line_and_column() -> None:
    text = yaml_doc(
        GOOD.replace("relevance: fact = true", "relevance: fact = = true").replace(
            "expression: empty(antall) or antall <= sum(G)", "expression: empty(antall) or antall <= sum(H)"
        )
    )
    found = problems_of(text)
    relevance_line = line_of(text, "relevance:")
    rule_line = line_of(text, "expression:")
    assert any(line == relevance_line and "kolonne 8 i uttrykket" in msg for line, msg in found), found
    column = "empty(antall) or antall <= sum(H)".index("H") + 1
    assert any(
        line == rule_line and "Ukjent variabel «H»" in msg and f"kolonne {column} " in msg for line, msg in found
    )


def test_rule_with_unknown_variable_in_its_list_and_bad_severity() -> None:
    text = yaml_doc(
        GOOD.replace("variables: [antall]", "variables: [antal]").replace("severity: warning", "severity: info")
    )
    found = problems_of(text)
    assert (line_of(text, "variables:"), "regel «maks»: ukjent variabel «antal» i «variables»") in found
    assert any(line == line_of(text, "severity:") and "ukjent severity «info»" in msg for line, msg in found)


def test_relevance_may_only_look_backwards() -> None:
    text = yaml_doc(GOOD.replace("relevance: fact = true", "relevance: not empty(G)"))
    found = problems_of(text)
    assert any(line == line_of(text, "relevance:") and "kommer før" in msg for line, msg in found), found


def test_rule_must_be_a_yes_no_statement() -> None:
    text = yaml_doc(GOOD.replace("expression: empty(antall) or antall <= sum(G)", "expression: antall + 1"))
    assert any("må gi ja/nei" in msg for _, msg in problems_of(text))


def test_continues_pointing_nowhere() -> None:
    text = yaml_doc(GOOD.replace("label: Antall", "label: Antall\n        continues: antall_2019"))
    found = problems_of(text)
    assert any(
        "«continues» peker på «antall_2019»" in msg and line == line_of(text, "continues") for line, msg in found
    )


def test_continues_to_an_earlier_version_works_and_rows_are_checked() -> None:
    import_questionnaire_text(yaml_doc(GOOD.replace("antall", "antall_gammel"), year=2023))
    later = GOOD.replace("label: Antall", "label: Antall\n        continues: antall_gammel")
    version = import_questionnaire_text(yaml_doc(later, year=2024))
    assert version.definition().questions["antall"].continues == "antall_gammel"
    renamed = GOOD.replace("- {code: ledelse, label: Ledelse}", "- {code: leder, label: Ledelse, continues: sjef}")
    found = problems_of(yaml_doc(renamed, year=2025))
    assert any("viderefører «sjef», som ikke finnes" in msg for _, msg in found), found


def test_yaml_syntax_error_has_a_line() -> None:
    text = yaml_doc(GOOD).replace("    title: Alt", "    title: [Alt")
    found = problems_of(text)
    assert len(found) == 1 and "ugyldig YAML" in found[0][1] and found[0][0] > 0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "tom"),
        ("- bare\n- en liste\n", "oppslagstabell"),
        ("survey: {code: x, name: X}\nyear: 2024\nyear: 2025\nlabel: a\ntitle: T\nsections: []\n", "står to ganger"),
        ("survey: {code: x, name: X, kind: daglig}\nyear: 1800\nlabel: a\ntitle: T\nsections: []\n", "kind"),
        ("!!python/object/apply:os.system ['echo pwned']\n", "filen"),
    ],
)
def test_structural_problems(text: str, fragment: str) -> None:
    found = problems_of(text)
    assert any(fragment in msg for _, msg in found), found


def test_billion_laughs_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 9):
        refs = ", ".join([f"*a{n - 1}"] * 10)
        lines.append(f"a{n}: &a{n} [{refs}]")
    found = problems_of("\n".join(lines) + "\n")
    assert any("for mange elementer" in msg for _, msg in found), found


def test_reimport_without_replace_is_an_error_and_replace_keeps_the_row() -> None:
    first = import_questionnaire_text(yaml_doc(GOOD))
    found = problems_of(yaml_doc(GOOD))
    assert any("finnes allerede" in msg and "--replace" in msg for _, msg in found)
    changed = GOOD.replace("label: Antall", "label: Antall personer")
    second = import_questionnaire_text(yaml_doc(changed), replace=True)
    assert second.pk == first.pk
    assert second.definition().questions["antall"].label == "Antall personer"
    assert Question.objects.filter(version=second).count() == 3
    assert ValidationRule.objects.filter(version=second).count() == 1


def test_failed_replace_leaves_the_old_version_untouched() -> None:
    version = import_questionnaire_text(yaml_doc(GOOD))
    problems_of(yaml_doc(GOOD.replace("type: integer", "type: heltall")), replace=True)
    version.refresh_from_db()
    assert version.definition().questions["antall"].type == "integer"


def test_command_reports_problems_with_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml_doc(GOOD.replace("type: integer", "type: heltall")), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_questionnaire", str(broken), stderr=err, stdout=StringIO())
    line = line_of(broken.read_text(encoding="utf-8"), "type: heltall")
    assert f"broken.yaml:{line}: spørsmål «antall»: ukjent type «heltall»" in err.getvalue()
    assert not QuestionnaireVersion.objects.filter(survey__code="test").exists()


def test_command_imports_and_refuses_duplicates(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml_doc(GOOD), encoding="utf-8")
    out = StringIO()
    call_command("import_questionnaire", str(good), stdout=out)
    assert "importerte" in out.getvalue()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_questionnaire", str(good), stderr=err, stdout=StringIO())
    assert "finnes allerede" in err.getvalue()
    call_command("import_questionnaire", str(good), "--replace", stdout=StringIO())
    assert QuestionnaireVersion.objects.filter(survey__code="test").count() == 1


def import_shipped() -> tuple[QuestionnaireVersion, QuestionnaireVersion, QuestionnaireVersion]:
    return (
        import_questionnaire(SHIPPED / "annual-2020.yaml"),
        import_questionnaire(SHIPPED / "annual-2024.yaml"),
        import_questionnaire(SHIPPED / "pulse-2020.yaml"),
    )


def test_shipped_questionnaires_import_cleanly() -> None:
    v2020, v2024, pulse = import_shipped()
    d2020, d2024, dpulse = v2020.definition(), v2024.definition(), pulse.definition()
    assert [s.code for s in d2024.sections] == list("ABCDEFGHI")
    b = d2024.questions["B_arsverk"]
    c = d2024.questions["C_arsverk"]
    assert (len(b.rows), len(b.columns)) == (10, 7)
    assert (len(c.rows), len(c.columns)) == (5, 7)
    assert [q.code for q in d2024.tagged("arsverk_voksne")] == ["B_arsverk"]
    assert [q.code for q in d2020.tagged("arsverk_voksne")] == ["B_arsverk_2020"]
    assert [q.code for q in d2020.tagged("arsverk_barn_og_unge")] == ["C_arsverk_2020"]
    assert "rask" in dict(b.rows) and "rask" not in dict(d2020.questions["B_arsverk_2020"].rows)
    korona = "Kan dere kort gi en beskrivelse av konsekvensene av koronasituasjonen for målgruppene?"
    assert any(q.label == korona for q in d2020.questions.values())
    assert not any(q.label == korona for q in d2024.questions.values())
    assert dpulse.kind == "pulse" and pulse.survey.pulse_interval_days == 14
    assert 5 <= len(dpulse.questions) <= 15
    # Every rule and relevance compiles against its definition (the import checked; this guards the cache).
    for defn in (d2020, d2024, dpulse):
        for rule in defn.rules:
            defn.compiled(rule.expression, {"_cell": "number"} if rule.each_cell else None)


def test_shipped_2024_rules_behave() -> None:
    _, v2024, _ = import_shipped()
    defn = v2024.definition()
    contact = {"A_navn": "Kari Nordmann", "A_rolle": "Koordinator", "A_epost": "kari@example.invalid", "A_telefon": "1"}
    empty = engine.validate(defn, {})
    assert {"required.A_navn", "required.A_epost"} <= {e.rule_code for e in empty.errors}
    values = {**contact, "B_arsverk.ledelse.psykolog": "600", "C_arsverk.ledelse.lege": "1", "E_fact": "nei",
              "B_arsverk.fact.hoyskole_med": "50", "B_psykolog_totalt": "700"}  # fmt: skip
    result = engine.validate(defn, values, context={"_population_total": 5000})
    errors = {e.rule_code for e in result.errors}
    warnings = {w.rule_code for w in result.warnings}
    assert {"B_celle_maks", "B_psykolog_maks"} <= errors
    assert {"B_prosent", "fact_uten_team", "arsverk_per_innbygger"} <= warnings
    assert "E_fact_type" not in result.relevant and "E_fact_type" in engine.relevant_codes(defn, {"E_fact": True})


def test_comparing_2020_and_2024_shows_continued_variables() -> None:
    v2020, v2024, _ = import_shipped()
    comparison = compare(v2020.definition(), v2024.definition())
    continued = {new: old for old, new in comparison.continued_pairs()}
    assert continued["B_arsverk"] == "B_arsverk_2020"
    assert continued["C_arsverk"] == "C_arsverk_2020"
    assert continued["D_rekr_psykolog"] == "D_rekruttering_psykolog"
    b_diff = next(d for d in comparison.questions if d.code == "B_arsverk")
    assert b_diff.status == CONTINUED
    assert "ny rad: «Rask psykisk helsehjelp»" in b_diff.changes
    assert "fjernet kolonne: «Erfaringskonsulent»" in b_diff.changes
    statuses = {d.code: d.status for d in comparison.questions}
    assert statuses["I_korona"] == "removed"
    assert statuses["A_navn"] == "unchanged"
    assert statuses["F_opptrapping"] == "changed"
    assert statuses["D_rekr_lege"] == "added"
    assert "D_rekruttering_psykolog" not in statuses  # reported once, as continued, not also as removed
    # The predecessor map lets the form show last year's value beside each cell.
    mapping = engine.predecessor_map(v2024.definition(), v2020.definition())
    assert mapping["B_arsverk.ledelse.psykolog"] == "B_arsverk_2020.ledelse.psykolog"
    assert "B_arsverk.rask.psykolog" not in mapping
