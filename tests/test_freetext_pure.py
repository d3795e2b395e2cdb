"""Free text on plain data: stemming and negation, codebook YAML, suggestions, agreement, summary and masking."""

from __future__ import annotations

import pytest

from kartlegg.freetext import textproc
from kartlegg.freetext.classify import CodeSpec, Suggester, platt, rule_score
from kartlegg.freetext.codebook_io import CodebookError, dump_codebook, parse_codebook
from kartlegg.freetext.jsonl import JsonlError, read_jsonl
from kartlegg.freetext.masking import Masker
from kartlegg.freetext.metrics import cohen_kappa, f1_scores, krippendorff_alpha
from kartlegg.freetext.summary import (
    CodeInfo,
    QuoteText,
    ScaleError,
    UnitCodes,
    build_summary,
    parse_scale,
    quantifier,
)

from .factories.freetext import CODEBOOK


def test_negation_marks_the_words_after_ikke_until_the_clause_ends() -> None:
    assert textproc.word_text("Dagtilbudet er ikke stengt, men åpent.") == "dagtilbud er ikke NEG_stengt men åpent"
    assert "stengt" not in textproc.char_text("Dagtilbudet er ikke stengt")
    assert "stengt" in textproc.content_stems("Dagtilbudet ble stengt")
    assert "stengt" in textproc.negated_stems("Ingen dagtilbud stengt")


def test_stemming_joins_inflections() -> None:
    assert textproc.stem("henvisninger") == textproc.stem("henvisning")


def test_shipped_codebook_round_trips_through_yaml() -> None:
    book = parse_codebook(CODEBOOK.read_text(encoding="utf-8"))
    assert len(book.themes) == 4 and book.other.is_other and book.other.key == "annet"
    assert parse_codebook(dump_codebook(book)) == book


def test_flat_list_of_codes_is_accepted_and_grouped_by_key_prefix() -> None:
    book = parse_codebook("- tjenester.video: Video mangler\n- {key: rus, label: Økt rusbruk, description: Mer rus}\n")
    assert [t.key for t in book.themes] == ["tjenester", "generelt"]
    assert book.themes[0].codes[0].label == "Video mangler"
    assert book.themes[1].codes[0].description == "Mer rus"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("themes:\n  - key: a\n    codes:\n      - label: uten nøkkel\n", "Linje 4: «key» mangler"),
        ("themes:\n  - key: Store Bokstaver\n", "Linje 2: ugyldig nøkkel"),
        ("- a: x\n- a: y\n", "to ganger"),
        ("name: [uavsluttet\n", "ugyldig YAML"),
        ("", "tom"),
        ("name: x\ncodes:\n  - key: a\n    include: 5\n", "Linje 3: «include» må være en liste"),
    ],
)
def test_bad_codebooks_name_the_line(source: str, message: str) -> None:
    with pytest.raises(CodebookError, match=message):
        parse_codebook(source)


SPECS = [
    CodeSpec(
        "stengt", "Dagtilbud stengt", ("dagtilbudet stengt", "gruppetilbud avlyst"), ("dagtilbudet er ikke stengt",)
    ),
    CodeSpec("telefon", "Telefon", ("oppfølging på telefon",)),
    CodeSpec("annet", "Annet", is_other=True),
]


def test_keyword_rules_suggest_before_anything_is_coded_and_respect_negation() -> None:
    model = Suggester(SPECS).fit([], [])
    found, negated = model.predict(["Dagtilbudet ble stengt i mars.", "Dagtilbudet er ikke stengt."])
    assert found.scores["stengt"] >= 0.5 > negated.scores["stengt"]
    assert found.sources["stengt"] == "regel"
    assert rule_score([], "hva som helst") == 0


def _training() -> tuple[list[str], list[set[str]]]:
    texts, labels = [], []
    for i in range(12):
        texts.append(f"Dagsenteret ble stengt i uke {i}.")
        labels.append({"stengt"})
        texts.append(f"Vi ringte brukerne på telefon {i} ganger.")
        labels.append({"telefon"})
        texts.append(f"Dagsenteret er ikke stengt, uke {i}.")
        labels.append({"annet"})
    return texts, labels


