"""Opening rounds, invitation links (valid, expired, tampered), colleague links, and idempotent reminders."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kartlegg.accounts.models import Channel, Role, UnitAssignment, User
from kartlegg.responses import invitations, services
from kartlegg.responses.models import Invitation, ReminderLog, Response, Round
from tests.factories.responses import client_for, open_round, questionnaire, response_for

from .factories import make_analyst, make_respondent

pytestmark = pytest.mark.django_db


def link_in(message) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r"https?://\S+/innsamling/invitasjon/[A-Za-z0-9_-]+/", message.body)
    assert found, message.body
    return found.group(0)


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def analyst():  # type: ignore[no-untyped-def]
    return make_analyst()


@pytest.fixture
def round_obj(analyst):  # type: ignore[no-untyped-def]
    return open_round(year=2024, analyst=analyst)


def test_analyst_opens_a_round_from_the_page(analyst) -> None:  # type: ignore[no-untyped-def]
    version = questionnaire(2024)
    client = client_for(analyst)
    assert client.get(reverse("responses:round_new")).status_code == 200
    reply = client.post(
        reverse("responses:round_new"),
        {
            "version": version.pk,
            "name": "Kartlegging 2024",
            "year": "2024",
            "opens_at": "2024-03-01",
            "deadline": "2024-04-15",
            "closes_at": "2024-05-31",
        },
    )
    assert reply.status_code == 302
    round_obj = Round.objects.get(name="Kartlegging 2024")
    assert round_obj.created_by == analyst and round_obj.deadline == dt.date(2024, 4, 15)
    assert Response.objects.filter(round=round_obj).count() > 300
    detail = client.get(reply["Location"]).content.decode()
    total = Response.objects.filter(round=round_obj).count()
    assert "Kartlegging 2024" in detail and f"Enhet 1–50 av {total}" in detail and "side=2" in detail
    assert "4601" not in detail  # the first page holds the first 50 units by code
    found = client.get(reply["Location"] + "?units=4601&side=1").content.decode()
    assert "4601 Bergen" in found and "Enhet 1–1 av 1" in found
    bad = client.get(reply["Location"] + "?side=abc").content.decode()
    assert "Enhet 1–50" in bad  # an unreadable page number shows the first page


def test_opening_a_round_rejects_bad_dates_and_non_analysts(analyst) -> None:  # type: ignore[no-untyped-def]
    version = questionnaire(2024)
    data = {"version": version.pk, "name": "X", "year": "2024", "opens_at": "2024-03-01", "deadline": "2024-02-01"}
    reply = client_for(analyst).post(reverse("responses:round_new"), data)
    assert reply.status_code == 400 and "Svarfristen" in reply.content.decode()
    reply = client_for(analyst).post(reverse("responses:round_new"), {**data, "deadline": "2024-04-01", "year": "1990"})
    assert reply.status_code == 400  # no reporting units that year (and outside the form's range)
    assert not Round.objects.exists()
    respondent = client_for(make_respondent("4601"))
    assert respondent.get(reverse("responses:round_new")).status_code == 403
    assert respondent.post(reverse("responses:round_new"), {**data, "deadline": "2024-04-01"}).status_code == 403


def test_invitation_link_logs_in_a_respondent_bound_to_the_unit(round_obj, analyst) -> None:  # type: ignore[no-untyped-def]
    client = client_for(analyst)
    reply = client.post(
        reverse("responses:round_invite", args=[round_obj.pk]),
        {"addresses": "4601 postmottak@bergen.kommune.no\n0301 ikke@med.no", "known_contacts": ""},
    )
    assert reply.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["postmottak@bergen.kommune.no"]
    link = link_in(mail.outbox[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == invitations.hash_token(token) and token not in invitation.token_hash
    assert invitation.sent_at is not None and invitation.invited_by == analyst

    visitor = Client()
    reply = visitor.get(path_of(link))
    assert reply.status_code == 302 and reply["Location"] == reverse("responses:form", args=[round_obj.pk, "4601"])
    user = User.objects.get(email="postmottak@bergen.kommune.no")
    assert user.role == Role.RESPONDENT and not user.has_usable_password()
    assert UnitAssignment.objects.filter(user=user, unit_code="4601").exists()
    assert visitor.get(reply["Location"]).status_code == 200
    invitation.refresh_from_db()
    first_use = invitation.used_at
    assert first_use is not None and invitation.user == user
    # The link keeps working until it expires (mail scanners open links too), for the same account.
    assert Client().get(path_of(link)).status_code == 302
    invitation.refresh_from_db()
    assert invitation.used_at == first_use and User.objects.filter(email="postmottak@bergen.kommune.no").count() == 1


def test_expired_and_tampered_links_fail_cleanly(round_obj) -> None:  # type: ignore[no-untyped-def]
    unit = response_for(round_obj, "4601").unit
    invitation, token = invitations.create_invitation(round_obj, unit, "a@example.invalid")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad, status, text in [
        (tampered, 404, "virker ikke"),
        ("kort", 404, "virker ikke"),
        ("x" * 200, 404, "virker ikke"),
    ]:
        reply = Client().get(reverse("responses:invitation", args=[bad]))
        assert reply.status_code == status and text in reply.content.decode()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    reply = Client().get(reverse("responses:invitation", args=[token]))
    assert reply.status_code == 410 and "utløpt" in reply.content.decode()
    assert "_auth_user_id" not in reply.client.session
    assert not User.objects.filter(email="a@example.invalid").exists()


def test_a_link_never_logs_in_an_analyst_account(round_obj, analyst) -> None:  # type: ignore[no-untyped-def]
    unit = response_for(round_obj, "4601").unit
    _, token = invitations.create_invitation(round_obj, unit, analyst.email)
    visitor = Client()
    visitor.get(reverse("responses:invitation", args=[token]))
    logged_in = User.objects.get(pk=visitor.session["_auth_user_id"])
    assert logged_in != analyst and logged_in.role == Role.RESPONDENT
    # An analyst who opens a link while logged in keeps their own session.
    client = client_for(analyst)
    client.get(reverse("responses:invitation", args=[token]))
    assert client.session["_auth_user_id"] == str(analyst.pk)


def test_colleague_link_binds_the_colleague_to_the_same_unit(round_obj) -> None:  # type: ignore[no-untyped-def]
    resp = response_for(round_obj, "030101")
    inviter = make_respondent("030101")
    invitations.invite_colleague(resp, "Kollega@Oslo.Kommune.no", inviter)
    message = mail.outbox[-1]
    assert message.to == ["Kollega@oslo.kommune.no"] and "Gamle Oslo" in message.body
    Client().get(path_of(link_in(message)))
    colleague = User.objects.get(email="Kollega@oslo.kommune.no")
    assert colleague.unit_codes() == {"030101"}
    assert Invitation.objects.get(email="Kollega@oslo.kommune.no").kind == "colleague"


def test_colleague_invitations_are_limited_per_day(round_obj) -> None:  # type: ignore[no-untyped-def]
    resp = response_for(round_obj, "4601")
    inviter = make_respondent("4601")
    for n in range(invitations.COLLEAGUE_LIMIT_PER_DAY):
        invitations.invite_colleague(resp, f"k{n}@example.invalid", inviter)
    with pytest.raises(ValueError):
        invitations.invite_colleague(resp, "en-til@example.invalid", inviter)


def _invite(round_obj: Round, *codes: str) -> None:
    for code in codes:
        invitations.invite(round_obj, response_for(round_obj, code).unit, f"post{code}@example.invalid")
    mail.outbox.clear()


def test_reminders_are_idempotent_and_skip_submitted_units(round_obj) -> None:  # type: ignore[no-untyped-def]
    _invite(round_obj, "4601", "4602", "0301" + "01")
    done = response_for(round_obj, "4602")
    user = make_respondent("4602")
    services.save_values(done, {"A_navn": "Kari"}, {}, None, user, Channel.FORM)
    services.submit(done, user)
    call_command("send_reminders", "--round", str(round_obj.pk))
    recipients = sorted(m.to[0] for m in mail.outbox)
    # 4602 has submitted: neither its invited address nor its bound respondent is reminded.
    assert recipients == ["post030101@example.invalid", "post4601@example.invalid"]
    assert not ReminderLog.objects.filter(unit=done.unit).exists()


def test_reminding_twice_sends_one_email_per_unit(round_obj) -> None:  # type: ignore[no-untyped-def]
    _invite(round_obj, "4601", "030101")
    call_command("send_reminders", "--round", str(round_obj.pk))
    call_command("send_reminders", "--round", str(round_obj.pk))
    assert sorted(m.to[0] for m in mail.outbox) == ["post030101@example.invalid", "post4601@example.invalid"]
    assert ReminderLog.objects.filter(round=round_obj).count() == 2
    assert all("Påminnelse" in m.subject for m in mail.outbox)
    # Each reminder carries a fresh working link.
    reply = Client().get(path_of(link_in(mail.outbox[0])))
    assert reply.status_code == 302


def test_dry_run_sends_nothing(round_obj) -> None:  # type: ignore[no-untyped-def]
    _invite(round_obj, "4601")
    call_command("send_reminders", "--round", str(round_obj.pk), "--dry-run")
    assert mail.outbox == [] and not ReminderLog.objects.exists()
    with pytest.raises(CommandError):
        call_command("send_reminders", "--round", "999999")


def test_cron_reminds_only_on_schedule(analyst) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    opens = timezone.now() - dt.timedelta(days=3)
    due = open_round(questionnaire(2024), year=2024, analyst=analyst, opens=opens, name="Frist om 7 dager")
    Round.objects.filter(pk=due.pk).update(deadline=today + dt.timedelta(days=7))
    not_due = open_round(questionnaire(2023), year=2023, analyst=analyst, opens=opens, name="Frist om 5 dager")
    Round.objects.filter(pk=not_due.pk).update(deadline=today + dt.timedelta(days=5))
    due.refresh_from_db()
    not_due.refresh_from_db()
    assert invitations.reminder_due(due) and not invitations.reminder_due(not_due)
    assert invitations.reminder_due(due, today + dt.timedelta(days=5))  # 2 days before
    assert invitations.reminder_due(due, today + dt.timedelta(days=14))  # one week overdue
    assert not invitations.reminder_due(due, today + dt.timedelta(days=9))
    _invite(due, "4601")
    _invite(not_due, "4601")
    call_command("send_reminders")
    assert [m.to[0] for m in mail.outbox] == ["post4601@example.invalid"]
    assert ReminderLog.objects.get().round == due


def test_analyst_reminds_a_filtered_set_by_hand(round_obj, analyst) -> None:  # type: ignore[no-untyped-def]
    _invite(round_obj, "4601", "030101", "030102")
    client = client_for(analyst)
    path = reverse("responses:round_remind", args=[round_obj.pk])
    preview = client.get(path, {"county": "03", "status": "not_started"})
    assert preview.status_code == 200 and "2 enheter får påminnelse" in preview.content.decode()
    assert mail.outbox == []
    reply = client.post(path, {"county": "03", "status": "not_started", "units": ""})
    assert reply.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["post030101@example.invalid", "post030102@example.invalid"]
    # The same again today: already reminded, nothing sent.
    client.post(path, {"county": "03", "status": "", "units": ""})
    assert len(mail.outbox) == 2
    assert client_for(make_respondent("4601")).post(path, {"county": "03"}).status_code == 403


def test_invitation_is_written_in_the_chosen_language_and_reminders_follow_it(round_obj, analyst) -> None:  # type: ignore[no-untyped-def]
    client = client_for(analyst)
    client.cookies["django_language"] = "en"  # the analyst's own page language must not decide the e-mail's
    url = reverse("responses:round_invite", args=[round_obj.pk])
    reply = client.post(url, {"addresses": "4601 postmottak@bergen.kommune.no", "language": "nn"})
    assert reply.status_code == 302
    message = mail.outbox[-1]
    assert message.subject.startswith("Invitasjon: ") and "Følg denne lenkja" in message.body, message.body
    assert Invitation.objects.get().language == "nn"
    # No choice: the unit keeps the målform it was last written to; a unit never invited gets bokmål.
    client.post(url, {"addresses": "4601 andre@bergen.kommune.no\n030101 post@oslo.kommune.no"})
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "Følg denne lenkja" in by_address["andre@bergen.kommune.no"].body
    assert "Følg denne lenken" in by_address["post@oslo.kommune.no"].body
    mail.outbox.clear()
    invitations.remind(round_obj, Response.objects.filter(round=round_obj, unit__code__in=["4601", "030101"]))
    reminders = {m.to[0]: m for m in mail.outbox}
    assert reminders["postmottak@bergen.kommune.no"].subject.startswith("Påminning: ")
    assert reminders["post@oslo.kommune.no"].subject.startswith("Påminnelse: ")


def test_an_unknown_language_is_refused_and_nothing_is_sent(round_obj, analyst) -> None:  # type: ignore[no-untyped-def]
    reply = client_for(analyst).post(
        reverse("responses:round_invite", args=[round_obj.pk]),
        {"addresses": "4601 postmottak@bergen.kommune.no", "language": "sv"},
    )
    assert reply.status_code == 400 and "sv" in reply.content.decode()
    unit = response_for(round_obj, "4601").unit
    with pytest.raises(ValueError, match="Ukjent språk 'de'"):
        invitations.create_invitation(round_obj, unit, "a@example.invalid", language="de")
    assert not Invitation.objects.exists() and not mail.outbox


def test_the_link_opens_the_form_in_the_invitation_language(round_obj, analyst) -> None:  # type: ignore[no-untyped-def]
    unit = response_for(round_obj, "4601").unit
    _, token = invitations.create_invitation(round_obj, unit, "svar@bergen.kommune.no", language="nn")
    visitor = Client()
    reply = visitor.get(reverse("responses:invitation", args=[token]))
    assert reply.cookies["django_language"].value == "nn"
    page = visitor.get(reply["Location"])
    assert page.status_code == 200 and 'lang="nn"' in page.content.decode()
    # An analyst testing the link keeps both their session and their language.
    tester = client_for(analyst)
    reply = tester.get(reverse("responses:invitation", args=[token]))
    assert "django_language" not in reply.cookies
