"""The pulse trends, sentences and cube as pure functions on hand-made cases."""

from __future__ import annotations

import json

import pytest

from kartlegg.analytics import downloads
from kartlegg.pulse import quickreport, sentences, trendcube, trends
from kartlegg.pulse.trends import Change, QuestionInfo, UnitInfo, WaveInfo

YESNO = QuestionInfo("P_omdisponert", "Er ansatte omdisponert?", "yesno")
CHOICE = QuestionInfo(
    "P_henvisninger", "Hvordan er antall nye henvendelser?", "choice", (("okt", "Økt"), ("uendret", "Uendret"))
)
MULTI = QuestionInfo("P_kontaktform", "Kontaktform", "multichoice", (("video", "Video"), ("telefon", "Telefon")))
NUMBER = QuestionInfo("P_arsverk", "Omdisponerte årsverk", "decimal", (), 1, "årsverk")
W1, W2 = WaveInfo("2020-03-16", "Måling 1 (16.03.2020)", 1), WaveInfo("2020-03-30", "Måling 2 (30.03.2020)", 2)


def wave(values: dict[str, str | None], code: str = "P_henvisninger") -> dict[str, dict[str, str | None]]:
    return {unit: {code: value} for unit, value in values.items()}


def test_wilson_interval_matches_the_textbook_values() -> None:
    low, high = trends.wilson(34, 100)
    assert round(low, 1) == 25.5 and round(high, 1) == 43.7  # Wilson 95 % for 0,34 of 100
    assert trends.wilson(0, 10)[0] == 0.0 and trends.wilson(10, 10)[1] == 100.0
    assert trends.wilson(0, 0) == (0.0, 100.0)
    with pytest.raises(ValueError, match="mellom 0 og N"):
        trends.wilson(11, 10)


def test_shares_count_only_units_that_answered_and_multichoice_counts_each_option() -> None:
    answers = {"a": {"P_kontaktform": "video,telefon"}, "b": {"P_kontaktform": "telefon"}, "c": {"P_kontaktform": None}}
    shares = trends.shares_of(MULTI, trends.answered(MULTI, answers))
    assert shares["telefon"].n == 2 and shares["telefon"].percent == 100.0
    assert shares["video"].count == 1 and shares["video"].percent == 50.0


def test_a_large_change_is_marked_and_a_small_one_is_not() -> None:
    before = wave({f"u{i}": "okt" if i < 34 else "uendret" for i in range(100)})
    after = wave({f"u{i}": "okt" if i < 51 else "uendret" for i in range(100)})
    trend = trends.question_trend(CHOICE, [W1, W2], [before, after])
    change = trend.latest_change("okt")
    assert change is not None and change.diff == pytest.approx(17.0) and change.marked
    small = wave({f"u{i}": "okt" if i < 37 else "uendret" for i in range(100)})
    trend = trends.question_trend(CHOICE, [W1, W2], [before, small])
    change = trend.latest_change("okt")
    assert change is not None and change.diff == pytest.approx(3.0) and not change.marked
    assert trend.changes["okt"][0] is None  # the first wave has no change


def test_panel_uses_only_units_that_answered_both_waves() -> None:
    before = wave({"a": "okt", "b": "okt", "c": "uendret", "d": "uendret"})
    # e and f are new and all say "okt"; the panel a–d moved only b.
    after = wave({"a": "okt", "b": "uendret", "c": "uendret", "d": "uendret", "e": "okt", "f": "okt"})
    plain = trends.question_trend(CHOICE, [W1, W2], [before, after]).latest_change("okt")
    panel = trends.question_trend(CHOICE, [W1, W2], [before, after], panel=True).latest_change("okt")
    assert plain is not None and panel is not None
    assert plain.current == pytest.approx(50.0) and plain.n_current == 6
    assert panel.current == pytest.approx(25.0) and panel.previous == pytest.approx(50.0) and panel.n_current == 4


def test_numbers_have_mean_median_and_n_and_a_marked_change() -> None:
    before = wave({f"u{i}": str(1 + (i % 3) * 0.1) for i in range(40)}, "P_arsverk")
    after = wave({f"u{i}": str(3 + (i % 3) * 0.1) for i in range(40)}, "P_arsverk")
    trend = trends.question_trend(NUMBER, [W1, W2], [before, after])
    assert trend.numbers[0].n == 40 and trend.numbers[0].median == pytest.approx(1.1)
    change = trend.latest_change("mean")
    assert change is not None and change.marked and change.diff == pytest.approx(2.0)
    junk = wave({"a": "abc", "b": "2"}, "P_arsverk")
    assert trends.number_stat([v for v in trends.answered(NUMBER, junk).values() if isinstance(v, float)]).n == 1


