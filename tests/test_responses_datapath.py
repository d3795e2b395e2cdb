"""The form's data path (issue 17, point 8): no channel stores a value that is not valid for the current question's
type (prefill across a change of type needs a declared mapping), and two colleagues saving different cells of the
same unit at once are merged by cell, with a conflict only for the same cell."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kartlegg.accounts.models import AuditEvent, Channel
from kartlegg.accounts.tokens import create_token
from kartlegg.responses import services
from kartlegg.responses.models import Answer
from kartlegg.surveys import engine
from kartlegg.surveys.services import import_questionnaire
from tests.factories.responses import client_for, open_round, questionnaire, response_for

from .factories import make_analyst, make_respondent

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent / "questionnaires"
CELL = "B_arsverk.ledelse.lege"
OTHER = "B_arsverk.bolig.annen"


def _defn(text: str) -> engine.Definition:
    import yaml

    return engine.definition_from_dict(yaml.safe_load(text))


OLD = """
survey: {code: t, name: T}
year: 2020
label: a
title: T
sections:
  - code: A
    title: A
    questions:
      - {code: A_team, type: yesno, label: Team}
      - {code: A_org, type: choice, label: Org, choices: [{code: samlet, label: Samlet}, {code: delt, label: Delt}]}
      - {code: A_n, type: integer, label: N}
      - {code: A_x, type: decimal, label: X, decimals: 3}
"""
NEW = """
survey: {code: t, name: T}
year: 2024
label: a
title: T
sections:
  - code: A
    title: A
    questions:
      - code: A_team2
        type: choice
        label: Team
        continues: A_team
        choices: [{code: ja, label: Ja, continues: "true"}, {code: nei, label: Nei, continues: "false"}]
      - {code: A_team3, type: choice, label: Team, continues: A_team, choices: [{code: ja, label: Ja}]}
      - {code: A_org, type: choice, label: Org, choices: [{code: samlet, label: Samlet}]}
      - {code: A_n, type: decimal, label: N, decimals: 2}
      - {code: A_x, type: decimal, label: X, decimals: 1, max: 10}
