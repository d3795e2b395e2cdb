"""A respondent in headless Chromium: follows the invitation, types FTEs with a decimal comma, sees the totals,
explains a warning, submits and downloads the receipt. Every page is checked with axe-core. A second test loses
the session while typing and gets everything saved after logging in again."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from kartlegg.accounts.models import Channel
from kartlegg.responses import invitations, services
from kartlegg.responses.models import Answer, ResponseStatus
from tests.factories.responses import open_round, response_for

from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401
from .factories import PASSWORD, make_analyst, make_respondent, make_reviewer

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

CELL = "B_arsverk.ledelse.lege"
OTHER = "B_arsverk.bolig.annen"


def _invitation_path(unit_code: str = "4601") -> tuple[object, str]:
    round_obj = open_round(year=2024, analyst=make_analyst())
    resp = response_for(round_obj, unit_code)
    _invitation, token = invitations.create_invitation(round_obj, resp.unit, "koordinator@bergen.kommune.no")
    return resp, f"/innsamling/invitasjon/{token}/"


def _cell(page, code: str):  # type: ignore[no-untyped-def]
    return page.locator(f'input[name="{code}"]')


def test_respondent_fills_in_submits_and_gets_a_receipt(live_url, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    resp, path = _invitation_path()
    page = browser.new_page()
    page.goto(live_url + path)
    page.wait_for_url(re.compile(r"/innsamling/\d+/4601/$"))
    assert "Bergen" in page.inner_text("h1")
    assert_accessible(page, "oversikt")

    page.get_by_role("link", name="Start utfyllingen").click()
    page.wait_for_url(re.compile(r"/4601/A/$"))
    assert_accessible(page, "del A")
    page.locator('[name="A_navn"]').fill("Kari Nordmann")
    page.get_by_role("button", name="Lagre og gå videre").click()
    page.wait_for_url(re.compile(r"/4601/B/$"))
    assert Answer.objects.get(response=resp, variable="A_navn").value_text == "Kari Nordmann"

    total = page.locator("[data-total-grand]")
    _cell(page, CELL).fill("2,5")
    assert total.inner_text() == "2,5"
    assert page.locator('[data-total-row="ledelse"]').inner_text() == "2,5"
    _cell(page, OTHER).fill("50")  # looks like a percentage: a warning, next to the cell
    page.locator("#f-B_arsverk--bolig--annen-msg").get_by_text("stillingsprosent").wait_for()
    assert total.inner_text() == "52,5"
    page.locator("#save-status").get_by_text("Lagret kl.").wait_for()
    assert_accessible(page, "del B med advarsel")
    assert Answer.objects.get(response=resp, variable=CELL).value_text == "2.5"

    page.get_by_role("button", name="Lagre og gå til innsending").click()
    page.wait_for_url(re.compile(r"/send-inn/$"))
    assert_accessible(page, "innsending")
    page.get_by_label(re.compile("Bolig – Annen")).fill("Vi har 50 årsverk i bolig, det stemmer.")
    page.get_by_role("button", name=re.compile("send inn", re.IGNORECASE)).click()
    page.wait_for_url(re.compile(r"/kvittering/$"))
    assert "ble sendt inn" in page.inner_text("main")
    assert_accessible(page, "kvittering")

    with page.expect_download() as info:
        page.get_by_role("link", name="Last ned kvittering (PDF)").click()
    content = open(info.value.path(), "rb").read()  # noqa: SIM115 - read once, closed by the GC in a test
    assert content.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "2,5" in text and "Kari Nordmann" in text and "Vi har 50 årsverk" in text

    resp.refresh_from_db()
    assert resp.status == ResponseStatus.SUBMITTED
    assert Answer.objects.get(response=resp, variable=OTHER).comment.startswith("Vi har 50")


def test_values_typed_after_the_session_expired_are_saved_after_a_new_login(live_url, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    resp, path = _invitation_path()
    page = browser.new_page()
    page.goto(live_url + path)
    page.goto(live_url + f"/innsamling/{resp.round_id}/4601/B/")
    browser.clear_cookies()  # the session ends while the respondent is typing
    _cell(page, CELL).fill("1,25")
    page.locator("#session-notice").wait_for(state="visible")
    assert page.locator("#session-notice").get_by_role("link", name=re.compile("Logg inn igjen")).count() == 1
    stored = page.evaluate("(key) => window.localStorage.getItem(key)", f"kartlegg:{resp.round_id}:4601")
    assert stored and "1,25" in stored
    assert not Answer.objects.filter(response=resp, variable=CELL).exists()

    # Log in again in another tab (the same browser, so the same cookies) and come back.
    other = browser.new_page()
    other.goto(live_url + path)
    other.close()
    page.bring_to_front()
    page.evaluate("() => window.dispatchEvent(new Event('focus'))")
    page.locator("#save-status").get_by_text("Lagret kl.").wait_for()
    assert page.locator("#session-notice").is_hidden()
    assert Answer.objects.get(response=resp, variable=CELL).value_text == "1.25"
    assert page.evaluate("(key) => window.localStorage.getItem(key)", f"kartlegg:{resp.round_id}:4601") is None


def test_values_typed_while_the_server_fails_are_kept_and_saved_when_it_answers(live_url, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A crashed app server or a restarting database (benchmarks/faults.py): the save fails, the form keeps the
    value (in the field and in localStorage), says so, and sends it again until the server takes it."""
    resp, path = _invitation_path()
    page = browser.new_page()
    page.goto(live_url + path)
    page.goto(live_url + f"/innsamling/{resp.round_id}/4601/B/")
    save_url = live_url + page.locator("#response-form").get_attribute("data-save-url")
    failures: list[str] = []

    def down(route) -> None:  # type: ignore[no-untyped-def]
        failures.append(route.request.method)
        if len(failures) % 2:
            route.fulfill(status=503, body="Service Unavailable")  # an app server that is down behind nginx
        else:
            route.abort("connectionreset")  # a worker killed mid-request

    page.route(save_url, down)
    _cell(page, CELL).fill("4,75")
    page.locator("#save-status").get_by_text("får ikke kontakt med serveren").wait_for()
    stored = page.evaluate("(key) => window.localStorage.getItem(key)", f"kartlegg:{resp.round_id}:4601")
    assert stored and "4,75" in stored
    assert not Answer.objects.filter(response=resp, variable=CELL).exists()
    page.wait_for_timeout(6000)  # the form tries again after 5 s, and fails again
    assert len(failures) >= 2 and _cell(page, CELL).input_value() == "4,75"
    page.unroute(save_url)
    page.locator("#save-status").get_by_text("Lagret kl.").wait_for(timeout=15_000)
    assert Answer.objects.get(response=resp, variable=CELL).value_text == "4.75"
    assert page.evaluate("(key) => window.localStorage.getItem(key)", f"kartlegg:{resp.round_id}:4601") is None


