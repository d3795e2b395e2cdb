"""The publishing workflow on short notes: draft → review → approved → scheduled → published with who and when,
four eyes (on by default, off by the setting), the publishing permission, bad input named by field, corrections
into new versions, and publish_due (idempotent, to the minute, also as a command)."""

from __future__ import annotations

import datetime as dt
import io
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from kartlegg.accounts.models import AuditEvent
from kartlegg.publishing import services
from kartlegg.publishing.models import Publication, Status
from tests.factories import make_analyst, make_respondent
from tests.factories.publishing import approved, make_note, make_publisher, make_topic

pytestmark = pytest.mark.django_db


def at(hours: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def test_the_steps_record_who_and_when_and_the_embargo_is_to_the_minute() -> None:
    author, approver = make_analyst(), make_publisher()
    topic = make_topic()
    note = make_note(author, topics=[topic.slug])
    assert note.status == Status.DRAFT and note.created_by == author and list(note.topics.all()) == [topic]
    note = services.submit(note, author)
    assert (note.status, note.submitted_by) == (Status.REVIEW, author) and note.submitted_at is not None
    note = services.approve(note, approver)
    assert (note.status, note.approved_by) == (Status.APPROVED, approver)
    when = timezone.now().replace(microsecond=0) + dt.timedelta(days=1, seconds=37)
    note = services.schedule(note, when, approver)
    assert note.status == Status.SCHEDULED and note.scheduled_by == approver
    assert note.publish_at == when.replace(second=0)
    assert not note.is_public() and note.is_public(when.replace(second=0))
    assert services.publish_due() == []  # not yet
    with mock.patch("django.utils.timezone.now", return_value=when.replace(second=0) - dt.timedelta(seconds=1)):
        assert services.publish_due() == [] and not services.public_publications().exists()
    with mock.patch("django.utils.timezone.now", return_value=when.replace(second=0)):
        assert [p.pk for p in services.publish_due()] == [note.pk]
        assert services.publish_due() == []  # idempotent
    note.refresh_from_db()
    assert (note.status, note.published_by, note.published_at) == (Status.PUBLISHED, approver, note.publish_at)
    actions = set(AuditEvent.objects.filter(object_id=str(note.pk)).values_list("action", flat=True))
    assert {"publishing.created", "publishing.submitted", "publishing.approved", "publishing.scheduled",
            "publishing.published"} <= actions  # fmt: skip


def test_four_eyes_refuses_the_author_and_the_setting_turns_it_off() -> None:
    author = make_publisher()
    note = make_note(author)
    services.submit(note, author)
    with pytest.raises(PermissionDenied, match="fire øyne"):
        services.approve(note, author)
    assert Publication.objects.get(pk=note.pk).status == Status.REVIEW
    with override_settings(KARTLEGG_PUBLISH_FOUR_EYES=False):
        assert services.approve(note, author).status == Status.APPROVED


def test_only_analysts_with_the_publishing_permission_schedule_and_publish() -> None:
    author, other = make_analyst(), make_analyst()
    note = approved(make_note(author), author, other)
    for user in (author, other, make_respondent("4601")):
        with pytest.raises(PermissionDenied):
            services.schedule(note, at(2), user)
        with pytest.raises(PermissionDenied):
            services.publish_now(note, user)
    assert Publication.objects.get(pk=note.pk).status == Status.APPROVED
    with pytest.raises(PermissionDenied):
        make_note(make_respondent("4601"))
    published = services.publish_now(note, make_publisher())
    assert published.status == Status.PUBLISHED and published.is_public()


def test_bad_input_and_wrong_steps_name_the_field() -> None:
    author, publisher = make_analyst(), make_publisher()
    with pytest.raises(services.PublishingError, match="^title:"):
        make_note(author, title="  ")
    with pytest.raises(services.PublishingError, match="^topics:"):
        make_note(author, topics=["finnes-ikke"])
    with pytest.raises(services.PublishingError, match="^kind:"):
        services.create_publication(user=author, kind="bok", title="T", summary="S")
    with pytest.raises(services.PublishingError, match="^data_version:"):
        make_note(author, data_version="v1x")
    note = make_note(author)
    with pytest.raises(services.PublishingError, match="^status:"):
        services.approve(note, publisher)
    with pytest.raises(services.PublishingError, match="^status:"):
        services.schedule(note, at(1), publisher)
    approved(note, author, publisher)
    with pytest.raises(services.PublishingError, match="^publish_at:"):
        services.schedule(note, dt.datetime(2030, 1, 1, 12, 0), publisher)  # noqa: DTZ001 - naive on purpose


def test_unscheduling_takes_it_back_before_its_time_only() -> None:
    author, publisher = make_analyst(), make_publisher()
    note = services.schedule(approved(make_note(author), author, publisher), at(3), publisher)
    note = services.unschedule(note, publisher)
    assert note.status == Status.APPROVED and note.publish_at is None
    note = services.publish_now(note, publisher)
    with pytest.raises(services.PublishingError):
        services.schedule(note, at(1), publisher)


def test_a_correction_is_a_new_version_and_the_old_one_stays_public_until_it_is_published() -> None:
    author, publisher = make_analyst(), make_publisher()
    first = services.publish_now(approved(make_note(author, title="Tall om årsverk"), author, publisher), publisher)
    with pytest.raises(services.PublishingError, match="^correction_note:"):
        services.correct(first, author, "  ")
    second = services.correct(first, author, "Feil i tabell 2.")
    assert (second.slug, second.version, second.status, second.previous) == (first.slug, 2, Status.DRAFT, first)
    with pytest.raises(services.PublishingError):
        services.correct(first, author, "Igjen.")
    assert [p.version for p in services.newest_versions(services.public_publications())] == [1]
    services.schedule(approved(second, author, publisher), at(1), publisher)
    with mock.patch("django.utils.timezone.now", return_value=at(1.01)):
        assert [p.version for p in services.newest_versions(services.public_publications())] == [2]
        call_command("publish_due", stdout=io.StringIO())
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.REPLACED, Status.PUBLISHED)
    assert first.is_public()  # the old version stays reachable at its own address


def test_publish_due_command_is_idempotent_and_says_what_it_did() -> None:
    author, publisher = make_analyst(), make_publisher()
    note = services.schedule(approved(make_note(author), author, publisher), at(0.5), publisher)
    out = io.StringIO()
    call_command("publish_due", stdout=out)
    assert "0" in out.getvalue()
    with mock.patch("django.utils.timezone.now", return_value=at(1)):
        out = io.StringIO()
        call_command("publish_due", stdout=out)
        assert note.title in out.getvalue()
        again = io.StringIO()
        call_command("publish_due", stdout=again)
        assert note.title not in again.getvalue()
    assert Publication.objects.get(pk=note.pk).status == Status.PUBLISHED
