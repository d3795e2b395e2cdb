"""The demo's reports: the 2023 report built, reviewed and approved (with its PDF and XLSX rendered, so they open at
once), and a draft for 2024. Called from setup_demo; idempotent (an approved 2023 report is left as it is)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kartlegg.accounts.models import User
from kartlegg.analytics import services as statistics
from kartlegg.reports import services
from kartlegg.reports.models import Report, ReportStatus

APPROVED_YEAR, DRAFT_YEAR = 2023, 2024


class Command(BaseCommand):
    help = "Bygger demorapportene: 2023 godkjent, 2024 som utkast."

    def handle(self, *args: Any, **options: Any) -> None:
        years = statistics.annual_rounds()
        analyst = User.objects.filter(username="analytiker").first()
        if APPROVED_YEAR in years and not Report.objects.filter(year=APPROVED_YEAR, status=ReportStatus.APPROVED):
            self.stdout.write(f"Bygger rapporten for {APPROVED_YEAR} …")
            stored = services.build_report(APPROVED_YEAR, user=analyst)
            if analyst is not None:
                services.change_status(stored, "submit", analyst)
                stored = services.change_status(stored, "approve", analyst)
            services.pdf_of(stored)
            services.xlsx_of(stored)
        if DRAFT_YEAR in years:
            self.stdout.write(f"Bygger utkastet for {DRAFT_YEAR} …")
            services.build_report(DRAFT_YEAR, user=analyst)
        self.stdout.write(self.style.SUCCESS("Demorapportene er bygd: se /rapporter/."))
