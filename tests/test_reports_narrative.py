"""The report's narrative rules on hand-made cases: zero, missing, negative, no change, suppressed, break and imputed
figures, in bokmål, with nynorsk and English where the words differ."""

from __future__ import annotations

import pytest

from kartlegg.reports import narrative
from kartlegg.reports.inputs import Fig
from kartlegg.reports.narrative_words import LANGUAGES

NB = "\u00a0"
OK = "ok"


def fig(value: float | None, status: str = OK, n: int | None = None) -> Fig:
    return Fig(value, status if value is not None or status != OK else "missing", n)


@pytest.mark.parametrize(
    ("change", "expected"),
    [(None, None), (0.0, "flat"), (0.49, "flat"), (-0.49, "flat"), (0.5, "up"), (-0.5, "down"), (12.0, "up")],
)
def test_direction_uses_the_dead_band(change: float | None, expected: str | None) -> None:
    assert narrative.direction(change) == expected


def test_percent_change_refuses_a_zero_negative_or_missing_base() -> None:
    assert narrative.percent_change(110, 100) == pytest.approx(10)
    assert narrative.percent_change(5, 0) is None
    assert narrative.percent_change(5, -2) is None
    assert narrative.percent_change(None, 3) is None


def test_numbers_are_written_the_norwegian_way_and_english_way() -> None:
    assert narrative.number(17436) == f"17{NB}436"
    assert narrative.number(2.5, 1) == "2,5"
    assert narrative.number(-3.5, 1) == "\u22123,5"
    assert narrative.number(17436.5, 1, "en") == "17,436.5"


# Rule 1: change from the year before


def change(current: Fig, previous: Fig, comparable: bool = True, lang: str = "nb") -> str | None:
    sentence = narrative.change_sentence("Årsverk i alt", current, previous, 2023, 2022, "årsverk", 0, comparable,
                                         lang)  # fmt: skip
    return None if sentence is None else sentence.text


def test_change_up_down_and_unchanged() -> None:
    assert (
        change(fig(17436), fig(17074)) == f"Årsverk i alt økte med 2,1 prosent fra 2022 til 17{NB}436 årsverk i 2023."
    )
    assert change(fig(900), fig(1000)) == "Årsverk i alt gikk ned med 10,0 prosent fra 2022 til 900 årsverk i 2023."
    assert change(fig(1002), fig(1000)) == "Årsverk i alt var uendret fra 2022 til 2023 (1 002 årsverk).".replace(
        " 002", f"{NB}002"
    )


def test_change_from_zero_or_a_negative_base_is_given_in_units() -> None:
    assert change(fig(4), fig(0)) == "Årsverk i alt økte med 4 årsverk fra 2022 til 4 årsverk i 2023."
    assert change(fig(-2), fig(-1)) == "Årsverk i alt gikk ned med 1 årsverk fra 2022 til \u22122 årsverk i 2023."
    assert change(fig(0), fig(0)) == "Årsverk i alt var uendret fra 2022 til 2023 (0 årsverk)."


def test_change_never_states_a_missing_or_suppressed_figure() -> None:
    assert change(fig(None), fig(100)) is None
    assert change(fig(None, "suppressed"), fig(100)) is None
    # last year missing or suppressed: the level only, no change
    assert change(fig(120), fig(None)) == "Årsverk i alt var 120 årsverk i 2023."
    assert change(fig(120), fig(None, "suppressed")) == "Årsverk i alt var 120 årsverk i 2023."


def test_change_is_not_stated_across_a_break() -> None:
    text = change(fig(120), fig(100), comparable=False)
    assert text is not None and "brudd i tidsserien" in text and "økte" not in text and "prosent" not in text


def test_change_cites_its_figures_and_speaks_nynorsk_and_english() -> None:
    sentence = narrative.change_sentence(
        "Årsverk", fig(110), fig(100), 2023, 2022, "årsverk", 0, ref="x|sum|nation|0|2023"
    )
    assert sentence is not None and [c.text for c in sentence.cites] == ["10,0", "110"]
    assert sentence.cites[1].ref == "x|sum|nation|0|2023"
    assert (
        change(fig(110), fig(100), lang="nn") == "Årsverk i alt auka med 10,0 prosent frå 2022 til 110 årsverk i 2023."
    )
    assert (
        change(fig(110), fig(100), lang="en") == "Årsverk i alt rose by 10.0 per cent from 2022 to 110 årsverk in 2023."
    )
    with pytest.raises(ValueError, match="Ukjent språk"):
        change(fig(1), fig(1), lang="sv")


# Rule 2: the split of the total


