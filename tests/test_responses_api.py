"""The collection API, /api/v1/rounds/...: read, write (optimistic locking), submit; auth, permissions, hostile
bodies."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from kartlegg.accounts.models import AuditEvent
from kartlegg.accounts.tokens import create_token
from kartlegg.responses import services
from kartlegg.responses.models import Answer, ResponseStatus
from tests.factories import make_analyst, make_respondent, make_reviewer
from tests.factories.collection import AKERSHUS, ASKER, BAERUM, BERGEN, make_round, response_of

pytestmark = pytest.mark.django_db

CELL = "B_arsverk.led.psyk"


def url(round_id: Any, unit: str, tail: str = "response") -> str:
    return f"/api/v1/rounds/{round_id}/units/{unit}/{tail}"


def bearer(user: Any) -> dict[str, str]:
    _token, key = create_token(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def put(client: Client, round_id: Any, unit: str, body: Any, auth: dict[str, str]) -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.put(url(round_id, unit), data=data, content_type="application/json", **auth)


@pytest.fixture
def setup(client: Client) -> dict[str, Any]:
    round_obj = make_round()
    respondent = make_respondent(BAERUM)
    return {"round": round_obj, "respondent": respondent, "auth": bearer(respondent), "client": client}


def test_get_with_token_returns_values_and_version(setup: dict[str, Any]) -> None:
    response = response_of(setup["round"], BAERUM)
    services.save_values(response, {CELL: "1,5", "E_fact": "ja"}, {CELL: "Ny stilling"}, 0, setup["respondent"])
    answer = setup["client"].get(url(setup["round"].pk, BAERUM), **setup["auth"])
    assert answer.status_code == 200
    body = answer.json()
    assert body["round"] == setup["round"].pk
    assert body["unit"] == BAERUM
    assert body["status"] == "draft"
    assert body["version"] == 1
    assert body["values"][CELL] == 1.5
    assert body["values"]["E_fact"] is True
    assert body["comments"] == {CELL: "Ny stilling"}
    assert any(e["rule"].startswith("required.") for e in body["errors"])
    assert isinstance(body["warnings"], list)


def test_wrong_or_missing_token_is_401(setup: dict[str, Any]) -> None:
    client = setup["client"]
    wrong = client.get(url(setup["round"].pk, BAERUM), HTTP_AUTHORIZATION="Bearer kl_not-a-real-token")
    assert wrong.status_code == 401
    assert client.get(url(setup["round"].pk, BAERUM)).status_code == 401
    assert put(client, setup["round"].pk, BAERUM, {"values": {}, "version": 0}, {}).status_code == 401
    assert client.get("/api/v1/rounds").status_code == 401


def test_respondent_cannot_read_or_write_another_unit(setup: dict[str, Any]) -> None:
    client, auth, round_id = setup["client"], setup["auth"], setup["round"].pk
    assert client.get(url(round_id, BERGEN), **auth).status_code == 403
    denied = put(client, round_id, BERGEN, {"values": {CELL: 1}, "version": 0}, auth)
    assert denied.status_code == 403
    assert "error" in denied.json()
    assert client.post(url(round_id, BERGEN, "submit"), **auth).status_code == 403
    assert not Answer.objects.filter(response__unit__code=BERGEN).exists()
    # A unit that is not in the round, and a round that does not exist, are 404.
    assert client.get(url(round_id, "9999"), **auth).status_code == 404
    assert client.get(url(round_id + 1000, BAERUM), **auth).status_code == 404
    assert client.get(url(2**70, BAERUM), **auth).status_code in (400, 404)


def test_put_stores_values_of_every_json_type_and_audits_them(setup: dict[str, Any]) -> None:
    body = {
        "version": 0,
        "values": {
            CELL: 2.5,
            "B_arsverk.oppf.lege": "1,25",
            "E_fact": True,
            "E_kartlegging": ["ungdata", "brukerplan"],
            "E_ventetid": 14,
            "E_samarbeid": "Godt",
            "A_dato": "15.03.2024",
            "E_kommentar": None,
        },
        "comments": {CELL: "Psykolog i ledelse"},
    }
    answer = put(setup["client"], setup["round"].pk, BAERUM, body, setup["auth"])
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["version"] == 1
    assert data["values"][CELL] == 2.5
    assert data["values"]["B_arsverk.oppf.lege"] == 1.25
    assert data["values"]["E_fact"] is True
    assert data["values"]["E_kartlegging"] == ["brukerplan", "ungdata"]
    assert data["values"]["E_samarbeid"] == "godt"
    assert data["values"]["A_dato"] == "2024-03-15"
    assert data["comments"][CELL] == "Psykolog i ledelse"
    assert set(data["changed"]) >= {CELL, "E_fact", "E_kartlegging"}
    stored = Answer.objects.get(response__unit__code=BAERUM, variable="B_arsverk.oppf.lege")
    assert stored.value_num == Decimal("1.25")
    events = AuditEvent.objects.filter(unit_code=BAERUM, variable=CELL, action="answer.changed")
    assert [(e.channel, e.new_value) for e in events] == [("api", "2.5")]


def test_put_null_blanks_a_value(setup: dict[str, Any]) -> None:
    client, auth, round_id = setup["client"], setup["auth"], setup["round"].pk
    assert put(client, round_id, BAERUM, {"values": {CELL: 3}, "version": 0}, auth).status_code == 200
    answer = put(client, round_id, BAERUM, {"values": {CELL: None}, "version": 1}, auth)
    assert answer.status_code == 200
    assert answer.json()["values"][CELL] is None
    assert Answer.objects.get(response__unit__code=BAERUM, variable=CELL).value_num is None


def test_stale_version_is_409_with_the_conflicting_variables(setup: dict[str, Any]) -> None:
    client, auth, round_id = setup["client"], setup["auth"], setup["round"].pk
    assert put(client, round_id, BAERUM, {"values": {CELL: 1, "E_ventetid": 5}, "version": 0}, auth).status_code == 200
    stale = put(client, round_id, BAERUM, {"values": {CELL: 4, "E_ventetid": 5}, "version": 0}, auth)
    assert stale.status_code == 409
    data = stale.json()
    assert data["version"] == 1
    assert data["conflicts"] == {CELL: {"stored": 1, "sent": 4}}
    assert Answer.objects.get(response__unit__code=BAERUM, variable=CELL).value_num == 1


def test_bad_values_are_422_naming_every_bad_variable_and_nothing_is_saved(setup: dict[str, Any]) -> None:
    body = {
        "version": 0,
        "values": {
            CELL: "1,234",
            "B_arsverk.oppf.lege": -1,
            "E_ventetid": "mange",
            "E_fact": "kanskje",
            "E_samarbeid": "utmerket",
            "B_psykolog": "2",
        },
    }
    answer = put(setup["client"], setup["round"].pk, BAERUM, body, setup["auth"])
    assert answer.status_code == 422
    fields = answer.json()["fields"]
    assert set(fields) == {CELL, "B_arsverk.oppf.lege", "E_ventetid", "E_fact", "E_samarbeid"}
    assert fields[CELL] == "Bruk høyst 2 desimaler."
    assert "negativ" in fields["B_arsverk.oppf.lege"]
    assert not Answer.objects.filter(response__unit__code=BAERUM).exists()
    assert response_of(setup["round"], BAERUM).version == 0


def test_unknown_variable_codes_are_422_naming_them(setup: dict[str, Any]) -> None:
    body = {"version": 0, "values": {CELL: 1, "B_finnes_ikke": 2, "B_arsverk": 3}, "comments": {"Z_ukjent": "x"}}
    answer = put(setup["client"], setup["round"].pk, BAERUM, body, setup["auth"])
    assert answer.status_code == 422
    data = answer.json()
    assert {"B_finnes_ikke", "B_arsverk"} <= set(data["fields"])
    assert "B_finnes_ikke" in data["unknown"]
    assert "Z_ukjent" in data["fields"]
    assert not Answer.objects.filter(response__unit__code=BAERUM).exists()


HOSTILE_400 = [
    (b"", "request"),
    (b"[]", "request"),
    (b'[{"values": {}, "version": 0}]', "request"),
    (b"{", "request"),
    (b'{"values": {}, "version": 0', "request"),
    (b"\xff\xfe{}", "request"),
    (b'{"values": {"B_psykolog": NaN}, "version": 0}', "NaN"),
    (b'{"values": {"B_psykolog": Infinity}, "version": 0}', "Infinity"),
    (b"[" * 100_000 + b"]" * 100_000, "request"),
    (b'{"values": {}}', "version"),
    (b'{"version": 0}', "values"),
    (b'{"values": [], "version": 0}', "values"),
    (b'{"values": "B_psykolog=2", "version": 0}', "values"),
    (b'{"values": {}, "version": -1}', "version"),
    (b'{"values": {}, "version": 1.5}', "version"),
    (b'{"values": {}, "version": "1"}', "version"),
    (b'{"values": {}, "version": true}', "version"),
    (b'{"values": {}, "version": null}', "version"),
    (b'{"values": {}, "version": 0, "comments": []}', "comments"),
    (b'{"values": {}, "version": 0, "verdier": {}}', "verdier"),
    (b'{"values": {}, "version": 1' + b"0" * 5000 + b"}", "request"),
]


@pytest.mark.parametrize(("body", "field"), HOSTILE_400)
def test_malformed_bodies_are_400_naming_the_field(setup: dict[str, Any], body: bytes, field: str) -> None:
    answer = put(setup["client"], setup["round"].pk, BAERUM, body, setup["auth"])
    assert answer.status_code == 400, answer.content[:300]
    assert field in answer.json()["error"]
    assert not Answer.objects.filter(response__unit__code=BAERUM).exists()


@pytest.mark.parametrize(
    ("value", "variable"),
    [
        (b"1e308", "B_psykolog"),
        (b"-1e308", "B_psykolog"),
        (b"1e400", "E_ventetid"),
        (b"123456789012345678901234567890", "B_psykolog"),
        (b'{"a": 1}', "B_psykolog"),
        (b"[[1, 2], [3]]", "E_kartlegging"),
        (b'"' + b"x" * 1_000_000 + b'"', "E_kommentar"),
        (b'"' + b"9" * 1_000_000 + b'"', "B_psykolog"),
        (b"[" * 500 + b"]" * 500, "E_kartlegging"),
        (b"true", "B_psykolog"),
        (b"2.5", "E_ventetid"),
    ],
)
def test_hostile_values_are_422_never_500(setup: dict[str, Any], value: bytes, variable: str) -> None:
    body = b'{"version": 0, "values": {"' + variable.encode() + b'": ' + value + b"}}"
    answer = put(setup["client"], setup["round"].pk, BAERUM, body, setup["auth"])
    assert answer.status_code == 422, answer.content[:300]
    assert variable in answer.json()["fields"]
    assert len(answer.content) < 10_000


def test_type_errors_and_engine_errors_are_reported_together(setup: dict[str, Any]) -> None:
    body = {"version": 0, "values": {"B_psykolog": {"x": 1}, "E_ventetid": "mange", "Z_ukjent": 1, CELL: 1}}
    answer = put(setup["client"], setup["round"].pk, BAERUM, body, setup["auth"])
    assert answer.status_code == 422
    assert set(answer.json()["fields"]) == {"B_psykolog", "E_ventetid", "Z_ukjent"}
    assert answer.json()["unknown"] == ["Z_ukjent"]
    assert not Answer.objects.filter(response__unit__code=BAERUM).exists()


def test_huge_variable_code_is_400_without_echoing_it(setup: dict[str, Any]) -> None:
    body = json.dumps({"version": 0, "values": {"x" * 1_000_000: 1}})
    answer = put(setup["client"], setup["round"].pk, BAERUM, body, setup["auth"])
    assert answer.status_code == 400
    assert len(answer.content) < 1000


def test_reviewer_reads_own_county_but_cannot_write(setup: dict[str, Any]) -> None:
    client, round_id = setup["client"], setup["round"].pk
    auth = bearer(make_reviewer(AKERSHUS))
    assert client.get(url(round_id, ASKER), **auth).status_code == 200
    assert client.get(url(round_id, BERGEN), **auth).status_code == 403
    assert put(client, round_id, ASKER, {"values": {CELL: 1}, "version": 0}, auth).status_code == 403
    assert client.post(url(round_id, ASKER, "submit"), **auth).status_code == 403
    assert not Answer.objects.filter(response__unit__code=ASKER).exists()


def test_submit_blocks_on_errors_then_submits_and_a_second_submit_is_harmless(setup: dict[str, Any]) -> None:
    client, auth, round_id = setup["client"], setup["auth"], setup["round"].pk
    blocked = client.post(url(round_id, BAERUM, "submit"), **auth)
    assert blocked.status_code == 422
    assert blocked.json()["submitted"] is False
    assert blocked.json()["errors"] or blocked.json()["warnings"]
    saved = put(client, round_id, BAERUM, {"values": {"A_navn": "Kari", CELL: "1,5"}, "version": 0}, auth)
    assert saved.status_code == 200
    first = client.post(url(round_id, BAERUM, "submit"), **auth)
    assert first.status_code == 200, first.content
    assert first.json()["submitted"] is True
    assert first.json()["already"] is False
    version = first.json()["version"]
    second = client.post(url(round_id, BAERUM, "submit"), **auth)
    assert second.status_code == 200
    assert second.json()["already"] is True
    assert second.json()["version"] == version
    assert response_of(setup["round"], BAERUM).status == ResponseStatus.SUBMITTED
    assert AuditEvent.objects.filter(action="response.submitted", unit_code=BAERUM).count() == 1
    # Submitted: the respondent can no longer write through the API.
    late = put(client, round_id, BAERUM, {"values": {CELL: 2}, "version": version}, auth)
    assert late.status_code == 403
    assert "sendt inn" in late.json()["error"]


def test_analyst_can_write_any_unit(setup: dict[str, Any]) -> None:
    auth = bearer(make_analyst())
    answer = put(setup["client"], setup["round"].pk, BERGEN, {"values": {CELL: 1}, "version": 0}, auth)
    assert answer.status_code == 200


def test_session_auth_requires_csrf_for_put(setup: dict[str, Any]) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(setup["respondent"])
    round_id = setup["round"].pk
    assert browser.get(url(round_id, BAERUM)).status_code == 200
    body = json.dumps({"values": {CELL: 1}, "version": 0})
    refused = browser.put(url(round_id, BAERUM), data=body, content_type="application/json")
    assert refused.status_code in (401, 403)
    browser.get("/konto/logg-inn/")  # a page with a form, so it sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    ok = browser.put(url(round_id, BAERUM), data=body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 200


def test_rounds_list_shows_only_rounds_the_caller_takes_part_in(setup: dict[str, Any]) -> None:
    client = setup["client"]
    mine = client.get("/api/v1/rounds", **setup["auth"])
    assert mine.status_code == 200
    assert [r["id"] for r in mine.json()] == [setup["round"].pk]
    assert mine.json()[0]["open"] is True
    stranger = make_respondent()
    assert client.get("/api/v1/rounds", **bearer(stranger)).json() == []
    listed = client.get(f"/api/v1/rounds/{setup['round'].pk}/responses", **setup["auth"]).json()
    assert [row["unit"] for row in listed] == [BAERUM]
    reviewer = client.get(f"/api/v1/rounds/{setup['round'].pk}/responses", **bearer(make_reviewer(AKERSHUS))).json()
    assert reviewer and {row["county"] for row in reviewer} == {AKERSHUS}


def test_put_query_count_does_not_grow_with_the_number_of_values(
    setup: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    from kartlegg.responses.models import Round

    round_obj: Round = setup["round"]
    cells = list(round_obj.version.definition().questions["B_arsverk"].cell_codes())
    put(setup["client"], round_obj.pk, BAERUM, {"values": {CELL: 1}, "version": 0}, setup["auth"])  # warm up
    with django_assert_max_num_queries(16):
        answer = put(
            setup["client"], round_obj.pk, BAERUM, {"values": dict.fromkeys(cells, "0,5"), "version": 1}, setup["auth"]
        )
    assert answer.status_code == 200
    assert len(answer.json()["changed"]) == len(cells)


def test_openapi_documents_the_put_body_and_responses(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/rounds/{round_id}/units/{unit_code}/response"]["put"]
    body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert {"values", "version"} <= set(body_schema["required"])
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(operation["responses"])


def test_a_saved_body_is_exactly_the_documented_schema(setup: dict[str, Any]) -> None:
    """The PUT answer is written as JSON by the view (not validated by Django Ninja on every save), so it must still
    be exactly SavedOut: every field, no other, each value of the documented type."""
    from kartlegg.responses.api import SavedOut

    answer = put(
        setup["client"],
        setup["round"].pk,
        BAERUM,
        {"values": {CELL: "1,5", "E_fact": "ja"}, "comments": {CELL: "Ny"}, "version": 0},
        setup["auth"],
    )
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json; charset=utf-8"
    body = answer.json()
    assert list(body) == list(SavedOut.model_fields)
    assert SavedOut.model_validate(body).model_dump(mode="json") == body
    assert body["values"][CELL] == 1.5 and body["comments"] == {CELL: "Ny"}
    assert body["errors"] or body["warnings"]
    assert all(
        set(issue) == {"rule", "message", "variables", "explained"} for issue in body["errors"] + body["warnings"]
    )


def test_a_read_body_is_exactly_the_documented_schema(setup: dict[str, Any]) -> None:
    """The GET answer is written as JSON by the view too, so it must still be exactly ResponseOut."""
    from kartlegg.responses.api import ResponseOut

    response = response_of(setup["round"], BAERUM)
    services.save_values(response, {CELL: "2,25", "E_fact": "nei"}, {CELL: "Ny"}, 0, setup["respondent"])
    answer = setup["client"].get(url(setup["round"].pk, BAERUM), **setup["auth"])
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json; charset=utf-8"
    body = answer.json()
    assert list(body) == list(ResponseOut.model_fields)
    assert ResponseOut.model_validate(body).model_dump(mode="json") == body
    assert body["values"][CELL] == 2.25 and body["values"]["E_fact"] is False
    assert body["errors"] and all(set(i) == {"rule", "message", "variables", "explained"} for i in body["errors"])


def test_a_read_costs_a_fixed_number_of_queries(setup: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    """The permission gate, the response, its round, version and unit in one statement, then the answers."""
    client, round_id = setup["client"], setup["round"].pk
    assert client.get(url(round_id, BAERUM), **setup["auth"]).status_code == 200  # the token is now known
    with django_assert_max_num_queries(2):
        assert client.get(url(round_id, BAERUM), **setup["auth"]).status_code == 200


def test_a_read_by_session_and_by_an_analyst_token_agree(setup: dict[str, Any]) -> None:
    analyst = make_analyst()
    by_token = setup["client"].get(url(setup["round"].pk, BAERUM), **bearer(analyst))
    session = Client()
    session.force_login(analyst)
    by_session = session.get(url(setup["round"].pk, BAERUM))
    assert by_token.status_code == by_session.status_code == 200
    assert by_token.json() == by_session.json()
    assert session.get(url(setup["round"].pk, "9999")).status_code == 404
