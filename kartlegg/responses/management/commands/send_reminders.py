"""Remind units that have not submitted. Safe to run from cron as often as you like: a unit gets at most one reminder
of a kind per day, and units that have submitted get none.

Without --round, every open round is reminded on its schedule (KARTLEGG_REMINDER_DAYS days before the deadline,
then weekly). With --round, that round is reminded now, whatever the schedule says.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kartlegg.responses.invitations import remind, reminder_due
from kartlegg.responses.models import Round


class Command(BaseCommand):
    help = "Sends reminders to units that have not submitted (idempotent per unit and day)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--round", type=int, dest="round_id", help="Remind this round now (id).")
        parser.add_argument("--dry-run", action="store_true", help="Show who would be reminded; send nothing.")
        parser.add_argument("--kind", default="reminder", help="Reminder kind (one of each kind per unit and day).")

    def handle(self, *args: Any, round_id: int | None, dry_run: bool, kind: str, **options: Any) -> None:
        if round_id is not None:
            round_obj = Round.objects.filter(pk=round_id).first()
            if round_obj is None:
                raise CommandError(f"Fant ingen runde med id {round_id}.")
            if round_obj.is_locked:
                raise CommandError(f"Runden {round_obj} er låst.")
            rounds = [round_obj]
        else:
            rounds = [r for r in Round.objects.filter(locked_at__isnull=True) if reminder_due(r)]
        if not rounds:
            self.stdout.write("Ingen runder skal ha påminnelse i dag.")
        for round_obj in rounds:
            report = remind(round_obj, kind=kind, dry_run=dry_run)
            verb = "ville fått" if dry_run else "fikk"
            self.stdout.write(
                f"{round_obj}: {len(report.sent)} enheter {verb} påminnelse ({report.emails} e-poster); "
                f"{len(report.already_today)} allerede påminnet i dag; {len(report.no_address)} uten adresse."
            )
            if options.get("verbosity", 1) > 1:
                for code in report.sent:
                    self.stdout.write(f"  {code}")
