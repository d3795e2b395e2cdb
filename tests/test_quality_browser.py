"""QA in headless Chromium: an analyst sends a query from the queue, the respondent follows the e-mail, corrects the
value on the query page, and the flag ends as corrected. Every step is in the audit log; the pages pass axe-core."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from kartlegg.accounts.models import AuditEvent
from kartlegg.quality import services
from kartlegg.quality.models import Flag, Query
from kartlegg.quality.states import FlagState
from kartlegg.responses.models import Answer
from tests.factories.quality import TYPICAL, qa_round, write

from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401
from .factories import PASSWORD, make_analyst, make_respondent

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

BERGEN = "4601"
CELL = "B_arsverk.oppfolging.psykolog"


def _log_in(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/konto/logg-inn/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_load_state()


def _answer_as_respondent(context, login_url: str, query_url: str) -> None:  # type: ignore[no-untyped-def]
    other = context.new_page()
    other.goto(login_url)
    other.goto(query_url)
    assert "Er 50 riktig" in other.inner_text("main")
    assert_accessible(other, "spørsmål")
    other.locator(f'[name="v_{CELL}"]').fill("0,5")
    other.get_by_label("Svar til analytikeren").fill("Beklager, det skulle være 0,5.")
    other.get_by_role("button", name="Send svaret").click()
    other.get_by_text("Takk! Svaret er sendt.").wait_for()
    assert_accessible(other, "spørsmål besvart")


def test_query_answer_and_correction_end_as_corrected(live_url, browser, chromium_browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    analyst = make_analyst()
    last, now = qa_round(2023, analyst=analyst), qa_round(2024, analyst=analyst)
    write(last, BERGEN, {**TYPICAL, CELL: 0.5, "B_psykolog_totalt": 0.5})
    write(now, BERGEN, {**TYPICAL, CELL: 50, "B_psykolog_totalt": 0.5})
    services.run_checks(now)
    respondent = make_respondent(BERGEN, email="koordinator@bergen.kommune.no")
    flag = Flag.objects.get(round=now, unit__code=BERGEN, check_name="unit_error")
    mail.outbox.clear()

    # The analyst finds the flag in the queue and sends one query about it.
    page = browser.new_page()
    _log_in(page, live_url, analyst.username)
    page.goto(live_url + f"/kvalitet/runder/{now.pk}/?check=unit_error")
    assert "stillingsprosent" in page.inner_text("main")
    assert_accessible(page, "kø")
    page.locator(f"#flag-{flag.pk}").check()
    page.get_by_label("Handling").select_option("query")
    page.get_by_label("Begrunnelse eller melding til enhetene").fill("Er 50 riktig, eller mente dere 0,5?")
    page.get_by_role("button", name="Fortsett").click()
    page.get_by_role("heading", name="Bekreft handlingen").wait_for()
    assert_accessible(page, "bekreft")
    page.get_by_role("button", name="Bekreft").click()
    page.get_by_text("1 spørsmål er sendt.").wait_for()
    query = Query.objects.get(round=now, unit__code=BERGEN)
    flag.refresh_from_db()
    assert flag.state == FlagState.QUERIED

    # The respondent follows the login link in the e-mail and opens the query.
    [message] = mail.outbox
    login_url = re.search(r"http\S+/innsamling/invitasjon/\S+/", message.body)
    query_url = re.search(r"http\S+/kvalitet/sporsmal/\d+/", message.body)
    assert login_url and query_url
    respondent_context = chromium_browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo")
    respondent_context.set_default_timeout(15_000)
    try:
        _answer_as_respondent(respondent_context, login_url.group(0), query_url.group(0))
    finally:
        respondent_context.close()

    flag.refresh_from_db()
    assert flag.state == FlagState.CORRECTED
    assert Answer.objects.get(response__round=now, response__unit__code=BERGEN, variable=CELL).value_text == "0.5"
    steps = [
        ("quality.query.sent", analyst),
        ("quality.flag.query", analyst),
        ("answer.changed", respondent),  # the link logged in the respondent account bound to the address
        ("quality.flag.correct", respondent),
        ("quality.query.answered", respondent),
    ]
    for action, user in steps:
        event = AuditEvent.objects.filter(action=action, unit_code=BERGEN).order_by("-at").first()
        assert event is not None and event.user == user, action

    # The analyst sees the flag as corrected, with its history.
    page.goto(live_url + f"/kvalitet/flagg/{flag.pk}/")
    assert "Rettet" in page.inner_text("main") and "Beklager" in page.inner_text("main")
    assert_accessible(page, "flagg")
    page.goto(live_url + f"/kvalitet/runder/{now.pk}/versjoner/")
    assert_accessible(page, "dataversjoner")
    page.goto(live_url + f"/kvalitet/runder/{now.pk}/las/")
    assert_accessible(page, "lås")
    assert query.messages.count() == 2
