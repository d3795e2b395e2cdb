"""Who may read and write a response, through every view of the form and its downloads."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse

from kartlegg.accounts.models import Channel
from kartlegg.accounts.permissions import Access
from kartlegg.responses import services
from kartlegg.responses.models import Answer
from tests.factories.responses import client_for, open_round, response_for

from .factories import make_analyst, make_respondent, make_reviewer

pytestmark = pytest.mark.django_db

CELL = "B_arsverk.ledelse.lege"

# (url name, extra args, method, data)
READ_VIEWS = [
    ("form", [], "get", None),
    ("section", ["B"], "get", None),
    ("submit", [], "get", None),
    ("receipt_pdf", [], "get", None),
    ("state", [], "get", None),
]
WRITE_VIEWS = [
    ("section", ["B"], "post", {"_version": "0", CELL: "9"}),
    ("save", [], "post", {"_version": "0", "_section": "B", CELL: "9"}),
    ("check", [], "post", {CELL: "9", "_field": CELL}),
    ("prefill", [], "post", {"_version": "0"}),
    ("undo", [], "post", {"batch": "x"}),
    ("colleague", [], "post", {"email": "x@example.invalid"}),
    ("submit", [], "post", {}),
    ("reopen", [], "post", {}),
]


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    analyst = make_analyst()
    round_obj = open_round(year=2024, analyst=analyst)
    bergen = response_for(round_obj, "4601")  # county 46 Vestland
    oslo = response_for(round_obj, "030101")  # county 03 Oslo
    services.save_values(bergen, {CELL: "1"}, {}, None, analyst, Channel.FORM)
    services.save_values(oslo, {CELL: "2"}, {}, None, analyst, Channel.FORM)
    return {"analyst": analyst, "round": round_obj, "bergen": bergen, "oslo": oslo}


def call(client: Client, name: str, resp, extra: list[str], method: str, data):  # type: ignore[no-untyped-def]
    path = reverse(f"responses:{name}", args=[resp.round_id, resp.unit.code, *extra])
    if method == "get":
        return client.get(path)
    return client.post(path, data or {}, headers={"HX-Request": "true", "HX-Trigger-Name": CELL})


@pytest.mark.parametrize(("name", "extra", "method", "data"), READ_VIEWS + WRITE_VIEWS)
def test_respondent_cannot_reach_another_units_response(world, name, extra, method, data) -> None:  # type: ignore[no-untyped-def]
    client = client_for(make_respondent("4601"))
    reply = call(client, name, world["oslo"], extra, method, data)
    assert reply.status_code in (403, 404), (name, method, reply.status_code)
    assert Answer.objects.get(response=world["oslo"], variable=CELL).value_text == "2"


@pytest.mark.parametrize(("name", "extra", "method", "data"), READ_VIEWS)
def test_respondent_reads_their_own_unit(world, name, extra, method, data) -> None:  # type: ignore[no-untyped-def]
    client = client_for(make_respondent("4601"))
    assert call(client, name, world["bergen"], extra, method, data).status_code == 200


@pytest.mark.parametrize(("name", "extra", "method", "data"), READ_VIEWS + WRITE_VIEWS)
def test_reviewer_reads_only_their_county_and_never_writes(world, name, extra, method, data) -> None:  # type: ignore[no-untyped-def]
    client = client_for(make_reviewer("46"))
    reply = call(client, name, world["bergen"], extra, method, data)
    if method == "get":
        assert reply.status_code == 200
    else:
        assert reply.status_code == 403, (name, reply.status_code)
    assert call(client, name, world["oslo"], extra, method, data).status_code in (403, 404)
    assert Answer.objects.get(response=world["bergen"], variable=CELL).value_text == "1"


@pytest.mark.parametrize(("name", "extra", "method", "data"), READ_VIEWS + WRITE_VIEWS)
def test_anonymous_users_are_sent_to_log_in(world, name, extra, method, data) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    path = reverse(f"responses:{name}", args=[world["bergen"].round_id, "4601", *extra])
    reply = client.get(path) if method == "get" else client.post(path, data or {})
    if name == "state":
        assert reply.status_code == 401
    else:
        assert reply.status_code == 302 and reverse("accounts:login") in reply["Location"], name
    reply = client.post(path, data or {}, headers={"HX-Request": "true"}) if method == "post" else None
    if reply is not None:
        assert reply.status_code == 401  # background requests get a status, not a login page


def test_gate_raises_404_for_unknown_and_403_for_foreign(world) -> None:  # type: ignore[no-untyped-def]
    respondent = make_respondent("4601")
    round_id = world["round"].pk
    assert services.get_response_for_user(respondent, round_id, "4601").unit.code == "4601"
    with pytest.raises(PermissionDenied):
        services.get_response_for_user(respondent, round_id, "030101")
    with pytest.raises(PermissionDenied):
        services.get_response_for_user(make_reviewer("46"), round_id, "4601", Access.EDIT)
    with pytest.raises(Http404):
        services.get_response_for_user(respondent, round_id, "9999")
    with pytest.raises(Http404):
        services.get_response_for_user(respondent, 999_999, "4601")
    with pytest.raises(PermissionDenied):
        services.get_response_for_user(None, round_id, "4601")


def test_round_pages_are_for_analysts_and_reviewers_see_their_county(world) -> None:  # type: ignore[no-untyped-def]
    round_id = world["round"].pk
    reviewer = client_for(make_reviewer("46"))
    detail = reviewer.get(reverse("responses:round_detail", args=[round_id])).content.decode()
    assert "4601" in detail and "030101" not in detail
    assert reviewer.get(reverse("responses:round_invite", args=[round_id])).status_code == 403
    assert reviewer.get(reverse("responses:round_remind", args=[round_id])).status_code == 403
    respondent = client_for(make_respondent("4601"))
    assert respondent.get(reverse("responses:round_detail", args=[round_id])).status_code == 302
    mine = respondent.get(reverse("responses:index")).content.decode()
    assert "4601" in mine and "030101" not in mine
    assert services.responses_for_user(make_reviewer("03"), world["round"]).filter(unit__code="4601").count() == 0


def test_round_gate_lets_analysts_manage_and_logged_in_users_view(world) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import AnonymousUser

    round_id = world["round"].pk
    reviewer, respondent = make_reviewer("46"), make_respondent("4601")
    assert services.get_round_for_user(world["analyst"], round_id, Access.EDIT).pk == round_id
    assert services.get_round_for_user(reviewer, str(round_id)).pk == round_id
    assert services.get_round_for_user(respondent, round_id, Access.VIEW).pk == round_id
    for user in (reviewer, respondent, make_analyst(is_active=False), AnonymousUser()):
        with pytest.raises(PermissionDenied):
            services.get_round_for_user(user, round_id, Access.EDIT)
        with pytest.raises(PermissionDenied):  # 403 before 404: the answer does not tell whether the round exists
            services.get_round_for_user(user, 999_999, Access.EDIT)
    for user in (make_analyst(is_active=False), AnonymousUser(), None):
        with pytest.raises(PermissionDenied):
            services.get_round_for_user(user, round_id)
    for bad in (999_999, "x", None):
        with pytest.raises(Http404):
            services.get_round_for_user(world["analyst"], bad, Access.EDIT)


def test_round_lists_show_only_the_units_each_user_may_see(world) -> None:  # type: ignore[no-untyped-def]
    round_obj = world["round"]

    def seen(user) -> set[str]:  # type: ignore[no-untyped-def]
        return set(services.responses_for_user(user, round_obj).values_list("unit__code", flat=True))

    assert {"4601", "030101"} <= seen(world["analyst"])
    assert seen(make_respondent("4601")) == {"4601"}
    assert seen(make_respondent("4601", "030101")) == {"4601", "030101"}
    reviewer = seen(make_reviewer("46"))
    assert "4601" in reviewer and "030101" not in reviewer
    assert all(code.startswith("46") for code in reviewer)
    assert seen(make_analyst(is_active=False)) == set()
    assert seen(make_respondent()) == set()


def _verdict(gate, *args):  # type: ignore[no-untyped-def]
    try:
        return gate(*args).pk
    except (PermissionDenied, Http404) as exc:
        return type(exc).__name__


@pytest.mark.parametrize("access", [Access.VIEW, Access.EDIT])
def test_the_one_statement_gate_gives_the_same_verdicts_as_the_gate(world, access) -> None:  # type: ignore[no-untyped-def]
    """read_response_for_user (the API's GET: the response, round, version and unit in one statement, a respondent's
    binding inside it) must answer exactly as get_response_for_user for every kind of caller and target."""
    from django.contrib.auth.models import AnonymousUser

    round_id = world["round"].pk
    users = [
        world["analyst"],
        make_respondent("4601"),
        make_respondent("030101"),
        make_respondent(),
        make_reviewer("46"),
        make_reviewer("03"),
        make_respondent("4601", is_active=False),
        make_analyst(is_active=False),
        AnonymousUser(),
        None,
    ]
    targets = [(round_id, "4601"), (round_id, "030101"), (round_id, "9999"), (999_999, "4601"), (round_id, "")]
    seen = set()
    for user in users:
        for target in targets:
            expected = _verdict(services.get_response_for_user, user, *target, access)
            found = _verdict(services.read_response_for_user, user, *target, access)
            assert found == expected, (user, target, access)
            seen.add(expected if isinstance(expected, str) else "found")
    assert seen == {"found", "PermissionDenied", "Http404"}


def test_the_one_statement_gate_reads_the_same_objects(world) -> None:  # type: ignore[no-untyped-def]
    respondent = make_respondent("4601")
    read = services.read_response_for_user(respondent, world["round"].pk, "4601")
    fresh = services.get_response_for_user(respondent, world["round"].pk, "4601")
    for mine, theirs in ((read, fresh), (read.round, fresh.round), (read.unit, fresh.unit)):
        for model_field in type(theirs)._meta.concrete_fields:
            assert getattr(mine, model_field.attname) == getattr(theirs, model_field.attname), model_field.name
    assert read.round.version.pk == fresh.round.version.pk
    assert read.round.version.definition() is fresh.round.version.definition()


def test_a_unit_bound_after_the_first_refusal_is_reached(world) -> None:  # type: ignore[no-untyped-def]
    from kartlegg.accounts.models import UnitAssignment

    respondent = make_respondent("4601")
    with pytest.raises(PermissionDenied):
        services.read_response_for_user(respondent, world["round"].pk, "030101")
    UnitAssignment.objects.create(user=respondent, unit_code="030101")
    fresh = type(respondent).objects.get(pk=respondent.pk)  # a new request's user: no units read yet
    assert services.read_response_for_user(fresh, world["round"].pk, "030101").unit.code == "030101"
