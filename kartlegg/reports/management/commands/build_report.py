"""manage.py build_report --year 2023 [--data-version v2] [--format html,pdf,xlsx] [--language nb] --out DIR"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kartlegg.reports import services
from kartlegg.reports.document import Report
from kartlegg.reports.render_html import ALL, render_html
from kartlegg.reports.render_pdf import html_document, report_css
from kartlegg.reports.sources import ReportError

FORMATS = ("html", "pdf", "xlsx")
BAR = 30


class Command(BaseCommand):
    help = "Bygger årsrapporten for et år og skriver report.html, report.pdf og report.xlsx til en mappe."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--data-version", default=None, help="f.eks. v2 (standard: aggregatenes versjon)")
        parser.add_argument("--format", default="html,pdf,xlsx", help="kommaseparert: html, pdf, xlsx")
        parser.add_argument("--language", default="nb", help="nb, nn eller en")
        parser.add_argument("--out", required=True, help="mappen filene skrives til")

    def handle(self, *args: Any, year: int, data_version: str | None, format: str, language: str, out: str,
               **options: Any) -> None:  # fmt: skip
        formats = [f.strip().lower() for f in format.split(",") if f.strip()]
        unknown = [f for f in formats if f not in FORMATS]
        if unknown or not formats:
            raise CommandError(f"--format: ukjent format {', '.join(unknown) or '(tomt)'}; gyldige er "
                               f"{', '.join(FORMATS)}.")  # fmt: skip
        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"--out: {out} finnes og er ikke en mappe.")
        folder.mkdir(parents=True, exist_ok=True)
        steps = len(formats)
        try:
            stored = services.build_report(year, data_version, language, progress=self._bar(0, 70))
        except ReportError as error:
            raise CommandError(str(error)) from None
        document = Report.from_dict(stored.document)
        done = 70
        for kind in formats:
            self._draw(done, f"Skriver report.{kind}")
            if kind == "html":
                # The file is the whole report (the site splits off the appendix and the profiles).
                whole = render_html(document, part=ALL, extra={"code_version": stored.code_version})
                # A file on its own carries its CSS (served pages never have inline styles).
                page = html_document(whole, document).replace(
                    "</head>", f"<style>{report_css(document)}</style></head>", 1
                )
                content = page.encode("utf-8")
            elif kind == "pdf":
                content = services.pdf_of(stored)
            else:
                content = services.xlsx_of(stored)
            (folder / f"report.{kind}").write_bytes(content)
            done += 30 // steps
        self._draw(100, "Ferdig")
        self.stdout.write("")
        for kind in formats:
            self.stdout.write(f"  {folder / f'report.{kind}'}")
        summary = f"Rapport {year} (id {stored.pk}, {stored.data_version}, {stored.get_status_display()}) er bygd."
        self.stdout.write(self.style.SUCCESS(summary))

    def _bar(self, start: int, end: int) -> Any:
        def progress(percent: int, what: str) -> None:
            self._draw(start + (end - start) * percent // 100, what)

        return progress

    def _draw(self, percent: int, what: str) -> None:
        filled = BAR * percent // 100
        line = f"\r[{'#' * filled}{'.' * (BAR - filled)}] {percent:3d} % {what[:40]:<40}"
        stream: Any = getattr(self.stdout, "_out", sys.stdout)
        stream.write(line)
        stream.flush()
