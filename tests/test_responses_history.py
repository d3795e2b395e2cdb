"""A field's history (issue 17, point 7): from the form per field (htmx) and from the QA flag, for analysts and the
unit's own respondents only; and the round's audit trail as a streamed CSV that opens in Excel."""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kartlegg.accounts.models import AuditEvent, Channel
from kartlegg.responses import services
from kartlegg.responses.models import Response
from tests.factories.responses import client_for, open_round, response_for

from .factories import make_analyst, make_respondent, make_reviewer

pytestmark = pytest.mark.django_db

CELL = "B_arsverk.ledelse.lege"
BERGEN, STAVANGER = "4601", "1103"


def history_url(resp: Any, code: str) -> str:
    return reverse("responses:history", args=[resp.round_id, resp.unit.code]) + f"?v={code}"


@pytest.fixture
def filled() -> dict[str, Any]:
    analyst = make_analyst()
    round_obj = open_round(year=2024, analyst=analyst)
    resp = response_for(round_obj, BERGEN)
    kari = make_respondent(BERGEN, first_name="Kari", last_name="Nordmann")
    services.save_values(resp, {CELL: "2,5"}, None, None, kari, Channel.FORM)
    services.save_values(resp, {CELL: "3"}, {CELL: "Ny lege fra mars"}, None, analyst, Channel.ADMIN)
    return {"round": round_obj, "resp": resp, "kari": kari, "analyst": analyst}


def test_a_respondent_sees_who_changed_a_field_when_from_what_to_what_and_through_which_channel(filled) -> None:  # type: ignore[no-untyped-def]
    client = client_for(filled["kari"])
    reply = client.get(history_url(filled["resp"], CELL), headers={"HX-Request": "true"})
    assert reply.status_code == 200
    html = reply.content.decode()
    assert "<html" not in html  # the htmx fragment alone
    assert "Kari Nordmann" in html and "skjema" in html and "admin" in html
    assert "Ny lege fra mars" in html
    assert html.index("<td>2,5</td><td>3</td>") < html.index("<td>–</td><td>2,5</td>")  # newest first
    page = client.get(history_url(filled["resp"], CELL))
    assert page.status_code == 200 and "<html" in page.content.decode() and "Endringshistorikk" in page.content.decode()


def test_a_grid_shows_the_history_of_all_its_cells(filled) -> None:  # type: ignore[no-untyped-def]
    services.save_values(filled["resp"], {"B_arsverk.bolig.annen": "1"}, None, None, filled["kari"], Channel.FORM)
    html = client_for(filled["kari"]).get(history_url(filled["resp"], "B_arsverk")).content.decode()
    assert "Bolig – Annen" in html and "Ledelse – Lege" in html


def test_other_units_history_is_unreachable(filled) -> None:  # type: ignore[no-untyped-def]
    resp = filled["resp"]
    stranger = client_for(make_respondent(STAVANGER))
    assert stranger.get(history_url(resp, CELL)).status_code == 403
    assert client_for(make_reviewer("11")).get(history_url(resp, CELL)).status_code == 403  # another county
    assert client_for(make_reviewer("46")).get(history_url(resp, CELL)).status_code == 200  # Bergen's county
    assert client_for(filled["analyst"]).get(history_url(resp, CELL)).status_code == 200
    anonymous = Client().get(history_url(resp, CELL))
    assert anonymous.status_code == 302 and "logg" in anonymous["Location"]
    assert client_for(filled["kari"]).get(history_url(resp, "B_finnes_ikke")).status_code == 404
    # The respondent's own unit in another round does not open Bergen's history either.
    other = response_for(filled["round"], STAVANGER)
    assert client_for(filled["kari"]).get(history_url(other, CELL)).status_code == 403


def _csv(reply: Any) -> str:
    assert reply.streaming
    return b"".join(reply.streaming_content).decode("utf-8")


def test_the_round_audit_is_a_streamed_csv_for_excel_and_for_analysts_only(filled) -> None:  # type: ignore[no-untyped-def]
    url = reverse("responses:round_audit", args=[filled["round"].pk])
    assert client_for(filled["kari"]).get(url).status_code == 403
    reply = client_for(filled["analyst"]).get(url)
    assert reply.status_code == 200 and reply["Content-Type"].startswith("text/csv")
    assert "endringslogg-" in reply["Content-Disposition"]
    text = _csv(reply)
    assert text.startswith("\ufeff")
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("tidspunkt"))
    assert header.split(";")[:4] == ["tidspunkt", "enhet", "enhetsnavn", "variabel"]
    rows = [line.split(";") for line in lines if line.startswith(tuple("0123456789"))]
    cell_rows = [r for r in rows if r[3] == CELL and r[4] == "endret"]
    assert [r[7:9] for r in cell_rows] == [["", "2,5"], ["2,5", "3"]]  # decimal comma, in order
    assert {r[5] for r in cell_rows} == {"skjema", "admin"} and cell_rows[0][6] == "Kari Nordmann"
    assert any(r[4] == "kommentar" and r[8] == "Ny lege fra mars" for r in rows)


def _peak_while_streaming(analyst: Any, round_obj: Any, units: int, per_unit: int = 40) -> tuple[int, int, int]:
    """(peak traced memory, bytes written, chunks) while streaming the round's audit with `units` × `per_unit` rows
    more than it had."""
    responses = list(Response.objects.filter(round=round_obj).order_by("unit__code").values_list("pk", "unit__code"))
    AuditEvent.objects.filter(channel=Channel.IMPORT).delete()
    events = [
        AuditEvent(
            user=analyst, action="answer.changed", channel=Channel.IMPORT, object_type="responses.response",
            object_id=str(pk), unit_code=code, variable=CELL, old_value=str(i), new_value=str(i + 1),
            detail={"round": round_obj.pk},
        )
        for pk, code in responses[:units]
        for i in range(per_unit)
    ]  # fmt: skip
    AuditEvent.objects.bulk_create(events, batch_size=5000)
    reply = client_for(analyst).get(reverse("responses:round_audit", args=[round_obj.pk]))
    assert reply.streaming
    tracemalloc.start()
    chunks = size = 0
    for chunk in reply.streaming_content:
        chunks += 1
        size += len(chunk)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, size, chunks


def test_the_audit_export_streams_a_large_round_in_flat_memory(filled) -> None:  # type: ignore[no-untyped-def]
    round_obj, analyst = filled["round"], filled["analyst"]
    small_peak, small_size, _chunks = _peak_while_streaming(analyst, round_obj, 100)
    large_peak, large_size, chunks = _peak_while_streaming(analyst, round_obj, 300)
    assert large_size > 2.5 * small_size and large_size > 1_000_000  # three times the rows were written …
    assert chunks >= 20  # … in many chunks …
    assert large_peak < 1.5 * small_peak  # … in about the same memory