def _log_in(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/konto/logg-inn/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_load_state()


def test_conflict_panel_and_the_other_respondent_pages_are_accessible(live_url, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    resp, path = _invitation_path()
    page = browser.new_page()
    page.goto(live_url + path)
    base = live_url + f"/innsamling/{resp.round_id}/4601/"
    page.goto(base + "B/")
    # A colleague saves the same cell meanwhile; the respondent's save then shows the conflict panel.
    services.save_values(resp, {CELL: "3"}, {}, 0, make_respondent("4601"), Channel.FORM)
    _cell(page, CELL).fill("2,5")
    panel = page.locator("#conflict")
    panel.get_by_text("Din verdi").wait_for()
    assert "3" in panel.inner_text() and "2,5" in panel.inner_text()
    assert_accessible(page, "konflikt")
    panel.get_by_label("Min verdi").check()
    panel.get_by_role("button", name="Bruk valgene og lagre").click()
    page.locator("#save-status").get_by_text("Lagret kl.").wait_for()
    assert Answer.objects.get(response=resp, variable=CELL).value_text == "2.5"

    for url, label in [
        (base + "send-inn/", "innsending med feil"),
        (base + "inviter-kollega/", "inviter kollega"),
        (live_url + "/innsamling/", "mine skjemaer"),
        (live_url + "/innsamling/invitasjon/ugyldig-lenke-som-ikke-finnes/", "ugyldig lenke"),
    ]:
        page.goto(url)
        assert_accessible(page, label)
    page.goto(base + "inviter-kollega/")
    page.get_by_label("Kollegaens e-postadresse").fill("ikke en adresse")
    page.get_by_role("button", name="Send invitasjon").click()
    page.locator(".ds-error-summary").wait_for()
    assert_accessible(page, "inviter kollega med feil")


def test_analyst_and_reviewer_pages_are_accessible(live_url, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    analyst = make_analyst()
    round_obj = open_round(year=2024, analyst=analyst)
    resp = response_for(round_obj, "4601")
    services.save_values(resp, {"A_navn": "Kari", CELL: "2,5"}, {}, None, analyst, Channel.FORM)
    page = browser.new_page()
    _log_in(page, live_url, analyst.username)
    for url, label in [
        ("/innsamling/", "runder"),
        ("/innsamling/runder/ny/", "ny runde"),
        (f"/innsamling/runder/{round_obj.pk}/?county=46", "runde"),
        (f"/innsamling/runder/{round_obj.pk}/inviter/", "inviter"),
        (f"/innsamling/runder/{round_obj.pk}/paminn/?county=46", "påminn"),
        (f"/innsamling/{round_obj.pk}/4601/", "oversikt for analytiker"),
    ]:
        page.goto(live_url + url)
        assert_accessible(page, label)
    page.goto(live_url + "/innsamling/runder/ny/")
    page.get_by_role("button", name="Åpne runden").click()
    page.locator(".ds-error-summary").wait_for()
    assert_accessible(page, "ny runde med feil")

    reviewer = browser.new_page()
    reviewer.context.clear_cookies()
    _log_in(reviewer, live_url, make_reviewer("46").username)
    reviewer.goto(live_url + f"/innsamling/{round_obj.pk}/4601/B/")
    assert "bare lesetilgang" in reviewer.inner_text("main")
    assert reviewer.locator("#response-form").count() == 0
    assert_accessible(reviewer, "lesevisning")
