"""Following up: one query per unit, the e-mail, the respondent's answer and correction on the query page (through
the one permission gate), the follow-up figures (pure, page and API), and the flag exports."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.template import Context, Template
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from kartlegg.accounts.models import AuditEvent
from kartlegg.accounts.tokens import create_token
from kartlegg.quality import metrics, services
from kartlegg.quality.models import Flag, Query
from kartlegg.quality.states import FlagState, IllegalTransition
from kartlegg.responses.models import Answer, Invitation, Response, ResponseStatus, Round
from tests.factories.quality import TYPICAL, qa_round, write
from tests.factories.responses import client_for

from .factories import make_analyst, make_respondent, make_reviewer

BERGEN, STAVANGER = "4601", "1103"
CELL = "B_arsverk.oppfolging.psykolog"
EMAIL = "koordinator@bergen.kommune.no"


def _case():  # type: ignore[no-untyped-def]
    """Bergen typed 50 for 0,5 (a percentage); Stavanger copied last year's answers. Checks have run."""
    analyst = make_analyst()
    last = qa_round(2023, analyst=analyst)
    now = qa_round(2024, analyst=analyst)
    write(last, BERGEN, {**TYPICAL, CELL: 0.5, "B_psykolog_totalt": 0.5})
    write(now, BERGEN, {**TYPICAL, CELL: 50, "B_psykolog_totalt": 0.5})
    write(last, STAVANGER, TYPICAL)
    write(now, STAVANGER, TYPICAL)
    services.run_checks(now)
    respondent = make_respondent(BERGEN, email=EMAIL)
    return analyst, respondent, now


def _bergen_flags(round_obj: Round) -> list[Flag]:
    return list(Flag.objects.filter(round=round_obj, unit__code=BERGEN).select_related("unit").order_by("id"))


@pytest.mark.django_db
def test_one_query_about_several_flags_of_one_unit(mailoutbox) -> None:  # type: ignore[no-untyped-def]
    analyst, _respondent, now = _case()
    flags = _bergen_flags(now)
    assert {f.check_name for f in flags} == {"unit_error", "implausible_change", "inconsistency"}
    query = services.send_query(flags, "Er 50 riktig, eller mente dere 0,5?", analyst, "https://kartlegg.example")
    assert set(query.flags.all()) == set(flags)
    assert all(f.state == FlagState.QUERIED for f in Flag.objects.filter(pk__in=[f.pk for f in flags]))
    [mail] = mailoutbox
    assert mail.to == [EMAIL] and "Bergen" in mail.subject
    assert "Er 50 riktig" in mail.body and f"https://kartlegg.example/kvalitet/sporsmal/{query.pk}/" in mail.body
    assert "https://kartlegg.example/innsamling/invitasjon/" in mail.body  # a fresh login link
    assert Invitation.objects.filter(round=now, unit__code=BERGEN, email=EMAIL).count() == 1
    response = Response.objects.get(round=now, unit__code=BERGEN)
    assert response.status == ResponseStatus.REOPENED and query.reopened_response
    assert AuditEvent.objects.filter(action="quality.query.sent", user=analyst, unit_code=BERGEN).exists()
    assert AuditEvent.objects.filter(action="quality.flag.query").count() == len(flags)


@pytest.mark.django_db
def test_bad_queries_are_refused_before_anything_is_written() -> None:
    analyst, respondent, now = _case()
    bergen = _bergen_flags(now)
    stavanger = list(Flag.objects.filter(round=now, unit__code=STAVANGER))
    with pytest.raises(services.QueryError, match="én enhet"):
        services.send_query([bergen[0], stavanger[0]], "Hei", analyst)
    with pytest.raises(services.QueryError, match="melding"):
        services.send_query(bergen, "   ", analyst)
    with pytest.raises(services.QueryError, match="minst ett flagg"):
        services.send_query([], "Hei", analyst)
    with pytest.raises(PermissionDenied):
        services.send_query(bergen, "Hei", respondent)
    services.transition(bergen[0], "accept", analyst, "ok")
    with pytest.raises(IllegalTransition):
        services.send_query(bergen, "Hei", analyst)
    assert not Query.objects.exists()


