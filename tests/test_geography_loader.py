"""load_reference on the small fixture folder tests/fixtures/reference (same formats as ../shared/data).

The test database already holds the real data (conftest); each load here runs inside the test's transaction and
is rolled back. Expected values are read from the fixture files themselves, not typed in.
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from collections import defaultdict
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import ProtectedError, QuerySet

from kartlegg.geography import logic
from kartlegg.geography.models import (
    Boundary,
    CodeChange,
    County,
    DpsMembership,
    HealthRegionMembership,
    Municipality,
    Population,
    ReferenceLoad,
    ReportingUnit,
    UnitKind,
)
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db
REFERENCE = FIXTURES / "reference"
MODELS = (County, Municipality, ReportingUnit, Population, CodeChange, HealthRegionMembership, DpsMembership, Boundary)


def load(directory: Path = REFERENCE, *args: str) -> str:
    out = StringIO()
    call_command("load_reference", "--dir", str(directory), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def versions() -> dict[int, list[tuple[str, str]]]:
    """Year → [(code, name)] from the fixture's classification files (9999 left out)."""
    result = {}
    for path in sorted((REFERENCE / "klass/131").glob("kommuneinndeling-*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        items = [(i["code"], i["name"]) for i in document["classificationItems"] if i["code"] != "9999"]
        result[int(document["validFrom"][:4])] = items
    return result


def fixture_population(relative: str) -> dict[tuple[int, str], dict[int, int]]:
    result: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    with gzip.open(REFERENCE / relative, "rt", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            result[(int(row["year"]), row["code"])][int(row["age"])] = int(row["population"])
    return result


def snapshot() -> dict[str, Any]:
    """Enough of the database to see whether anything changed."""
    return {
        "counts": {model.__name__: model.objects.count() for model in MODELS},
        "units": list(ReportingUnit.objects.order_by("year", "code").values_list("pk", "code", "population_total")),
        "loads": ReferenceLoad.objects.count(),
    }


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """A copy of the fixture folder that a test may break."""
    target = tmp_path / "reference"
    shutil.copytree(REFERENCE, target)
    return target


def test_fixture_replaces_the_reference_tables() -> None:
    load(REFERENCE, "--quiet")
    expected = versions()
    assert set(Municipality.objects.values_list("year", flat=True)) == set(expected)
    for year, items in expected.items():
        assert set(Municipality.objects.filter(year=year).values_list("code", flat=True)) == {c for c, _ in items}
        units = set(ReportingUnit.objects.filter(year=year).values_list("code", flat=True))
        assert units == set(logic.reporting_unit_codes(c for c, _ in items))
        counties = set(County.objects.filter(year=year).values_list("code", flat=True))
        assert counties == {c[:2] for c, _ in items}
    assert not ReportingUnit.objects.filter(code="0301").exists()
    assert not ReportingUnit.objects.filter(code__in=logic.OSLO_NON_REPORTING_BYDELER).exists()
    assert CodeChange.objects.count() == len(
        json.loads((REFERENCE / "klass/131/changes.json").read_text())["codeChanges"]
    )
    assert Boundary.objects.count() == len(list((REFERENCE / "geo").iterdir()))


def test_population_and_size_groups_come_from_the_age_files() -> None:
    load(REFERENCE, "--quiet")
    population = fixture_population("population/municipality_age.csv.gz")
    population.update(fixture_population("population/oslo_bydel_age.csv.gz"))
    assert Population.objects.count() == sum(len(ages) for ages in population.values())
    units = list(ReportingUnit.objects.all())
    assert units
    for unit in units:
        by_age = population[(unit.year, unit.code)]
        assert unit.population_total == sum(by_age.values())
        assert unit.population_0_17 == sum(n for age, n in by_age.items() if age < 18)
        assert unit.population_18_plus == unit.population_total - unit.population_0_17
        assert unit.size_group == logic.size_group_label(unit.population_total)
    # A bydel's size group is by its own population, not Oslo's.
    bydel_groups = set(ReportingUnit.objects.filter(kind=UnitKind.BYDEL).values_list("size_group", flat=True))
    assert len(bydel_groups) > 1
    oslo = Municipality.objects.get(year=2024, code="0301")
    assert oslo.population_total == sum(population[(2024, "0301")].values())


def test_size_groups_follow_the_setting(settings: Any) -> None:
    settings.KARTLEGG_SIZE_GROUPS = [0, 10000]
    load(REFERENCE, "--quiet")
    labels = set(ReportingUnit.objects.values_list("size_group", flat=True))
    assert labels <= set(logic.size_group_labels([0, 10000]))
    assert len(labels) == 2


def test_units_get_county_health_region_and_dps() -> None:
    load(REFERENCE, "--quiet")
    for unit in ReportingUnit.objects.all():
        assert unit.county_code == unit.code[:2]
        assert unit.rhf_code and unit.hf_code and unit.dps_area, unit.code
        assert unit.kind == (UnitKind.BYDEL if len(unit.code) == 6 else UnitKind.KOMMUNE)
    # Oslo spans several HF areas through its bydeler, so the municipality row has none of its own.
    oslo = Municipality.objects.get(year=2024, code="0301")
    assert oslo.hf_code == "" and oslo.rhf_code == ""
    assert ReportingUnit.objects.filter(year=2024, municipality_code="0301").values("hf_code").distinct().count() > 1
    assert not Municipality.objects.exclude(code="0301").filter(hf_code="").exists()


def test_units_before_2024_get_the_dps_of_their_2024_successor() -> None:
    load(REFERENCE, "--quiet")
    old = ReportingUnit.objects.get(year=2023, code="1507")  # split into 1508 and 1580 in 2024
    new = ReportingUnit.objects.get(year=2024, code="1508")
    assert old.dps_area == new.dps_area != ""
    merged = ReportingUnit.objects.get(year=2023, code="3001")  # merged into 3105 in the fixture
    assert merged.dps_area == ReportingUnit.objects.get(year=2024, code="3105").dps_area


def test_known_dps_error_is_fixed_and_pseudo_codes_are_skipped() -> None:
    load(REFERENCE, "--quiet")
    rows = (REFERENCE / "health_regions/dps_areas_adult_2025.csv").read_text(encoding="utf-8")
    assert "1580,Ålesund" in rows  # the fixture carries the source's error …
    assert DpsMembership.objects.get(code="1508").name == "Ålesund"  # … and the loader corrects it
    assert DpsMembership.objects.get(code="1580").name == "Haram"
    pseudo = HealthRegionMembership.objects.filter(municipality_code__in=["9999", "8888", "2100"])
    assert not pseudo.exists()
    assert HealthRegionMembership.objects.filter(structure=2020, bydel_code="030101").exists()


def test_load_is_idempotent_and_keeps_unit_ids() -> None:
    load(REFERENCE, "--quiet")
    first = snapshot()
    load(REFERENCE, "--quiet")
    second = snapshot()
    assert first["counts"] == second["counts"]
    assert first["units"] == second["units"]  # updated in place: the same ids
    assert second["loads"] == first["loads"] + 1


def test_a_load_is_recorded_with_checksums() -> None:
    before = ReferenceLoad.objects.count()
    load(REFERENCE, "--quiet")
    record = ReferenceLoad.objects.order_by("-pk").first()
    assert ReferenceLoad.objects.count() == before + 1 and record is not None
    assert "klass/131/changes.json" in record.checksums
    assert "population/municipality_age.csv.gz" in record.checksums
    assert all(len(value) == 64 for value in record.checksums.values())
    assert record.summary["counts"]["ReportingUnit"] == ReportingUnit.objects.count()


def test_progress_is_shown_unless_quiet() -> None:
    loud = load(REFERENCE)
    assert "population/municipality_age.csv.gz" in loud
    assert "klass/131/changes.json" in loud
    assert load(REFERENCE, "--quiet") == ""


# Damaged input: a CommandError naming the file (and line), and the database left as it was


def assert_fails(directory: Path, *fragments: str) -> None:
    before = snapshot()
    with pytest.raises(CommandError) as caught:
        load(directory, "--quiet")
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert snapshot() == before


def test_missing_file(damaged: Path) -> None:
    (damaged / "klass/131/changes.json").unlink()
    assert_fails(damaged, "klass/131/changes.json")


def test_missing_folder(tmp_path: Path) -> None:
    assert_fails(tmp_path / "nowhere", "nowhere")


def test_broken_json_names_file_and_line(damaged: Path) -> None:
    path = damaged / "klass/131/kommuneinndeling-2024.json"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3] + ' "oops": '
    path.write_text("\n".join(lines), encoding="utf-8")
    assert_fails(damaged, "kommuneinndeling-2024.json", "linje")


def write_gz(path: Path, rows: list[list[str]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)


def read_gz(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def test_non_numeric_population_names_file_and_line(damaged: Path) -> None:
    path = damaged / "population/municipality_age.csv.gz"
    rows = read_gz(path)
    rows[5][4] = "12a"
    write_gz(path, rows)
    assert_fails(damaged, "population/municipality_age.csv.gz", "linje 6", "12a")


def test_missing_column_names_file_and_column(damaged: Path) -> None:
    path = damaged / "health_regions/municipality_hf_2024.csv"
    text = path.read_text(encoding="utf-8").replace("bohf_navn", "hf_navn", 1)
    path.write_text(text, encoding="utf-8")
    assert_fails(damaged, "municipality_hf_2024.csv", "bohf_navn")


def test_row_with_too_few_fields(damaged: Path) -> None:
    path = damaged / "klass/104/fylker.csv"
    path.write_text(path.read_text(encoding="utf-8") + "2024,99\n", encoding="utf-8")
    assert_fails(damaged, "klass/104/fylker.csv", "linje")


def test_truncated_gzip(damaged: Path) -> None:
    path = damaged / "population/oslo_bydel_age.csv.gz"
    path.write_bytes(path.read_bytes()[:-20])
    assert_fails(damaged, "population/oslo_bydel_age.csv.gz")


def test_boundary_of_the_wrong_kind(damaged: Path) -> None:
    (damaged / "geo/kommuner_2024.topojson").write_text('{"type": "FeatureCollection", "features": []}')
    assert_fails(damaged, "geo/kommuner_2024.topojson")


def test_county_without_a_name(damaged: Path) -> None:
    path = damaged / "klass/104/fylker.csv"
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if ",55," not in line]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    assert_fails(damaged, "klass/104/fylker.csv", "55")


def test_change_with_a_bad_date(damaged: Path) -> None:
    path = damaged / "klass/131/changes.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["codeChanges"][0]["changeOccurred"] = "soon"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert_fails(damaged, "klass/131/changes.json", "nr. 1")


def test_a_unit_in_use_is_not_deleted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit that responses point to (on_delete=PROTECT) and that the new data lacks stops the load."""
    original = QuerySet.delete

    def protected_delete(self: QuerySet[Any]) -> Any:
        if self.model is ReportingUnit:
            raise ProtectedError("in use", set(self[:1]))
        return original(self)

    monkeypatch.setattr(QuerySet, "delete", protected_delete)
    assert_fails(REFERENCE, "rapporteringsenhet", "i bruk")


def test_bad_size_group_setting_stops_the_load(settings: Any) -> None:
    settings.KARTLEGG_SIZE_GROUPS = [0, 10000, 5000]
    assert_fails(REFERENCE, "Kommunestørrelse")
