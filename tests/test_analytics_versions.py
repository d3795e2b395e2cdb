"""Statistics pinned to locked data versions: every version's figures kept beside the live ones, publication of a
named version, corrections published with a note, version=N in the API, and an identical rebuild; on the small
survey of test_analytics_aggregates (Møre og Romsdal, 2019, 2020 and 2024)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from kartlegg.accounts.tokens import create_token
from kartlegg.analytics import headline, services
from kartlegg.analytics.levels import NATION
from kartlegg.analytics.models import AggregateSet, Publication
from kartlegg.analytics.services import access as services_access
from kartlegg.analytics.services import versions as services_versions
from kartlegg.quality.services import versions as quality
from kartlegg.responses.models import Answer
from tests.factories import make_analyst
from tests.test_analytics_aggregates import SmallSurvey, snapshot, stored

pytestmark = pytest.mark.django_db
API = "/api/v1/statistics"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def survey() -> SmallSurvey:
    return SmallSurvey()


@pytest.fixture
def analyst() -> Any:
    return make_analyst()


def pinned(version: str) -> set[tuple[Any, ...]]:
    return {row for row in snapshot() if row[6] == version}


def national(variable: str, year: int, version: str = "live") -> float:
    return stored(variable, NATION, 2024, year, version=version)["0"].value


def api(client: Client, path: str, **headers: Any) -> Any:
    return client.get(API + path, headers=headers)


def test_a_locked_version_is_pinned_and_kept_when_corrected(survey: SmallSurvey, analyst: Any) -> None:
    round_obj = survey.rounds[2019]
    quality.lock_round(round_obj, analyst)
    services.compute()
    assert services_versions.pin_missing().keys == {2019: "v1"}
    v1 = pinned("v1")
    assert v1 and {row[5] for row in v1} == {2019}
    assert national("E_n", 2019, "v1") == national("E_n", 2019)  # the live figures rest on v1 too
    before = national("E_n", 2019, "v1")
    quality.correct_locked(round_obj, "1505", {"E_n": "1000"}, "Feil i antall brukere", analyst)
    services.recompute(round_obj.pk)
    services_versions.pin(round_obj)
    assert pinned("v1") == v1  # a later version never overwrites a pinned one
    old = survey.values[2019]["1505"]["E_n"]
    assert national("E_n", 2019, "v2") == before - old + 1000
    assert national("E_n", 2019) == before - old + 1000  # live follows the newest version
    basis = AggregateSet.objects.get(year=2019, data_version="v2").basis
    assert basis == {"2019": "v2"}  # only locked years are read: 2020 and 2024 are open


def test_rebuild_of_a_version_is_identical(survey: SmallSurvey, analyst: Any) -> None:
    quality.lock_round(survey.rounds[2019], analyst)
    quality.lock_round(survey.rounds[2020], analyst)
    services.compute()
    services_versions.pin_missing()
    variable = services.catalogue().variables["E_n"]
    services.ensure(variable, "carry_forward", 2024, "unit", [2020], {2020: "v1"})  # a slice stored on request
    v1 = pinned("v1")
    # The live answers change in every year; the pinned figures rest on the locked data only.
    Answer.objects.filter(variable="E_n").update(value_num=Decimal(7), value_text="7")
    Answer.objects.filter(variable__startswith="B_a.r1").update(value_num=Decimal(1), value_text="1")
    call_command("compute_aggregates", "--round", str(survey.rounds[2020].pk), "--data-version", "1")
    assert pinned("v1") == v1
    assert stored("E_n", "unit", 2024, 2020, version="v1")  # the slice stored on request is rebuilt too
    with pytest.raises(CommandError, match="--round"):
        call_command("compute_aggregates", "--data-version", "1")
    with pytest.raises(CommandError, match="ingen dataversjon 3"):
        call_command("compute_aggregates", "--round", str(survey.rounds[2020].pk), "--data-version", "3")
    with pytest.raises(CommandError, match="positivt"):
        call_command("compute_aggregates", "--round", str(survey.rounds[2020].pk), "--data-version", "0")


def test_publication_names_its_version_and_a_correction_needs_a_note(
    client: Client, survey: SmallSurvey, analyst: Any, settings: Any
) -> None:
    settings.KARTLEGG_STATISTICS_PREVIEW = False
    round_obj = survey.rounds[2019]
    quality.lock_round(round_obj, analyst)
    services.compute()
    publication = services_access.publish(2019, timezone.now(), analyst)
    assert publication.data_version == 1
    assert AggregateSet.objects.filter(year=2019, data_version="v1").exists()  # pinned on publication
    published = national("E_n", 2019, "v1")
    quality.correct_locked(round_obj, "1505", {"E_n": "1000"}, "Feil i antall brukere", analyst)
    services.recompute(round_obj.pk)
    corrected = national("E_n", 2019)
    assert corrected != published
    # The public keeps seeing v1 until v2 is published.
    data = api(client, "/E_n?years=2019").json()
    assert data["value"] == [pytest.approx(published)]
    assert any("dataversjon 1" in note for note in data["note"])
    # Analysts see the live figures, and any version, when they ask.
    _, key = create_token(analyst, "test")
    auth = {"Authorization": f"Bearer {key}"}
    assert api(client, "/E_n?years=2019&version=live", **auth).json()["value"] == [pytest.approx(corrected)]
    assert api(client, "/E_n?years=2019&version=1", **auth).json()["value"] == [pytest.approx(published)]
    assert api(client, "/E_n?years=2019&version=live").status_code == 403
    assert api(client, "/E_n?years=2019&version=2").status_code == 403  # not published yet
    assert api(client, "/E_n?years=2019&version=9", **auth).status_code == 404
    bad = api(client, "/E_n?years=2019&version=nyeste", **auth)
    assert bad.status_code == 400 and "version" in bad.json()["error"]
    with pytest.raises(services_access.PublishError, match="rettelsen"):
        services_access.publish(2019, None, analyst, data_version=2)
    with pytest.raises(services_access.PublishError, match="ingen dataversjon 5"):
        services_access.publish(2019, None, analyst, data_version=5)
    services_access.publish(2019, None, analyst, data_version=2, correction_note="Antall brukere i Ålesund rettet.")
    assert Publication.objects.get(year=2019).published_at == publication.published_at  # still first published then
    data = api(client, "/E_n?years=2019").json()
    assert data["value"] == [pytest.approx(corrected)]
    assert any("Rettet" in note and "Ålesund rettet" in note for note in data["note"])
    assert api(client, "/E_n?years=2019&version=1").json()["value"] == [pytest.approx(published)]
    listing = api(client, "/versions/2019").json()
    assert listing["published_version"] == "v2"
    assert [v["version"] for v in listing["versions"]] == ["v2", "v1"]  # the public does not see the live figures
    assert [v["version"] for v in api(client, "/versions/2019", **auth).json()["versions"]] == ["v2", "v1", "live"]
    assert api(client, "/versions/2020").status_code == 403
    assert api(client, "/versions/1999").status_code == 404


def test_explorer_and_profile_show_the_published_version(
    client: Client, survey: SmallSurvey, analyst: Any, settings: Any
) -> None:
    settings.KARTLEGG_STATISTICS_PREVIEW = False
    round_obj = survey.rounds[2019]
    quality.lock_round(round_obj, analyst)
    services.compute()
    services_access.publish(2019, timezone.now(), analyst)
    quality.correct_locked(round_obj, "1505", {"B_a.r1.c1": "500"}, "Feil", analyst)
    services.recompute(round_obj.pk)
    published = stored(headline.ADULTS, "unit", 2024, 2019, version="v1")["1505"].value
    live = stored(headline.ADULTS, "unit", 2024, 2019)["1505"].value
    assert published != live
    page = client.get("/statistikk/", {"variable": headline.ADULTS, "level": "unit", "years": "2019", "format": "csv"})
    text = page.content.decode("utf-8-sig")
    shown = f"{published:.1f}".replace(".", ",")
    assert shown in text and f"{live:.1f}".replace(".", ",") not in text
    profile = client.get("/statistikk/enhet/1505/", {"format": "csv"}).content.decode("utf-8-sig")
    assert shown in profile
    client.force_login(analyst)
    mine = client.get(
        "/statistikk/", {"variable": headline.ADULTS, "level": "unit", "years": "2019", "version": "live"}
    )
    assert f"{live:.1f}".replace(".", ",") in mine.content.decode()
    wrong = client.get("/statistikk/", {"variable": headline.ADULTS, "years": "2019", "version": "x"})
    assert "version" in wrong.content.decode()


def test_publications_page_publishes_a_version(client: Client, survey: SmallSurvey, analyst: Any) -> None:
    quality.lock_round(survey.rounds[2019], analyst)
    client.force_login(analyst)
    response = client.post("/statistikk/publisering/", {"year": "2019", "published_at": "", "data_version": "abc"})
    assert response.status_code == 302 and not Publication.objects.exists()
    client.post("/statistikk/publisering/", {"year": "2019", "published_at": "", "data_version": "1"})
    assert Publication.objects.get(year=2019).data_version == 1
    page = client.get("/statistikk/publisering/").content.decode()
    assert "Publisert dataversjon" in page


def test_recompute_of_some_units_equals_a_full_computation(survey: SmallSurvey) -> None:
    services.compute()
    Answer.objects.filter(response__round=survey.rounds[2020], response__unit__code__in=["1505", "1520"]).filter(
        variable__startswith="B_a."
    ).update(value_num=Decimal("3.25"), value_text="3.25")
    result = services.recompute(survey.rounds[2020].pk, ["1505", "1520"])
    assert 2020 in result.years
    incremental = snapshot()
    services.compute()
    assert snapshot() == incremental
    assert services.recompute(999_999).rows == 0  # not a round the statistics use


def test_year_aggregates_reads_a_version_for_the_report(survey: SmallSurvey, analyst: Any) -> None:
    quality.lock_round(survey.rounds[2019], analyst)
    services.compute()
    found = services_versions.year_aggregates(2019, 1, variables=["E_n"], levels=[NATION])  # pinned on demand
    assert found.key == "v1" and found.source == "v1"
    assert found.rows[0]["value"] == national("E_n", 2019, "v1")
    assert services_versions.year_aggregates(2019).key == "live"  # not published: the live figures
    services_access.publish(2019, timezone.now(), analyst)
    assert services_versions.year_aggregates(2019).key == "v1"
    with pytest.raises(services.StatisticsError):
        services_versions.year_aggregates(2019, "nyeste")
    with pytest.raises(services.StatisticsError, match="ingen dataversjon 4"):
        services_versions.year_aggregates(2019, 4)


def test_a_declared_change_survives_the_import_into_the_database() -> None:
    from kartlegg.surveys.services import import_questionnaire_text
    from tests.test_analytics_aggregates import YAML_2019, YAML_2024

    import_questionnaire_text(YAML_2019)
    text = YAML_2024.replace(
        "type: integer\n        label: Antall brukere",
        "type: integer\n        label: Antall brukere\n        changed: Teller personer, ikke vedtak",
    ).replace("{code: r3, label: Ny rad}", "{code: r3, label: Ny rad, changed: Skilt ut fra r1}")
    assert "changed: Teller" in text and "changed: Skilt" in text
    defn = import_questionnaire_text(text).definition()
    assert defn.questions["E_n"].changed == "Teller personer, ikke vedtak"
    assert defn.questions["B_b"].row_changed == {"r3": "Skilt ut fra r1"}
