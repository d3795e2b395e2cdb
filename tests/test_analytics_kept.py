"""Figures kept between computations (analytics/services/kept.py): one unit's change is recomputed from that unit's
answers alone, gives exactly what a full computation gives, and falls back to reading everything whenever the
kept figures could be out of date."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kartlegg.analytics import services
from kartlegg.analytics.catalogue import affected
from kartlegg.analytics.services import aggregates, kept
from kartlegg.responses.models import Answer, Response
from tests.test_analytics_aggregates import SmallSurvey, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey() -> SmallSurvey:
    return SmallSurvey()


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the full reads of every round (aggregates.read_data) from now on."""
    calls: list[int] = []
    real = aggregates.read_data

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(aggregates, "read_data", counting)
    return calls


def _change(survey: SmallSurvey, year: int, unit: str, variable: str, value: str) -> Response:
    response = Response.objects.get(round=survey.rounds[year], unit__code=unit)
    Answer.objects.filter(response=response, variable=variable).update(value_num=Decimal(value), value_text=value)
    return response


def _equals_a_full_computation() -> None:
    """What the recomputes stored is exactly what a full computation writes."""
    incremental = snapshot()
    services.compute()
    assert snapshot() == incremental


def test_one_unit_is_recomputed_from_its_own_answers_and_equals_a_full_computation(
    survey: SmallSurvey, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.compute()
    reads = _reads(monkeypatch)
    response = _change(survey, 2024, "1508", "B_b.r1.c1", "61.25")
    result = services.recompute_for_response(response)
    assert reads == []  # nothing read again but the unit's answers
    assert result.rows > 0 and 2024 in result.years
    # Only what the changed cell moves: the cell, the totals it is part of and the headline series.
    cat = services.catalogue()
    moved = affected(cat, 2024, ["B_b.r1.c1"])
    assert result.variables == len(moved) < len(cat.for_codes(2024, ["B_b.r1.c1"]))
    assert {v.code for v in moved} >= {"B_b.r1.c1", "B_b.r1.*", "B_b.*.c1"}
    assert "B_b.r2.c2" not in {v.code for v in moved} and "B_b.*.c2" not in {v.code for v in moved}
    _equals_a_full_computation()


def test_a_unit_leaving_a_grid_blank_moves_every_cell_of_it(survey: SmallSurvey) -> None:
    response = Response.objects.get(round=survey.rounds[2024], unit__code="1508")
    answers = Answer.objects.filter(response=response, variable__startswith="B_b.")
    last = answers.order_by("variable").first()
    assert last is not None and answers.count() > 1
    answers.exclude(pk=last.pk).delete()
    services.compute()
    last.delete()  # the grid is now blank: not answered, so every cell of it is imputed instead of 0
    result = services.recompute_for_response(response)
    assert result.variables >= len([v for v in services.catalogue().variables if v.startswith("B_b.")])
    _equals_a_full_computation()


def test_an_unchanged_unit_recomputes_nothing(survey: SmallSurvey) -> None:
    services.compute()
    response = Response.objects.get(round=survey.rounds[2024], unit__code="1508")
    assert services.recompute_for_response(response).rows == 0


def test_changes_in_a_row_each_come_out_as_a_full_computation_would(survey: SmallSurvey) -> None:
    services.compute()
    for value in ("1.5", "2.75", "0"):
        services.recompute_for_response(_change(survey, 2019, "1516", "B_a.r1.c1", value))
    response = Response.objects.get(round=survey.rounds[2019], unit__code="1504")
    response.submitted_at = None  # reopened: its figures leave the statistics (and are imputed)
    response.version += 1
    response.save(update_fields=["submitted_at", "version"])
    services.recompute_for_response(response)
    _equals_a_full_computation()


def test_another_writer_makes_the_kept_figures_be_read_again(
    survey: SmallSurvey, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.compute()
    services.compute(variables=["E_n"])  # as another process would (a bulk import and compute_aggregates)
    reads = _reads(monkeypatch)
    services.recompute_for_response(_change(survey, 2024, "1508", "B_b.r1.c1", "7"))
    assert reads == [1]
    _equals_a_full_computation()


def test_a_change_waiting_in_another_open_year_makes_them_be_read_again(
    survey: SmallSurvey, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.compute()
    other = Response.objects.filter(round=survey.rounds[2020], submitted_at__isnull=False).first()
    assert other is not None
    other = _change(survey, 2020, other.unit.code, "B_a.r1.c1", "3")
    other.version += 1
    other.save(update_fields=["version"])
    reads = _reads(monkeypatch)
    services.recompute_for_response(_change(survey, 2024, "1508", "B_b.r1.c1", "9"))
    assert reads == [1]


def test_a_failed_recompute_drops_the_kept_figures(survey: SmallSurvey, monkeypatch: pytest.MonkeyPatch) -> None:
    services.compute()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(aggregates.store, "merge", broken)
    with pytest.raises(RuntimeError):
        services.recompute_for_response(_change(survey, 2024, "1508", "B_b.r1.c1", "11"))
    assert kept.update(services.annual_rounds(), 2024, ["1508"]) is None


def test_a_lock_since_makes_them_be_read_again(survey: SmallSurvey, monkeypatch: pytest.MonkeyPatch) -> None:
    """A year locked since the figures were kept is read from its data version, not from the kept live answers."""
    import importlib

    from tests.factories import make_analyst

    quality = importlib.import_module("kartlegg.quality.services.versions")
    services.compute()
    Answer.objects.filter(response__round=survey.rounds[2020], variable="E_n").update(value_num=Decimal(0))
    monkeypatch.setattr(aggregates.kept_figures, "remember", lambda *args: None)  # keep the figures from before
    quality.lock_round(survey.rounds[2020], make_analyst())
    reads = _reads(monkeypatch)
    services.recompute_for_response(_change(survey, 2024, "1508", "B_b.r1.c1", "13"))
    assert reads == [1]
    _equals_a_full_computation()
