"""The coder page in headless Chromium, from the keyboard only: number keys toggle codes (two digits for 10 and
over), a accepts the suggestions, Enter confirms and moves on, j/k move, v shows the unit, u and Ctrl+Z undo. Every
action is saved at once (a reload keeps it). The free-text pages pass axe-core."""

from __future__ import annotations

import pytest

from kartlegg.freetext.services import coding

from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401
from .factories import PASSWORD, make_analyst
from .factories.freetext import codebook, korona_round, write_texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _log_in(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/konto/logg-inn/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_load_state()


def _codes(book, answer, user) -> set[str]:  # type: ignore[no-untyped-def]
    mine = coding.coding_of(book, answer, user)
    return {c.key for c in mine.codes.all()} if mine else set()


def test_coding_from_the_keyboard(live_url, browser, chromium_browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    analyst = make_analyst()
    round_obj = korona_round(analyst)
    answers = write_texts(round_obj)
    book = codebook(analyst)
    order = list(coding.answers_for(book, round_obj))
    first, second = order[0], order[1]
    page = browser.new_page()
    _log_in(page, live_url, analyst.username)
    page.goto(f"{live_url}/fritekst/{book.pk}/runde/{round_obj.pk}/")
    assert page.locator("#ft-text").inner_text() == first.value_text
    assert not page.locator("#ft-unit").evaluate("d => d.open")  # the unit is hidden by default
    assert_accessible(page, "koding")
    status = page.locator("#ft-status")

    page.keyboard.press("v")
    assert page.locator("#ft-unit").evaluate("d => d.open")
    page.keyboard.press("2")  # code 2: dagtilbud stengt
    page.wait_for_function("() => document.getElementById('ft-status').textContent === 'Lagret.'")
    assert _codes(book, first, analyst) == {"tjenester.dagtilbud_stengt"}
    status.evaluate("s => s.textContent = ''")
    page.keyboard.press("1")
    page.keyboard.press("0")  # two digits quickly: code 10, "Noen har det bedre"
    page.wait_for_function("() => document.getElementById('ft-status').textContent === 'Lagret.'")
    assert _codes(book, first, analyst) == {"tjenester.dagtilbud_stengt", "brukere.noen_bedre"}
    assert page.locator("#ft-code-10").is_checked()

    page.reload()  # nothing is lost on a reload
    assert page.locator("#ft-code-2").is_checked() and page.locator("#ft-code-10").is_checked()

    page.keyboard.press("Enter")  # confirm and move on
    page.wait_for_url(f"**svar={second.pk}**")
    assert coding.coding_of(book, first, analyst).confirmed
    assert page.locator("#ft-progress").get_attribute("value") == "1"
    page.keyboard.press("a")  # accept the suggestions for the second answer
    page.wait_for_function("() => document.getElementById('ft-status').textContent === 'Lagret.'")
    accepted = _codes(book, second, analyst)
    assert accepted, "the second answer has suggestions to accept"
    assert accepted == {
        page.locator(f"#{box.get_attribute('id')}").get_attribute("value")
        for box in page.locator('input[name="codes"]:checked').all()
    }

    with page.expect_navigation():  # undo the acceptance; the page reloads the answer it restored
        page.keyboard.press("u")
    assert f"svar={second.pk}" in page.url
    assert _codes(book, second, analyst) == set()
    page.keyboard.press("k")
    page.wait_for_url(f"**svar={first.pk}**")
    with page.expect_navigation():  # undo the confirmation of the first answer
        page.keyboard.press("Control+z")
    assert page.locator("#ft-confirmed").inner_text().strip() == "Ikke bekreftet"
    assert not coding.coding_of(book, first, analyst).confirmed
    page.keyboard.press("j")
    page.wait_for_url(f"**svar={second.pk}**")
    assert answers  # the fixture's answers were all shown in unit order


def test_free_text_pages_pass_axe(live_url, browser, chromium_browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    analyst = make_analyst()
    round_obj = korona_round(analyst)
    answers = write_texts(round_obj)
    book = codebook(analyst)
    coding.set_codes(book, answers["4601"], analyst, ["tjenester.dagtilbud_stengt"], confirm=True)
    page = browser.new_page()
    _log_in(page, live_url, analyst.username)
    for path, label in [
        ("/fritekst/", "kodebøker"),
        (f"/fritekst/{book.pk}/", "kodebok"),
        (f"/fritekst/{book.pk}/kode/ny/", "ny kode"),
        (f"/fritekst/{book.pk}/historikk/", "historikk"),
        (f"/fritekst/{book.pk}/runde/{round_obj.pk}/samsvar/", "samsvar"),
        (f"/fritekst/{book.pk}/runde/{round_obj.pk}/sammendrag/", "sammendrag"),
        (f"/fritekst/{book.pk}/runde/{round_obj.pk}/sitater/", "sitater"),
    ]:
        page.goto(live_url + path)
        assert page.locator("h1").count() == 1, label
        assert_accessible(page, label)