def test_trained_classifier_tells_negated_sentences_apart() -> None:
    texts, labels = _training()
    model = Suggester(SPECS).fit(texts, labels)
    assert set(model.models) == {"stengt", "telefon", "annet"}
    closed, open_, phone = model.predict(
        ["Dagsenteret ble stengt.", "Dagsenteret er ikke stengt.", "Samtaler på telefon."]
    )
    assert closed.codes() == ["stengt"] and closed.sources["stengt"] == "modell"
    assert "stengt" not in open_.codes()
    assert "telefon" in phone.codes()
    assert 0 <= closed.uncertainty() <= 1


def test_platt_scaling_orders_and_calibrates() -> None:
    import numpy as np

    margins = np.array([-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0])
    labels = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    a, b = platt(margins, labels)
    assert a > 0
    p = 1 / (1 + np.exp(-(a * margins + b)))
    assert p[0] < 0.3 and p[-1] > 0.7


def test_cohen_kappa_on_known_tables() -> None:
    # 2x2 table: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → po 0,7, pe 0,5 → kappa 0,4.
    first = [1] * 25 + [0] * 25
    second = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert cohen_kappa(first, second) == pytest.approx(0.4)
    assert cohen_kappa([1, 0], [1, 0]) == 1
    assert cohen_kappa([], []) is None
    with pytest.raises(ValueError, match="samme"):
        cohen_kappa([1], [1, 0])


def test_krippendorff_alpha_matches_the_textbook_and_two_coder_case() -> None:
    # Two coders, nominal: alpha is close to kappa; perfect agreement gives 1.
    units = [{"a": x, "b": y} for x, y in zip([1, 1, 0, 0, 1, 0], [1, 1, 0, 1, 1, 0], strict=True)]
    assert krippendorff_alpha([{"a": 1, "b": 1}, {"a": 0, "b": 0}]) == 1
    # Hand computation: coincidences o11=6, o00=4, o10=o01=1 → n=12, n1=7, n0=5, De=2*7*5/11, Do=2 → 1-2/(70/11).
    assert krippendorff_alpha(units) == pytest.approx(1 - 2 / (70 / 11))
    # A third coder on some units, missing on others, still counts.
    assert krippendorff_alpha([{"a": 1, "b": 1, "c": 1}, {"a": 0, "b": 0}, {"a": 1}]) == 1
    assert krippendorff_alpha([{"a": 1}]) is None


def test_f1_scores_macro_average() -> None:
    macro, per = f1_scores([{"a"}, {"b"}, set()], [{"a"}, {"a"}, set()], ["a", "b"])
    assert per == {"a": pytest.approx(2 / 3), "b": 0.0}
    assert macro == pytest.approx(1 / 3)


def test_quantifier_scale_boundaries() -> None:
    scale = parse_scale(">=90:nesten alle;>50:de fleste;>=25:mange;>=10:flere;>=0:noen")
    assert [quantifier(p, scale) for p in (90, 89.9, 50.1, 50, 25, 24.9, 10, 9.9, 0)] == [
        "nesten alle",
        "de fleste",
        "de fleste",
        "mange",
        "mange",
        "flere",
        "flere",
        "noen",
        "noen",
    ]


@pytest.mark.parametrize("text", ["", ">=90 nesten alle;>=0:noen", ">=10:flere;>=50:mange;>=0:noen", ">=50:mange"])
def test_bad_scales_are_refused(text: str) -> None:
    with pytest.raises(ScaleError):
        parse_scale(text)


