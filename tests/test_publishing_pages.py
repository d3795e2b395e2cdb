"""Publishing pages beyond the embargo: corrections ("Rettet dd.mm.åååå: …", earlier versions at their own
addresses), topic pages (Markdown sanitised, the preview, key figures that follow the newest published year),
e-mail notices (double opt-in, one-click unsubscribe with List-Unsubscribe headers, sent by the worker), the list's
filters and the editorial forms with bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from kartlegg.analytics import services as statistics
from kartlegg.analytics.services import access
from kartlegg.publishing import services
from kartlegg.publishing.models import Subscriber, Topic
from kartlegg.publishing.services import topics
from tests.factories import make_analyst
from tests.factories.publishing import approved, make_note, make_publisher, make_topic
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db


def test_a_correction_shows_its_note_and_date_and_the_old_version_stays(client: Client) -> None:
    author, publisher = make_analyst(), make_publisher()
    first = services.publish_now(approved(make_note(author, title="Notat om årsverk"), author, publisher), publisher)
    second = services.correct(first, author, "Tallet for Molde var feil.")
    services.publish_now(approved(second, author, publisher), publisher)
    html = client.get(f"/publikasjoner/{first.slug}/").content.decode()
    stamp = timezone.localtime(timezone.now()).strftime("%d.%m.%Y")
    assert f"Rettet {stamp}:</strong> Tallet for Molde var feil." in html
    assert "Publisert" in html and "Endret" in html and "Versjon 2" in html
    assert "Slik siterer du" in html and "(versjon 2)" in html
    old = client.get(f"/publikasjoner/{first.slug}/v1/").content.decode()
    assert "Tallet for Molde var feil." not in old and "Notat om årsverk" in old
    assert '<meta property="og:title" content="Notat om årsverk">' in html


def test_topic_markdown_is_sanitised_and_previewed(client: Client) -> None:
    analyst = make_analyst()
    topic = topics.save_topic(analyst, title="Korona", key_figures="",
                              body='## Om\n\n<script>alert(1)</script>[x](javascript:alert(1)) **fet**')  # fmt: skip
    html = client.get(f"/publikasjoner/tema/{topic.slug}/").content.decode()
    assert "<strong>fet</strong>" in html and "<h2>Om</h2>" in html
    assert "alert(1)" not in html and "javascript:" not in html
    assert client.post("/publikasjoner/redaksjon/forhandsvis/", {"body": "*a*"}).status_code in (302, 403)
    client.force_login(analyst)
    preview = client.post("/publikasjoner/redaksjon/forhandsvis/", {"body": "*a* <img src=x onerror=alert(1)>"})
    assert "<em>a</em>" in preview.content.decode() and "onerror" not in preview.content.decode()
    response = client.post("/publikasjoner/tema/ny/", {"title": "", "body": "x", "key_figures": ""})
    assert "title: skriv en tittel" in response.content.decode()
    response = client.post("/publikasjoner/tema/ny/", {"title": "Ny", "body": "x", "key_figures": "finnes_ikke"})
    assert "key_figures:" in response.content.decode() and not Topic.objects.filter(title="Ny").exists()


def test_key_figures_follow_the_newest_published_year(client: Client, settings: Any) -> None:
    SmallSurvey()
    statistics.compute()
    analyst = make_analyst()
    topic = topics.save_topic(analyst, title="Årsverk", body="Tekst.", key_figures="arsverk_totalt")
    assert topics.key_figures(topic) == []  # nothing is published yet
    access.publish(2019, timezone.now() - dt.timedelta(days=1), analyst)
    figures = topics.key_figures(topic)
    assert [(f.code, f.year) for f in figures] == [("arsverk_totalt", 2019)] and figures[0].value
    later = timezone.now() + dt.timedelta(days=2)
    access.publish(2020, later, analyst)
    assert [f.year for f in topics.key_figures(topic)] == [2019]  # 2020 is under embargo
    with mock.patch("django.utils.timezone.now", return_value=later + dt.timedelta(minutes=1)):
        figures = topics.key_figures(topic)
        assert [f.year for f in figures] == [2020] and figures[0].change
        html = client.get(f"/publikasjoner/tema/{topic.slug}/").content.decode()
        assert figures[0].value in html and "Sist oppdatert" in html


def test_notices_need_confirmation_and_unsubscribe_in_one_click(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    topic = make_topic()
    with django_capture_on_commit_callbacks(execute=True):
        bad = client.post("/publikasjoner/varsler/", {"email": "ikke-en-adresse", "tema": ""})
        assert bad.status_code == 400 and "email:" in bad.content.decode()
        client.post("/publikasjoner/varsler/", {"email": "leser@example.org", "tema": topic.slug})
    assert len(mail.outbox) == 1
    subscriber = Subscriber.objects.get(email="leser@example.org")
    assert subscriber.confirmed_at is None and f"/varsler/bekreft/{subscriber.token}/" in mail.outbox[0].body
    author, publisher = make_analyst(), make_publisher()
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_now(approved(make_note(author, topics=[topic]), author, publisher), publisher)
    assert len(mail.outbox) == 1  # not confirmed: no notice
    assert client.get(f"/publikasjoner/varsler/bekreft/{subscriber.token}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_now(approved(make_note(author, title="Andre", topics=[topic]), author, publisher),
                             publisher)  # fmt: skip
    notice = mail.outbox[-1]
    assert len(mail.outbox) == 2 and notice.subject == "Ny publikasjon: Andre"
    assert notice.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert subscriber.token in notice.extra_headers["List-Unsubscribe"]
    one_click = Client(enforce_csrf_checks=True)  # a mail client's POST carries no CSRF token
    assert one_click.post(f"/publikasjoner/varsler/avmeld/{subscriber.token}/").status_code == 200
    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_now(approved(make_note(author, title="Tredje", topics=[topic]), author, publisher),
                             publisher)  # fmt: skip
    assert len(mail.outbox) == 2


def test_editorial_pages_are_for_analysts_and_name_bad_fields(client: Client) -> None:
    author = make_analyst()
    assert client.get("/publikasjoner/redaksjon/").status_code in (302, 403)
    client.force_login(author)
    assert client.get("/publikasjoner/redaksjon/").status_code == 200
    response = client.post("/publikasjoner/redaksjon/ny/", {"kind": "note", "title": "T", "summary": "", "year": ""},
                           follow=True)  # fmt: skip
    assert "summary: skriv en tekst" in response.content.decode()
    response = client.post("/publikasjoner/redaksjon/ny/", {"kind": "note", "title": "T", "summary": "S",
                                                            "year": "20x0"}, follow=True)  # fmt: skip
    assert "year:" in response.content.decode()
    response = client.post("/publikasjoner/redaksjon/ny/", {"kind": "note", "title": "Kort", "summary": "S"})
    assert response.status_code == 302
    note = services.visible_publications(author).get(title="Kort")
    response = client.post(f"/publikasjoner/{note.slug}/v1/status/", {"action": "submit"}, follow=True)
    response = client.post(f"/publikasjoner/{note.slug}/v1/status/", {"action": "approve"}, follow=True)
    assert "fire øyne" in response.content.decode()
    response = client.post(f"/publikasjoner/{note.slug}/v1/status/", {"action": "slett"}, follow=True)
    assert "action: ukjent handling" in response.content.decode()