@pytest.mark.django_db
def test_the_unit_answers_in_text_and_the_response_is_submitted_again() -> None:
    analyst, respondent, now = _case()
    query = services.send_query(_bergen_flags(now), "Stemmer tallene?", analyst)
    client = client_for(respondent)
    page = client.get(f"/kvalitet/sporsmal/{query.pk}/")
    assert page.status_code == 200
    assert (
        "Stemmer tallene?" in page.content.decode()
        and 'name="v_B_arsverk.oppfolging.psykolog"' in page.content.decode()
    )
    done = client.post(f"/kvalitet/sporsmal/{query.pk}/", {"text": "Ja, vi har fått 50 nye årsverk.", "version": 0})
    assert done.status_code == 302
    query.refresh_from_db()
    assert query.answered_at is not None
    assert {f.state for f in query.flags.all()} == {FlagState.ANSWERED}
    assert Response.objects.get(round=now, unit__code=BERGEN).status == ResponseStatus.SUBMITTED
    assert [m.from_unit for m in query.messages.all()] == [False, True]
    assert AuditEvent.objects.filter(action="quality.flag.answer", user=respondent).count() == 3


@pytest.mark.django_db
def test_a_correction_goes_through_the_form_channel_and_the_flags_end_as_corrected() -> None:
    analyst, respondent, now = _case()
    query = services.send_query(_bergen_flags(now), "Er 50 riktig?", analyst)
    response = Response.objects.get(round=now, unit__code=BERGEN)
    client = client_for(respondent)
    done = client.post(
        f"/kvalitet/sporsmal/{query.pk}/",
        {"text": "Beklager, 0,5.", f"v_{CELL}": "0,5", "version": response.version},
        follow=True,
    )
    assert done.status_code == 200 and "Takk" in done.content.decode()
    assert Answer.objects.get(response=response, variable=CELL).value_text == "0.5"
    changed = AuditEvent.objects.get(action="answer.changed", variable=CELL, unit_code=BERGEN)
    assert (changed.user, changed.channel, changed.old_value, changed.new_value) == (respondent, "form", "50", "0.5")
    assert {f.state for f in query.flags.all()} == {FlagState.CORRECTED}
    assert AuditEvent.objects.filter(action="quality.flag.correct", user=respondent).count() == 3
    assert Response.objects.get(pk=response.pk).status == ResponseStatus.SUBMITTED
    assert query.messages.last().changed == [CELL]


@pytest.mark.django_db
def test_a_correction_that_does_not_fix_it_reopens_the_flag_on_the_rerun() -> None:
    analyst, respondent, now = _case()
    unit_error = Flag.objects.get(round=now, unit__code=BERGEN, check_name="unit_error")
    query = services.send_query([unit_error], "Er 50 riktig?", analyst)
    version = Response.objects.get(round=now, unit__code=BERGEN).version
    client_for(respondent).post(f"/kvalitet/sporsmal/{query.pk}/", {f"v_{CELL}": "60", "version": version})
    unit_error.refresh_from_db()
    assert unit_error.state == FlagState.OPEN and unit_error.values["verdi"] == 60
    assert list(unit_error.events.values_list("action", flat=True)) == ["open", "query", "correct", "reopen"]


@pytest.mark.django_db
def test_bad_values_are_refused_and_nothing_is_saved() -> None:
    analyst, respondent, now = _case()
    query = services.send_query(_bergen_flags(now), "Er 50 riktig?", analyst)
    client = client_for(respondent)
    refused = client.post(f"/kvalitet/sporsmal/{query.pk}/", {f"v_{CELL}": "femti", "version": 0})
    assert refused.status_code == 400 and "ds-error-summary" in refused.content.decode()
    empty = client.post(f"/kvalitet/sporsmal/{query.pk}/", {"text": " ", "version": 0})
    assert empty.status_code == 400 and "Skriv et svar" in empty.content.decode()
    assert Answer.objects.get(response__round=now, response__unit__code=BERGEN, variable=CELL).value_text == "50"
    assert {f.state for f in query.flags.all()} == {FlagState.QUERIED}
    # A colleague changed the same cell since the version this page was read at: a conflict on that cell. (Saves
    # merge by cell, so a change to another cell would not conflict.)
    from kartlegg.responses import services as responses

    bergen = Response.objects.get(round=now, unit__code=BERGEN)
    responses.save_values(bergen, {CELL: "40"}, None, None, make_respondent(BERGEN))
    stale = client.post(f"/kvalitet/sporsmal/{query.pk}/", {f"v_{CELL}": "0,5", "version": 0})
    assert stale.status_code == 409 and "Noen andre har lagret" in stale.content.decode()
    with pytest.raises(services.QueryError):
        services.reply(query, respondent, "x" * 10_001)
    result = services.reply(query, respondent, "", {"E_ventetid": "3"})
    assert "E_ventetid" in result.errors  # not a variable this query is about


