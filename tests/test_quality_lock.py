"""Locking a round: data version 1 with a checksum, nothing changes through the normal channels afterwards, and a
correction by an analyst (with a reason) makes the next version with a change log. Statistics read a version."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kartlegg.accounts.models import AuditEvent, Channel
from kartlegg.quality import services
from kartlegg.quality.models import ChangeLogEntry, DataSnapshot, DataVersion
from kartlegg.quality.services.versions import checksum, snapshot_texts
from kartlegg.responses import services as responses
from kartlegg.responses.models import Answer, Response
from tests.factories.quality import TYPICAL, qa_round, write
from tests.factories.responses import client_for

from .factories import make_analyst, make_respondent

BERGEN, STAVANGER, ULVIK = "4601", "1103", "4620"
CELL = "B_arsverk.oppfolging.psykolog"


def _round():  # type: ignore[no-untyped-def]
    analyst = make_analyst()
    now = qa_round(2024, analyst=analyst)
    write(now, BERGEN, {**TYPICAL, CELL: 50})
    write(now, STAVANGER, TYPICAL)
    write(now, ULVIK, {"A_navn": "Utkast"}, submit=False)  # a draft never submitted is not part of the data
    return analyst, now


def test_the_checksum_is_canonical() -> None:
    assert checksum({"a": {"x": "1", "y": "2"}}) == checksum({"a": {"y": "2", "x": "1"}})
    assert checksum({"a": {"x": "1"}}) != checksum({"a": {"x": "1.0"}})
    assert len(checksum({})) == 64


@pytest.mark.django_db
def test_locking_makes_version_one_and_is_idempotent() -> None:
    analyst, now = _round()
    assert services.current_data_version(now) is None
    version = services.lock_round(now, analyst, "Til rapporten.")
    now.refresh_from_db()
    assert now.is_locked and version.number == 1 and version.units == 2
    assert services.current_data_version(now) == version and services.verify_version(version)
    values = services.values_for_version(version)
    assert set(values) == {BERGEN, STAVANGER}
    assert values[BERGEN][CELL] == Decimal("50") and values[BERGEN]["E_fact"] is False
    assert services.lock_round(now, analyst) == version and DataVersion.objects.filter(round=now).count() == 1
    assert AuditEvent.objects.filter(action="quality.data_version.created", user=analyst).count() == 1
    assert AuditEvent.objects.filter(action="round.locked").count() == 1
    assert "dataversjon 1" in services.version_label(version)


@pytest.mark.django_db
def test_nothing_changes_through_the_form_after_the_lock() -> None:
    analyst, now = _round()
    services.lock_round(now, analyst)
    response = Response.objects.get(round=now, unit__code=BERGEN)
    with pytest.raises(responses.NotWritable):
        responses.save_values(response, {CELL: "0,5"}, user=analyst)


@pytest.mark.django_db
def test_a_correction_after_the_lock_makes_a_new_version_with_a_change_log() -> None:
    analyst, now = _round()
    first = services.lock_round(now, analyst)
    second = services.correct_locked(now, BERGEN, {CELL: "0,5"}, "Kommunen bekreftet 0,5 på telefon.", analyst)
    now.refresh_from_db()
    assert second.number == 2 and now.is_locked
    assert services.current_data_version(now) == second
    assert services.values_for_version(second)[BERGEN][CELL] == Decimal("0.5")
    assert services.values_for_version(first)[BERGEN][CELL] == Decimal("50")  # the old version is kept as it was
    [entry] = ChangeLogEntry.objects.filter(version=second)
    assert (entry.unit_code, entry.variable, entry.old_value, entry.new_value) == (BERGEN, CELL, "50", "0.5")
    assert entry.reason == "Kommunen bekreftet 0,5 på telefon." and entry.user == analyst
    assert Answer.objects.get(response__round=now, response__unit__code=BERGEN, variable=CELL).value_text == "0.5"
    changed = AuditEvent.objects.get(action="answer.changed", variable=CELL)
    assert (changed.channel, changed.user) == (Channel.ADMIN, analyst)
    assert services.verify_version(first) and services.verify_version(second) and first.checksum != second.checksum
    third = services.correct_locked(now, BERGEN, {CELL: ""}, "Ukjent; blankt.", analyst)
    assert CELL not in services.values_for_version(third)[BERGEN]


@pytest.mark.django_db
def test_corrections_that_cannot_be_made_are_refused() -> None:
    analyst, now = _round()
    with pytest.raises(services.VersionError, match="ikke låst"):
        services.correct_locked(now, BERGEN, {CELL: "1"}, "Grunn", analyst)
    services.lock_round(now, analyst)
    with pytest.raises(services.VersionError, match="hvorfor"):
        services.correct_locked(now, BERGEN, {CELL: "1"}, "  ", analyst)
    with pytest.raises(services.VersionError) as bad:
        services.correct_locked(now, BERGEN, {CELL: "femti"}, "Grunn", analyst)
    assert CELL in bad.value.errors
    with pytest.raises(services.VersionError, match="samme som før"):
        services.correct_locked(now, BERGEN, {CELL: "50"}, "Grunn", analyst)
    with pytest.raises(PermissionDenied):
        services.correct_locked(now, BERGEN, {CELL: "1"}, "Grunn", make_respondent(BERGEN))
    now.refresh_from_db()
    assert now.is_locked and DataVersion.objects.filter(round=now).count() == 1  # failures roll back, lock kept


@pytest.mark.django_db
def test_a_tampered_snapshot_fails_verification() -> None:
    analyst, now = _round()
    version = services.lock_round(now, analyst)
    snapshot = DataSnapshot.objects.get(version=version, unit_code=BERGEN)
    snapshot.values[CELL] = "5"
    snapshot.save()
    assert not services.verify_version(version)
    assert snapshot_texts(version)[BERGEN][CELL] == "5"


@pytest.mark.django_db
def test_lock_and_versions_pages() -> None:
    analyst, now = _round()
    client = client_for(analyst)
    page = client.get(f"/kvalitet/runder/{now.pk}/las/")
    assert page.status_code == 200 and "Lås runden" in page.content.decode()
    assert client.post(f"/kvalitet/runder/{now.pk}/las/", {}).status_code == 400  # not confirmed
    assert client.post(f"/kvalitet/runder/{now.pk}/las/", {"confirm": "on", "note": "Endelig"}).status_code == 302
    versions = client.get(f"/kvalitet/runder/{now.pk}/versjoner/").content.decode()
    assert "Dataversjon 1" in versions and "stemmer" in versions
    refused = client.post(
        f"/kvalitet/runder/{now.pk}/versjoner/", {"unit": "9999", "variable": CELL, "value": "1", "reason": "x"}
    )
    assert refused.status_code == 400 and "ikke med i runden" in refused.content.decode()
    done = client.post(
        f"/kvalitet/runder/{now.pk}/versjoner/",
        {"unit": BERGEN, "variable": CELL, "value": "0,5", "reason": "Bekreftet"},
        follow=True,
    )
    assert "Dataversjon 2" in done.content.decode() and "Bekreftet" in done.content.decode()
    other = client_for(make_respondent(BERGEN))
    assert other.get(f"/kvalitet/runder/{now.pk}/versjoner/").status_code == 403
    assert other.post(f"/kvalitet/runder/{now.pk}/las/", {"confirm": "on"}).status_code == 403


@pytest.mark.django_db
def test_next_years_checks_read_the_locked_version() -> None:
    from kartlegg.quality.loader import load_round

    analyst = make_analyst()
    last = qa_round(2023, analyst=analyst)
    write(last, BERGEN, {**TYPICAL, CELL: 50})
    services.lock_round(last, analyst)
    services.correct_locked(last, BERGEN, {CELL: "0,5"}, "Rettet etter låsing.", analyst)
    # The live answer drifting afterwards (it cannot through the app; here by hand) does not reach next year.
    Answer.objects.filter(response__round=last, response__unit__code=BERGEN, variable=CELL).update(value_text="7")
    now = qa_round(2024, analyst=analyst)
    bergen = {u.code: u for u in load_round(now).units}[BERGEN]
    assert bergen.previous is not None and bergen.previous.values[CELL] == Decimal("0.5")
