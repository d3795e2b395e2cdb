"""The helper workbook (hjelpeskjema): download, fill, upload, preview, confirm; bad rows and bad files."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from kartlegg.responses import services, workbook
from kartlegg.responses.models import Answer
from kartlegg.surveys.engine import definition_from_dict
from tests.browser import browser, chromium_browser, live_url  # noqa: F401
from tests.factories import PASSWORD, make_analyst, make_respondent, make_reviewer
from tests.factories.collection import AKERSHUS, ASKER, BAERUM, BERGEN, make_round, response_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx() -> dict[str, Any]:
    round_obj = make_round()
    respondent = make_respondent(BAERUM)
    client = Client()
    client.force_login(respondent)
    return {"round": round_obj, "respondent": respondent, "client": client}


def urls(round_obj: Any, unit: str = BAERUM) -> dict[str, str]:
    args = [round_obj.pk, unit]
    return {
        "page": reverse("responses:workbook", args=args),
        "download": reverse("responses:workbook_download", args=args),
        "confirm": reverse("responses:workbook_confirm", args=args),
    }


def download(client: Client, round_obj: Any, unit: str = BAERUM) -> bytes:
    answer = client.get(urls(round_obj, unit)["download"])
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    return answer.content


def filled(template: bytes, rows: list[list[Any]]) -> bytes:
    """The downloaded workbook with these rows typed into Stillinger from row 2, as a user would."""
    book = load_workbook(io.BytesIO(template))
    sheet = book[workbook.POSITIONS_SHEET]
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=2 + offset, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client: Client, round_obj: Any, data: bytes, name: str = "hjelpeskjema.xlsx", unit: str = BAERUM) -> Any:
    return client.post(urls(round_obj, unit)["page"], {"file": SimpleUploadedFile(name, data)})


def grid_values(round_obj: Any, grid: str, unit: str = BAERUM) -> dict[str, Any]:
    values, _comments = services.stored_values(response_of(round_obj, unit))
    return {code: value for code, value in values.items() if code.startswith(grid + ".")}


POSITIONS = [
    ["Ledelse og koordinering", "Psykolog", 0.5, "voksne", "Kari", "leder"],
    ["ledelse og koordinering", "PSYKOLOG", 0.333, "Voksne", "Ola", None],  # case does not matter
    ["Oppfølging og behandling", "Lege", 1, "voksne", None, None],
    [None, None, None, None, None, None],  # an empty row is skipped
    ["oppf", "hs_med", "0,125", "voksne", None, None],  # codes work as well as labels; decimal comma
    ["Oppfølging og behandling", "Høyskole helse/sosial med videreutdanning", 0.25, "voksne", None, None],
    [
        "Helsestasjon og skolehelsetjeneste",
        "Høyskole helse/sosial med videreutdanning",
        0.8,
        "barn og unge",
        None,
        None,
    ],
    ["Ledelse og koordinering", "Psykolog", 0.2, "barn og unge", None, None],
]


def test_workbook_has_positions_sheet_with_dropdowns_lists_and_formulas(ctx: dict[str, Any]) -> None:
    book = load_workbook(io.BytesIO(download(ctx["client"], ctx["round"])))
    assert {workbook.POSITIONS_SHEET, workbook.SUMS_SHEET, workbook.GUIDE_SHEET} <= set(book.sheetnames)
    positions = book[workbook.POSITIONS_SHEET]
    assert [c.value for c in positions[1]] == workbook.HEADERS
    ranges = {str(dv.sqref): dv for dv in positions.data_validations.dataValidation}
    assert ranges["A2:A501"].type == "list"
    assert ranges["B2:B501"].type == "list"
    assert ranges["D2:D501"].type == "list"
    assert ranges["C2:C501"].type == "decimal"
    lists = book[workbook.LISTS_SHEET]
    areas = [row[0] for row in lists.iter_rows(min_row=2, values_only=True) if row[0]]
    # The questionnaire's own rows: B's four and C's one that B lacks, each label once.
    assert areas == [
        "Ledelse og koordinering",
        "Oppfølging og behandling",
        "Bolig med døgnbemanning",
        "Andre tiltak",
        "Helsestasjon og skolehelsetjeneste",
    ]
    groups = [row[2] for row in lists.iter_rows(min_row=2, values_only=True) if row[2]]
    assert groups == ["voksne", "barn og unge"]
    formulas = [c.value for row in book[workbook.SUMS_SHEET].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(f.startswith("=SUMIFS(Stillinger!$C:$C") and '"Psykolog"' in f and '"voksne"' in f for f in formulas)
    guide = " ".join(str(c.value) for row in book[workbook.GUIDE_SHEET].iter_rows() for c in row if c.value)
    assert "Syntetiske demodata" in guide
    assert "Bærum" in guide


def test_round_trip_download_fill_upload_preview_confirm(ctx: dict[str, Any]) -> None:
    client, round_obj = ctx["client"], ctx["round"]
    response = response_of(round_obj, BAERUM)
    services.save_values(
        response, {"B_arsverk.bolig.ufagl": "3", "B_arsverk.led.psyk": "2"}, None, 0, ctx["respondent"]
    )
    data = filled(download(client, round_obj), POSITIONS)
    preview = upload(client, round_obj, data)
    assert preview.status_code == 200, preview.content.decode()[:2000]
    page = preview.content.decode()
    assert "Kontroller endringene" in page
    assert "0,83" in page  # 0,5 + 0,333 psychologists in management, rounded to 2 decimals
    assert "(tom)" in page  # the housing cell had 3 and gets no positions
    # Nothing is saved before confirming.
    assert grid_values(round_obj, "B_arsverk")["B_arsverk.led.psyk"] == Decimal("2")
    payload = preview.context["payload"]
    done = client.post(urls(round_obj)["confirm"], {"payload": payload})
    assert done.status_code == 302
    adults = grid_values(round_obj, "B_arsverk")
    assert adults["B_arsverk.led.psyk"] == Decimal("0.83")
    assert adults["B_arsverk.oppf.lege"] == Decimal("1")
    assert adults["B_arsverk.oppf.hs_med"] == Decimal("0.38")  # 0,125 + 0,25 = 0,375, rounded half up
    assert adults.get("B_arsverk.bolig.ufagl") is None
    children = grid_values(round_obj, "C_arsverk")
    assert children["C_arsverk.hest.hs_med"] == Decimal("0.8")
    assert children["C_arsverk.led.psyk"] == Decimal("0.2")
    events = Answer.objects.filter(response__unit__code=BAERUM, variable="B_arsverk.led.psyk")
    assert events.get().updated_by == ctx["respondent"]


def test_only_grids_with_positions_are_touched(ctx: dict[str, Any]) -> None:
    client, round_obj = ctx["client"], ctx["round"]
    services.save_values(response_of(round_obj, BAERUM), {"C_arsverk.hest.lege": "4"}, None, 0, ctx["respondent"])
    data = filled(download(client, round_obj), [["Andre tiltak", "Lege", 1, "voksne"]])
    preview = upload(client, round_obj, data)
    assert preview.status_code == 200
    client.post(urls(round_obj)["confirm"], {"payload": preview.context["payload"]})
    assert grid_values(round_obj, "B_arsverk")["B_arsverk.andre.lege"] == Decimal("1")
    assert grid_values(round_obj, "C_arsverk")["C_arsverk.hest.lege"] == Decimal("4")


def test_bad_rows_are_listed_by_row_number_and_nothing_is_saved(ctx: dict[str, Any]) -> None:
    client, round_obj = ctx["client"], ctx["round"]
    rows = [
        ["Ledelse og koordinering", "Psykolog", 0.5, "voksne"],  # row 2: fine
        ["Kantine", "Psykolog", 0.5, "voksne"],  # 3: unknown area
        ["Ledelse og koordinering", "Astronaut", 0.5, "voksne"],  # 4: unknown education
        ["Ledelse og koordinering", "Psykolog", "en halv", "voksne"],  # 5: not a number
        ["Ledelse og koordinering", "Psykolog", 1.5, "voksne"],  # 6: more than a full position
        ["Ledelse og koordinering", "Psykolog", -0.5, "voksne"],  # 7: negative
        [None, None, None, None],  # 8: empty, ignored
        ["Ledelse og koordinering", "Psykolog", 0.5, None],  # 9: no target group
        ["Helsestasjon og skolehelsetjeneste", "Lege", 0.5, "voksne"],  # 10: a children's area given for adults
        ["Ledelse og koordinering", "Psykolog", "50 %", "voksne"],  # 11: per cent sign
    ]
    answer = upload(client, round_obj, filled(download(client, round_obj), rows))
    assert answer.status_code == 422
    problems = dict(answer.context["problems"])
    assert set(problems) == {3, 4, 5, 6, 7, 9, 10, 11}
    assert "Kantine" in problems[3]
    assert "Astronaut" in problems[4]
    assert "større enn 1" in problems[6]
    assert "negativ" in problems[7]
    assert "målgruppe" in problems[9].lower()
    assert "prosenttegn" in problems[11]
    page = answer.content.decode()
    assert "Rad 3" in page and "Rad 11" in page
    assert not Answer.objects.filter(response__unit__code=BAERUM).exists()


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "bilde.xlsx", "bilde (PNG)"),
        (b"unit_code;variable;value\n", "svar.xlsx", "ikke et Excel-ark"),
        (b"", "tom.xlsx", "tom"),
        (b"PK\x03\x04not really a zip", "skadet.xlsx", "skadet"),
    ],
)
def test_a_file_that_is_not_a_workbook_gets_a_clear_message(
    ctx: dict[str, Any], data: bytes, name: str, expected: str
) -> None:
    answer = upload(ctx["client"], ctx["round"], data, name)
    assert answer.status_code == 400
    assert expected.lower() in answer.context["upload_error"].lower()


def test_a_word_document_renamed_is_refused(ctx: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    answer = upload(ctx["client"], ctx["round"], buffer.getvalue(), "hjelpeskjema.xlsx")
    assert answer.status_code == 400
    assert "Word" in answer.context["upload_error"]


def test_a_workbook_without_the_columns_is_refused(ctx: dict[str, Any]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Noe", "annet"])
    buffer = io.BytesIO()
    book.save(buffer)
    answer = upload(ctx["client"], ctx["round"], buffer.getvalue())
    assert answer.status_code == 400
    assert "Tjenesteområde" in answer.context["upload_error"]


def test_an_empty_workbook_is_refused(ctx: dict[str, Any]) -> None:
    answer = upload(ctx["client"], ctx["round"], download(ctx["client"], ctx["round"]))
    assert answer.status_code == 400
    assert "ingen utfylte stillinger" in answer.context["upload_error"]


def test_too_large_upload_is_refused(ctx: dict[str, Any]) -> None:
    answer = upload(ctx["client"], ctx["round"], b"x" * (5 * 1024 * 1024 + 1))
    assert answer.status_code == 400
    assert "for stor" in answer.context["upload_error"]


def test_missing_file_is_refused(ctx: dict[str, Any]) -> None:
    answer = ctx["client"].post(urls(ctx["round"])["page"], {})
    assert answer.status_code == 400
    assert "Velg" in answer.context["upload_error"]


def test_concurrent_change_gives_a_conflict_and_saves_nothing(ctx: dict[str, Any]) -> None:
    client, round_obj = ctx["client"], ctx["round"]
    preview = upload(client, round_obj, filled(download(client, round_obj), POSITIONS[:1]))
    assert preview.status_code == 200
    # A colleague saves the same cell in the form meanwhile.
    services.save_values(response_of(round_obj, BAERUM), {"B_arsverk.led.psyk": "7"}, None, 0, ctx["respondent"])
    answer = client.post(urls(round_obj)["confirm"], {"payload": preview.context["payload"]})
    assert answer.status_code == 409
    assert "endret" in answer.content.decode()
    assert grid_values(round_obj, "B_arsverk") == {"B_arsverk.led.psyk": Decimal("7")}


def test_a_tampered_or_foreign_preview_is_refused(ctx: dict[str, Any]) -> None:
    client, round_obj = ctx["client"], ctx["round"]
    preview = upload(client, round_obj, filled(download(client, round_obj), POSITIONS[:1]))
    payload = preview.context["payload"]
    tampered = client.post(urls(round_obj)["confirm"], {"payload": payload[:-3] + "abc"})
    assert tampered.status_code == 400
    # The same signed preview posted to another unit (one the user may also edit) is refused too.
    ctx["respondent"].unit_assignments.create(unit_code=ASKER)
    foreign = client.post(urls(round_obj, ASKER)["confirm"], {"payload": payload})
    assert foreign.status_code == 400
    assert not Answer.objects.filter(response__round=round_obj).exists()


def test_respondent_cannot_download_or_upload_for_another_unit(ctx: dict[str, Any]) -> None:
    client, round_obj = ctx["client"], ctx["round"]
    other = urls(round_obj, BERGEN)
    assert client.get(other["download"]).status_code == 403
    assert client.get(other["page"]).status_code == 403
    data = filled(download(client, round_obj), POSITIONS[:1])
    assert upload(client, round_obj, data, unit=BERGEN).status_code == 403
    # A preview made for one's own unit cannot be confirmed for another.
    preview = upload(client, round_obj, data)
    assert client.post(other["confirm"], {"payload": preview.context["payload"]}).status_code == 403
    assert not Answer.objects.filter(response__unit__code=BERGEN).exists()


def test_reviewer_may_download_but_not_upload(ctx: dict[str, Any]) -> None:
    reviewer = Client()
    reviewer.force_login(make_reviewer(AKERSHUS))
    assert reviewer.get(urls(ctx["round"], ASKER)["download"]).status_code == 200
    assert reviewer.get(urls(ctx["round"], ASKER)["page"]).status_code == 403
    assert reviewer.get(urls(ctx["round"], BERGEN)["download"]).status_code == 403


def test_anonymous_is_sent_to_login(ctx: dict[str, Any]) -> None:
    answer = Client().get(urls(ctx["round"])["page"])
    assert answer.status_code == 302
    assert "/konto/logg-inn/" in answer["Location"]


def test_analyst_can_upload_for_any_unit_and_page_renders(ctx: dict[str, Any]) -> None:
    analyst = Client()
    analyst.force_login(make_analyst())
    page = analyst.get(urls(ctx["round"], BERGEN)["page"])
    assert page.status_code == 200
    assert 'for="workbook-file"' in page.content.decode()
    data = filled(download(analyst, ctx["round"], BERGEN), POSITIONS[:1])
    assert upload(analyst, ctx["round"], data, unit=BERGEN).status_code == 200


def test_submitted_response_cannot_be_changed_by_the_respondent(ctx: dict[str, Any]) -> None:
    response = response_of(ctx["round"], BAERUM)
    response.status = "submitted"
    response.save()
    page = ctx["client"].get(urls(ctx["round"])["page"])
    assert page.status_code == 200
    assert "sendt inn" in page.content.decode()
    data = filled(download(ctx["client"], ctx["round"]), POSITIONS[:1])
    assert upload(ctx["client"], ctx["round"], data).status_code == 403


def test_grids_are_found_by_tag_or_else_by_section() -> None:
    def grid(code: str, section: str, tags: list[str]) -> dict[str, Any]:
        return {
            "code": code, "type": "grid", "label": code, "tags": tags,
            "rows": [{"code": "r", "label": "R"}], "columns": [{"code": "c", "label": "C"}],
        }  # fmt: skip

    tagged = definition_from_dict(
        {
            "sections": [
                {"code": "X", "questions": [grid("G1", "X", ["arsverk_barn_og_unge"])]},
                {"code": "Y", "questions": [grid("G2", "Y", ["arsverk_voksne"])]},
            ]
        }
    )
    assert [(g.group, g.code) for g in workbook.grids_for(tagged)] == [("voksne", "G2"), ("barn og unge", "G1")]
    untagged = definition_from_dict(
        {
            "sections": [
                {"code": "B", "questions": [grid("GB", "B", [])]},
                {"code": "C", "questions": [grid("GC", "C", [])]},
            ]
        }
    )
    assert [(g.group, g.code) for g in workbook.grids_for(untagged)] == [("voksne", "GB"), ("barn og unge", "GC")]


@pytest.mark.browser
def test_workbook_pages_in_a_browser_are_accessible(ctx: dict[str, Any], live_url: str, browser: Any) -> None:  # noqa: F811
    from tests.browser import assert_accessible

    round_obj = ctx["round"]
    good = filled(download(ctx["client"], round_obj), POSITIONS)
    bad = filled(download(ctx["client"], round_obj), [["Kantine", "Psykolog", 2, "voksne"]])
    page = browser.new_page()
    page.goto(live_url + "/konto/logg-inn/")
    page.locator("#id_username").fill(ctx["respondent"].username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_load_state()
    page.goto(live_url + urls(round_obj)["page"])
    assert_accessible(page, "hjelpeskjema")

    def send(data: bytes) -> None:
        page.set_input_files(
            "#workbook-file",
            files=[{"name": "hjelpeskjema.xlsx", "mimeType": "application/octet-stream", "buffer": data}],
        )
        page.get_by_role("button", name="Vis endringene").click()
        page.wait_for_load_state()

    send(bad)
    assert "Rad 2" in page.locator(".ds-error-summary").inner_text()
    assert_accessible(page, "hjelpeskjema med feil")
    send(good)
    assert page.locator("h1").inner_text() == "Kontroller endringene"
    assert_accessible(page, "forhåndsvisning")
    page.get_by_role("button", name="Lagre i skjemaet").click()
    page.wait_for_load_state()
    assert grid_values(round_obj, "B_arsverk")["B_arsverk.led.psyk"] == Decimal("0.83")