@pytest.mark.django_db
def test_when_the_round_is_closed_the_unit_can_still_answer_in_text() -> None:
    analyst, respondent, now = _case()
    Round.objects.filter(pk=now.pk).update(closes_at=timezone.now() - dt.timedelta(hours=1))
    now.refresh_from_db()
    query = services.send_query(_bergen_flags(now), "Stemmer det?", analyst)
    assert not query.reopened_response
    client = client_for(respondent)
    page = client.get(f"/kvalitet/sporsmal/{query.pk}/").content.decode()
    assert "Runden er stengt" in page and 'name="v_' not in page
    assert client.post(f"/kvalitet/sporsmal/{query.pk}/", {"text": "Ja.", f"v_{CELL}": "1"}).status_code == 302
    assert Answer.objects.get(response__round=now, response__unit__code=BERGEN, variable=CELL).value_text == "50"
    assert {f.state for f in query.flags.all()} == {FlagState.ANSWERED}


@pytest.mark.django_db
def test_only_the_unit_and_analysts_may_answer_and_others_get_403_or_404() -> None:
    analyst, _respondent, now = _case()
    query = services.send_query(_bergen_flags(now), "Stemmer det?", analyst)
    url = f"/kvalitet/sporsmal/{query.pk}/"
    assert client_for(make_respondent(STAVANGER)).get(url).status_code == 403
    assert client_for(make_respondent(STAVANGER)).post(url, {"text": "Hei"}).status_code == 403
    reviewer = client_for(make_reviewer("46"))
    assert reviewer.get(url).status_code == 200  # reads the county's units
    assert reviewer.post(url, {"text": "Hei"}).status_code == 403  # but cannot act
    assert client_for(make_reviewer("11")).get(url).status_code == 403
    assert client_for(analyst).get(url).status_code == 200
    assert client_for(analyst).get("/kvalitet/sporsmal/99999999/").status_code == 404
    assert Client().get(url).status_code == 302
    assert query.messages.count() == 1


@pytest.mark.django_db
def test_the_form_can_show_open_queries() -> None:
    analyst, _respondent, now = _case()
    response = Response.objects.get(round=now, unit__code=BERGEN)
    template = Template("{% load quality %}{% qa_queries response %}")
    assert "Spørsmål sendt" not in template.render(Context({"response": response}))
    query = services.send_query(_bergen_flags(now), "Stemmer det?", analyst)
    html = template.render(Context({"response": response}))
    assert f"/kvalitet/sporsmal/{query.pk}/" in html and "ett spørsmål" in html
    assert services.open_queries_for_response(Response.objects.get(round=now, unit__code=STAVANGER)) == []


def test_follow_up_figures_from_plain_rows() -> None:
    sent = dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)
    flags = [
        metrics.FlagRow("4601", "unit_error", "corrected"),
        metrics.FlagRow("4601", "implausible_change", "answered"),
        metrics.FlagRow("1103", "stale_copy", "open"),
        metrics.FlagRow("5001", "missing", "accepted"),
    ]
    queries = [
        metrics.QueryRow("4601", sent, sent + dt.timedelta(hours=10)),
        metrics.QueryRow("1103", sent, sent + dt.timedelta(hours=30)),
        metrics.QueryRow("1103", sent, None),
    ]
    result = metrics.follow_up(10, flags, queries)
    assert (result.units_flagged, result.units_queried, result.units_corrected) == (3, 2, 1)
    assert result.share_queried == 20.0 and result.share_corrected_of_queried == 50.0 and result.share_corrected == 10.0
    assert result.median_hours_to_answer == 20.0 and result.queries_answered == 2
    assert result.flags_by_check["unit_error"] == {"corrected": 1, "total": 1}
    assert metrics.methods_sentence(result) == (
        "Kvalitetskontrollen sendte spørsmål til 2 av 10 enheter (20,0 %); 1 av dem rettet minst ett tall. "
        "Median svartid var 0,8 døgn."
    )
    nothing = metrics.follow_up(0, [], [])
    assert nothing.share_queried is None and nothing.median_hours_to_answer is None
    assert metrics.methods_sentence(nothing) == "Runden har ingen enheter."
    with pytest.raises(ValueError, match="heltall"):
        metrics.follow_up(-1, [], [])
    with pytest.raises(ValueError, match="før spørsmålet"):
        metrics.follow_up(1, [], [metrics.QueryRow("4601", sent, sent - dt.timedelta(hours=1))])


