"""fetch_reference: the downloader replays recorded responses (tests/fixtures/fetch) through `responses`, which also
blocks every address that is not registered, so nothing here touches the network.

The recorded StatBank answers carry real values (trimmed from the shared reference folder, which is itself API
output); the KLASS documents are real version documents with most municipalities cut away.
"""

from __future__ import annotations

import copy
import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from django.core.management import call_command
from django.core.management.base import CommandError

from kartlegg.geography import downloader_sources as sources
from kartlegg.geography.downloader import FetchOptions, fetch_reference, parse_only, parse_years
from kartlegg.geography.downloader_http import DownloadError, HttpClient, Throttle
from kartlegg.geography.downloader_klass import parse_versions, versions_for_years
from kartlegg.geography.downloader_population import fetch_population, parse_jsonstat, region_batches
from kartlegg.geography.loader_files import read_reference_folder

FIXTURES = Path(__file__).parent / "fixtures" / "fetch"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
KLASS_131 = sources.klass_classification_url(sources.KLASS_MUNICIPALITIES)
VERSION_IDS = {2023: 1847, 2024: 1710}
GEO_FIXTURES = {
    "geo/kommuner_2024.topojson": "kartverket_kommuner_2024.topojson",
    "geo/fylker_2024.topojson": "kartverket_fylker_2024.topojson",
    "geo/kommuner_2020.topojson": "kartverket_kommuner_2020.topojson",
    "geo/fylker_2020.topojson": "kartverket_fylker_2020.topojson",
    "geo/hf_areas_2025.geojson": "skde_hf_areas_2025.geojson",
    "geo/dps_areas_2025.geojson": "skde_dps_areas_2025.geojson",
}
EXPECTED_FILES = {
    *GEO_FIXTURES,
    "klass/131/kommuneinndeling-2023.json",
    "klass/131/kommuneinndeling-2024.json",
    "klass/131/changes.json",
    "klass/104/fylker.csv",
    "klass/112/kostragrupper-2024.json",
    "population/municipality_age.csv.gz",
    "population/oslo_bydel_age.csv.gz",
    "health_regions/dps_areas_adult_2025.csv",
    "health_regions/municipality_hf_2024.csv",
    "health_regions/municipality_hf_2020.csv",
}


