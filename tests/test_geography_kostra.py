"""SSB's KOSTRA groups: load_reference reads klass/112 when the folder has it (a small fixture in the format of
KLASS's correspondsAt answer, as fetch_reference writes it), and only then is the level offered."""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from kartlegg.analytics import levels as lv
from kartlegg.analytics.services.read import level_choices
from kartlegg.geography.models import ReportingUnit
from tests.conftest import FIXTURES
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db
KOSTRA_FILE = FIXTURES / "kostra" / "klass" / "112" / "kostragrupper-2024.json"


def folder(tmp_path: Path, kostra: bool = True) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(FIXTURES / "reference", target)
    if kostra:
        (target / "klass/112").mkdir(parents=True)
        shutil.copy(KOSTRA_FILE, target / "klass/112/kostragrupper-2024.json")
    return target


def load(directory: Path) -> None:
    call_command("load_reference", "--dir", str(directory), "--quiet", stdout=StringIO(), stderr=StringIO())


def test_the_loader_gives_each_unit_its_municipalitys_kostra_group(tmp_path: Path) -> None:
    load(folder(tmp_path))
    groups = dict(ReportingUnit.objects.filter(year=2024).values_list("code", "kostra_group"))
    assert groups["1508"] == "EKG12" and groups["1580"] == "EKG08"
    bydeler = ReportingUnit.objects.filter(year=2024, municipality_code="0301")
    assert bydeler.exists() and set(bydeler.values_list("kostra_group_name", flat=True)) == {"KOSTRA-gruppe 13"}
    assert not ReportingUnit.objects.filter(year=2023).exclude(kostra_group="").exists()  # no file for 2023 or before
    assert lv.KOSTRA_GROUP in level_choices()


def test_without_the_file_the_level_is_not_offered(tmp_path: Path) -> None:
    load(folder(tmp_path, kostra=False))
    assert not ReportingUnit.objects.exclude(kostra_group="").exists()
    assert lv.KOSTRA_GROUP not in level_choices()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "ugyldig JSON"),
        (json.dumps({"items": []}), "mangler correspondenceItems"),
        (json.dumps({"correspondenceItems": [{"sourceCode": "x", "targetCode": "EKG1"}]}), "element nr. 1"),
    ],
)
def test_a_damaged_kostra_file_is_named_and_nothing_is_loaded(tmp_path: Path, content: str, message: str) -> None:
    target = folder(tmp_path)
    (target / "klass/112/kostragrupper-2024.json").write_text(content, encoding="utf-8")
    before = ReportingUnit.objects.count()
    with pytest.raises(CommandError, match=message) as info:
        load(target)
    assert "kostragrupper-2024.json" in str(info.value)
    assert ReportingUnit.objects.count() == before


def test_the_kostra_level_appears_in_the_explorer_and_the_api(client: Client) -> None:
    SmallSurvey()
    assert "kostra_group" not in [c["code"] for c in client.get("/api/v1/statistics").json()["levels"]]
    assert client.get("/api/v1/statistics/arsverk_totalt", {"level": "kostra_group"}).status_code == 400
    ReportingUnit.objects.filter(county_code="15").update(kostra_group="EKG11", kostra_group_name="KOSTRA-gruppe 11")
    ReportingUnit.objects.filter(code="1505").update(kostra_group="EKG12", kostra_group_name="KOSTRA-gruppe 12")
    from kartlegg.analytics.services import read

    read._geo_cache.clear()  # the geography is cached per process until the reference data is reloaded
    assert "kostra_group" in [c["code"] for c in client.get("/api/v1/statistics").json()["levels"]]
    data = client.get("/api/v1/statistics/arsverk_totalt", {"level": "kostra_group", "structure": "2024"}).json()
    labels = data["dimension"]["Region"]["category"]["label"]
    assert {"kostra_group:EKG11": "KOSTRA-gruppe 11"}.items() <= labels.items()
    page = client.get("/statistikk/", {"variable": "arsverk_totalt", "level": "kostra_group"}).content.decode()
    assert "KOSTRA-gruppe 11" in page


def test_group_labels_use_the_group_name() -> None:
    units: list[Any] = [
        lv.UnitRecord(code="1505", kostra_group="EKG11", kostra_group_name="KOSTRA-gruppe 11"),
        lv.UnitRecord(code="1506", kostra_group="EKG11", kostra_group_name="KOSTRA-gruppe 11"),
        lv.UnitRecord(code="1507"),
    ]
    assert lv.group_labels(units, lv.KOSTRA_GROUP) == {"EKG11": "KOSTRA-gruppe 11"}