@pytest.mark.django_db
def test_follow_up_figures_on_the_page_and_in_the_api() -> None:
    analyst, respondent, now = _case()
    query = services.send_query(_bergen_flags(now), "Er 50 riktig?", analyst)
    services.reply(query, respondent, "Rettet.", {CELL: "0,5"})
    page = client_for(analyst).get(f"/kvalitet/runder/{now.pk}/").content.decode()
    assert "sendte spørsmål til 1 av" in page and "1 av dem rettet minst ett tall" in page
    _token, key = create_token(analyst, "test")
    api = Client().get(f"/api/v1/rounds/{now.pk}/qa-metrics", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.status_code == 200
    body = api.json()
    assert (body["units_queried"], body["units_corrected"], body["queries_answered"]) == (1, 1, 1)
    assert body["units"] == now.responses.count() and body["data_version"] is None
    assert body["flags_by_check"]["unit_error"]["corrected"] == 1 and body["median_hours_to_answer"] >= 0


@pytest.mark.django_db
def test_the_metrics_endpoint_is_for_analysts_only() -> None:
    _analyst, respondent, now = _case()
    url = f"/api/v1/rounds/{now.pk}/qa-metrics"
    assert Client().get(url).status_code == 401
    _token, key = create_token(respondent, "test")
    denied = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert denied.status_code == 403 and "analytikere" in denied.json()["error"]
    _token, key = create_token(make_analyst(), "test")
    for bad in ["/api/v1/rounds/99999999/qa-metrics", "/api/v1/rounds/0/qa-metrics", "/api/v1/rounds/-4/qa-metrics"]:
        assert Client().get(bad, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 404
    assert Client().get("/api/v1/rounds/abc/qa-metrics", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 400
    assert Client().get(f"/api/v1/rounds/{2**70}/qa-metrics", HTTP_AUTHORIZATION=f"Bearer {key}").status_code in (
        400,
        404,
    )


def _hostile_flag(round_obj: Round) -> Flag:
    flag = Flag.objects.filter(round=round_obj, unit__code=BERGEN).first()
    assert flag is not None
    Flag.objects.filter(pk=flag.pk).update(explanation='=HYPERLINK("http://evil.example","klikk")', reason="@SUM(A1)")
    return flag


@pytest.mark.django_db
def test_exports_are_formula_safe_and_follow_the_filters() -> None:
    analyst, _respondent, now = _case()
    _hostile_flag(now)
    client = client_for(analyst)
    csv_text = client.get(f"/kvalitet/runder/{now.pk}/flagg.csv?state=&q=4601").content.decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert lines[0].startswith("# Syntetiske demodata") and lines[1].startswith(
        "unit_code;unit_name;county;variable;check"
    )
    assert "'=HYPERLINK" in csv_text and "'@SUM(A1)" in csv_text
    assert all(line.startswith("4601;Bergen") for line in lines[2:]) and len(lines) - 2 == 3
    assert "49,50" in csv_text  # impact with a decimal comma
    xlsx = client.get(f"/kvalitet/runder/{now.pk}/flagg.xlsx?state=")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://evil.example","klikk")' in cells and 49.5 in cells
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)


@pytest.mark.django_db
def test_export_flags_command(tmp_path: Path) -> None:
    _analyst, _respondent, now = _case()
    _hostile_flag(now)
    out = io.StringIO()
    call_command("export_flags", "--round", str(now.pk), "--state", "open", stdout=out)
    text = out.getvalue()
    assert "unit_code;unit_name" in text and "'=HYPERLINK" in text
    assert len(text.splitlines()) - 2 == Flag.objects.filter(round=now, state="open").count()
    target = tmp_path / "ut" / "flagg.xlsx"
    call_command("export_flags", "--round", now.name, "--format", "xlsx", "--out", str(target), stderr=io.StringIO())
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert rows[1][0] == "unit_code" and len(rows) - 2 == Flag.objects.filter(round=now).count()
    for args, message in [
        (["--round", "424242"], "Fant ingen runde «424242»"),
        (["--round", str(now.pk), "--format", "pdf"], "Ukjent format «pdf»"),
        (["--round", str(now.pk), "--format", "xlsx"], "--out"),
        (["--round", str(now.pk), "--state", "lost"], "Ukjent status lost"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("export_flags", *args, stdout=io.StringIO())
