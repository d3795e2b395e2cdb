"""manage.py publish_due: record every scheduled publication whose time has come as published and queue its
e-mail notices. Cron-safe: idempotent, and safe beside the worker doing the same (row locks)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kartlegg.jobs import services as jobs
from kartlegg.publishing import tasks
from kartlegg.publishing.services import due


class Command(BaseCommand):
    help = "Publiserer planlagte publikasjoner som har nådd tidspunktet sitt (trygg å kjøre fra cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        published = due.publish_due()
        for publication in published:
            jobs.start(tasks.send_notices_job, key=f"publishing:notices:{publication.pk}",
                       publication_id=publication.pk)  # fmt: skip
            self.stdout.write(f"Publisert: {publication.title} (versjon {publication.version})")
        self.stdout.write(f"{len(published)} publikasjoner publisert.")
