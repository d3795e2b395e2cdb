"""Publishing's background jobs (the task worker): recording scheduled publications as published when their time
comes and telling subscribers, sending confirmation links, and rebuilding a report into a corrected version."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from kartlegg.jobs import services as jobs
from kartlegg.publishing.services import due, notices, reissue


@jobs.job(gettext_noop("Publisering av planlagte publikasjoner"))
def publish_due_job(progress: jobs.Progress) -> dict[str, Any]:
    published = due.publish_due()
    progress.start(total=max(len(published), 1))
    sent = 0
    for publication in published:
        sent += notices.send_notices(publication.pk)
        progress.advance(message=publication.title)
    return {"message": f"{len(published)} publisert, {sent} varsler sendt.", "published": [p.pk for p in published]}


@jobs.job(gettext_noop("Varsel om ny publikasjon"))
def send_notices_job(progress: jobs.Progress, publication_id: int) -> dict[str, Any]:
    progress.start(total=1)
    sent = notices.send_notices(publication_id)
    return {"message": f"{sent} varsler sendt.", "sent": sent}


@jobs.job(gettext_noop("Bekreftelse av e-postvarsel"))
def send_confirmation_job(progress: jobs.Progress, subscriber_id: int) -> dict[str, Any]:
    progress.start(total=1)
    return {"sent": notices.send_confirmation(subscriber_id)}


@jobs.job(gettext_noop("Ny utgave av rapporten med rettede data"))
def reissue_job(progress: jobs.Progress, publication_id: int, user_id: int, data_version: int) -> dict[str, Any]:
    progress.start(total=2, message="Bygger rapporten")
    new = reissue.rebuild(publication_id, user_id, data_version)
    progress.advance(message="Rettet versjon laget")
    return {"message": f"Rettet versjon {new.version} er laget som utkast.", "publication": new.pk}
