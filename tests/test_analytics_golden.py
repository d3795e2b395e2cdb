"""The statistics computed today equal the ones computed before the computation was made faster (issue 11): every
row a full computation stores for the small survey (tests/test_analytics_aggregates.py: every variable, both
structures), with both imputation rules, compared exactly (floats as stored) with a recorded output of the earlier
code (tests/fixtures/analytics/small_survey_aggregates.jsonl.gz, gzipped JSON lines).

A deliberate change to what is computed must re-record the file: KARTLEGG_RECORD_GOLDEN=1 pytest this file, and
say in the commit why the figures changed."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from kartlegg.analytics import services
from kartlegg.analytics.imputation import RULES
from kartlegg.analytics.services import store

from .test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "fixtures" / "analytics" / "small_survey_aggregates.jsonl.gz"
FIELDS = (
    "variable", "rule", "structure", "level", "region", "year", "value", "rate", "median", "status", "n", "n_units",
    "n_imputed", "value_imputed", "source_code", "data_version",
)  # fmt: skip


def rows() -> list[list[Any]]:
    return sorted(([getattr(c, f) for f in FIELDS] for c in store.cells()), key=repr)


def test_a_full_computation_gives_exactly_the_recorded_rows() -> None:
    SmallSurvey()
    for rule in RULES:
        services.compute(rule=rule)
    found = rows()
    if os.environ.get("KARTLEGG_RECORD_GOLDEN"):
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in found)
        GOLDEN.write_bytes(gzip.compress(text.encode(), mtime=0))
    recorded = [json.loads(line) for line in gzip.decompress(GOLDEN.read_bytes()).decode().splitlines()]
    assert len(found) == len(recorded) > 1000
    differ = [(a, b) for a, b in zip(found, recorded, strict=True) if a != b]
    assert not differ, differ[:3]


def test_grids_split_into_small_matrices_give_the_same_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 100× mapping groups a grid a few variables at a time (gridseries.MATRIX_CELLS); the figures are the same."""
    from kartlegg.analytics import gridseries

    monkeypatch.setattr(gridseries, "MATRIX_CELLS", 1)
    SmallSurvey()
    for rule in RULES:
        services.compute(rule=rule)
    recorded = [json.loads(line) for line in gzip.decompress(GOLDEN.read_bytes()).decode().splitlines()]
    assert rows() == recorded