"""


def test_carry_value_needs_the_same_type_or_a_declared_mapping() -> None:
    old, new = _defn(OLD), _defn(NEW)
    assert engine.carry_value(new, "A_team2", old, "A_team", True) == "ja"
    assert engine.carry_value(new, "A_team2", old, "A_team", False) == "nei"
    # No mapping across the change of type: nothing is carried, never "true".
    assert engine.carry_value(new, "A_team3", old, "A_team", True) is None
    assert engine.carry_value(new, "A_org", old, "A_org", "samlet") == "samlet"
    assert engine.carry_value(new, "A_org", old, "A_org", "delt") is None  # the choice is gone
    assert engine.carry_value(new, "A_n", old, "A_n", Decimal(7)) == Decimal(7)  # integer → decimal widens
    assert engine.carry_value(new, "A_x", old, "A_x", Decimal("2.5")) == Decimal("2.5")
    assert engine.carry_value(new, "A_x", old, "A_x", Decimal("2.125")) is None  # too many decimals now
    assert engine.carry_value(new, "A_x", old, "A_x", Decimal(11)) is None  # above the new maximum


def test_check_value_refuses_a_value_of_the_wrong_type() -> None:
    new = _defn(NEW)
    for code, value in (("A_team2", True), ("A_team2", "true"), ("A_n", True), ("A_n", "7"), ("A_org", ["samlet"])):
        with pytest.raises(engine.AnswerError) as caught:
            engine.check_value(new, code, value)
        assert caught.value.code == code
    assert engine.check_value(new, "A_team2", "ja") == "ja"
    assert engine.check_value(new, "A_n", Decimal("1.5")) == Decimal("1.5")


def test_the_write_path_refuses_true_in_a_choice_question_whatever_the_channel() -> None:
    analyst = make_analyst()
    resp = response_for(open_round(questionnaire(2024), year=2024, analyst=analyst), "4601")
    result = services.store_parsed(resp, {"A_org": True, "A_navn": "Kari"}, None, None, analyst, Channel.FORM)
    assert not result.ok and "A_org" in result.errors and "choice" in result.errors["A_org"]
    assert not Answer.objects.filter(response=resp).exists()  # all or nothing
    parsed = services.save_values(resp, {"A_org": "true"}, None, None, analyst, Channel.IMPORT)
    assert "A_org" in parsed.errors and "svaralternativene" in parsed.errors["A_org"]
    assert not Answer.objects.filter(response=resp).exists()


def _real_rounds() -> tuple[Any, Any]:
    analyst = make_analyst()
    old = import_questionnaire(ROOT / "annual-2020.yaml")
    new = import_questionnaire(ROOT / "annual-2024.yaml")
    return open_round(old, year=2020, analyst=analyst), open_round(new, year=2024, analyst=analyst)


def test_prefill_from_2020_maps_yes_no_into_the_2024_choices_and_never_stores_true() -> None:
    round_2020, round_2024 = _real_rounds()
    analyst = make_analyst()
    old = response_for(round_2020, "4601")
    saved = services.save_values(
        old,
        {
            "D_rekruttering_psykolog": "ja",
            "D_rekruttering_sykepleier": "nei",
            "D_rekruttering_sosionom": "ja",
            "B_arsverk_2020.ledelse.lege": "1,5",
            "B_arsverk_2020.ledelse.ufaglart": "1",
            "B_arsverk_2020.ledelse.erfaringskonsulent": "0,5",
        },
        None,
        None,
        analyst,
        Channel.FORM,
    )
    assert saved.ok, saved.errors
    new = response_for(round_2024, "4601")
    result = services.prefill_from_previous(new, make_respondent("4601"))
    assert result.ok
    stored = dict(Answer.objects.filter(response=new).values_list("variable", "value_text"))
    assert stored["D_rekr_psykolog"] == "ja" and stored["D_rekr_sykepleier"] == "nei"
    assert stored["B_arsverk.ledelse.lege"] == "1.5"
    assert stored["B_arsverk.ledelse.ufaglart"] == "1.5"  # erfaringskonsulent merged into ufaglært in 2024
    defn = round_2024.version.definition()
    for code, text in stored.items():
        assert not services.typed_error(defn, code, engine.load_value(defn, code, text)), code
    assert not any(text in ("true", "false") for code, text in stored.items() if code.startswith("D_rekr"))


def test_prefill_without_a_declared_mapping_carries_nothing_across_a_change_of_type() -> None:
    analyst = make_analyst()
    text = (ROOT / "annual-2024.yaml").read_text(encoding="utf-8")
    text = text.replace(', continues: "true"', "").replace(', continues: "false"', "")
    _round_2020, _ = _real_rounds()
    response_2020 = response_for(_round_2020, "4601")
    services.save_values(response_2020, {"D_rekruttering_psykolog": "ja"}, None, None, analyst, Channel.FORM)
    version = import_questionnaire(text.replace("label: hovedskjema", "label: uten-kobling"))
    later = open_round(version, year=2024, analyst=analyst, name="Uten kobling")
    previous = services.previous_values(response_for(later, "4601"))
    assert previous.round is not None
    assert "D_rekr_psykolog" not in previous.values


def _background(client: Client, resp: Any, data: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    path = reverse("responses:save", args=[resp.round_id, resp.unit.code])
    reply = client.post(path, data, headers={"X-Requested-With": "fetch"})
    return reply, json.loads(reply["X-Kartlegg-Save"])


def test_two_colleagues_saving_different_cells_are_merged_and_the_form_shows_the_other_change() -> None:
    resp = response_for(open_round(year=2024), "4601")
    kari, ola = client_for(make_respondent("4601")), client_for(make_respondent("4601"))
    # Both opened the form at version 0. Kari saves first.
    _reply, first = _background(kari, resp, {"_version": "0", "_section": "B", CELL: "2,5"})
    assert first["status"] == "saved" and first["version"] == 1
    # Ola saves another cell from version 0: merged, not a conflict.
    reply, second = _background(ola, resp, {"_version": "0", "_section": "B", OTHER: "1"})
    assert second["status"] == "saved" and second["version"] == 2, second
    stored = dict(Answer.objects.filter(response=resp).values_list("variable", "value_text"))
    assert stored[CELL] == "2.5" and stored[OTHER] == "1"
    assert second["others"] == {CELL: "2,5"}  # form.js writes it into Ola's field
    html = reply.content.decode()
    assert 'id="others-changed"' in html and "En kollega har lagret endringer" in html and "2,5" in html
    # The same cell changed by both: a conflict that names it, and Kari's value stays.
    reply, third = _background(ola, resp, {"_version": "0", "_section": "B", CELL: "4"})
    assert third["status"] == "conflict"
    assert f'name="choice:{CELL}"' in reply.content.decode()
    assert Answer.objects.get(response=resp, variable=CELL).value_text == "2.5"


def test_the_plain_form_post_reports_the_colleagues_change() -> None:
    resp = response_for(open_round(year=2024), "4601")
    colleague = make_respondent("4601")
    services.save_values(resp, {CELL: "3"}, {}, 0, colleague, Channel.FORM)
    client = client_for(make_respondent("4601"))
    path = reverse("responses:section", args=[resp.round_id, resp.unit.code, "B"])
    reply = client.post(path, {"_version": "0", "_section": "B", OTHER: "2"}, follow=True)
    assert reply.status_code == 200
    assert "En kollega har lagret endringer" in reply.content.decode()
    assert Answer.objects.get(response=resp, variable=OTHER).value_text == "2"


def _bearer(user: Any) -> dict[str, str]:
    _token, key = create_token(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_api_merges_by_variable_and_409_names_only_the_same_variable() -> None:
    resp = response_for(open_round(year=2024), "4601")
    path = f"/api/v1/rounds/{resp.round_id}/units/4601/response"
    first, second = Client(), Client()
    auth_a, auth_b = _bearer(make_respondent("4601")), _bearer(make_respondent("4601"))
    base = first.get(path, **auth_a).json()["version"]

    def put(client: Client, body: dict[str, Any], auth: dict[str, str]) -> Any:
        return client.put(path, data=json.dumps(body), content_type="application/json", **auth)

    a = put(first, {"version": base, "values": {CELL: 2.5, "A_navn": "Kari"}}, auth_a)
    assert a.status_code == 200
    # B read at the same version; B sends back the old (blank) A_navn it saw and a new value for OTHER.
    b = put(second, {"version": base, "values": {OTHER: 1, "A_navn": None}}, auth_b)
    assert b.status_code == 200, b.json()
    assert sorted(b.json()["others_changed"]) == sorted([CELL, "A_navn"])
    stored = dict(Answer.objects.filter(response=resp).values_list("variable", "value_text"))
    assert stored == {CELL: "2.5", "A_navn": "Kari", OTHER: "1"}  # Kari's name was not blanked
    c = put(second, {"version": base, "values": {CELL: 4}}, auth_b)
    assert c.status_code == 409
    assert list(c.json()["conflicts"]) == [CELL]
    assert c.json()["conflicts"][CELL] == {"stored": 2.5, "sent": 4}


def test_without_a_version_stamp_in_the_history_a_changed_cell_is_a_conflict_not_a_loss() -> None:
    resp = response_for(open_round(year=2024), "4601")
    services.save_values(resp, {CELL: "3"}, {}, 0, make_respondent("4601"), Channel.FORM)
    for event in AuditEvent.objects.filter(variable=CELL):
        event.detail = {"round": resp.round_id}  # as written before the stamp existed
        event.save(update_fields=["detail"])
    with pytest.raises(services.StaleVersion) as caught:
        services.save_values(resp, {CELL: ""}, {}, 0, make_respondent("4601"), Channel.FORM)
    assert list(caught.value.conflicts) == [CELL]
