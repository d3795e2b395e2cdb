"""manage.py publish_demo_statistics: the demo's statistics step (demo.statistics), run by setup_demo after
make_demo_data: lock every annual round but the newest with data version 1, pin and publish their figures."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kartlegg.accounts.models import Role, User
from kartlegg.demo.statistics import lock_and_publish_demo


class Command(BaseCommand):
    help = "Låser og publiserer alle årlige runder unntatt den nyeste (demo)."

    def handle(self, *args: Any, **options: Any) -> None:
        analyst = User.objects.filter(role=Role.ANALYST, is_active=True).order_by("pk").first()
        if analyst is None:
            raise CommandError("Ingen analytiker å låse og publisere som; kjør «manage.py setup_demo».")
        lock_and_publish_demo(analyst, self.stdout.write)
