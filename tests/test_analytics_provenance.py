"""One figure's provenance (/statistikk/tall/): the units behind a figure at a data version, the imputed ones and
from which year, the QA corrections made to its answers (counts for everyone, details through the one permission
check), suppression, and bad input. On the small survey of test_analytics_aggregates (Møre og Romsdal)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from kartlegg.accounts.models import Channel
from kartlegg.analytics import services as statistics
from kartlegg.analytics.services import access
from kartlegg.geography.models import ReportingUnit
from kartlegg.lib.numbers import format_number
from kartlegg.quality.models import Flag
from kartlegg.quality.services import versions as quality
from kartlegg.responses import services as responses
from kartlegg.responses.models import Response
from tests.factories import make_analyst, make_respondent, make_reviewer
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db
URL = "/statistikk/tall/"
FIGURE = "variable=arsverk_totalt&measure=sum&level=county&region=15&year=2020&structure=2024"
CELL = "B_a.r1.c1"
FLAGGED, OTHER = "1505", "1506"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def corrected() -> dict[str, Any]:
    """2020: 1505 changes a cell before any flag (its own answering), a flag names the cell, 1505 corrects it (a QA
    correction); the round is locked (version 1), then an analyst corrects 1506 (version 2)."""
    survey = SmallSurvey()
    analyst = make_analyst(first_name="Ada", last_name="Analytiker")
    round_obj = survey.rounds[2020]
    response = Response.objects.get(round=round_obj, unit__code=FLAGGED)
    respondent = make_respondent(FLAGGED)
    checker = make_analyst(username="kontroll", first_name="Kari", last_name="Kontroll")
    responses.save_values(response, {CELL: "1,5"}, user=checker, channel=Channel.ADMIN)
    Flag.objects.create(
        round=round_obj, unit=ReportingUnit.objects.get(year=2020, code=FLAGGED), variable=CELL, variables=[CELL],
        check_name="outlier", rule="r", severity="warning", explanation="Høyt tall", state="corrected",
    )  # fmt: skip
    responses.save_values(response, {CELL: "2,5"}, user=checker, channel=Channel.ADMIN)
    statistics.compute()
    quality.lock_round(survey.rounds[2019], analyst)  # 2020's figures carry 2019's forward from its locked data
    quality.lock_round(round_obj, analyst)
    quality.correct_locked(round_obj, OTHER, {CELL: "7"}, "Feil i årsverk", analyst)
    statistics.recompute(round_obj.pk)
    return {"survey": survey, "analyst": analyst, "respondent": respondent}


def api_value(client: Client, version: str) -> float:
    response = client.get(f"/api/v1/statistics/arsverk_totalt?level=county&years=2020&structure=2024&version={version}")
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    return data["value"][data["dimension"]["Region"]["category"]["index"]["15"]]


def unit_rows(page: str) -> dict[str, str]:
    return dict(re.findall(r'<tr id="u-(\d+)">(.*?)</tr>', page))


def test_an_analyst_sees_the_units_the_imputed_ones_and_each_correction(
    corrected: dict[str, Any], client: Client
) -> None:
    client.force_login(corrected["analyst"])
    for version, corrections in (("1", 1), ("2", 2)):
        response = client.get(f"{URL}?{FIGURE}&version={version}")
        assert response.status_code == 200
        page = response.content.decode()
        assert format_number(api_value(client, version), 1) in page  # the figure as the API gives it
        assert f"dataversjon {version}" in page
        rows = unit_rows(page)
        expected = set(ReportingUnit.objects.filter(year=2020, county_code="15").values_list("code", flat=True))
        assert set(rows) == expected
        survey = corrected["survey"]
        for code in survey.skipped[2020]:
            assert "imputert: tall fra 2019" in rows[code]
        assert "imputert" not in rows[FLAGGED]
        assert f"{corrections} verdier ble rettet" in page or f"{corrections} verdi ble rettet" in page
        details = page.split('id="rettinger"')[1].split("</table>")[0]
        assert f"{FLAGGED} " in details and "1.5" in details and "2.5" in details and CELL in details
        assert (f"{OTHER} " in details and "etter låsing" in details and "Ada Analytiker" in details) == (
            version == "2"
        )
        assert "1 av flaggene endte med retting" in page
    # the live figures: the analyst only; they rest on version 2
    live = client.get(f"{URL}?{FIGURE}&version=live").content.decode()
    assert "løpende tall" in live and "2 verdier ble rettet" in live


def test_the_public_sees_counts_and_the_units_but_no_details(corrected: dict[str, Any], client: Client,
                                                             settings: Any) -> None:  # fmt: skip
    settings.KARTLEGG_STATISTICS_PREVIEW = False
    assert client.get(f"{URL}?{FIGURE}&version=1").status_code == 403  # not published yet
    access.publish(2020, timezone.now(), corrected["analyst"], data_version=1)
    page = client.get(f"{URL}?{FIGURE}&version=1").content.decode()
    assert "1 verdi ble rettet" in page and 'id="rettinger"' not in page and "vises for analytikere" in page
    assert len(unit_rows(page)) > 5
    denied = client.get(f"{URL}?{FIGURE}&version=2")
    assert denied.status_code == 403 and "version" in denied.content.decode()  # version 2 is not published
    assert client.get(f"{URL}?{FIGURE}&version=live").status_code == 403


def test_a_respondent_sees_the_details_of_their_own_unit_only(corrected: dict[str, Any], client: Client) -> None:
    access.publish(2020, timezone.now(), corrected["analyst"], data_version=2)  # the others see published versions
    client.force_login(corrected["respondent"])
    own = client.get(f"{URL}?{FIGURE}&version=2&unit={FLAGGED}")
    assert own.status_code == 200
    details = own.content.decode().split('id="rettinger"')[1].split("</table>")[0]
    assert FLAGGED in details and OTHER not in details
    whole = client.get(f"{URL}?{FIGURE}&version=2").content.decode()  # without unit=: still only their own
    assert "Ada Analytiker" not in whole and "2 verdier ble rettet" in whole
    assert client.get(f"{URL}?{FIGURE}&version=2&unit={OTHER}").status_code == 403
    client.force_login(make_reviewer("15"))
    county = client.get(f"{URL}?{FIGURE}&version=2").content.decode()
    assert "Ada Analytiker" in county  # a county reviewer reaches the county's units
    client.force_login(make_reviewer("46"))
    assert client.get(f"{URL}?{FIGURE}&version=2&unit={OTHER}").status_code == 403


def test_suppressed_shares_show_no_unit_values_to_the_public(corrected: dict[str, Any], client: Client) -> None:
    access.publish(2020, timezone.now(), corrected["analyst"], data_version=1)
    one = "variable=E_x&measure=share&level=unit&region=1505&year=2020&structure=2024&version=1"
    page = client.get(f"{URL}?{one}").content.decode()
    assert "skjult: færre enn 5 enheter" in page and not unit_rows(page)
    county = client.get(f"{URL}?variable=E_x&level=county&region=15&year=2020&structure=2024&version=1")
    rows = unit_rows(county.content.decode())
    assert rows and all(">:<" in row for row in rows.values()) and not any(">ja<" in r for r in rows.values())
    client.force_login(corrected["analyst"])
    rows = unit_rows(client.get(f"{URL}?variable=E_x&level=county&region=15&year=2020&version=1").content.decode())
    assert any(">ja<" in row or ">nei<" in row for row in rows.values())


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        (FIGURE + "&version=9", 404, "<strong>version</strong>: 2020 har ingen dataversjon 9"),
        (FIGURE + "&version=nyeste", 400, "<strong>version</strong>:"),
        (FIGURE.replace("region=15", "region=99") + "&version=1", 404, "<strong>region</strong>:"),
        (FIGURE.replace("year=2020", "year=1999"), 404, "<strong>year</strong>:"),
        (FIGURE.replace("&year=2020", ""), 400, "<strong>year</strong>: mangler"),
        (FIGURE.replace("region=15&", ""), 400, "<strong>region</strong>: mangler"),
        (FIGURE.replace("arsverk_totalt", "finnes_ikke"), 404, "<strong>variable</strong>:"),
        (FIGURE.replace("level=county", "level=planet"), 400, "<strong>level</strong>:"),
        (FIGURE + "&version=1&unit=4601", 404, "<strong>unit</strong>:"),
    ],
)
def test_bad_input_names_the_parameter(corrected: dict[str, Any], client: Client, query: str, status: int,
                                       message: str) -> None:  # fmt: skip
    client.force_login(corrected["analyst"])
    response = client.get(f"{URL}?{query}")
    assert response.status_code == status and message in response.content.decode()
