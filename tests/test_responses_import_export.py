"""import_responses (all or nothing, every bad row reported) and export_responses (long CSV, wide XLSX, safe)."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from kartlegg.accounts.models import AuditEvent
from kartlegg.responses import exports, services
from kartlegg.responses.importers import ResponseImportError, import_responses
from kartlegg.responses.models import Answer, ResponseStatus
from kartlegg.responses.spreadsheets import FileFormatError, detect_format
from tests.factories import make_analyst
from tests.factories.collection import ASKER, BAERUM, BERGEN, GAMLE_OSLO, make_round, response_of

pytestmark = pytest.mark.django_db

CELL = "B_arsverk.led.psyk"


@pytest.fixture
def round_obj() -> Any:
    return make_round()


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def run_import(path: Path, round_obj: Any, *extra: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_responses", str(path), "--round", str(round_obj.pk), *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing_import(path: Path, round_obj: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_responses", str(path), "--round", str(round_obj.pk), stdout=out, stderr=err)
    return str(info.value), err.getvalue()


def stored(round_obj: Any, unit: str) -> dict[str, Any]:
    values, _comments = services.stored_values(response_of(round_obj, unit))
    return values


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_long_csv_with_commas_is_imported_and_audited(tmp_path: Path, round_obj: Any) -> None:
    path = write(
        tmp_path,
        "svar.csv",
        "unit_code,variable,value,comment\n"
        f"{BAERUM},{CELL},1.5,Ny psykolog\n"
        f'{BAERUM},B_arsverk.oppf.lege,"2,25",\n'
        f"{BAERUM},E_fact,ja,\n"
        f'{ASKER},E_kartlegging,"ungdata,brukerplan",\n',
    )
    out, _err = run_import(path, round_obj)
    assert "2 enheter" in out
    assert stored(round_obj, BAERUM)[CELL] == Decimal("1.5")
    assert stored(round_obj, BAERUM)["B_arsverk.oppf.lege"] == Decimal("2.25")
    assert stored(round_obj, BAERUM)["E_fact"] is True
    assert stored(round_obj, ASKER)["E_kartlegging"] == ["brukerplan", "ungdata"]
    assert Answer.objects.get(response__unit__code=BAERUM, variable=CELL).comment == "Ny psykolog"
    channels = set(AuditEvent.objects.filter(action="answer.changed").values_list("channel", flat=True))
    assert channels == {"import"}
    assert AuditEvent.objects.filter(action="responses.imported").count() == 1


def test_semicolon_csv_with_bom_and_leading_zero_lost(tmp_path: Path, round_obj: Any) -> None:
    text = "\ufeffUnit_Code;Variable;Value\n30101;E_ventetid;14\n" + f"{BERGEN};E_andel;12,5\n"
    out, _err = run_import(write(tmp_path, "svar.csv", text), round_obj)
    assert "2 enheter" in out
    assert stored(round_obj, GAMLE_OSLO)["E_ventetid"] == 14
    assert stored(round_obj, BERGEN)["E_andel"] == Decimal("12.5")


def test_wide_xlsx_is_imported(tmp_path: Path, round_obj: Any) -> None:
    data = xlsx(
        [
            ["Syntetiske demodata: tallene for enkeltenheter er oppdiktet"],
            ["unit_code", "unit_name", CELL, "E_fact", "E_samarbeid", "A_dato", f"{CELL}#comment"],
            [int(BAERUM), "Bærum", 1.25, "ja", "Godt", timezone.datetime(2024, 3, 15), "Forklaring"],
            [ASKER, "Asker", 3, False, None, None, None],
            [None, None, None, None, None, None, None],
        ]
    )
    out, _err = run_import(write(tmp_path, "svar.xlsx", data), round_obj)
    assert "2 enheter" in out
    baerum = stored(round_obj, BAERUM)
    assert baerum[CELL] == Decimal("1.25")
    assert baerum["E_samarbeid"] == "godt"
    assert str(baerum["A_dato"]) == "2024-03-15"
    assert stored(round_obj, ASKER)[CELL] == Decimal("3")
    assert stored(round_obj, ASKER)["E_fact"] is False
    assert Answer.objects.get(response__unit__code=BAERUM, variable=CELL).comment == "Forklaring"


def test_one_bad_row_among_good_ones_changes_nothing_and_every_bad_row_is_reported(
    tmp_path: Path, round_obj: Any
) -> None:
    services.save_values(response_of(round_obj, BAERUM), {CELL: "9"}, None, 0, make_analyst())
    lines = [
        "unit_code,variable,value",
        f"{BAERUM},{CELL},1",  # 2 good
        f"{ASKER},E_ventetid,10",  # 3 good
        "9999,E_ventetid,3",  # 4 unknown unit
        "1507,E_ventetid,3",  # 5 Ålesund before 2024: a real unit, but not in this round
        f"{BERGEN},B_finnes_ikke,3",  # 6 unknown variable
        f'{BERGEN},{CELL},"1,234"',  # 7 too many decimals
        f"{BERGEN},E_fact,kanskje",  # 8 not yes/no
        f"{BAERUM},{CELL},2",  # 9 duplicate of row 2
        ",E_ventetid,3",  # 10 unit missing
        f"{BERGEN},B_arsverk,3",  # 11 a grid, not a cell
        f"{BERGEN},E_ventetid,-4",  # 12 negative
    ]
    message, err = failing_import(write(tmp_path, "svar.csv", "\n".join(lines) + "\n"), round_obj)
    assert "Ingenting er importert" in message
    reported = err.splitlines()
    for row in (4, 5, 6, 7, 8, 9, 10, 11, 12):
        assert any(line.startswith(f"Rad {row}:") for line in reported), (row, err)
    assert not any(line.startswith(("Rad 2:", "Rad 3:")) for line in reported)
    assert "ukjent enhet «9999»" in err
    assert "1507" in err and "ikke med i runden" in err
    assert "Bruk høyst 2 desimaler." in err
    assert "står også på rad 2" in err
    # Nothing was written: Bærum keeps its 9, Asker has nothing.
    assert stored(round_obj, BAERUM)[CELL] == Decimal("9")
    assert not Answer.objects.filter(response__unit__code=ASKER).exists()
    assert not AuditEvent.objects.filter(channel="import", object_type="responses.response").exists()


def test_wide_xlsx_unknown_column_and_bad_cells_are_reported_with_rows(round_obj: Any) -> None:
    data = xlsx(
        [
            ["unit_code", CELL, "X_ukjent"],
            [BAERUM, 1, 5],
            [ASKER, "mye", 6],
        ]
    )
    with pytest.raises(ResponseImportError) as info:
        import_responses(round_obj, data)
    messages = [str(p) for p in info.value.problems]
    assert any("X_ukjent" in m and "kolonne C" in m for m in messages)
    assert sum("X_ukjent" in m for m in messages) == 1  # one report per unknown column, not per row
    assert any(m.startswith("Rad 3:") and f"{ASKER}/{CELL}" in m for m in messages)
    assert not Answer.objects.filter(response__round=round_obj).exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "tom"),
        (b"\n\n", "tom"),
        (b"unit_code,variable,value\n", "ingen datarader"),
        (b"unit_code;variable\n3201;E_fact\n", "Mangler kolonne: value"),
        (b"kommune,spm,svar\n3201,E_fact,ja\n", "Mangler kolonner: unit_code, variable, value"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "bilde (PNG)"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "gammelt Office-format"),
        ("unit_code;variable;value\n3201;E_kommentar;Blåbær\n".encode("cp1252"), "UTF-8"),
        (b"PK\x03\x04garbage", "skadet"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(
    tmp_path: Path, round_obj: Any, content: bytes, expected: str
) -> None:
    message, err = failing_import(write(tmp_path, "svar.csv", content), round_obj)
    assert expected.lower() in (message + err).lower()
    assert not Answer.objects.filter(response__round=round_obj).exists()


def test_a_word_document_renamed_to_xlsx_is_refused(tmp_path: Path, round_obj: Any) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    message, _err = failing_import(write(tmp_path, "svar.xlsx", buffer.getvalue()), round_obj)
    assert "Word-dokument" in message
    with pytest.raises(FileFormatError):
        detect_format(buffer.getvalue())


def test_dry_run_writes_nothing_but_counts(tmp_path: Path, round_obj: Any) -> None:
    path = write(tmp_path, "svar.csv", f"unit_code,variable,value\n{BAERUM},{CELL},1\n{BAERUM},E_ventetid,3\n")
    out, _err = run_import(path, round_obj, "--dry-run")
    assert "Prøvekjøring" in out
    assert "2 verdier endret i 1 enheter" in out
    assert not Answer.objects.filter(response__round=round_obj).exists()
    assert not AuditEvent.objects.filter(channel="import", object_type="responses.response").exists()


def test_import_into_a_locked_round_is_refused(tmp_path: Path, round_obj: Any) -> None:
    round_obj.locked_at = timezone.now()
    round_obj.save()
    message, err = failing_import(
        write(tmp_path, "svar.csv", f"unit_code,variable,value\n{BAERUM},{CELL},1\n"), round_obj
    )
    assert "låst" in (message + err)
    assert not Answer.objects.filter(response__round=round_obj).exists()


def test_import_reaches_submitted_responses_and_keeps_status(tmp_path: Path, round_obj: Any) -> None:
    response = response_of(round_obj, BAERUM)
    response.status = ResponseStatus.SUBMITTED
    response.save()
    run_import(write(tmp_path, "svar.csv", f"unit_code,variable,value\n{BAERUM},{CELL},4\n"), round_obj)
    assert stored(round_obj, BAERUM)[CELL] == 4
    assert response_of(round_obj, BAERUM).status == ResponseStatus.SUBMITTED


def test_unknown_round_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "svar.csv", "unit_code,variable,value\n")
    with pytest.raises(CommandError, match="Fant ingen runde"):
        call_command("import_responses", str(path), "--round", "987654")


def fill(round_obj: Any) -> None:
    analyst = make_analyst()
    services.save_values(
        response_of(round_obj, BAERUM),
        {CELL: "1,5", "E_fact": "ja", "A_dato": "15.03.2024", "E_kartlegging": ["ungdata", "annet"]},
        {CELL: '=HYPERLINK("http://evil.example","klikk")'},
        0,
        analyst,
    )
    services.save_values(response_of(round_obj, ASKER), {"E_kommentar": "+47 hei", "E_andel": "-0"}, None, 0, analyst)


def test_long_csv_export_is_formula_safe_and_marked(tmp_path: Path, round_obj: Any) -> None:
    fill(round_obj)
    out = tmp_path / "svar.csv"
    call_command(
        "export_responses", "--round", str(round_obj.pk), "--format", "csv", "--out", str(out), stderr=io.StringIO()
    )
    text = out.read_bytes().decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("# Syntetiske demodata")
    assert lines[1] == "unit_code;unit_name;variable;value;comment"
    assert f'{BAERUM};Bærum;{CELL};1,5;"\'=HYPERLINK(""http://evil.example"",""klikk"")"' in lines
    assert f"{BAERUM};Bærum;E_fact;ja;" in lines
    assert f"{BAERUM};Bærum;A_dato;15.03.2024;" in lines
    assert f"{ASKER};Asker;E_kommentar;'+47 hei;" in lines
    assert not any(line.split(";")[3].startswith("=") for line in lines[2:])


def test_long_csv_export_to_stdout(round_obj: Any) -> None:
    fill(round_obj)
    out = io.StringIO()
    call_command("export_responses", "--round", str(round_obj.pk), stdout=out)
    assert f"{BAERUM};Bærum;E_fact;ja;" in out.getvalue()


def test_wide_xlsx_export_has_one_row_per_unit_and_safe_comments(tmp_path: Path, round_obj: Any) -> None:
    fill(round_obj)
    out = tmp_path / "svar.xlsx"
    call_command(
        "export_responses", "--round", str(round_obj.pk), "--format", "xlsx", "--out", str(out), stderr=io.StringIO()
    )
    workbook = load_workbook(out)
    sheet = workbook["Svar"]
    rows = list(sheet.iter_rows(values_only=True))
    assert "Syntetiske demodata" in rows[0][0]
    header = list(rows[1])
    assert header[:3] == ["unit_code", "unit_name", "status"]
    data = {row[0]: dict(zip(header, row, strict=False)) for row in rows[2:]}
    assert len(data) == response_of(round_obj, BAERUM).round.responses.count()
    assert data[BAERUM][CELL] == 1.5
    assert data[BAERUM]["E_fact"] == "ja"
    assert data[BERGEN][CELL] is None
    comments = list(workbook["Kommentarer"].iter_rows(values_only=True))
    assert any(row[3] and row[3].startswith("'=HYPERLINK") for row in comments)


def test_export_then_import_changes_nothing(tmp_path: Path, round_obj: Any) -> None:
    fill(round_obj)
    for fmt in ("csv", "xlsx"):
        data = exports.long_csv(round_obj) if fmt == "csv" else exports.wide_xlsx(round_obj)
        report = import_responses(round_obj, data, dry_run=True)
        assert report.units_in_file >= 2
        # The formula guard's quote is taken off again on the way in.
        assert report.changed == 0, fmt


def test_the_long_export_with_a_comment_on_a_whole_grid_imports_again(tmp_path: Path, round_obj: Any) -> None:
    fill(round_obj)
    analyst = make_analyst()
    response = response_of(round_obj, BERGEN)
    result = services.save_values(response, {CELL: "2"}, {"B_arsverk": "Tallene gjelder hele året"}, 0, analyst)
    assert not result.errors
    data = exports.long_csv(round_obj)
    lines = data.decode("utf-8-sig").splitlines()
    assert f"{BERGEN};Bergen;B_arsverk;;Tallene gjelder hele året" in lines  # the grid's own comment row
    assert import_responses(round_obj, data, dry_run=True).changed == 0
    edited = data.decode("utf-8-sig").replace(f"{BERGEN};Bergen;{CELL};2;", f"{BERGEN};Bergen;{CELL};3,5;")
    report = import_responses(round_obj, edited.encode("utf-8-sig"), user=analyst)
    assert report.by_unit == {BERGEN: 1}
    assert stored(round_obj, BERGEN)[CELL] == Decimal("3.5")
    assert Answer.objects.get(response__unit__code=BERGEN, variable="B_arsverk").comment == "Tallene gjelder hele året"
    bad = data.decode("utf-8-sig").replace(f"{BERGEN};Bergen;B_arsverk;;", f"{BERGEN};Bergen;B_arsverk;7;")
    with pytest.raises(ResponseImportError, match="er en tabell"):  # a value on a whole grid is still refused
        import_responses(round_obj, bad.encode("utf-8-sig"))
