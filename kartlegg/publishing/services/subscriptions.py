"""E-mail notices, the subscriber's side: subscribe (a confirmation link is sent by the worker; nothing else is sent
until it is opened: double opt-in), confirm, unsubscribe (one click, from the link in every notice)."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from kartlegg.jobs import services as jobs
from kartlegg.publishing import tasks
from kartlegg.publishing.models import Subscriber, Topic
from kartlegg.publishing.services.datayear import PublishingError


def subscribe(email: str, topic: Topic | None = None, language: str = "nb") -> Subscriber:
    """Register the address (unconfirmed) and queue the confirmation link. Asking again sends a new link."""
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise PublishingError("email: skriv en gyldig e-postadresse.") from error
    with transaction.atomic():
        subscriber = Subscriber.objects.filter(email__iexact=email, topic=topic).first()
        if subscriber is None:
            subscriber = Subscriber.objects.create(
                email=email, topic=topic, token=secrets.token_urlsafe(32), language=language[:5] or "nb"
            )
        if subscriber.confirmed_at is None:
            jobs.start(tasks.send_confirmation_job, key=f"publishing:confirm:{subscriber.pk}",
                       subscriber_id=subscriber.pk)  # fmt: skip
    return subscriber


def by_token(token: str) -> Subscriber | None:
    if not token or len(token) > 64:
        return None
    return Subscriber.objects.filter(token=token).select_related("topic").first()


def confirm(token: str) -> Subscriber | None:
    subscriber = by_token(token)
    if subscriber is not None and subscriber.confirmed_at is None:
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["confirmed_at"])
    return subscriber


def unsubscribe(token: str) -> bool:
    """Delete the subscription; True when there was one."""
    subscriber = by_token(token)
    if subscriber is None:
        return False
    subscriber.delete()
    return True