def test_breakdown_suppresses_groups_under_five_units() -> None:
    units = {f"u{i}": UnitInfo(f"u{i}", "46" if i < 6 else "03", "Vestland" if i < 6 else "Oslo") for i in range(9)}
    answers = wave({f"u{i}": "okt" for i in range(9)})
    groups = {g.code: g for g in trends.breakdown(CHOICE, answers, units, "county")}
    assert groups["46"].shares["okt"].percent == 100.0 and groups["46"].n == 6
    assert groups["03"].shares["okt"].percent is None and groups["03"].shares["okt"].status == "suppressed"
    assert groups["03"].n == 3
    with pytest.raises(ValueError, match="ukjent nivå"):
        trends.breakdown(CHOICE, answers, units, "kommune")


def test_the_sentence_of_the_issue() -> None:
    change = Change(34.0, 51.0, 200, 212, 8.0, 25.0)
    trend = trends.question_trend(CHOICE, [W1], [wave({"a": "okt"})])
    text = sentences.share_sentence(sentences.phrase(trend, "okt"), change)
    assert text.replace("\u00a0", " ") == (
        "Andelen kommuner som melder om økt pågang, steg fra 34 % til 51 % siden forrige måling (N = 212)."
    )
    falling = sentences.share_sentence("kommuner som x", Change(51.0, 34.0, 212, 200, -25.0, -8.0))
    assert " falt fra 51" in falling.replace("\u00a0", " ")
    unclear = sentences.share_sentence("kommuner som x", Change(34.0, 37.0, 100, 100, -9.0, 15.0))
    assert "innenfor usikkerheten" in unclear and "steg" not in unclear
    assert sentences.share_sentence("x", Change(None, 37.0, 0, 100)) == ""


def test_key_changes_take_only_marked_changes_largest_first() -> None:
    before = wave({f"u{i}": "okt" if i < 30 else "uendret" for i in range(100)})
    after = wave({f"u{i}": "okt" if i < 60 else "uendret" for i in range(100)})
    moved = trends.question_trend(CHOICE, [W1, W2], [before, after])
    still = trends.question_trend(CHOICE, [W1, W2], [before, before])
    found = sentences.key_changes([still, moved])
    assert [k.question for k in found] == ["P_henvisninger"]
    assert sentences.key_changes([still]) == []


def test_quick_report_document_has_rate_changes_charts_and_method() -> None:
    before = wave({f"u{i}": "okt" if i < 30 else "uendret" for i in range(100)})
    after = wave({f"u{i}": "okt" if i < 60 else "uendret" for i in range(90)})
    trend = trends.question_trend(CHOICE, [W1, W2], [before, after])
    document = quickreport.quick_report(
        quickreport.QuickInputs("Puls", W2, 2020, 90, 120, 83.3, [trend], free_text=[
            quickreport.FreeTextPart("P_kommentar", [("Tjenester", ["Mange nevner video."])], "Andelene …")])
    )  # fmt: skip
    texts = [p.text for p in document.paragraphs()]
    assert any("90 av 120" in t for t in texts)
    assert any(t.startswith("Andelen kommuner som melder om økt pågang, steg") for t in texts)
    assert [c.id for c in document.chapters] == ["hovedfunn", "utvikling", "fritekst", "metode"]
    figure = document.chapter("utvikling").figures[0]  # type: ignore[union-attr]
    assert document.table(figure.table_id) is not None
    first = quickreport.quick_report(quickreport.QuickInputs("Puls", W1, 2020, 10, 12, None, []))
    assert "første måling" in first.paragraphs()[1].text


def test_cube_has_the_wave_as_time_and_renders_every_format() -> None:
    units = {f"u{i}": UnitInfo(f"u{i}", "46", "Vestland", "R1", "Helse Vest", "small") for i in range(8)}
    answers = [wave({f"u{i}": "okt" for i in range(8)}), wave({f"u{i}": "uendret" for i in range(3)})]
    cube = trendcube.trend_cube(CHOICE, [W1, W2], answers, units, "county")
    assert cube.role("time") is not None and cube.role("time").codes == ["2020-03-16", "2020-03-30"]  # type: ignore[union-attr]
    assert cube.cell("46", "okt", "andel", "2020-03-16").value == 100.0
    assert cube.cell("46", "okt", "andel", "2020-03-30").status == "suppressed"  # 3 units
    data = json.loads(downloads.render(cube, "jsonstat").content)
    assert data["role"]["time"] == ["maling"]
    assert b"2020-03-30" in downloads.render(cube, "px").content
    assert downloads.render(cube, "xlsx").content[:2] == b"PK"
    assert "2020-03-30;3" in downloads.render(cube, "csv").content.decode("utf-8-sig")
    panel = trendcube.trend_cube(CHOICE, [W1, W2], answers, units, panel=True)
    assert panel.cell("0", "okt", "n", "2020-03-16").value == 3.0
    with pytest.raises(ValueError, match="ukjent nivå"):
        trendcube.trend_cube(CHOICE, [W1], answers[:1], units, "fylke")
