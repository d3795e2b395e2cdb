"""E-mail: the confirmation link of a new subscriber (double opt-in) and the notice of a new publication to the
confirmed subscribers (everything, or one of its topics). Sent by the task worker through Django's e-mail backend;
every notice carries a one-click unsubscribe link, also as List-Unsubscribe and List-Unsubscribe-Post headers
(RFC 8058)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kartlegg.publishing.models import Publication, Subscriber


def absolute(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def unsubscribe_url(subscriber: Subscriber) -> str:
    return absolute(reverse("publishing:unsubscribe", args=[subscriber.token]))


def _headers(subscriber: Subscriber) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscriber)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def send_confirmation(subscriber_id: int) -> int:
    """The link that confirms a subscription. Returns the number of messages sent (0 if already confirmed)."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id, confirmed_at__isnull=True).first()
    if subscriber is None:
        return 0
    with translation.override(subscriber.language):
        link = absolute(reverse("publishing:confirm", args=[subscriber.token]))
        what = subscriber.topic.title if subscriber.topic else _("alle publikasjoner")
        body = "\n\n".join([
            _("Noen (forhåpentlig du) har bedt om e-postvarsel om nye publikasjoner fra kartlegg: %(what)s.")
            % {"what": what},
            _("Bekreft ved å åpne denne lenken:") + f"\n{link}",
            _("Har du ikke bedt om dette, kan du se bort fra e-posten. Du får ingen varsler før du bekrefter."),
        ])  # fmt: skip
        message = EmailMessage(_("Bekreft varsel om nye publikasjoner"), body, to=[subscriber.email])
    return message.send()


def recipients(publication: Publication) -> list[Subscriber]:
    """Confirmed subscribers of everything or of one of the publication's topics, each address once."""
    topics = list(publication.topics.values_list("pk", flat=True))
    found = Subscriber.objects.filter(Q(topic__isnull=True) | Q(topic__in=topics), confirmed_at__isnull=False)
    unique: dict[str, Subscriber] = {}
    for subscriber in found.order_by("topic_id", "pk"):
        unique.setdefault(subscriber.email.lower(), subscriber)
    return list(unique.values())


def send_notices(publication_id: int) -> int:
    """Tell the subscribers about a public publication, once (notified_at). Returns the number of messages sent."""
    with transaction.atomic():
        publication = Publication.objects.select_for_update().filter(pk=publication_id).first()
        if publication is None or publication.notified_at is not None or not publication.is_public():
            return 0
        publication.notified_at = timezone.now()
        publication.save(update_fields=["notified_at"])
    url = absolute(reverse("publishing:version", args=[publication.slug, publication.version]))
    messages = []
    for subscriber in recipients(publication):
        with translation.override(subscriber.language):
            lead = _("Rettet versjon") if publication.is_correction else _("Ny publikasjon")
            body = "\n\n".join(
                part
                for part in [
                    f"{lead}: {publication.title}",
                    publication.summary,
                    publication.correction_note,
                    url,
                    _("Avslutt varslene med ett klikk:") + f"\n{unsubscribe_url(subscriber)}",
                ]
                if part
            )
            messages.append(
                EmailMessage(f"{lead}: {publication.title}", body, to=[subscriber.email], headers=_headers(subscriber))
            )
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0
