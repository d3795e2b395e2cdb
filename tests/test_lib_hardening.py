"""Defects found by outside tests (issue 18): lone surrogates, large bodies, token auth on public routers, 401 before
CSRF, numbers sent to text variables, the development secret key, and workbooks with millions of cells."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, override_settings

from kartlegg.accounts.tokens import create_token
from kartlegg.lib import checks
from kartlegg.lib.middleware import DRAIN_LIMIT
from kartlegg.responses import spreadsheets, workbook
from kartlegg.responses.models import Answer
from kartlegg.surveys.models import QuestionnaireVersion
from tests.factories import make_analyst, make_respondent
from tests.factories.collection import BAERUM, make_round, make_version

pytestmark = pytest.mark.django_db


def bearer(user: Any) -> dict[str, str]:
    _token, key = create_token(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def put_url(round_id: int, unit: str = BAERUM) -> str:
    return f"/api/v1/rounds/{round_id}/units/{unit}/response"


@pytest.fixture
def respondent_round() -> tuple[Any, dict[str, str]]:
    round_obj = make_round()
    return round_obj, bearer(make_respondent(BAERUM))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"values": {"A_navn": "Ola \\ud800"}, "version": 0}', "values.A_navn"),
        ('{"values": {"E_kommentar": ["\\udfff"]}, "version": 0}', "values.E_kommentar"),
        ('{"values": {}, "comments": {"A_navn": "x\\udc00y"}, "version": 0}', "comments.A_navn"),
        ('{"values": {"A_\\ud800": "x"}, "version": 0}', "values:"),
    ],
)
def test_lone_surrogate_is_400_naming_the_field(client: Client, respondent_round: Any, body: str, field: str) -> None:
    round_obj, auth = respondent_round
    answer = client.put(put_url(round_obj.pk), data=body, content_type="application/json", **auth)
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"].startswith(field)
    assert "surrogat" in answer.json()["error"]
    assert not Answer.objects.filter(response__round=round_obj).exists()


def test_a_valid_surrogate_pair_is_stored(client: Client, respondent_round: Any) -> None:
    round_obj, auth = respondent_round
    body = '{"values": {"A_navn": "Ola \\ud83d\\ude00"}, "version": 0}'
    answer = client.put(put_url(round_obj.pk), data=body, content_type="application/json", **auth)
    assert answer.status_code == 200, answer.content
    assert answer.json()["values"]["A_navn"] == "Ola \U0001f600"


def test_number_to_text_variable_is_refused_by_name(client: Client, respondent_round: Any) -> None:
    round_obj, auth = respondent_round
    body = json.dumps({"values": {"A_navn": 10927, "E_kommentar": True, "B_arsverk.led.psyk": 2}, "version": 0})
    answer = client.put(put_url(round_obj.pk), data=body, content_type="application/json", **auth)
    assert answer.status_code == 422, answer.content
    fields = answer.json()["fields"]
    assert set(fields) == {"A_navn", "E_kommentar"}
    assert "JSON-streng" in fields["A_navn"]
    assert not Answer.objects.filter(response__round=round_obj).exists()
    # The same text as a string is fine.
    body = json.dumps({"values": {"A_navn": "10927"}, "version": 0})
    assert client.put(put_url(round_obj.pk), data=body, content_type="application/json", **auth).status_code == 200


def test_put_without_token_is_401_not_a_csrf_failure(respondent_round: Any) -> None:
    round_obj, _auth = respondent_round
    strict = Client(enforce_csrf_checks=True)
    answer = strict.put(put_url(round_obj.pk), data='{"values": {}, "version": 0}', content_type="application/json")
    assert answer.status_code == 401
    assert "CSRF" not in answer.json()["error"]
    # A logged-in session still needs its CSRF token on writes.
    strict.force_login(make_respondent(BAERUM))
    answer = strict.put(put_url(round_obj.pk), data='{"values": {}, "version": 0}', content_type="application/json")
    assert answer.status_code == 403
    assert "CSRF" in answer.json()["error"]


# Token auth on the public questionnaire router


def test_analyst_token_sees_draft_questionnaires(client: Client) -> None:
    version = make_version()
    QuestionnaireVersion.objects.filter(pk=version.pk).update(published=False)
    analyst = bearer(make_analyst())
    listed = client.get("/api/v1/questionnaires", **analyst).json()
    assert version.pk in [v["id"] for v in listed]
    assert client.get(f"/api/v1/questionnaires/{version.pk}", **analyst).status_code == 200
    # The public and a respondent's token do not see the draft.
    assert version.pk not in [v["id"] for v in client.get("/api/v1/questionnaires").json()]
    assert client.get(f"/api/v1/questionnaires/{version.pk}").status_code == 404
    assert client.get(f"/api/v1/questionnaires/{version.pk}", **bearer(make_respondent(BAERUM))).status_code == 404
    # A token that is not valid is refused, not treated as anonymous.
    wrong = client.get("/api/v1/questionnaires", HTTP_AUTHORIZATION="Bearer kl_wrong")
    assert wrong.status_code == 401


def _wsgi_put(path: str, body: bytes, headers: dict[str, str]) -> tuple[str, int]:
    """Run one request through the real WSGI handler; returns the status line and the body bytes left unread."""
    stream = io.BytesIO(body)
    environ = {
        "REQUEST_METHOD": "PUT",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": stream,
        "wsgi.url_scheme": "http",
        **headers,
    }
    status: list[str] = []
    result = WSGIHandler()(environ, lambda s, h: status.append(s))
    b"".join(result)
    result.close()
    return status[0], len(body) - stream.tell()


def test_ten_megabyte_body_is_drained_and_answered_413(respondent_round: Any, wsgi_keeps_connection: None) -> None:
    round_obj, auth = respondent_round
    body = b'{"values": {"A_navn": "' + b"x" * (10 * 1024 * 1024) + b'"}, "version": 0}'
    status, unread = _wsgi_put(put_url(round_obj.pk), body, auth)
    assert status.startswith("413")
    assert unread == 0  # the client finished sending, so it reads the 413 instead of a reset connection
    # Without a token the answer is 401, and the body is drained too.
    status, unread = _wsgi_put(put_url(round_obj.pk), body, {})
    assert status.startswith("401")
    assert unread == 0


def test_a_body_beyond_the_drain_limit_is_not_read() -> None:
    class Endless(io.RawIOBase):
        read_bytes = 0

        def read(self, size: int = -1) -> bytes:
            self.read_bytes += size
            return b"x" * size

    stream = Endless()
    environ = {
        "REQUEST_METHOD": "PUT",
        "PATH_INFO": "/api/v1/rounds/1/units/0301/response",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "CONTENT_LENGTH": str(DRAIN_LIMIT + 1),
        "wsgi.input": stream,
        "wsgi.url_scheme": "http",
    }
    status: list[str] = []
    WSGIHandler()(environ, lambda s, h: status.append(s)).close()
    assert status[0].startswith("401")
    assert stream.read_bytes == 0


def test_web_process_refuses_the_development_key_without_debug() -> None:
    from django.conf import settings

    with override_settings(DEBUG=False, SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY):
        with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
            checks.refuse_insecure_start()
        with pytest.raises(SystemCheckError, match="kartlegg.E001"):
            call_command("check", "--deploy", "--fail-level", "ERROR")
    with override_settings(DEBUG=False, SECRET_KEY="a-real-key-" + "z" * 50):
        checks.refuse_insecure_start()
        assert checks.check_secret_key() == []
    with override_settings(DEBUG=True, SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY):
        checks.refuse_insecure_start()  # development: fine


def _workbook_with_row(cells: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = workbook.POSITIONS_SHEET
    book.active.append(workbook.HEADERS)
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                row = b'<row r="2">' + b"<c/>" * cells + b"</row>"
                data = data.replace(b"</sheetData>", row + b"</sheetData>")
            target.writestr(name, data)
    return out.getvalue()


def test_workbook_with_millions_of_cells_in_one_row_is_refused_quickly() -> None:
    data = _workbook_with_row(4_000_000)
    assert len(data) < 300_000  # small on disk
    started = time.perf_counter()
    with pytest.raises(spreadsheets.FileFormatError, match="for mange celler"):
        workbook.parse_workbook(make_version().definition(), data)
    assert time.perf_counter() - started < 5  # was 40 s: the count stops at the limit
    assert spreadsheets.count_cells(data, 10**9) >= 4_000_000


def test_workbook_under_the_cell_limit_is_read() -> None:
    data = _workbook_with_row(10)
    assert spreadsheets.count_cells(data, 10**9) >= 10
    parsed = workbook.parse_workbook(make_version().definition(), data)
    assert parsed.positions == 0