def test_summary_counts_units_with_relevant_answers_and_writes_sentences() -> None:
    codes = [
        CodeInfo("stengt", "Dagtilbud stengt", "tj", "Tjenestene", "dag- og gruppetilbud ble stengt"),
        CodeInfo("video", "Video", "tj", "Tjenestene"),
        CodeInfo("annet", "Annet", "", "", is_other=True),
    ]
    units = [UnitCodes(f"{i:04d}", frozenset({"stengt"}), "46", "stor") for i in range(19)]
    units += [
        UnitCodes("9999", frozenset({"video"}), "03", "liten"),
        UnitCodes("8888", frozenset({"annet"}), "03", "liten"),
    ]
    quotes = [
        QuoteText("0001", "Kort sitat.", frozenset({"stengt"})),
        QuoteText("0002", "Et lengre sitat her.", frozenset({"stengt"})),
        QuoteText("0003", "Det lengste sitatet av alle her.", frozenset({"stengt"})),
    ]
    result = build_summary(codes, units, answered=25, quotes=quotes, min_group=5)
    assert result.denominator == 20 and result.coded == 21 and result.answered == 25
    theme = result.themes[0]
    assert theme.count == 20 and theme.quantifier == "nesten alle"
    assert theme.codes[0].sentence == "Nesten alle kommuner beskriver at dag- og gruppetilbud ble stengt."
    assert theme.codes[1].sentence == "Noen kommuner nevner «Video»."
    assert theme.quotes == ["Kort sitat.", "Et lengre sitat her."]
    groups = {(g.dimension, g.group): g for g in result.groups}
    assert groups[("fylke", "46")].shares["stengt"] == 100 and not groups[("fylke", "46")].suppressed
    assert groups[("fylke", "03")].suppressed and groups[("fylke", "03")].shares["video"] is None
    assert "20 kommuner" in result.denominator_text.replace("\xa0", " ")
    assert result.bullets()[0][0] == "Tjenestene"


def test_de_fleste_takes_the_definite_form() -> None:
    codes = [CodeInfo("a", "A", "t", "T", "noe skjedde")]
    units = [UnitCodes(str(i), frozenset({"a"} if i < 6 else {"b"})) for i in range(10)]
    assert build_summary(codes + [CodeInfo("b", "B", "t", "T")], units).themes[0].codes[0].sentence == (
        "De fleste kommunene beskriver at noe skjedde."
    )


def test_masking_places_and_first_names() -> None:
    masker = Masker(["Bergen", "Nordre Land", "Porsanger - Porsángu - Porsanki", "Hole"], ["Kari", "Per", "Liv"])
    masked = masker.mask("I Bergens bydeler og Nordre Land fulgte Kari opp. Per i dag er Liv borte. Hole kommune.")
    assert masked.text == "I [sted] bydeler og [sted] fulgte [navn] opp. Per i dag er [navn] borte. [sted] kommune."
    assert masked.replaced == ("Bergens", "Nordre Land", "Hole", "Kari", "Liv")
    assert Masker(["Porsanger - Porsángu - Porsanki"], []).mask("Porsángu").text == "[sted]"
    assert not Masker(["Bergen"], []).mask("bergensk dialekt").changed


def test_jsonl_errors_name_the_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.jsonl"
    path.write_text(
        '{"id": 1, "text": "a", "codes": ["x"]}\n\n{"id": 2, "text": "b", "codes": ["nei"]}\n', encoding="utf-8"
    )
    with pytest.raises(JsonlError, match="x.jsonl linje 3: ukjent kode «nei»"):
        read_jsonl(path, need_codes=True, known_codes=["x"])
    path.write_text('{"id": 1, "text": "a"}\nikke json\n', encoding="utf-8")
    with pytest.raises(JsonlError, match="linje 2: ugyldig JSON"):
        read_jsonl(path)
    path.write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(JsonlError, match="linje 1: mangler «text»"):
        read_jsonl(path)
    path.write_text('{"id": 1, "text": "a"}\n{"id": 1, "text": "b"}\n', encoding="utf-8")
    with pytest.raises(JsonlError, match="linje 2: id «1» står flere ganger"):
        read_jsonl(path)