def test_growth_breakdown_in_the_institutes_style() -> None:
    sentence = narrative.growth_breakdown(1.0, [("barn og unge", 2.2), ("voksne", 0.7)])
    assert sentence is not None
    assert sentence.text == (
        "Det rapporteres om en vekst i årsverk på totalt 1,0 prosent, fordelt på 2,2 prosents økning i tjenester til "
        "barn og unge og 0,7 prosents økning i tjenester til voksne."
    )


def test_growth_breakdown_negative_unchanged_missing_and_break() -> None:
    down = narrative.growth_breakdown(-3.0, [("voksne", -4.0), ("barn og unge", 0.1)])
    assert down is not None and down.text == (
        "Det rapporteres om en nedgang i årsverk på totalt 3,0 prosent, fordelt på 4,0 prosents nedgang i tjenester "
        "til voksne og ingen endring i tjenester til barn og unge."
    )
    flat = narrative.growth_breakdown(0.0, [("voksne", None)])
    assert flat is not None and flat.text == "Det rapporteres om uendret antall årsverk totalt."
    assert narrative.growth_breakdown(None, [("voksne", 2.0)]) is None
    assert narrative.growth_breakdown(2.0, [("voksne", 2.0)], comparable=False) is None


# Rule 3: growth against earlier growth


def test_growth_against_previous_years() -> None:
    weaker = narrative.growth_against_previous(1.0, [3.0, 2.5])
    assert weaker is not None and weaker.text == "Veksten er svakere enn veksten de to siste årene."
    stronger = narrative.growth_against_previous(4.0, [1.0])
    assert stronger is not None and stronger.text == "Veksten er sterkere enn veksten året før."
    same = narrative.growth_against_previous(2.0, [2.2, 1.9])
    assert same is not None and "på linje med" in same.text
    assert narrative.growth_against_previous(2.0, [None, 1.0]) is None  # a missing (or broken) year: no comparison
    assert narrative.growth_against_previous(-2.0, [1.0, 1.0]) is None  # a fall is not "growth"
    assert narrative.growth_against_previous(0.0, [1.0]) is None
    assert narrative.growth_against_previous(None, [1.0]) is None


# Rule 4: per capita against raw


def test_per_capita_against_raw() -> None:
    flat = narrative.per_capita_against_raw("voksne", 0.7, 0.1)
    assert flat is not None and flat.text == (
        "Når vi tar hensyn til befolkningsutviklingen, er det ingen endring i årsverk pr. innbygger i tjenester til "
        "voksne."
    )
    small = narrative.per_capita_against_raw("barn og unge", 2.2, 1.1)
    assert small is not None and "en liten økning" in small.text
    opposite = narrative.per_capita_against_raw("voksne", 1.0, -3.0)
    assert opposite is not None and "en nedgang" in opposite.text
    assert narrative.per_capita_against_raw("voksne", 5.0, 4.0) is None  # same direction, clear: adds nothing
    assert narrative.per_capita_against_raw("voksne", None, 1.0) is None
    assert narrative.per_capita_against_raw("voksne", 1.0, 0.1, comparable=False) is None


# Rule 5: shares over years with N


def test_share_over_years_states_n_and_direction() -> None:
    points = [(2018, fig(60, n=400)), (2019, fig(55, n=390)), (2020, fig(45, n=356))]
    sentence = narrative.share_over_years("har FACT-team", points)
    assert sentence is not None and sentence.text == (
        "Det er en nedgang i andelen kommuner som har FACT-team, fra 60 prosent i 2018 (N = 400) til 45 prosent i "
        "2020 (N = 356)."
    )
    up = narrative.share_over_years("har IPS", [(2018, fig(10, n=100)), (2020, fig(30, n=100))])
    assert up is not None and up.text.startswith("Andelen kommuner som har IPS, økte fra 10 prosent")
    same = narrative.share_over_years("har IPS", [(2018, fig(30, n=100)), (2020, fig(30.4, n=100))])
    assert same is not None and "om lag den samme" in same.text


def test_share_over_years_skips_suppressed_and_breaks() -> None:
    suppressed = [(2018, fig(None, "suppressed", 3)), (2020, fig(45, n=356))]
    one = narrative.share_over_years("har IPS", suppressed)
    assert one is not None and one.text == "45 prosent av kommunene har IPS i 2020 (N = 356)."
    broken = [(2018, fig(60, n=400)), (2020, fig(45, n=356))]
    after = narrative.share_over_years("har IPS", broken, breaks=[2020])
    assert after is not None and "2018" not in after.text  # no change across the break
    assert narrative.share_over_years("har IPS", [(2020, fig(None, "suppressed", 2))]) is None
    assert narrative.share_over_years("har IPS", []) is None
    zero = narrative.share_over_years("har IPS", [(2019, fig(0, n=10)), (2020, fig(0, n=12))])
    assert zero is not None and "om lag den samme" in zero.text and "0 prosent" in zero.text


# Rule 6: largest and smallest


