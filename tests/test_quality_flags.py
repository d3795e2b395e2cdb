"""Flags: the state machine, keeping flags in step on re-runs, last year's figures across municipal reforms, the
analyst's queue with its filters and bulk actions, running the checks on submit, and `manage.py run_qa`."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from kartlegg.accounts.models import AuditEvent
from kartlegg.quality import services
from kartlegg.quality.loader import load_round
from kartlegg.quality.models import Flag, FlagEvent
from kartlegg.quality.states import FlagState, IllegalTransition, allowed_actions, next_state
from kartlegg.responses import services as responses
from kartlegg.responses.models import Answer, Response
from tests.factories.quality import TYPICAL, qa_round, write
from tests.factories.responses import client_for

from .factories import make_analyst, make_respondent, make_reviewer

# Units whose codes did not change between 2023 and 2024 (Stavanger and Bærum were renumbered in 2024).
BERGEN, STAVANGER, GAMLE_OSLO = "4601", "1103", "030101"
PERCENT_CELL = "B_arsverk.oppfolging.psykolog"


# The state machine (pure)


def test_the_legal_paths_of_a_flag() -> None:
    assert next_state("open", "query") == "queried"
    assert next_state("queried", "answer") == "answered"
    assert next_state("answered", "accept") == "accepted"
    assert next_state("queried", "correct") == "corrected"
    assert next_state("open", "dismiss") == "dismissed"
    assert next_state("open", "resolve") == "resolved"
    assert next_state("accepted", "reopen") == "open"
    assert next_state("resolved", "reopen") == "open"
    assert set(allowed_actions("open")) == {"query", "correct", "accept", "dismiss", "resolve"}


@pytest.mark.parametrize(
    ("state", "action"),
    [("open", "answer"), ("accepted", "query"), ("corrected", "accept"), ("dismissed", "dismiss"), ("open", "reopen")],
)
def test_illegal_transitions_say_what_was_wrong(state: str, action: str) -> None:
    with pytest.raises(IllegalTransition) as info:
        next_state(state, action)
    message = str(info.value)
    assert f"«{FlagState(state).label}»" in message and "bare fra" in message


def test_an_unknown_action_is_named() -> None:
    with pytest.raises(IllegalTransition, match="Ukjent handling «slett»"):
        next_state("open", "slett")


def _rounds(analyst=None):  # type: ignore[no-untyped-def]
    analyst = analyst or make_analyst()
    last = qa_round(2023, analyst=analyst)
    now = qa_round(2024, analyst=analyst)
    return last, now


def _percent_case(analyst=None):  # type: ignore[no-untyped-def]
    """Bergen typed 50 for 0,5 in one cell; Stavanger answered exactly as last year (a stale copy)."""
    last, now = _rounds(analyst)
    write(last, BERGEN, {**TYPICAL, PERCENT_CELL: 0.5, "B_psykolog_totalt": 0.5})
    write(now, BERGEN, {**TYPICAL, PERCENT_CELL: 50, "B_psykolog_totalt": 0.6})
    write(last, STAVANGER, TYPICAL)
    write(now, STAVANGER, TYPICAL)
    return last, now


def _flag(round_obj, unit_code: str, check: str) -> Flag:  # type: ignore[no-untyped-def]
    return Flag.objects.select_related("unit").get(round=round_obj, unit__code=unit_code, check_name=check)


@pytest.mark.django_db
def test_a_run_creates_flags_and_a_rerun_does_not_duplicate_them() -> None:
    _last, now = _percent_case()
    first = services.run_checks(now)
    assert first.created == Flag.objects.filter(round=now).count() > 0
    flag = _flag(now, BERGEN, "unit_error")
    assert (flag.variable, flag.rule, flag.state) == (PERCENT_CELL, "percent_as_fte", "open")
    assert (
        Flag.objects.filter(round=now, check_name="missing", rule="not_answered").count() == now.responses.count() - 2
    )
    second = services.run_checks(now)
    assert (second.created, second.reopened, second.resolved) == (0, 0, 0)
    assert second.unchanged == first.created
    assert Flag.objects.filter(round=now).count() == first.created
    assert FlagEvent.objects.filter(flag=flag).count() == 1  # "opened" once
    assert AuditEvent.objects.filter(action="quality.flag.open", object_id=str(flag.pk)).count() == 1


@pytest.mark.django_db
def test_a_flag_that_no_longer_fires_is_resolved_by_data_and_reopens_when_it_fires_again() -> None:
    _last, now = _percent_case()
    services.run_checks(now)
    response = Response.objects.get(round=now, unit__code=BERGEN)
    Answer.objects.filter(response=response, variable=PERCENT_CELL).update(value_text="0.6", value_num="0.6")
    report = services.run_checks(now, units=[BERGEN])
    # The unit error, the jump in the total and the psychologists' mismatch all went away with the one value.
    assert report.resolved == 3 and report.created == 0
    assert not Flag.objects.filter(round=now, unit__code=BERGEN).exclude(state=FlagState.RESOLVED).exists()
    flag = _flag(now, BERGEN, "unit_error")
    assert flag.state == FlagState.RESOLVED
    assert flag.events.last().note == "Kontrollen slår ikke lenger ut."
    Answer.objects.filter(response=response, variable=PERCENT_CELL).update(value_text="50", value_num="50")
    assert services.run_checks(now, units=[BERGEN]).reopened == 3
    assert _flag(now, BERGEN, "unit_error").state == FlagState.OPEN


@pytest.mark.django_db
def test_a_settled_flag_is_left_alone_unless_its_values_change() -> None:
    analyst = make_analyst()
    _last, now = _percent_case(analyst)
    services.run_checks(now)
    flag = services.transition(_flag(now, BERGEN, "unit_error"), "accept", analyst, "Riktig: nytt team.")
    services.run_checks(now)
    assert _flag(now, BERGEN, "unit_error").state == FlagState.ACCEPTED
    response = Response.objects.get(round=now, unit__code=BERGEN)
    Answer.objects.filter(response=response, variable=PERCENT_CELL).update(value_text="60", value_num="60")
    services.run_checks(now, units=[BERGEN])
    flag.refresh_from_db()
    assert flag.state == FlagState.OPEN and flag.values["verdi"] == 60
    # A settled flag whose check stops firing keeps its decision.
    services.transition(flag, "dismiss", analyst, "Feil alarm.")
    Answer.objects.filter(response=response, variable=PERCENT_CELL).update(value_text="0.6", value_num="0.6")
    services.run_checks(now, units=[BERGEN])
    flag.refresh_from_db()
    assert flag.state == FlagState.DISMISSED


@pytest.mark.django_db
def test_transitions_are_logged_and_need_the_right_user() -> None:
    analyst = make_analyst()
    _last, now = _percent_case(analyst)
    services.run_checks(now)
    flag = _flag(now, BERGEN, "unit_error")
    with pytest.raises(PermissionDenied):
        services.transition(flag, "accept", make_respondent(BERGEN))
    with pytest.raises(PermissionDenied):
        services.transition(flag, "accept", make_reviewer("46"))
    with pytest.raises(PermissionDenied):
        services.transition(flag, "resolve", analyst)  # only the system resolves by data
    with pytest.raises(services.FlagError, match="begrunnelse"):
        services.transition(flag, "dismiss", analyst, "  ")
    with pytest.raises(IllegalTransition):
        services.transition(flag, "answer", analyst)
    services.transition(flag, "dismiss", analyst, "Stemmer, kommunen har 50 årsverk her.")
    flag.refresh_from_db()
    assert (flag.state, flag.reason, flag.settled_by) == ("dismissed", "Stemmer, kommunen har 50 årsverk her.", analyst)
    event = flag.events.last()
    assert (event.action, event.from_state, event.to_state, event.user) == ("dismiss", "open", "dismissed", analyst)
    logged = AuditEvent.objects.get(action="quality.flag.dismiss", object_id=str(flag.pk))
    assert (logged.user, logged.old_value, logged.new_value, logged.unit_code) == (analyst, "open", "dismissed", BERGEN)


@pytest.mark.django_db
def test_submitting_runs_the_checks_for_the_unit(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    last, now = _rounds()
    write(last, GAMLE_OSLO, {**TYPICAL, PERCENT_CELL: 0.5})
    response = write(now, GAMLE_OSLO, {**TYPICAL, PERCENT_CELL: 50}, submit=False)
    user = make_respondent(GAMLE_OSLO)
    with django_capture_on_commit_callbacks(execute=True):
        result = responses.submit(response, user)
    assert result.submitted
    assert _flag(now, GAMLE_OSLO, "unit_error").rule == "percent_as_fte"
    assert not Flag.objects.filter(round=now).exclude(unit__code=GAMLE_OSLO).exists()  # only the submitting unit


@pytest.mark.django_db
def test_last_years_figures_follow_splits_renumbering_and_merges() -> None:
    last, now = _rounds()
    write(last, "1507", {"B_arsverk.oppfolging.hoyskole": 100.0})  # Ålesund, split into 1508 and 1580 in 2024
    write(last, "3001", {"B_arsverk.oppfolging.hoyskole": 10.0})  # Halden, renumbered 3101
    data = {u.code: u for u in load_round(now).units}
    alesund, haram, halden = data["1508"].previous, data["1580"].previous, data["3101"].previous
    assert alesund and haram and halden
    assert alesund.estimated and haram.estimated and alesund.sources == ("1507",)
    share = float(alesund.values["B_arsverk.oppfolging.hoyskole"])
    assert 80 < share < 95 and share + float(haram.values["B_arsverk.oppfolging.hoyskole"]) == pytest.approx(100)
    assert alesund.grid_totals["B_arsverk"] == pytest.approx(share)
    assert not halden.estimated and halden.sources == ("3001",) and halden.grid_totals["B_arsverk"] == 10.0
    assert data[BERGEN].previous is None  # did not answer last year: a first year for the checks


@pytest.mark.django_db
def test_a_merged_unit_gets_the_sum_only_when_every_predecessor_answered() -> None:
    analyst = make_analyst()
    last = qa_round(2019, analyst=analyst)
    now = qa_round(2020, analyst=analyst)
    write(last, "5001", {"B_arsverk.oppfolging.hoyskole": 40.0})  # Trondheim absorbed Klæbu (5030) in 2020
    assert load_round(now).units and {u.code: u for u in load_round(now).units}["5001"].previous is None
    write(last, "5030", {"B_arsverk.oppfolging.hoyskole": 2.5})
    trondheim = {u.code: u for u in load_round(now).units}["5001"].previous
    assert trondheim is not None and trondheim.sources == ("5001", "5030") and not trondheim.estimated
    assert (
        trondheim.grid_totals["B_arsverk"] == 42.5 and float(trondheim.values["B_arsverk.oppfolging.hoyskole"]) == 42.5
    )


@pytest.mark.django_db
def test_the_queue_lists_flags_by_impact_and_filters_them() -> None:
    analyst = make_analyst()
    _last, now = _percent_case(analyst)
    services.run_checks(now)
    client = client_for(analyst)
    rounds = client.get("/kvalitet/")
    assert rounds.status_code == 200 and f"/kvalitet/runder/{now.pk}/" in rounds.content.decode()
    page = client.get(f"/kvalitet/runder/{now.pk}/?check=unit_error&state=")
    assert page.status_code == 200
    text = page.content.decode()
    assert "stillingsprosent" in text and "identiske med fjorårets" not in text  # filtered to unit errors
    assert "identiske med fjorårets" in client.get(f"/kvalitet/runder/{now.pk}/?q=Stavanger&state=").content.decode()
    missing = client.get(f"/kvalitet/runder/{now.pk}/?check=missing&county=46").content.decode()
    assert "Ulvik" in missing and "Enheten har ikke svart" in missing and "Lillestrøm" not in missing
    assert client.get(f"/kvalitet/runder/{now.pk}/?check=nonsense").status_code == 400
    everything = client.get(f"/kvalitet/runder/{now.pk}/?state=").content.decode()
    assert everything.index("stillingsprosent") < everything.index("Utsira")  # 49,5 årsverk first
    settled = client.get(f"/kvalitet/runder/{now.pk}/").content.decode()  # active flags by default
    assert "stillingsprosent" in settled


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["respondent", "reviewer", "anonymous"])
def test_only_analysts_see_the_queue(who: str) -> None:
    _last, now = _rounds()
    url = f"/kvalitet/runder/{now.pk}/"
    if who == "anonymous":
        from django.test import Client

        assert Client().get(url).status_code == 302
        return
    user = make_respondent(BERGEN) if who == "respondent" else make_reviewer("46")
    client = client_for(user)
    assert client.get(url).status_code == 403
    assert client.get("/kvalitet/").status_code == 403
    assert client.get(f"/kvalitet/runder/{now.pk}/flagg.csv").status_code == 403
    assert client.post(f"/kvalitet/runder/{now.pk}/kjor/").status_code == 403
    assert client.post(f"/kvalitet/runder/{now.pk}/handling/", {"action": "accept"}).status_code == 403


@pytest.mark.django_db
def test_bulk_accept_asks_for_confirmation_first() -> None:
    analyst = make_analyst()
    _last, now = _percent_case(analyst)
    services.run_checks(now)
    ids = list(Flag.objects.filter(round=now, check_name="missing").values_list("pk", flat=True)[:3])
    client = client_for(analyst)
    confirm = client.post(f"/kvalitet/runder/{now.pk}/handling/", {"flags": ids, "action": "accept"})
    assert confirm.status_code == 200 and "Bekreft" in confirm.content.decode()
    assert not Flag.objects.filter(pk__in=ids, state="accepted").exists()
    done = client.post(f"/kvalitet/runder/{now.pk}/handling/", {"flags": ids, "action": "accept", "confirm": "1"})
    assert done.status_code == 302
    assert Flag.objects.filter(pk__in=ids, state="accepted").count() == 3
    assert AuditEvent.objects.filter(action="quality.flag.accept", user=analyst).count() == 3


@pytest.mark.django_db
def test_bulk_actions_refuse_bad_input() -> None:
    analyst = make_analyst()
    _last, now = _percent_case(analyst)
    services.run_checks(now)
    other_round = qa_round(2022, analyst=analyst)
    flag = _flag(now, BERGEN, "unit_error")
    client = client_for(analyst)
    url = f"/kvalitet/runder/{now.pk}/handling/"
    for data in [
        {"flags": [flag.pk], "action": "dismiss", "confirm": "1"},  # no reason
        {"flags": [flag.pk], "action": "delete", "confirm": "1"},
        {"flags": [], "action": "accept", "confirm": "1"},
        {"flags": ["x"], "action": "accept", "confirm": "1"},
    ]:
        response = client.post(url, data, follow=True)
        assert response.status_code == 200 and "ds-alert" in response.content.decode()
    assert (
        client.post(
            f"/kvalitet/runder/{other_round.pk}/handling/", {"flags": [flag.pk], "action": "accept", "confirm": "1"}
        ).status_code
        == 302
    )
    flag.refresh_from_db()
    assert flag.state == FlagState.OPEN  # a flag of another round is never touched


@pytest.mark.django_db
def test_bulk_query_sends_one_query_per_unit(mailoutbox) -> None:  # type: ignore[no-untyped-def]
    analyst = make_analyst()
    _last, now = _percent_case(analyst)
    services.run_checks(now)
    make_respondent(BERGEN, email="koordinator@bergen.kommune.no")
    ids = list(
        Flag.objects.filter(round=now, unit__code__in=[BERGEN, STAVANGER])
        .exclude(check_name="missing")
        .values_list("pk", flat=True)
    )
    client = client_for(analyst)
    client.post(
        f"/kvalitet/runder/{now.pk}/handling/",
        {"flags": ids, "action": "query", "text": "Kan dere se på dette?", "confirm": "1"},
    )
    assert now.queries.count() == 2
    assert Flag.objects.filter(pk__in=ids, state="queried").count() == len(ids)
    assert [m.to for m in mailoutbox] == [["koordinator@bergen.kommune.no"]]  # Stavanger has no known address


@pytest.mark.django_db
def test_the_flag_page_shows_history_and_refuses_an_illegal_action() -> None:
    analyst = make_analyst()
    _last, now = _percent_case(analyst)
    services.run_checks(now)
    flag = _flag(now, BERGEN, "unit_error")
    client = client_for(analyst)
    page = client.get(f"/kvalitet/flagg/{flag.pk}/")
    assert page.status_code == 200 and "Historikk" in page.content.decode()
    refused = client.post(f"/kvalitet/flagg/{flag.pk}/", {"action": "reopen"})
    assert refused.status_code == 400 and "bare fra" in refused.content.decode()
    client.post(f"/kvalitet/flagg/{flag.pk}/", {"action": "accept", "text": "Ok"})
    flag.refresh_from_db()
    assert flag.state == FlagState.ACCEPTED
    assert client.get("/kvalitet/flagg/999999999/").status_code == 404
    assert client_for(make_respondent(BERGEN)).get(f"/kvalitet/flagg/{flag.pk}/").status_code == 403


@pytest.mark.django_db
def test_running_from_the_page_is_a_job_with_a_progress_bar(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    from kartlegg.jobs.models import Job

    analyst = make_analyst()
    _last, now = _percent_case(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(analyst).post(f"/kvalitet/runder/{now.pk}/kjor/")
    job = Job.objects.get(key=f"quality.checks.round:{now.pk}")
    assert response.status_code == 302 and response["Location"].endswith(f"?oppgave={job.pk}")
    assert (job.status, job.done, job.total) == ("done", job.total, Response.objects.filter(round=now).count())
    page = client_for(analyst).get(response["Location"]).content.decode()
    assert "Kontroll av runden er ferdig" in page and "nye flagg" in page
    assert Flag.objects.filter(round=now).exists()


@pytest.mark.django_db
def test_run_qa_is_idempotent_and_reports() -> None:
    _last, now = _percent_case()
    out = io.StringIO()
    call_command("run_qa", "--round", str(now.pk), "--no-progress", stdout=out)
    count = Flag.objects.filter(round=now).count()
    assert f"nye flagg {count}" in out.getvalue() and "Enhetsfeil: 1" in out.getvalue()
    out = io.StringIO()
    call_command("run_qa", "--round", now.name, "--no-progress", stdout=out)
    assert "nye flagg 0" in out.getvalue() and f"uendret {count}" in out.getvalue()
    assert Flag.objects.filter(round=now).count() == count


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--round", "999999"], "Fant ingen runde «999999»"),
        (["--round", "Ingen slik runde"], "Fant ingen runde «Ingen slik runde»"),
        (["--round", ""], "Fant ingen runde «»"),
    ],
)
def test_run_qa_names_an_unknown_round(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("run_qa", *args, "--no-progress")


@pytest.mark.django_db
def test_run_qa_names_a_unit_outside_the_round() -> None:
    _last, now = _rounds()
    with pytest.raises(CommandError, match="9999"):
        call_command("run_qa", "--round", str(now.pk), "--unit", "9999", "--no-progress")


# Configuration per questionnaire version


@pytest.mark.django_db
def test_a_versions_configuration_is_validated_and_used() -> None:
    from django.core.exceptions import ValidationError

    from kartlegg.quality.models import QAConfig

    _last, now = _percent_case()
    bad = QAConfig(version=now.version, config={"stale_copy": {"enabeld": False}})
    with pytest.raises(ValidationError, match="enabeld"):
        bad.full_clean()
    QAConfig.objects.create(version=now.version, config={"stale_copy": {"enabled": False}})
    services.run_checks(now)
    assert not Flag.objects.filter(round=now, check_name="stale_copy").exists()
    assert Flag.objects.filter(round=now, check_name="unit_error").exists()
    QAConfig.objects.filter(version=now.version).update(config={"stale_copy": {"min_filled": "tre"}})
    with pytest.raises(CommandError, match="min_filled"):
        call_command("run_qa", "--round", str(now.pk), "--no-progress", stdout=io.StringIO())


@pytest.mark.django_db
def test_an_import_runs_the_checks_once_for_the_changed_units(django_capture_on_commit_callbacks, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from kartlegg.responses.importers import import_responses

    last, now = _rounds()
    write(last, GAMLE_OSLO, {**TYPICAL, PERCENT_CELL: 0.5})
    write(now, GAMLE_OSLO, {**TYPICAL, PERCENT_CELL: 0.5})
    write(last, BERGEN, TYPICAL)
    write(now, BERGEN, TYPICAL)
    calls: list[list[str]] = []
    real = services.run_checks

    def counting(round_obj, *, units=None, user=None, progress=None):  # type: ignore[no-untyped-def]
        calls.append(sorted(units or []))
        return real(round_obj, units=units, user=user, progress=progress)

    monkeypatch.setattr(services, "run_checks", counting)  # what the import's job calls
    cell = PERCENT_CELL
    data = f"unit_code;variable;value\n{GAMLE_OSLO};{cell};50\n{BERGEN};A_navn;Ny\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        report = import_responses(now, data, user=make_analyst(), source="t.csv")
    assert report.units_changed == 2
    assert calls == [sorted([GAMLE_OSLO, BERGEN])]  # once, for both units, not once per unit
    assert _flag(now, GAMLE_OSLO, "unit_error").rule == "percent_as_fte"
    # A dry run writes nothing and checks nothing.
    with django_capture_on_commit_callbacks(execute=True):
        import_responses(now, data.replace(b";50", b";40"), user=make_analyst(), dry_run=True)
    assert len(calls) == 1


@pytest.mark.django_db
def test_saving_a_submitted_response_is_not_a_submission(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    last, now = _rounds()
    write(last, GAMLE_OSLO, {**TYPICAL, PERCENT_CELL: 0.5})
    response = write(now, GAMLE_OSLO, {**TYPICAL, PERCENT_CELL: 0.5})
    with django_capture_on_commit_callbacks(execute=True):
        responses.save_values(response, {PERCENT_CELL: "50"}, None, None, make_analyst())
    assert not Flag.objects.filter(round=now).exists()  # the checks run on submit, import or run_qa
