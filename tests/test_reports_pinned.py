"""The report computed from one locked data version: a built report keeps its figures when the data change later,
they match the statistics API with the same `version`, and a rebuild with `--data-version` gives the same figures;
every figure and table links to the statistics pinned to that version. On the small survey of
test_analytics_aggregates (Møre og Romsdal, 2019, 2020, 2024)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client

from kartlegg.analytics import services as statistics
from kartlegg.analytics.cube import round_half_up
from kartlegg.quality.services import versions as quality
from kartlegg.reports import services
from kartlegg.reports.document import Report
from kartlegg.reports.models import Report as StoredReport
from kartlegg.reports.render_html import explorer_url, shown_table
from kartlegg.reports.sources import ReportError
from tests.factories import make_analyst
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def locked(client: Client) -> dict[str, Any]:
    """2019 and 2020 locked as data version 1 and pinned; an analyst logged in."""
    survey = SmallSurvey()
    analyst = make_analyst()
    statistics.compute()
    for year in (2019, 2020):
        quality.lock_round(survey.rounds[year], analyst)
    statistics.recompute(survey.rounds[2020].pk)
    client.force_login(analyst)
    return {"survey": survey, "analyst": analyst}


def headline(document: Report) -> dict[str, list[Any]]:
    table = document.table("sammendrag-hovedtall")
    assert table is not None
    return {row.label: [c.value for c in row.cells] for row in table.rows}


def api_values(client: Client, variable: str, years: str, version: str | None) -> dict[int, float | None]:
    query = f"years={years}&structure=2024" + (f"&version={version}" if version else "")
    response = client.get(f"/api/v1/statistics/{variable}?{query}")
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    index = data["dimension"]["Tid"]["category"]["index"]
    return {int(y): data["value"][i] for y, i in index.items()}


def correct_2020(context: dict[str, Any]) -> None:
    """A correction after the lock (data version 2) and the live recompute it queues."""
    survey = context["survey"]
    round_obj = survey.rounds[2020]
    unit = sorted(survey.values[2020])[0]
    old = survey.values[2020][unit]["B_a.r1.c1"]
    quality.correct_locked(round_obj, unit, {"B_a.r1.c1": str(round(old + 40, 2)).replace(".", ",")},
                           "Feil i årsverk", context["analyst"])  # fmt: skip
    statistics.recompute(round_obj.pk)


def test_a_report_of_version_1_keeps_its_figures_matches_the_api_and_rebuilds_identically(
    locked: dict[str, Any], client: Client
) -> None:
    first = services.build_report(2020)
    assert first.data_version == "v1"  # the newest locked version by default
    document = services.document_of(first)
    assert document.data_versions == {"2019": "v1", "2020": "v1"}
    v1 = headline(document)
    api = api_values(client, "arsverk_totalt", "2019-2020", "1")
    assert round_half_up(v1["Totalt"][0], 1) == api[2019] and round_half_up(v1["Totalt"][1], 1) == api[2020]
    services.change_status(first, "submit", locked["analyst"])
    services.change_status(first, "approve", locked["analyst"])

    correct_2020(locked)
    live = api_values(client, "arsverk_totalt", "2020", "live")
    assert live[2020] == pytest.approx(round_half_up(v1["Totalt"][1] + 40, 1))  # the live figures moved
    assert api_values(client, "arsverk_totalt", "2020", "2")[2020] == live[2020]
    assert api_values(client, "arsverk_totalt", "2020", "1")[2020] == api[2020]  # version 1 did not

    first.refresh_from_db()
    assert headline(services.document_of(first)) == v1  # the stored report never changes
    again = services.build_report(2020, data_version="1")
    assert again.pk != first.pk and again.data_version == "v1"
    assert headline(services.document_of(again)) == v1
    assert services.document_of(again).to_dict()["chapters"] == document.to_dict()["chapters"]
    newest = services.build_report(2020)  # the draft moves on to version 2
    assert newest.pk == again.pk and newest.data_version == "v2"
    assert headline(services.document_of(newest))["Totalt"][1] == pytest.approx(v1["Totalt"][1] + 40)
    assert "dataversjon 2" in " ".join(p.text for p in services.document_of(newest).paragraphs())


def test_the_command_pins_the_version_and_rejects_an_unknown_one(locked: dict[str, Any], tmp_path: Path) -> None:
    correct_2020(locked)
    out = io.StringIO()
    call_command("build_report", "--year", "2020", "--data-version", "v1", "--format", "xlsx", "--out",
                 str(tmp_path), stdout=out)  # fmt: skip
    assert "v1" in out.getvalue()
    stored = StoredReport.objects.get()
    assert stored.data_version == "v1"
    with pytest.raises(CommandError, match=r"^data-version: 2020 har ingen dataversjon 7 \(låste versjoner: 1, 2\)"):
        call_command("build_report", "--year", "2020", "--data-version", "7", "--out", str(tmp_path))
    with pytest.raises(ReportError, match="^data-version: 'nyeste' er ikke"):
        services.build_report(2020, data_version="nyeste")
    with pytest.raises(ReportError, match="^data-version: 2024 har ingen dataversjon 1 .*ikke låst"):
        services.build_report(2024, data_version="1")
    live = services.build_report(2020, data_version="live")
    assert live.data_version == "live"


def test_figures_and_tables_link_to_the_same_version(locked: dict[str, Any], client: Client) -> None:
    stored = services.build_report(2020)
    document = services.document_of(stored)
    url = explorer_url("arsverk_totalt|sum|county|15|2020", document)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.path == "/statistikk/tall/"
    assert query == {"variable": "arsverk_totalt", "measure": "sum", "level": "county", "region": "15",
                     "year": "2020", "structure": "2024", "imputation": "carry_forward", "version": "1"}  # fmt: skip
    assert 'href="/statistikk/tall/?variable=arsverk_totalt&amp;measure=sum' in stored.html
    page = client.get(url).content.decode()
    assert "dataversjon 1 (låst etter kvalitetskontroll)" in page and 'id="enheter"' in page
    # a linked figure of every kind (variable, measure and level) opens its provenance view
    kinds: dict[tuple[str, ...], str] = {}
    for href in re.findall(r'href="(/statistikk/tall/[^"]+)"', stored.html):
        found = parse_qs(urlsplit(href.replace("&amp;", "&")).query)
        kinds.setdefault((found["variable"][0], found["measure"][0], found["level"][0]), href.replace("&amp;", "&"))
    assert len(kinds) > 5
    for href in kinds.values():
        response = client.get(href)
        assert response.status_code == 200 and 'class="ds-error-summary"' not in response.content.decode(), href
    table = document.table("sammendrag-hovedtall")
    assert table is not None and table.variable
    links = dict(shown_table(table, document).downloads)
    assert set(links) == {"CSV", "JSON-stat", "PX", "XLSX", "Tabellen i statistikkbanken"}
    for name in ("CSV", "JSON-stat", "PX", "XLSX"):
        assert "version=1" in links[name]
        response = client.get(links[name])
        assert response.status_code == 200, (name, response.content[:200])
    assert b"PX" not in client.get(links["CSV"]).content[:4]
    assert client.get(links["PX"]).content.startswith(b"CHARSET")
    explorer = client.get(links["Tabellen i statistikkbanken"])
    assert explorer.status_code == 200 and "dataversjon 1" in explorer.content.decode()


def test_the_explorer_honours_the_version_and_the_old_data_version_links(
    locked: dict[str, Any], client: Client
) -> None:
    correct_2020(locked)
    base = "/statistikk/?variable=arsverk_totalt&level=nation&years=2020&structure=2024"
    v1 = api_values(client, "arsverk_totalt", "2020", "1")[2020]
    v2 = api_values(client, "arsverk_totalt", "2020", "2")[2020]
    assert v1 != v2
    for query in ("&version=1", "&data_version=v1"):
        page = client.get(base + query).content.decode()
        assert "Låste tall: 2020: dataversjon 1" in page
        assert 'name="version" value="1"' in page  # the form keeps it
        assert "version=1" in page.split("Last ned:")[1].split("</p>")[0]  # so do the downloads
    page = client.get(base + "&version=2").content.decode()
    assert "Låste tall: 2020: dataversjon 2" in page
    bad = client.get(base + "&version=9").content.decode()
    assert "<strong>version</strong>: 2020 har ingen dataversjon 9" in bad


def test_a_table_across_years_of_different_versions_links_each_year_at_its_own(
    locked: dict[str, Any], client: Client
) -> None:
    correct_2020(locked)
    document = services.document_of(services.build_report(2020))
    assert document.data_versions == {"2019": "v1", "2020": "v2"}
    table = document.table("sammendrag-hovedtall")
    assert table is not None
    links = dict(shown_table(table, document).downloads)
    assert "version=2019%3A1%2C2020%3A2" in links["JSON-stat"]
    data = json.loads(client.get(links["JSON-stat"]).content)
    index = data["dimension"]["Tid"]["category"]["index"]
    total = next(r for r in table.rows if r.label == "Totalt")
    assert [data["value"][index[y]] for y in ("2019", "2020")] == [
        round_half_up(total.cells[0].value, 1),
        round_half_up(total.cells[1].value, 1),
    ]
    assert (
        api_values(client, "arsverk_totalt", "2019-2020", "2019:1,2020:2")[2020]
        == api_values(client, "arsverk_totalt", "2020", "2")[2020]
    )
    assert "version=1" in explorer_url("arsverk_totalt|sum|nation|0|2019", document)
    assert "version=2" in explorer_url("arsverk_totalt|sum|nation|0|2020", document)
    for bad, status in (("2019:x", 400), ("2019:1,2019:2", 400), ("2019:9", 404)):
        response = client.get(f"/api/v1/statistics/arsverk_totalt?years=2019-2020&version={bad}")
        assert response.status_code == status and response.json()["error"].startswith("version:"), bad


def test_build_form_offers_the_years_locked_versions_and_refuses_bad_choices(
    locked: dict[str, Any], client: Client
) -> None:
    page = client.get("/rapporter/").content.decode()
    assert 'name="data_version"' in page and 'value="2020:1"' in page and 'value="2019:1"' in page
    assert '<option value="" selected>' in page  # default: the year's newest locked version
    for choice, message in (
        ("2019:1", "data_version: versjonen «2019:1» hører til et annet år enn 2020"),
        ("2020:7", "data_version: 2020 har ingen låst dataversjon 7 (låste versjoner: 1)"),
        ("9", "data_version: 2020 har ingen låst dataversjon 9"),
        ("x1", "data_version: «x1» er ikke en dataversjon"),
    ):
        response = client.post("/rapporter/bygg/", {"year": "2020", "data_version": choice}, follow=True)
        assert message in response.content.decode().replace("&#x27;", "'"), choice
    assert not StoredReport.objects.exists()
    unlocked = client.post("/rapporter/bygg/", {"year": "2024", "data_version": "2024:1"}, follow=True)
    assert "data_version: 2024 har ingen låst dataversjon 1 (låste versjoner: ingen (året er ikke låst))" in (
        unlocked.content.decode()
    )
    client.post("/rapporter/bygg/", {"year": "2020", "data_version": "2020:1"})
    stored = StoredReport.objects.get()
    assert stored.data_version == "v1" and stored.build_state == "done"
    client.post("/rapporter/bygg/", {"year": "2020", "data_version": "live"})
    stored.refresh_from_db()
    assert stored.data_version == "live"  # the draft rebuilt in place from the live figures
    client.post("/rapporter/bygg/", {"year": "2020"})
    stored.refresh_from_db()
    assert stored.data_version == "v1"  # the default is the newest locked version
