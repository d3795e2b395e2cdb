"""axe-core (WCAG 2.1 AA) on the public pages and on every section of the real 2024 questionnaire's form."""

from __future__ import annotations

from pathlib import Path

import pytest

from kartlegg.surveys.models import QuestionnaireVersion
from kartlegg.surveys.services import import_questionnaire
from tests.factories.responses import open_round

from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401
from .factories import PASSWORD, make_analyst, make_respondent

pytestmark = pytest.mark.browser
QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"


def _log_in(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/konto/logg-inn/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_load_state()


def _real_versions() -> tuple[QuestionnaireVersion, QuestionnaireVersion]:
    old = import_questionnaire((QUESTIONNAIRES / "annual-2020.yaml").read_text(encoding="utf-8"))
    new = import_questionnaire((QUESTIONNAIRES / "annual-2024.yaml").read_text(encoding="utf-8"))
    return old, new


def test_public_pages_are_accessible(live_url, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    old, new = _real_versions()
    page = browser.new_page()
    for url, label in [
        ("/", "forside"),
        ("/konto/logg-inn/", "innlogging"),
        ("/geografi/?year=2024", "enheter 2024 med kart"),
        ("/geografi/?year=2019", "enheter 2019 uten kart"),
        ("/geografi/?year=1999", "ukjent år"),
        ("/skjema/", "skjemaliste"),
        (f"/skjema/{new.pk}/", "skjema 2024"),
    ]:
        page.goto(live_url + url)
        assert page.locator("text=Syntetiske demodata").first.is_visible()
        assert_accessible(page, label)
    _log_in(page, live_url, make_analyst().username)
    page.goto(live_url + f"/skjema/sammenlign/?a={old.pk}&b={new.pk}")
    assert_accessible(page, "sammenligning 2020–2024")


def test_every_section_of_the_real_2024_form_is_accessible(live_url, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _, version = _real_versions()
    round_obj = open_round(version, year=2024)
    respondent = make_respondent("4601")
    page = browser.new_page()
    _log_in(page, live_url, respondent.username)
    base = live_url + f"/innsamling/{round_obj.pk}/4601/"
    page.goto(base)
    assert_accessible(page, "oversikt")
    sections = [s.code for s in version.definition().sections]
    assert len(sections) >= 8
    for code in sections:
        page.goto(base + f"{code}/")
        assert page.locator("h1").first.is_visible()
        assert_accessible(page, f"seksjon {code}")