def test_extremes_over_shown_regions() -> None:
    items = [("Agder", fig(3.1)), ("Troms", fig(4.2)), ("Oslo", fig(2.4)), ("Skjult", fig(None, "suppressed"))]
    sentence = narrative.extremes("Årsverk per 1 000", items)
    assert sentence is not None and sentence.text == "Årsverk per 1 000 er høyest i Troms (4,2) og lavest i Oslo (2,4)."
    negative = narrative.extremes("Endring", [("A", fig(-2.0)), ("B", fig(1.5))])
    assert negative is not None and "høyest i B (1,5) og lavest i A (\u22122,0)" in negative.text
    equal = narrative.extremes("Andel", [("A", fig(0.0)), ("B", fig(0.0))])
    assert equal is not None and equal.text == "Andel er den samme i alle områdene."
    assert narrative.extremes("Andel", [("A", fig(1.0)), ("B", fig(None))]) is None


# Rule 7: cumulative change


def test_cumulative_change_starts_after_the_latest_break() -> None:
    points = [(2017, fig(100)), (2019, fig(110)), (2020, fig(200)), (2023, fig(220))]
    plain = narrative.cumulative("årsverk i alt", points)
    assert plain is not None and plain.text == "Fra 2017 til 2023 økte årsverk i alt med 120,0 prosent."
    broken = narrative.cumulative("årsverk i alt", points, breaks=[2020])
    assert broken is not None and broken.text == "Fra 2020 til 2023 økte årsverk i alt med 10,0 prosent."
    assert narrative.cumulative("årsverk", points, breaks=[2023]) is None  # only one year after the break
    fall = narrative.cumulative("årsverk", [(2020, fig(100)), (2021, fig(80))])
    assert fall is not None and "gikk årsverk ned med 20,0 prosent" in fall.text
    flat = narrative.cumulative("årsverk", [(2020, fig(100)), (2021, fig(100.2))])
    assert flat is not None and "om lag uendret" in flat.text
    assert narrative.cumulative("årsverk", [(2020, fig(0)), (2021, fig(5))]) is None  # zero base
    assert narrative.cumulative("årsverk", [(2020, fig(10)), (2021, fig(None))]) is None  # last year missing


# Rule 8: imputation, response, follow-up


def test_imputed_sentence() -> None:
    many = narrative.imputed_sentence(66, 2020)
    assert many is not None and many.text.startswith("66 kommuner og bydeler rapporterte ikke årsverk i 2020")
    one = narrative.imputed_sentence(1, 2020)
    assert one is not None and one.text.startswith("1 kommune eller bydel rapporterte ikke")
    assert narrative.imputed_sentence(0, 2020) is None
    assert narrative.imputed_sentence(None, 2020) is None
    assert narrative.imputed_sentence(-1, 2020) is None
    assert narrative.includes_imputed(fig(10, "imputed")).startswith(" (inkludert imputerte")
    assert narrative.includes_imputed(fig(10)) == ""


def test_response_rate_and_follow_up() -> None:
    rate = narrative.response_rate(336, 370, 2023)
    assert (
        rate is not None
        and rate.text == "336 av 370 kommuner og bydeler svarte på kartleggingen for 2023, en svarprosent på 90,8."
    )
    assert narrative.response_rate(1, 0, 2023) is None
    assert narrative.response_rate(5, 4, 2023) is None
    less = narrative.follow_up_sentence(20, 400, 10, 80, previous_share=15.0)
    assert less is not None and "Vi har i mindre grad enn tidligere år kontaktet kommunene med spørsmål." in less.text
    more = narrative.follow_up_sentence(80, 400, 10, 80, previous_share=5.0)
    assert more is not None and "i større grad" in more.text
    first = narrative.follow_up_sentence(0, 400, 0, 0, previous_share=None)
    assert first is not None and "tidligere år" not in first.text and "0 av 400" in first.text
    assert narrative.follow_up_sentence(0, 0, 0, 0, None) is None


# Rule 9: against peers


def test_against_peers() -> None:
    peers = [("fylket", fig(2.0)), ("kommunegruppen", fig(3.05)), ("landet", fig(None, "suppressed"))]
    sentence = narrative.against_peers("Molde", "årsverk per 1 000 innbyggere", fig(3.0), peers)
    assert sentence is not None and sentence.text == (
        "Molde har 3,0 årsverk per 1 000 innbyggere, høyere enn fylket, om lag som kommunegruppen."
    ).replace("1 000", f"1{NB}000".replace(NB, " "))
    assert narrative.against_peers("Molde", "årsverk", fig(None), peers) is None


def test_every_language_has_every_phrase() -> None:
    keys = set(LANGUAGES["nb"])
    for code, table in LANGUAGES.items():
        assert set(table) == keys, code
