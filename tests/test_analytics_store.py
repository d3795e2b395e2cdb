"""services/store.py writes blocks: on PostgreSQL through one COPY that any other statement on the connection first
ends (the computation may read a population between two blocks), on SQLite a batch at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from kartlegg.analytics.grouping import CELL_FIELDS, Block
from kartlegg.analytics.services import store
from kartlegg.geography.models import ReportingUnit

pytestmark = pytest.mark.django_db


def block(i: int, regions: int = 3) -> Block:
    names = [f"{i:04d}{r}" for r in range(regions)]
    columns: dict[str, list] = {name: [] for name in CELL_FIELDS}
    columns["region"] = names
    for r, _ in enumerate(names):
        columns["value"].append(i + r / 10 if r else None)
        columns["rate"].append(float(r))
        columns["median"].append(i / 3)
        columns["status"].append(".." if r == 0 else "")
        columns["n"].append(r)
        columns["n_units"].append(r + 1)
        columns["n_imputed"].append(0)
        columns["value_imputed"].append(None)
    return Block(f"v{i}", "county", 2024, 2024, f"v{i}", columns)


def blocks_with_statements(count: int, every: int) -> Iterator[Block]:
    for i in range(count):
        if i % every == 0:
            ReportingUnit.objects.filter(year=2024).count()  # a read between two blocks
            with transaction.atomic():  # and a savepoint
                ReportingUnit.objects.filter(code="nothing").update(name="x")
        yield block(i)


def test_blocks_are_all_written_and_read_back_when_other_statements_come_between_them() -> None:
    count = store.WRITE_BATCH + 17
    written = store.write(blocks_with_statements(count, every=7), "carry_forward", {}, timezone.now())
    assert written == 3 * count
    assert store.blocks().count() == count
    found = {(c.variable, c.region): c for c in store.cells()}
    for i in (0, 1, 250, count - 1):
        expected = block(i).columns
        for r, region in enumerate(expected["region"]):
            cell = found[(f"v{i}", region)]
            assert cell.status == expected["status"][r] and cell.n_units == expected["n_units"][r]
            value = expected["value"][r]
            assert cell.value == value  # exactly: the floats go in and out as bits


def test_a_failing_computation_leaves_no_half_written_blocks_and_the_connection_usable() -> None:
    def failing() -> Iterator[Block]:
        yield from blocks_with_statements(30, every=11)
        raise RuntimeError("broken block")

    with pytest.raises(RuntimeError, match="broken block"), transaction.atomic():
        store.write(failing(), "carry_forward", {}, timezone.now())
    assert not store.blocks().exists()
    assert store.write(iter([block(1)]), "carry_forward", {}, timezone.now()) == 3
    assert store.blocks().count() == 1
    with connection.cursor() as cursor:  # no COPY left open on the connection
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_merge_writes_the_changed_regions_over_the_stored_block_and_adds_new_ones_at_the_end() -> None:
    moment = timezone.now()
    store.write(iter([block(5, regions=4)]), "carry_forward", {}, moment)
    stored = block(5, regions=4).columns
    part: dict[str, list[Any]] = {name: [] for name in stored}
    for region, value, status, n in (("00051", None, "..", 0), ("00059", 2.25, "i", 7)):
        for name, given in (("region", region), ("value", value), ("status", status), ("n", n)):
            part[name].append(given)
        for name in ("rate", "median", "value_imputed"):
            part[name].append(1.5)
        for name in ("n_units", "n_imputed"):
            part[name].append(3)
    assert store.merge([block(5)._replace(columns=part)], "carry_forward", "live", moment) == 2
    assert store.blocks().count() == 1
    found = [(c.region, c.value, c.status, c.n, c.median) for c in store.cells()]
    assert found == [
        ("00050", None, "..", 0, 5 / 3),
        ("00051", None, "..", 0, 1.5),
        ("00052", 5.2, "", 2, 5 / 3),
        ("00053", 5.3, "", 3, 5 / 3),
        ("00059", 2.25, "i", 7, 1.5),
    ]
    with pytest.raises(ValueError), transaction.atomic():
        store.merge([block(5)._replace(columns={**part, "n": [1]})], "carry_forward", "live", moment)
    assert [c.n for c in store.cells()] == [0, 0, 2, 3, 7]  # the failed merge changed nothing


@pytest.mark.parametrize("statuses", [[], [""], ["..", "", "e", "i", ":"], ['quote " and \\ backslash', "ø"], ["\n"]])
def test_a_payload_gives_back_exactly_the_statuses_and_figures_it_was_given(statuses: list[str]) -> None:
    columns = block(2, regions=len(statuses)).columns
    columns["status"] = statuses
    found = store.decode(store.encode(columns))
    assert found == {name: columns[name] for name in CELL_FIELDS}