class FakeClock:
    """A clock that only moves when something sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(clock: FakeClock | None = None) -> HttpClient:
    clock = clock or FakeClock()
    return HttpClient(clock=clock, sleep=clock.sleep)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture(name))


def recorded_statbank(table: str, year: int) -> dict[str, Any]:
    return fixture_json(f"ssb_{table}_{year}.json")


def slice_jsonstat(document: dict[str, Any], regions: list[str], ages: list[str]) -> dict[str, Any] | None:
    """What StatBank answers for a subset of a recorded dataset (regions and ages in query order)."""
    region_index = document["dimension"]["Region"]["category"]["index"]
    age_index = document["dimension"]["Alder"]["category"]["index"]
    if any(r not in region_index for r in regions) or any(a not in age_index for a in ages):
        return None
    n_ages = document["size"][1]
    answer = copy.deepcopy(document)
    answer["size"] = [len(regions), len(ages), 1, 1]
    answer["dimension"]["Region"]["category"]["index"] = {r: n for n, r in enumerate(regions)}
    answer["dimension"]["Region"]["category"]["label"] = {
        r: document["dimension"]["Region"]["category"]["label"][r] for r in regions
    }
    answer["dimension"]["Alder"]["category"]["index"] = {a: n for n, a in enumerate(ages)}
    answer["value"] = [document["value"][region_index[r] * n_ages + age_index[a]] for r in regions for a in ages]
    return answer


def statbank_callback(queries: list[dict[str, Any]]) -> Any:
    """A fake StatBank backed by the recorded answers; it keeps every query it receives."""

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        query = json.loads(body)
        queries.append({"url": request.url, **query})
        selection = {q["code"]: q["selection"]["values"] for q in query["query"]}
        table = str(request.url).rstrip("/").rsplit("/", 1)[-1]
        path = FIXTURES / f"ssb_{table}_{selection['Tid'][0]}.json"
        answer = (
            slice_jsonstat(json.loads(path.read_text()), selection["Region"], selection["Alder"])
            if path.exists()
            else None
        )
        if answer is None:
            return 400, {}, "Bad Request"
        return 200, {"Content-Type": "application/json"}, json.dumps(answer, ensure_ascii=False)

    return callback


def kostra_callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """KLASS's correspondence 131 → 112 (KOSTRA groups): the 2024 fixture; for other dates no items, as KLASS answers
    for a date that no correspondence table covers."""
    url = str(request.url)
    assert "targetClassificationId=112" in url
    if "date=2024-01-01" in url:
        return 200, {"Content-Type": "application/json"}, fixture("klass_131_112_2024.json").decode("utf-8")
    return 200, {"Content-Type": "application/json"}, json.dumps({"correspondenceItems": []})


def register_sources(
    rsps: responses.RequestsMock, queries: list[dict[str, Any]] | None = None, *, years: tuple[int, ...] = (2023, 2024)
) -> None:
    json_type = "application/json"
    rsps.get(KLASS_131, body=fixture("klass_131.json"), content_type=json_type)
    for year in years:
        version_id = VERSION_IDS[year]
        rsps.get(
            sources.klass_version_url(version_id),
            body=fixture(f"klass_131_version_{version_id}.json"),
            content_type=json_type,
        )
    rsps.get(
        sources.klass_changes_url(sources.KLASS_MUNICIPALITIES),
        body=fixture("klass_131_changes.json"),
        content_type=json_type,
    )
    rsps.get(
        sources.klass_codes_at_url(sources.KLASS_COUNTIES),
        body=fixture("klass_104_codes_at_2024.json"),
        content_type=json_type,
    )
    rsps.add_callback(
        responses.GET,
        sources.klass_corresponds_at_url(sources.KLASS_MUNICIPALITIES),
        callback=kostra_callback,
    )
    callback = statbank_callback(queries if queries is not None else [])
    for table in (sources.POPULATION_MUNICIPALITY, sources.POPULATION_BYDEL):
        rsps.add_callback(responses.POST, table.url, callback=callback)
    for relative, url in {**sources.KARTVERKET_FILES, **sources.SKDE_BOUNDARY_FILES}.items():
        rsps.get(url, body=fixture(GEO_FIXTURES[relative]))
    (url_2024, _), (url_2020, _) = (
        sources.SKDE_HEALTH_REGION_FILES["health_regions/municipality_hf_2024.csv"],
        sources.SKDE_HEALTH_REGION_FILES["health_regions/municipality_hf_2020.csv"],
    )
    rsps.get(url_2024, body=fixture("skde_boomr.csv"))
    rsps.get(url_2020, body=fixture("skde_boomr_2021.csv"))
    rsps.get(sources.SKDE_DPS_TABLE_URL, body=fixture("skde_dps_voksen.md"))


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    if path.suffix == ".gz":
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def first_line(path: Path) -> str:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.decode("utf-8").splitlines()[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def fetched(tmp_path: Path) -> tuple[Path, list[dict[str, Any]], list[str]]:
    queries: list[dict[str, Any]] = []
    target = tmp_path / "reference"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        register_sources(rsps, queries)
        result = fetch_reference(target, FetchOptions(years=(2023, 2024), quiet=True), client=make_client())
        called = [call.request.url for call in rsps.calls]
    assert sorted(result.files) == sorted(EXPECTED_FILES)
    assert result.requests == len(called)
    return target, queries, called


def test_full_fetch_writes_every_file_in_a_folder_the_loader_reads(fetched: Any) -> None:
    target, _queries, _called = fetched
    written = {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()}
    assert written == EXPECTED_FILES
    parsed = read_reference_folder(target)  # load_reference's own reader: raises on any format problem
    assert sorted(v.version for v in parsed.versions) == [2023, 2024]
    assert {(2024, "1508"), (2024, "1580"), (2023, "1507"), (2024, "030117")} <= set(parsed.population)
    assert parsed.county_names == {2024: {"03": "Oslo", "15": "Møre og Romsdal", "31": "Østfold"}}
    assert {b[0] for b in parsed.boundaries} == {Path(p).name.split(".")[0] for p in GEO_FIXTURES}
    assert parsed.kostra[2024]["0301"] == ("EKG13", "KOSTRA-gruppe 13") and 2023 not in parsed.kostra
    assert (target / "klass/112/kostragrupper-2024.json").read_bytes() == fixture("klass_131_112_2024.json")
    assert not list(target.parent.glob(".reference.fetch-*")), "the temporary folder is removed"


def test_klass_files_are_the_documents_as_returned_and_the_changes_as_listed(fetched: Any) -> None:
    target, _queries, _called = fetched
    for year, version_id in VERSION_IDS.items():
        assert (target / f"klass/131/kommuneinndeling-{year}.json").read_bytes() == fixture(
            f"klass_131_version_{version_id}.json"
        )
    changes = json.loads((target / "klass/131/changes.json").read_text(encoding="utf-8"))
    assert list(changes) == ["codeChanges"]
    assert changes["codeChanges"] == fixture_json("klass_131_changes.json")["codeChanges"]
    # The county table: counted from the 2024 version (9999 left out), named from Kartverket's county file.
    assert (target / "klass/104/fylker.csv").read_text(encoding="utf-8").splitlines() == [
        "version,fylkesnummer,fylkesnavn,n_kommuner",
        "2024,03,Oslo,1",
        "2024,15,Møre og Romsdal,2",
        "2024,31,Østfold,1",
    ]


def test_fetch_asks_klass_for_the_right_period_and_needs_no_county_lookup_when_boundaries_match(fetched: Any) -> None:
    _target, _queries, called = fetched
    changes_calls = [url for url in called if "/changes" in url]
    assert len(changes_calls) == 1
    assert "from=1972-01-01" in changes_calls[0] and "to=2024-12-31" in changes_calls[0]
    assert not [url for url in called if "codesAt" in url]


def test_population_csv_is_tidy_and_holds_the_recorded_values(fetched: Any) -> None:
    target, _queries, _called = fetched
    path = target / "population/municipality_age.csv.gz"
    assert first_line(path) == "year,code,name,age,population"
    rows = read_csv_rows(path)
    recorded = recorded_statbank("07459", 2024)
    n_ages = recorded["size"][1]
    oslo = recorded["dimension"]["Region"]["category"]["index"]["0301"]
    oslo_values = recorded["value"][oslo * n_ages : (oslo + 1) * n_ages]
    oslo_2024 = [r for r in rows if r["year"] == "2024" and r["code"] == "0301"]
    assert [int(r["age"]) for r in oslo_2024] == list(range(106))
    assert [int(r["population"]) for r in oslo_2024] == oslo_values
    assert oslo_2024[0]["name"] == "Oslo"
    assert {(r["year"], r["code"]) for r in rows} == {
        ("2023", "0301"),
        ("2023", "1507"),
        ("2023", "3001"),
        ("2024", "0301"),
        ("2024", "1508"),
        ("2024", "1580"),
        ("2024", "3101"),
    }
    keys = [(int(r["year"]), r["code"], int(r["age"])) for r in rows]
    assert keys == sorted(keys)


def test_bydel_population_uses_plain_six_digit_codes(fetched: Any) -> None:
    target, _queries, _called = fetched
    rows = read_csv_rows(target / "population/oslo_bydel_age.csv.gz")
    assert sorted({r["code"] for r in rows}) == list(sources.OSLO_BYDELER)
    gamle_oslo = next(r for r in rows if r["year"] == "2023" and r["code"] == "030101" and r["age"] == "0")
    recorded = recorded_statbank("10826", 2023)
    assert gamle_oslo["name"] == recorded["dimension"]["Region"]["category"]["label"]["030101a"]
    assert int(gamle_oslo["population"]) == recorded["value"][0]


def test_population_queries_follow_the_pxweb_api(fetched: Any) -> None:
    _target, queries, _called = fetched
    assert len(queries) == 4  # two tables, two years, each well under the cell limit
    for query in queries:
        selection = {q["code"]: q["selection"] for q in query["query"]}
        assert query["response"] == {"format": "json-stat2"}
        assert set(selection) == {"Region", "Alder", "Tid"}
        assert len(selection["Alder"]["values"]) == 106 and selection["Alder"]["values"][-1] == "105+"
    municipality_2024 = next(
        q for q in queries if "07459" in q["url"] and q["query"][2]["selection"]["values"] == ["2024"]
    )
    assert municipality_2024["query"][0]["selection"] == {
        "filter": "item",
        "values": ["0301", "1508", "1580", "3101"],
    }
    bydel = next(q for q in queries if "10826" in q["url"])
    assert bydel["query"][0]["selection"]["values"][0] == "030101a"


def test_health_regions_keep_skde_rows_and_add_oslo_from_the_dps_table(fetched: Any) -> None:
    target, _queries, _called = fetched
    rows_2024 = read_csv_rows(target / "health_regions/municipality_hf_2024.csv")
    assert list(rows_2024[0]) == [
        "komnr",
        "komnr_navn",
        "bydel",
        "bydel_navn",
        "borhf",
        "borhf_navn",
        "bohf",
        "bohf_navn",
        "bodps",
        "bodps_navn",
    ]
    by_key = {(r["komnr"], r["bydel"]): r for r in rows_2024}
    assert by_key[("5605", "")]["bodps_navn"] == "Øst-Finnmark"
    assert by_key[("4601", "460101")]["bydel_navn"] == "01 Arna"
    assert ("", "") not in by_key, "SKDE's comment line is not a row"
    oslo = [r for r in rows_2024 if r["komnr"] == "0301"]
    assert [r["bydel"] for r in oslo] == list(sources.OSLO_BYDELER)
    assert by_key[("0301", "030101")]["bydel_navn"] == "01 Gamle Oslo"
    assert (by_key[("0301", "030101")]["bohf"], by_key[("0301", "030101")]["bohf_navn"]) == ("17", "Lovisenberg")
    assert by_key[("0301", "030117")]["bohf_navn"] == "OUS"  # Marka is in Nydalen DPS
    assert by_key[("0301", "030110")]["bohf_navn"] == "Akershus"  # Groruddalen DPS
    rows_2020 = read_csv_rows(target / "health_regions/municipality_hf_2020.csv")
    assert list(rows_2020[0]) == [
        "komnr",
        "komnr_navn",
        "bydel",
        "bydel_navn",
        "borhf",
        "borhf_navn",
        "bohf",
        "bohf_navn",
    ]
    first = rows_2020[0]
    assert (first["komnr"], first["borhf_navn"], first["bohf_navn"]) == ("5444", "Helse Nord RHF", "Finnmark")
    assert len([r for r in rows_2020 if r["komnr"] == "0301"]) == 17


def test_dps_table_is_parsed_with_flags_fixes_and_without_footnotes(fetched: Any) -> None:
    target, _queries, _called = fetched
    rows = read_csv_rows(target / "health_regions/dps_areas_adult_2025.csv")
    assert list(rows[0]) == ["dps_area", "area_adjusted_flag", "code", "name"]
    sunnmore = [(r["code"], r["name"]) for r in rows if r["dps_area"] == "Sunnmøre"]
    assert sunnmore.count(("1508", "Ålesund")) == 1 and ("1580", "Haram") in sunnmore
    assert ("1580", "Ålesund") not in sunnmore
    levanger = [r for r in rows if r["dps_area"] == "Levanger"]
    assert {r["area_adjusted_flag"] for r in levanger} == {"True"}
    assert levanger[-1]["name"] == "Inderøy"
    assert {r["area_adjusted_flag"] for r in rows if r["dps_area"] == "Sunnmøre"} == {"False"}
    assert ("500199", "Uoppgitt bydel Trondheim") in [(r["code"], r["name"]) for r in rows]


def test_boundary_files_are_stored_as_published(fetched: Any) -> None:
    target, _queries, _called = fetched
    for relative, name in GEO_FIXTURES.items():
        assert (target / relative).read_bytes() == fixture(name)


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs the shared reference folder")
def test_written_files_have_the_shared_folders_headers_and_keys(fetched: Any) -> None:
    target, _queries, _called = fetched
    for relative in (
        "klass/104/fylker.csv",
        "population/municipality_age.csv.gz",
        "population/oslo_bydel_age.csv.gz",
        "health_regions/municipality_hf_2024.csv",
        "health_regions/municipality_hf_2020.csv",
        "health_regions/dps_areas_adult_2025.csv",
    ):
        assert first_line(target / relative) == first_line(SHARED / relative), relative
    for relative in ("klass/131/kommuneinndeling-2024.json", "klass/131/changes.json"):
        ours = json.loads((target / relative).read_text(encoding="utf-8"))
        theirs = json.loads((SHARED / relative).read_text(encoding="utf-8"))
        assert set(ours) == set(theirs), relative
    ours_change = json.loads((target / "klass/131/changes.json").read_text())["codeChanges"][0]
    theirs_change = json.loads((SHARED / "klass/131/changes.json").read_text())["codeChanges"][0]
    assert set(ours_change) == set(theirs_change)


def test_command_fetches_only_the_chosen_parts_and_keeps_the_rest(tmp_path: Path) -> None:
    target = tmp_path / "ref"
    (target / "published").mkdir(parents=True)
    (target / "published/is24_8_national_arsverk.csv").write_text("year\n2017\n")
    (target / "klass/131").mkdir(parents=True)
    (target / "klass/131/kommuneinndeling-2024.json").write_text("{}")
    out = io.StringIO()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        register_sources(rsps, years=(2024,))
        call_command(
            "fetch_reference",
            "--to",
            str(target),
            "--years",
            "2024",
            "--only",
            "klass",
            stdout=out,
            http_client=make_client(),
        )
        called = [call.request.url for call in rsps.calls]
    assert (target / "published/is24_8_national_arsverk.csv").read_text() == "year\n2017\n"
    assert (target / "klass/131/kommuneinndeling-2024.json").read_bytes() == fixture("klass_131_version_1710.json")
    assert not (target / "population").exists()
    assert "Skrev 3 filer" in out.getvalue()
    # No Kartverket county file in the folder, so the county names come from KLASS 104 on 1 January 2024.
    assert [url for url in called if "codesAt" in url and "date=2024-01-01" in url]
    assert not [url for url in called if "api/v0" in url or "githubusercontent" in url]


def test_a_server_error_that_persists_names_the_address_and_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "ref"
    (target / "klass/131").mkdir(parents=True)
    (target / "klass/131/kommuneinndeling-2024.json").write_text('{"old": true}')
    before = snapshot(target)
    clock = FakeClock()
    with responses.RequestsMock() as rsps:
        rsps.get(KLASS_131, status=500, body="Internal Server Error")
        with pytest.raises(CommandError) as error:
            call_command(
                "fetch_reference", "--to", str(target), "--only", "klass", "--quiet", http_client=make_client(clock)
            )
        assert len(rsps.calls) == 1 + sources.RETRIES
    message = str(error.value)
    assert KLASS_131 in message and "HTTP 500" in message and "uendret" in message
    assert clock.sleeps == [sources.BACKOFF_SECONDS * 2**n for n in range(sources.RETRIES)]
    assert snapshot(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["ref"], "no temporary folder is left behind"


def test_a_failure_late_in_the_run_does_not_create_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "new-ref"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        register_sources(rsps, years=(2024,))
        rsps.replace(responses.GET, sources.SKDE_DPS_TABLE_URL, body="<html>no table here</html>")
        with pytest.raises(CommandError, match="fant ingen DPS-tabell"):
            call_command(
                "fetch_reference", "--to", str(target), "--years", "2024", "--quiet", http_client=make_client()
            )
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_malformed_statbank_answer_stops_the_command_with_the_table_address(tmp_path: Path) -> None:
    target = tmp_path / "ref"
    broken = recorded_statbank("07459", 2024)
    broken["value"] = broken["value"][:-1]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        register_sources(rsps, years=(2024,))
        rsps.replace(responses.POST, sources.POPULATION_MUNICIPALITY.url, json=broken)
        with pytest.raises(CommandError) as error:
            call_command(
                "fetch_reference",
                "--to",
                str(target),
                "--years",
                "2024",
                "--only",
                "klass,population",
                "--quiet",
                http_client=make_client(),
            )
    assert sources.POPULATION_MUNICIPALITY.url in str(error.value)
    assert "value har 423 tall, ventet 424" in str(error.value)
    assert not target.exists()


@pytest.mark.parametrize(
    ("years", "only", "message"),
    [
        ("20x4", "klass", "Ugyldige år"),
        ("2024-2017", "klass", "første år er etter siste"),
        ("1800", "klass", "mellom 1990 og 2100"),
        ("2024", "klass,weather", "Ukjent del: weather"),
    ],
)
def test_command_rejects_bad_years_and_parts(tmp_path: Path, years: str, only: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("fetch_reference", "--to", str(tmp_path / "ref"), "--years", years, "--only", only, "--quiet")
    assert not (tmp_path / "ref").exists()


def test_population_alone_needs_the_classification_in_the_folder(tmp_path: Path) -> None:
    with (
        responses.RequestsMock(assert_all_requests_are_fired=False),
        pytest.raises(CommandError, match="trenger kommuneinndelingen for 2024"),
    ):
        call_command(
            "fetch_reference",
            "--to",
            str(tmp_path / "ref"),
            "--years",
            "2024",
            "--only",
            "population",
            "--quiet",
            http_client=make_client(),
        )


# HTTP: throttle, retries, errors


def test_throttle_keeps_ssb_requests_within_30_a_minute() -> None:
    clock = FakeClock()
    client = make_client(clock)
    started: list[float] = []
    client.on_request = lambda _url: started.append(clock())
    with responses.RequestsMock() as rsps:
        rsps.get(KLASS_131, json={"ok": True})
        for _ in range(65):
            client.get_json(KLASS_131)
    assert len(started) == 65
    assert len(clock.sleeps) == 2  # before request 31 and before request 61
    assert sum(clock.sleeps) == pytest.approx(2 * (sources.SSB_PERIOD_SECONDS + sources.SSB_MARGIN_SECONDS))
    for first in started:
        in_window = [t for t in started if first <= t < first + sources.SSB_PERIOD_SECONDS]
        assert len(in_window) <= sources.SSB_MAX_QUERIES


def test_throttle_does_not_slow_other_hosts() -> None:
    clock = FakeClock()
    client = make_client(clock)
    url = sources.SKDE_DPS_TABLE_URL
    with responses.RequestsMock() as rsps:
        rsps.get(url, body="x")
        for _ in range(40):
            client.get_bytes(url)
    assert clock.sleeps == []


def test_throttle_spreads_requests_that_arrive_slowly_without_sleeping() -> None:
    clock = FakeClock()
    throttle = Throttle(limit=3, period=10.0, clock=clock, sleep=clock.sleep)
    for _ in range(9):
        throttle.wait()
        clock.now += 4.0  # 2.5 requests per 10 s: never over the limit
    assert clock.sleeps == []
    with pytest.raises(ValueError):
        Throttle(limit=0, period=10.0, clock=clock, sleep=clock.sleep)


def test_retries_after_429_then_succeeds_and_honours_retry_after() -> None:
    clock = FakeClock()
    with responses.RequestsMock() as rsps:
        rsps.get(KLASS_131, status=429, headers={"Retry-After": "7"}, body="Too Many Requests")
        rsps.get(KLASS_131, json={"versions": []})
        assert make_client(clock).get_json(KLASS_131) == {"versions": []}
        assert len(rsps.calls) == 2
    assert clock.sleeps == [7.0]


def test_a_client_error_is_not_retried() -> None:
    clock = FakeClock()
    with responses.RequestsMock() as rsps:
        rsps.get(KLASS_131, status=404, body="Not Found")
        with pytest.raises(DownloadError, match="HTTP 404"):
            make_client(clock).get_json(KLASS_131)
        assert len(rsps.calls) == 1
    assert clock.sleeps == []


def test_network_failure_is_retried_then_named() -> None:
    clock = FakeClock()
    with responses.RequestsMock() as rsps:  # nothing registered: every request fails to connect
        with pytest.raises(DownloadError) as error:
            make_client(clock).get_json(KLASS_131, {"language": "nb"})
        assert len(rsps.calls) == 1 + sources.RETRIES
    assert f"{KLASS_131}?language=nb" in str(error.value)
    assert "nettverksfeil" in str(error.value)


def test_invalid_json_is_reported_with_the_address() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(KLASS_131, body="<html>maintenance</html>")
        with pytest.raises(DownloadError, match="ikke gyldig JSON"):
            make_client().get_json(KLASS_131)


def test_requests_carry_a_kartlegg_user_agent_and_a_timeout() -> None:
    client = make_client()
    with responses.RequestsMock() as rsps:
        rsps.get(KLASS_131, json={})
        client.get_json(KLASS_131)
        assert "kartlegg" in rsps.calls[0].request.headers["User-Agent"]
        assert rsps.calls[0].request.headers["Accept"] == "application/json"
    assert client.timeout == sources.TIMEOUT


def good_jsonstat() -> dict[str, Any]:
    return recorded_statbank("07459", 2024)


def broken(change: Any) -> dict[str, Any]:
    document = good_jsonstat()
    change(document)
    return document


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([1, 2, 3], "ikke et JSON-stat 2.0-datasett"),
        (broken(lambda d: d.pop("dimension")), "mangler id, size eller dimension"),
        (broken(lambda d: d["id"].remove("Alder")), "id har 3 dimensjoner, size har 4"),
        (broken(lambda d: d["value"].append(5)), "value har 425 tall, ventet 424"),
        (broken(lambda d: d["dimension"]["Alder"]["category"]["index"].update({"abc": 3})), "ugyldig index"),
        (broken(lambda d: d["value"].__setitem__(5, -1)), "ikke-negativt heltall"),
        (broken(lambda d: d["value"].__setitem__(5, 2.5)), "ikke-negativt heltall"),
        (broken(lambda d: d.pop("value")), "mangler value"),
    ],
)
def test_malformed_jsonstat_gives_a_clear_error(document: Any, reason: str) -> None:
    with pytest.raises(DownloadError) as error:
        parse_jsonstat(document, "https://example.invalid/table")
    assert "https://example.invalid/table" in str(error.value)
    assert reason in str(error.value)


def test_jsonstat_with_an_unknown_age_code_is_rejected() -> None:
    document = good_jsonstat()
    index = document["dimension"]["Alder"]["category"]["index"]
    index["106"] = index.pop("105+")
    with pytest.raises(DownloadError, match="ukjent alderskode '106'"):
        parse_jsonstat(document, "u")


def test_jsonstat_sums_sex_and_reads_sparse_values() -> None:
    document = {
        "class": "dataset",
        "id": ["Region", "Kjonn", "Alder", "Tid"],
        "size": [1, 2, 2, 1],
        "dimension": {
            "Region": {"category": {"index": ["3101"], "label": {"3101": "3101 Halden"}}},
            "Kjonn": {"category": {"index": {"1": 0, "2": 1}}},
            "Alder": {"category": {"index": {"000": 0, "105+": 1}}},
            "Tid": {"category": {"index": {"2024": 0}}},
        },
        "value": {"0": 100, "1": 2, "2": 90, "3": None},
    }
    cells = parse_jsonstat(document, "u")
    assert [(c.code, c.name, c.age, c.population) for c in cells] == [
        ("3101", "Halden", 0, 190),
        ("3101", "Halden", 105, 2),
    ]


def test_population_queries_are_split_to_stay_under_the_cell_limit() -> None:
    queries: list[dict[str, Any]] = []
    ages = (0, 17, 18, 105)
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, sources.POPULATION_MUNICIPALITY.url, callback=statbank_callback(queries))
        client = make_client()
        regions = {2024: ["0301", "1508", "1580", "3101"]}
        split = fetch_population(client, sources.POPULATION_MUNICIPALITY, regions, ages, max_cells=2 * len(ages))
        whole = fetch_population(client, sources.POPULATION_MUNICIPALITY, regions, ages, max_cells=800_000)
    assert [len(q["query"][0]["selection"]["values"]) for q in queries] == [2, 2, 4]
    assert split == whole
    assert [(c.code, c.age) for c in whole[:4]] == [("0301", 0), ("0301", 17), ("0301", 18), ("0301", 105)]


def test_region_batches() -> None:
    assert region_batches(["a", "b", "c"], 106, 212) == [["a", "b"], ["c"]]
    assert region_batches(["a", "b", "c"], 106, 800_000) == [["a", "b", "c"]]
    with pytest.raises(ValueError):
        region_batches(["a"], 106, 100)


def test_the_2020_version_covers_2021_and_a_year_without_a_version_is_an_error() -> None:
    refs = parse_versions(fixture_json("klass_131.json"), KLASS_131)
    chosen = versions_for_years(refs, (2019, 2020, 2021, 2022, 2024), KLASS_131)
    assert {year: ref.id for year, ref in chosen.items()} == {
        2019: 1102,
        2020: 1860,
        2021: 1860,
        2022: 1846,
        2024: 1710,
    }
    assert chosen[2021].file_name == "kommuneinndeling-2020.json"
    with pytest.raises(DownloadError, match="1. januar 2016"):
        versions_for_years(refs, (2016,), KLASS_131)


def test_version_ids_are_read_from_the_self_link_when_the_listing_has_none() -> None:
    listing = {
        "versions": [
            {
                "name": "K 2024",
                "validFrom": "2024-01-01",
                "_links": {"self": {"href": "https://data.ssb.no/api/klass/v1/versions/1710"}},
            }
        ]
    }
    assert parse_versions(listing, "u")[0].id == 1710
    with pytest.raises(DownloadError, match="versjon nr. 1"):
        parse_versions({"versions": [{"name": "K"}]}, "u")
    with pytest.raises(DownloadError, match="mangler versions"):
        parse_versions({"name": "no versions"}, "u")


def test_parse_years_and_parts() -> None:
    assert parse_years("2017-2024") == tuple(range(2017, 2025))
    assert parse_years("2024") == (2024,)
    assert parse_years("2019, 2017") == (2017, 2019)
    for bad in ("", "2017-", "abc", "2025-2024"):
        with pytest.raises(ValueError):
            parse_years(bad)
    assert parse_only("population,klass") == ("klass", "population")
    assert parse_only("GEO") == ("geo",)
    for bad in ("", "klass,maps"):
        with pytest.raises(ValueError):
            parse_only(bad)
