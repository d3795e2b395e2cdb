"""The round dashboard: status per unit, filters, response rate, response curve, status CSV, reminders, downloads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kartlegg.lib.numbers import format_percent
from kartlegg.lib.vega import chart_svg
from kartlegg.responses import charts, dashboard
from kartlegg.responses.models import ReminderLog, Response, ResponseStatus
from tests.browser import browser, chromium_browser, live_url  # noqa: F401
from tests.chart_schema import validate_spec
from tests.factories import make_analyst, make_respondent, make_reviewer
from tests.factories.collection import AKERSHUS, ASKER, BAERUM, BERGEN, VESTLAND, make_round

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def submit_on(round_obj: Any, unit: str, day: dt.date) -> None:
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
    Response.objects.filter(round=round_obj, unit__code=unit).update(
        status=ResponseStatus.SUBMITTED, submitted_at=moment, version=3
    )


@pytest.fixture
def round_obj() -> Any:
    round_obj = make_round()
    today = timezone.localdate()
    submit_on(round_obj, BAERUM, today - dt.timedelta(days=2))
    submit_on(round_obj, ASKER, today)
    submit_on(round_obj, BERGEN, today)
    Response.objects.filter(round=round_obj, unit__code="3205").update(status=ResponseStatus.DRAFT, version=1)
    return round_obj


def page(client: Client, round_obj: Any, **params: str) -> Any:
    return client.get(reverse("responses:dashboard", args=[round_obj.pk]), params)


def test_analyst_sees_every_unit_and_the_response_rate(round_obj: Any) -> None:
    answer = page(login(make_analyst()), round_obj)
    assert answer.status_code == 200
    total = Response.objects.filter(round=round_obj).count()
    assert answer.context["overall"].total == total
    assert answer.context["overall"].submitted == 3
    html = answer.content.decode()
    assert format_percent(100 * 3 / total) in html  # e.g. "0,8 %" with a non-breaking space
    akershus = next(rate for rate, _text in answer.context["by_county"] if rate.code == AKERSHUS)
    assert akershus.submitted == 2
    expected = format_percent(100 * 2 / akershus.total)
    assert expected in html
    assert answer.context["selected_count"] == total
    assert len(answer.context["rows"]) == 100  # the first page


def test_filters_by_status_county_and_text(round_obj: Any) -> None:
    client = login(make_analyst())
    submitted = page(client, round_obj, status="submitted")
    assert {row["response"].unit.code for row in submitted.context["rows"]} == {BAERUM, ASKER, BERGEN}
    county = page(client, round_obj, status="submitted", county=VESTLAND)
    assert {row["response"].unit.code for row in county.context["rows"]} == {BERGEN}
    search = page(client, round_obj, q="bærum")
    assert [row["response"].unit.code for row in search.context["rows"]] == [BAERUM]
    by_number = page(client, round_obj, q="320")
    assert all(row["response"].unit.code.startswith("320") for row in by_number.context["rows"])
    draft = page(client, round_obj, status="draft")
    assert [row["response"].unit.code for row in draft.context["rows"]] == ["3205"]


def test_bad_filters_are_reported_not_500(round_obj: Any) -> None:
    answer = page(login(make_analyst()), round_obj, status="<script>", county="99", q="x" * 5000, side="abc")
    assert answer.status_code == 200
    assert len(answer.context["filters"].problems) == 2
    assert "<script>" not in answer.content.decode()
    assert len(answer.context["filters"].q) <= 100


def test_county_reviewer_sees_only_own_county_read_only(round_obj: Any) -> None:
    client = login(make_reviewer(AKERSHUS))
    answer = page(client, round_obj)
    assert answer.status_code == 200
    codes = {row["response"].unit.code for row in answer.context["rows"]}
    assert ASKER in codes and BERGEN not in codes
    assert {rate.code for rate, _text in answer.context["by_county"]} == {AKERSHUS}
    assert answer.context["overall"].submitted == 2
    html = answer.content.decode()
    assert "Bergen" not in html
    assert reverse("responses:dashboard_remind", args=[round_obj.pk]) not in html
    # The county filter cannot widen the set.
    other = page(client, round_obj, county=VESTLAND)
    assert BERGEN not in {row["response"].unit.code for row in other.context["rows"]}
    csv = client.get(reverse("responses:dashboard_csv", args=[round_obj.pk])).content.decode("utf-8-sig")
    lines = csv.splitlines()
    assert lines[0].startswith("# Syntetiske demodata")
    assert lines[1].startswith("unit_code;unit_name;county_code")
    assert {line.split(";")[2] for line in lines[2:]} == {AKERSHUS}
    assert len(lines) - 2 == answer.context["overall"].total
    # Read-only: no reminders, no downloads of all answers.
    assert client.post(reverse("responses:dashboard_remind", args=[round_obj.pk])).status_code == 403
    assert client.get(reverse("responses:round_export", args=[round_obj.pk, "csv"])).status_code == 403


def test_respondents_and_anonymous_cannot_open_the_dashboard(round_obj: Any) -> None:
    respondent = login(make_respondent(BAERUM))
    assert page(respondent, round_obj).status_code == 403
    assert respondent.get(reverse("responses:dashboard_csv", args=[round_obj.pk])).status_code == 403
    assert respondent.post(reverse("responses:dashboard_remind", args=[round_obj.pk])).status_code == 403
    anonymous = Client().get(reverse("responses:dashboard", args=[round_obj.pk]))
    assert anonymous.status_code == 302
    assert page(login(make_analyst()), type("R", (), {"pk": 999999})()).status_code == 404


def test_status_csv_follows_the_filters(round_obj: Any) -> None:
    client = login(make_analyst())
    answer = client.get(reverse("responses:dashboard_csv", args=[round_obj.pk]), {"status": "submitted"})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    rows = [line.split(";") for line in answer.content.decode("utf-8-sig").splitlines()[2:]]
    assert {row[0] for row in rows} == {BAERUM, ASKER, BERGEN}
    assert all(row[4] == "submitted" and row[7] for row in rows)


def test_response_curve_counts_submissions_per_day(round_obj: Any) -> None:
    answer = page(login(make_analyst()), round_obj)
    points = answer.context["points"]
    today = timezone.localdate()
    by_day = {p.day: p for p in points}
    assert by_day[today - dt.timedelta(days=2)].count == 1
    assert by_day[today].count == 2
    assert by_day[today].cumulative == 3
    assert points[-1].cumulative == 3
    assert points[-1].day == today  # the line stops today ...
    curve = answer.context["curve"]
    rows = layer_rows(curve.spec, 0)
    assert rows[-1]["day"] == today.isoformat() and rows[-1]["text"] == format_percent(points[-1].percent)
    html = answer.content.decode()
    assert f'data-vega-spec="{curve.spec_id}"' in html and 'aria-describedby="svarkurve-tabell"' in html
    assert 'id="svarkurve-tabell"' in html and "<polyline" not in html  # the table twin; no hand-drawn SVG
    assert 'class="mark-line' in html and ">frist</text>" in html  # the server's SVG: the line and the deadline
    assert today.strftime("%d.%m.%Y") in html  # the data table fallback


def test_response_curve_pure() -> None:
    day = dt.date(2024, 3, 1)
    per_day = {day + dt.timedelta(days=1): 2, day + dt.timedelta(days=3): 1, day - dt.timedelta(days=5): 1}
    points = dashboard.response_curve(per_day, day, day + dt.timedelta(days=4), total=8)
    assert points[0].day == day - dt.timedelta(days=5)  # an early submission widens the range
    assert [p.cumulative for p in points][-5:] == [1, 3, 3, 4, 4]
    assert points[-1].percent == 50.0
    deadline = day + dt.timedelta(days=10)
    spec = charts.curve_spec(points, deadline, deadline)
    validate_spec(spec)
    rows = layer_rows(spec, 0)
    assert [r["percent"] for r in rows] == [p.percent for p in points]  # one point a day, the line stops at the last
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"][-1] == deadline.isoformat()  # axis to the deadline
    rule = layer_rows(spec, 3)
    assert rule[0]["day"] == deadline.isoformat() and rule[0]["label"] == "frist"
    svg = chart_svg(spec)
    assert ">50\u00a0%</text>" in svg and ">100\u00a0%</text>" in svg  # Norwegian percent labels
    assert rows[-1]["text"] == "50,0\u00a0%" and rows[-1]["date"] == "05.03.2024"
    empty = dashboard.response_curve({}, day, day - dt.timedelta(days=3), total=0)
    assert [p.percent for p in empty] == [0.0]
    assert layer_rows(charts.curve_spec(empty, None), 0)[0]["percent"] == 0.0
    assert layer_rows(charts.curve_spec([], None), 0)[0]["percent"] == 0.0  # no points: a flat 0 % on one day
    assert len(charts.curve_spec([], None)["layer"]) == 3  # no deadline on the axis: no rule


def layer_rows(spec: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """The inline data of a layer of a spec (Altair moves inline data to "datasets" by name)."""
    data = spec["layer"][index].get("data") or spec.get("data")
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


def test_reminder_needs_confirmation_then_reaches_only_the_filtered_unsubmitted_units(round_obj: Any) -> None:
    make_respondent("3205", email="lillestrom@example.invalid")  # Lillestrøm, Akershus, a draft
    make_respondent(BAERUM, email="baerum@example.invalid")  # submitted: gets no reminder
    make_respondent("4602", email="kinn@example.invalid")  # Vestland: outside the filter
    client = login(make_analyst())
    url = reverse("responses:dashboard_remind", args=[round_obj.pk])
    step1 = client.post(url, {"county": AKERSHUS})
    assert step1.status_code == 200
    assert "Send påminnelse" in step1.content.decode()
    assert mail.outbox == []
    assert step1.context["preview"].sent == ["3205"]
    step2 = client.post(url, {"county": AKERSHUS, "confirm": "1"})
    assert step2.status_code == 302
    assert f"county={AKERSHUS}" in step2["Location"]
    assert [m.to for m in mail.outbox] == [["lillestrom@example.invalid"]]
    assert ReminderLog.objects.filter(round=round_obj).count() == 1
    # Reminding again the same day sends nothing more.
    client.post(url, {"county": AKERSHUS, "confirm": "1"})
    assert len(mail.outbox) == 1


def test_reminder_only_by_post(round_obj: Any) -> None:
    client = login(make_analyst())
    assert client.get(reverse("responses:dashboard_remind", args=[round_obj.pk])).status_code == 405


def test_analyst_downloads_all_answers(round_obj: Any) -> None:
    client = login(make_analyst())
    csv = client.get(reverse("responses:round_export", args=[round_obj.pk, "csv"]))
    assert csv.status_code == 200
    assert csv.content.decode("utf-8-sig").splitlines()[1] == "unit_code;unit_name;variable;value;comment"
    xlsx = client.get(reverse("responses:round_export", args=[round_obj.pk, "xlsx"]))
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    assert client.get(reverse("responses:round_export", args=[round_obj.pk, "pdf"])).status_code == 404


def test_dashboard_query_count_is_bounded(round_obj: Any, django_assert_max_num_queries: Any) -> None:
    client = login(make_analyst())
    page(client, round_obj)
    with django_assert_max_num_queries(20):
        assert page(client, round_obj).status_code == 200


@pytest.mark.browser
def test_dashboard_pages_are_accessible(round_obj: Any, live_url: str, browser: Any) -> None:  # noqa: F811
    from tests.browser import assert_accessible
    from tests.factories import PASSWORD

    make_respondent("3205", email="lillestrom@example.invalid")
    for user in (make_analyst(), make_reviewer(AKERSHUS)):
        page = browser.new_page()
        page.goto(live_url + "/konto/logg-inn/")
        page.locator("#id_username").fill(user.username)
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_role("button", name="Logg inn").click()
        page.wait_for_load_state()
        page.goto(live_url + reverse("responses:dashboard", args=[round_obj.pk]) + f"?county={AKERSHUS}")
        assert page.locator("h1").inner_text() == round_obj.name
        # The response curve: the server's SVG replaced by vega-embed drawing the same spec (CSP: no eval).
        page.wait_for_selector('[data-vega-spec][data-vega-state="rendered"]', timeout=15_000)
        page.locator("details summary").click()
        assert_accessible(page, f"oversikt ({user.role})")
        if user.is_analyst:
            page.get_by_role("button", name="Send påminnelse til de viste").click()
            page.wait_for_load_state()
            assert "Send påminnelse?" in page.locator("h1").inner_text()
            assert_accessible(page, "bekreft påminnelse")
        page.close()
