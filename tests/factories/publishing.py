"""Publishing: analysts with the publishing permission, topics, and publications (a short note, or a built report
of the small survey)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission

from kartlegg.accounts.models import User
from kartlegg.publishing import services
from kartlegg.publishing.models import Publication, Topic

from . import make_analyst


def make_publisher(**extra: Any) -> User:
    user = make_analyst(**extra)
    user.user_permissions.add(Permission.objects.get(codename="publish_publication"))
    return User.objects.get(pk=user.pk)  # a fresh object: the permission cache is empty


def make_topic(slug: str = "arsverk", title: str = "Årsverk", **extra: Any) -> Topic:
    return Topic.objects.create(slug=slug, title=title, body=extra.pop("body", "Om **årsverk**."), **extra)


def make_note(author: User, title: str = "Et kort notat", **extra: Any) -> Publication:
    return services.create_publication(
        user=author, kind="note", title=title, summary=extra.pop("summary", "Kort om tallene."),
        body=extra.pop("body", "Tekst."), **extra,
    )  # fmt: skip


def approved(publication: Publication, author: User, approver: User) -> Publication:
    services.submit(publication, author)
    return services.approve(publication, approver)
