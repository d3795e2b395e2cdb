"""The respondent's web form: section pages, plain and background saves, checks as you type, conflicts, fill-in
from last year, submit, receipt (page and PDF) and reopening."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from kartlegg.accounts.models import AuditEvent, Channel
from kartlegg.responses import services
from kartlegg.responses.models import Answer, ResponseStatus
from tests.factories.responses import client_for, open_round, questionnaire, response_for

from .factories import make_analyst, make_respondent, make_reviewer

pytestmark = pytest.mark.django_db

CELL = "B_arsverk.ledelse.lege"
CELL_ID = "f-B_arsverk--ledelse--lege"
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def setup():  # type: ignore[no-untyped-def]
    analyst = make_analyst()
    round_obj = open_round(year=2024, analyst=analyst)
    resp = response_for(round_obj, "4601")
    user = make_respondent("4601")
    return {"round": round_obj, "resp": resp, "user": user, "analyst": analyst, "client": client_for(user)}


def url(name: str, resp, *extra: str) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"responses:{name}", args=[resp.round_id, resp.unit.code, *extra])


def background(client, path: str, data: dict, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(path, data, headers={"X-Requested-With": "fetch", **headers})


def meta(reply) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(reply["X-Kartlegg-Save"])


def test_overview_and_sections_render_with_progress(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    page = client.get(url("form", resp))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bergen" in html and "Kontakt" in html and "Årsverk" in html
    section = client.get(url("section", resp, "B")).content.decode()
    assert 'aria-current="step"' in section
    assert f'id="{CELL_ID}"' in section and f'name="{CELL}"' in section
    assert 'aria-label="Ledelse – Lege"' in section
    assert 'scope="col"' in section and 'scope="row"' in section
    assert client.get(url("section", resp, "Z")).status_code == 404


def test_plain_post_saves_a_decimal_comma_and_moves_on(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    reply = client.post(url("section", resp, "B"), {"_version": "0", "_section": "B", CELL: "2,5", "_goto": "_submit"})
    assert reply.status_code == 302 and reply["Location"] == url("submit", resp)
    answer = Answer.objects.get(response=resp, variable=CELL)
    assert answer.value_text == "2.5"
    page = client.get(url("section", resp, "B")).content.decode()
    assert 'value="2,5"' in page
    assert "data-total-grand>2,5<" in page  # the grand total, computed on the server for the first paint


def test_plain_post_with_a_bad_value_saves_the_rest_and_shows_the_error(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    reply = client.post(
        url("section", resp, "B"),
        {"_version": "0", "_section": "B", CELL: "to og en halv", "B_psykolog": "1,25"},
    )
    assert reply.status_code == 200
    html = reply.content.decode()
    assert "ds-error-summary" in html and f'href="#{CELL_ID}"' in html
    assert 'value="to og en halv"' in html  # what the user typed is kept, not replaced by the stored blank
    cell_input = re.search(rf'<input[^>]*id="{CELL_ID}"[^>]*>', html)
    assert cell_input and 'aria-invalid="true"' in cell_input.group(0)
    assert f'aria-describedby="{CELL_ID}-msg"' in cell_input.group(0)
    assert Answer.objects.get(response=resp, variable="B_psykolog").value_text == "1.25"
    assert not Answer.objects.filter(response=resp, variable=CELL).exists()


def test_background_save_reports_what_happened(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    reply = background(client, url("save", resp), {"_version": "0", "_section": "B", CELL: "50"})
    assert reply.status_code == 200
    info = meta(reply)
    assert info["status"] == "saved" and info["version"] == 1 and info["saved"] == [CELL]
    html = reply.content.decode()
    assert "Lagret kl." in html
    assert f'id="{CELL_ID}-msg"' in html and 'hx-swap-oob="true"' in html
    assert "stillingsprosent" in html  # the warning of rule B_prosent, next to the cell
    reply = background(client, url("save", resp), {"_version": "1", "_section": "B", CELL: "x"})
    info = meta(reply)
    assert info["status"] == "invalid" and CELL in info["errors"] and info["version"] == 1


def test_background_save_with_a_stale_version_shows_both_values(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    colleague = make_respondent("4601")
    services.save_values(resp, {CELL: "3"}, {}, 0, colleague, Channel.FORM)
    reply = background(client, url("save", resp), {"_version": "0", "_section": "B", CELL: "2,5"})
    info = meta(reply)
    assert info["status"] == "conflict" and info["version"] == 1
    html = reply.content.decode()
    assert "Din verdi" in html and "Lagret verdi" in html
    assert "<td>2,5</td>" in html and "<td>3</td>" in html
    assert f'name="choice:{CELL}"' in html
    assert Answer.objects.get(response=resp, variable=CELL).value_text == "3"
    # Keeping one's own value is a save on top of the version the conflict reported.
    reply = background(
        client,
        url("save", resp),
        {"_version": "1", "_section": "B", CELL: "2,5", "_conflicts": CELL, f"choice:{CELL}": "mine"},
    )
    assert meta(reply)["status"] == "saved"
    assert Answer.objects.get(response=resp, variable=CELL).value_text == "2.5"


def test_keeping_the_stored_value_in_a_conflict_writes_nothing(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    services.save_values(resp, {CELL: "3"}, {}, 0, make_respondent("4601"), Channel.FORM)
    reply = client.post(
        url("section", resp, "B"),
        {"_version": "1", "_section": "B", CELL: "2,5", "_conflicts": CELL, f"choice:{CELL}": "stored"},
    )
    assert reply.status_code == 302
    assert Answer.objects.get(response=resp, variable=CELL).value_text == "3"


def test_stale_save_of_unchanged_values_is_not_a_conflict(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    services.save_values(resp, {"A_navn": "Kari"}, {}, 0, make_respondent("4601"), Channel.FORM)
    reply = background(client, url("save", resp), {"_version": "0", "_section": "B", CELL: "1"})
    assert meta(reply)["status"] == "saved"


def test_check_as_you_type_answers_with_messages(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    reply = client.post(url("check", resp), {CELL: "50 %"}, headers={"HX-Request": "true", "HX-Trigger-Name": CELL})
    html = reply.content.decode()
    assert reply.status_code == 200 and f'id="{CELL_ID}-msg"' in html and 'data-invalid="true"' in html
    assert "prosenttegn" in html
    reply = client.post(url("check", resp), {CELL: "50"}, headers={"HX-Request": "true", "HX-Trigger-Name": CELL})
    html = reply.content.decode()
    assert 'data-invalid="false"' in html and "stillingsprosent" in html
    assert not Answer.objects.filter(response=resp).exists()  # checking never saves
    reply = client.post(url("check", resp), {"x": "1"}, headers={"HX-Request": "true", "HX-Trigger-Name": "x"})
    assert reply.status_code == 400


def test_lost_session_gets_401_for_background_requests_and_login_for_pages(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    client.logout()
    reply = background(client, url("save", resp), {"_version": "0", "_section": "B", CELL: "1"})
    assert reply.status_code == 401
    assert client.get(url("state", resp)).status_code == 401
    page = client.get(url("section", resp, "B"))
    assert page.status_code == 302 and reverse("accounts:login") in page["Location"]
    # After logging in again the page gets the version and a fresh CSRF token, and the re-sent save works.
    client.force_login(setup["user"])
    state = client.get(url("state", resp)).json()
    assert state["authenticated"] and state["version"] == 0 and state["csrf_token"]
    reply = background(client, url("save", resp), {"_version": "0", "_section": "B", CELL: "1"})
    assert meta(reply)["status"] == "saved"


def test_skip_logic_hides_questions_that_do_not_apply(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    html = client.get(url("section", resp, "A")).content.decode()
    assert re.search(r'data-question="A_team_navn" hidden', html)
    reply = background(client, url("save", resp), {"_version": "0", "_section": "A", "A_har_team": "ja"})
    assert "A_team_navn" in meta(reply)["relevant"]
    html = client.get(url("section", resp, "A")).content.decode()
    assert not re.search(r'data-question="A_team_navn" hidden', html)


def test_multichoice_can_be_cleared(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    client.post(url("section", resp, "A"), {"_version": "0", "A_kartlegging": ["", "brukerplan", "ungdata"]})
    assert Answer.objects.get(response=resp, variable="A_kartlegging").value_text == "brukerplan,ungdata"
    client.post(url("section", resp, "A"), {"_version": "1", "A_kartlegging": [""]})
    assert Answer.objects.get(response=resp, variable="A_kartlegging").value_text is None


def test_user_text_is_escaped_on_every_page_and_literal_in_the_pdf(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp, user = setup["client"], setup["resp"], setup["user"]
    services.save_values(
        resp,
        {"A_navn": SCRIPT, "A_fritekst": SCRIPT + " 🙂 Guovdageaidnu, Kárášjohka", CELL: "2,5"},
        {CELL: SCRIPT},
        0,
        user,
        Channel.FORM,
    )
    pages = [url("form", resp), url("section", resp, "A"), url("section", resp, "B"), url("submit", resp)]
    for path in pages:
        html = client.get(path).content.decode()
        assert SCRIPT not in html, path
        if "/A/" in path or "/B/" in path:  # the pages that show the text (B shows the cell comment)
            assert "&lt;script&gt;" in html, path
    assert services.submit(resp, user).submitted
    receipt = client.get(url("receipt", resp)).content.decode()
    assert SCRIPT not in receipt and "&lt;script&gt;" in receipt
    pdf = client.get(url("receipt_pdf", resp))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert SCRIPT in text.replace("\n", "")
    assert "2,5" in text and "Guovdageaidnu" in text and "Kárášjohka" in text and "Syntetiske demodata" in text


def test_submit_page_lists_errors_and_asks_for_comments_on_warnings(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    services.save_values(resp, {CELL: "50"}, {}, 0, setup["user"], Channel.FORM)
    html = client.get(url("submit", resp)).content.decode()
    assert "Feltet må fylles ut" in html and url("section", resp, "A") + "#f-A_navn" in html
    assert f'name="comment:{CELL}"' in html and "stillingsprosent" in html
    reply = client.post(url("submit", resp), {f"comment:{CELL}": "Vi har faktisk 50 årsverk."})
    assert reply.status_code == 200 and "kan ikke sendes inn" in reply.content.decode()
    resp.refresh_from_db()
    assert resp.status == ResponseStatus.DRAFT
    assert Answer.objects.get(response=resp, variable=CELL).comment == "Vi har faktisk 50 årsverk."
    services.save_values(resp, {"A_navn": "Kari"}, {}, None, setup["user"], Channel.FORM)
    reply = client.post(url("submit", resp), {f"comment:{CELL}": "Vi har faktisk 50 årsverk."})
    assert reply.status_code == 302 and reply["Location"] == url("receipt", resp)
    receipt = client.get(url("receipt", resp)).content.decode()
    assert "ble sendt inn" in receipt and "Last ned kvittering" in receipt
    again = client.post(url("submit", resp), follow=True)
    assert "allerede sendt inn" in again.content.decode()
    # After submitting, the form is read-only for the respondent.
    section = client.get(url("section", resp, "B")).content.decode()
    assert "<input" not in section.split('id="main"')[1].split("</main>")[0].replace('type="hidden"', "")


def test_previous_year_is_shown_and_can_be_filled_in_and_undone(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp, analyst = setup["client"], setup["resp"], setup["analyst"]
    from kartlegg.responses.models import Round

    Round.objects.filter(pk=resp.round_id).update(opens_at=resp.round.opens_at)
    old_round = open_round(
        questionnaire(2023), year=2023, analyst=analyst, opens=resp.round.opens_at.replace(year=2023)
    )
    services.save_values(response_for(old_round, "4601"), {CELL: "1,75"}, {}, None, analyst, Channel.FORM)
    html = client.get(url("section", resp, "B")).content.decode()
    assert "I 2023: 1,75" in html and f'id="{CELL_ID}-prev"' in html
    confirm = client.get(url("prefill", resp)).content.decode()
    assert "1 tomt felt" in confirm
    reply = client.post(url("prefill", resp), {"_version": "0"}, follow=True)
    assert "1 felt ble fylt inn" in reply.content.decode()
    assert Answer.objects.get(response=resp, variable=CELL).value_text == "1.75"
    batch = client.session["kartlegg_prefill_undo"][str(resp.pk)]
    assert "Angre utfyllingen" in reply.content.decode()
    client.post(url("undo", resp), {"batch": batch})
    assert Answer.objects.get(response=resp, variable=CELL).value_text is None
    assert AuditEvent.objects.filter(action="answer.prefilled", object_id=str(resp.pk)).count() == 1


def test_colleague_invitation_from_the_form(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    reply = client.post(url("colleague", resp), {"email": "ikke-en-adresse"})
    assert reply.status_code == 400 and 'aria-invalid="true"' in reply.content.decode()
    reply = client.post(url("colleague", resp), {"email": "kollega@bergen.kommune.no"})
    assert reply.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["kollega@bergen.kommune.no"]
    assert "/innsamling/invitasjon/" in mail.outbox[0].body


def test_analyst_reopens_and_reviewer_reads_only(setup) -> None:  # type: ignore[no-untyped-def]
    resp, user = setup["resp"], setup["user"]
    services.save_values(resp, {"A_navn": "Kari"}, {}, 0, user, Channel.FORM)
    services.submit(resp, user)
    assert setup["client"].post(url("reopen", resp)).status_code == 403
    analyst_client = client_for(setup["analyst"])
    assert "Gjenåpne skjemaet" in analyst_client.get(url("receipt", resp)).content.decode()
    analyst_client.post(url("reopen", resp))
    resp.refresh_from_db()
    assert resp.status == ResponseStatus.REOPENED
    reviewer = client_for(make_reviewer("46"))
    html = reviewer.get(url("section", resp, "A")).content.decode()
    assert "Kari" in html and 'id="response-form"' not in html and "bare lesetilgang" in html


def test_grid_sums_of_empty_rows_and_columns_are_dashes_not_zero(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    services.save_values(resp, {CELL: "2,5"}, {}, 0, setup["user"], Channel.FORM)
    html = client.get(url("section", resp, "B")).content.decode()
    assert '<span data-total-col="lege">2,5</span>' in html and '<span data-total-row="ledelse">2,5</span>' in html
    assert '<span data-total-col="annen">–</span>' in html  # a column nobody has filled in
    assert '<span data-total-row="bolig">–</span>' in html


def test_grid_cell_messages_stand_under_the_grid_with_a_link_to_the_cell(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    html = client.get(url("section", resp, "B")).content.decode()
    table_end, messages = html.index("</table>"), html.index(f'id="{CELL_ID}-msg"')
    assert messages > table_end  # not inside the cell
    reply = client.post(url("check", resp), {CELL: "abc"}, headers={"HX-Request": "true", "HX-Trigger-Name": CELL})
    html = reply.content.decode()
    assert f'<a class="ds-link" href="#{CELL_ID}">Ledelse – Lege</a>:' in html and 'data-invalid="true"' in html


def test_saving_an_invalid_cell_returns_the_error_summary(setup) -> None:  # type: ignore[no-untyped-def]
    client, resp = setup["client"], setup["resp"]
    reply = background(client, url("save", resp), {"_version": "0", "_section": "B", CELL: "abc"})
    html = reply.content.decode()
    assert meta(reply)["status"] == "invalid"
    assert 'id="error-summary" class="ds-error-summary"' in html and 'hx-swap-oob="true"' in html
    assert f'href="#{CELL_ID}"' in html and "Ledelse – Lege" in html
    ok = background(client, url("save", resp), {"_version": "0", "_section": "B", CELL: "1"})
    assert 'id="error-summary" class=""' in ok.content.decode()  # cleared once every value is valid
