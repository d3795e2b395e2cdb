"""Prepare the demo: demo users (one per role) and, when the collection app is installed, synthetic answers.
Idempotent: running it again resets the demo passwords and leaves everything else as it is."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
from django.db import transaction

from kartlegg.accounts.models import UnitAssignment, User
from kartlegg.demo.publishing import SECOND_ANALYST, SECOND_ANALYST_ROLE, publish_demo_publications
from kartlegg.demo.qa import prepare_qa_demo
from kartlegg.demo.users import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Creates the demo users and synthetic demo data, and prints the demo logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--years", default="2017-2024", help="Years of demo rounds, e.g. 2017-2024")

    def handle(self, *args: Any, seed: int, years: str, **options: Any) -> None:
        with transaction.atomic():
            for spec in DEMO_USERS:
                spec = dict(spec)
                units = spec.pop("units", [])
                user, _ = User.objects.update_or_create(
                    username=spec.pop("username"),
                    defaults={**spec, "email": "", "is_active": True},
                )
                user.email = f"{user.username}@demo.kartlegg.invalid"
                user.set_password(DEMO_PASSWORD)
                user.save()
                for code in units:
                    UnitAssignment.objects.get_or_create(user=user, unit_code=code)
        if "make_demo_data" in get_commands():
            call_command("make_demo_data", "--seed", str(seed), "--years", years, stdout=self.stdout)
            self.stdout.write(prepare_qa_demo().summary())
        if "publish_demo_statistics" in get_commands():
            call_command("publish_demo_statistics", stdout=self.stdout)
        if "compute_aggregates" in get_commands():
            # The statistics pages read stored aggregates; compute them now rather than on the first visit.
            call_command("compute_aggregates", "--all", stdout=self.stdout)
        if "build_demo_reports" in get_commands():
            call_command("build_demo_reports", stdout=self.stdout)  # the reports app's demo step
        publish_demo_publications(self.stdout.write)  # publishing: topics, 2023 published, 2024 scheduled
        self.stdout.write(self.style.SUCCESS("\nDemo-innlogginger (Syntetiske demodata):"))
        for spec in DEMO_USERS:
            detail = ", ".join(spec.get("units", [])) or spec.get("county_code", "") or "alle enheter"
            self.stdout.write(f"  {spec['username']:<12} / {DEMO_PASSWORD}   ({spec['role'].label}: {detail})")
        if User.objects.filter(username=SECOND_ANALYST).exists():
            self.stdout.write(f"  {SECOND_ANALYST:<12} / {DEMO_PASSWORD}   ({SECOND_ANALYST_ROLE})")
        self.stdout.write(f"Åpne {settings.SITE_URL}/\n")
