"""Building, storing and reviewing reports. `build_report` reads a year's aggregates (sources), computes the document
(compute, pure), carries analysts' edits over from the year's draft, renders the HTML and stores it all; PDF and
XLSX are rendered on request (or by the command) and kept until the document changes. Only analysts see drafts and
reviews and change anything; the public sees approved reports of published years."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from kartlegg.accounts.permissions import require_analyst
from kartlegg.reports.compute import compute_report
from kartlegg.reports.document import Block, Paragraph, Report, mark_stale_edits, target_paragraph
from kartlegg.reports.models import BuildState, ReportStatus
from kartlegg.reports.models import Report as StoredReport
from kartlegg.reports.render_html import render_html
from kartlegg.reports.sources import ReportError, read_inputs

Progress = Callable[[int, str], None]  # per cent, what
LANGUAGES = ("nb", "nn", "en")
MAX_PARAGRAPH = 5_000


@functools.cache
def code_version() -> str:
    """`git describe` of the checkout, else the package version."""
    root = Path(settings.BASE_DIR)
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments
            ["git", "describe", "--always", "--tags", "--dirty"],  # noqa: S607
            cwd=root, capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        from importlib.metadata import version

        return version("kartlegg")
    except Exception:  # noqa: BLE001 - not installed as a package
        return "ukjent"


def document_of(stored: StoredReport) -> Report:
    return Report.from_dict(stored.document)


def build_report(
    year: int,
    data_version: str | None = None,
    language: str = "nb",
    user: Any = None,
    progress: Progress | None = None,
    stored: StoredReport | None = None,
) -> StoredReport:
    """Build the year's report. An existing draft (or the given record) is rebuilt in place, keeping its analysts'
    paragraphs (flagged when the figures they cite changed); a report in review or approved is never touched: the
    build makes a new draft."""
    if language not in LANGUAGES:
        raise ReportError(f"language: ukjent språk {language!r}; gyldige er {', '.join(LANGUAGES)}.")
    step = progress or (lambda _pct, _what: None)
    step(2, "Leser aggregatene")
    inputs = read_inputs(
        year, data_version, progress=lambda done, total, what: step(2 + int(58 * done / max(total, 1)), what)
    )
    step(60, "Beregner rapporten")
    document = compute_report(inputs, language, progress=lambda name: step(62, f"Kapittel: {name}"))
    if stored is None:
        stored = (
            StoredReport.objects.filter(year=year, language=language, status=ReportStatus.DRAFT)
            .order_by("-created_at")
            .first()
        )
    stale: list[str] = []
    if stored is not None and stored.document:
        stale = mark_stale_edits(document, document_of(stored))
    step(70, "Lager HTML")
    html = main_html(document, code_version())
    with transaction.atomic():
        if stored is None:
            stored = StoredReport(year=year, language=language, created_by=user if _real(user) else None)
        stored.status = ReportStatus.DRAFT
        stored.data_version = document.data_version
        stored.structure = document.structure
        stored.rule = document.rule
        stored.questionnaire_versions = document.questionnaire_versions
        stored.code_version = code_version()
        stored.document = document.to_dict()
        stored.html = html
        stored.pdf = None
        stored.xlsx = None
        stored.stale_paragraphs = stale
        stored.built_at = timezone.now()
        stored.build_state = BuildState.DONE
        stored.progress = 100
        stored.progress_text = ""
        stored.build_error = ""
        stored.save()
    step(100, "Ferdig")
    return stored


PART_LINKS = {"appendix_url": "vedlegg/", "profiles_url": "profiler/"}  # relative to /rapporter/<pk>/


def main_html(document: Report, version: str, **extra: Any) -> str:
    """The stored web page: the main chapters, with links to the appendix and profile pages."""
    return render_html(document, extra={"code_version": version, **PART_LINKS, **extra})


def _real(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def pdf_of(stored: StoredReport) -> bytes:
    if stored.pdf:
        return bytes(stored.pdf)
    from kartlegg.reports.render_pdf import render_pdf

    content = render_pdf(document_of(stored), code_version=stored.code_version)
    StoredReport.objects.filter(pk=stored.pk).update(pdf=content)
    stored.pdf = content
    return content


def xlsx_of(stored: StoredReport) -> bytes:
    if stored.xlsx:
        return bytes(stored.xlsx)
    from kartlegg.reports.render_xlsx import render_xlsx

    content = render_xlsx(document_of(stored))
    StoredReport.objects.filter(pk=stored.pk).update(xlsx=content)
    stored.xlsx = content
    return content


# Filters an app above adds to what the public sees (the publishing app keeps a report that belongs to a publication
# under embargo hidden until its time); each takes and returns a queryset of reports. Registered in AppConfig.ready().
PUBLIC_FILTERS: list[Callable[[Any], Any]] = []


def visible_reports(user: Any) -> Any:
    """Analysts: every report. Everyone else: approved reports of published years (less what PUBLIC_FILTERS hide)."""
    if _real(user) and user.is_analyst:
        return StoredReport.objects.all()
    from kartlegg.analytics.services.access import published_years

    found = StoredReport.objects.filter(status=ReportStatus.APPROVED, year__in=sorted(published_years()))
    for public_filter in PUBLIC_FILTERS:
        found = public_filter(found)
    return found


HEAVY_FIELDS = ("document", "html", "pdf", "xlsx")


def get_report_for_user(user: Any, pk: int, *, light: bool = False) -> StoredReport:
    """The one way a view reaches a report: a report the user may not see is a 404 (its existence is not told).
    `light` leaves the document, page and files in the database until they are used (the served page needs the
    page's fingerprint only, to answer 304 Not Modified)."""
    reports = visible_reports(user)
    found = (reports.defer(*HEAVY_FIELDS) if light else reports).filter(pk=pk).first()
    if found is None:
        raise Http404("Fant ikke rapporten.")
    return found


TRANSITIONS = {
    "submit": (ReportStatus.DRAFT, ReportStatus.REVIEW),
    "approve": (ReportStatus.REVIEW, ReportStatus.APPROVED),
    "reopen": (ReportStatus.REVIEW, ReportStatus.DRAFT),
}


def change_status(stored: StoredReport, action: str, user: Any) -> StoredReport:
    require_analyst(user)
    if action not in TRANSITIONS:
        raise ReportError(f"action: ukjent handling {action[:20]!r}; gyldige er {', '.join(TRANSITIONS)}.")
    before, after = TRANSITIONS[action]
    with transaction.atomic():
        locked = StoredReport.objects.select_for_update().get(pk=stored.pk)
        if locked.status != before:
            raise ReportError(
                f"action: rapporten har status «{locked.get_status_display()}»; «{action}» krever "
                f"«{ReportStatus(before).label}»."
            )
        if action == "approve" and locked.stale_paragraphs:
            raise ReportError("action: redigerte avsnitt siterer tall som er endret; rediger dem før godkjenning.")
        locked.status = after
        now = timezone.now()
        if action == "submit":
            locked.submitted_by, locked.submitted_at = user, now
        elif action == "approve":
            locked.approved_by, locked.approved_at = user, now
        locked.save()
    return locked


def edit_paragraph(stored: StoredReport, paragraph_id: str, text: str, user: Any, add_after: bool = False) -> str:
    """Replace a paragraph's text (or add a new paragraph after it) in a draft. Returns the edited paragraph's id."""
    require_analyst(user)
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ReportError("text: skriv en tekst (avsnittet kan ikke være tomt).")
    if len(text) > MAX_PARAGRAPH:
        raise ReportError(f"text: teksten er for lang (høyst {MAX_PARAGRAPH} tegn).")
    with transaction.atomic():
        locked = StoredReport.objects.select_for_update().get(pk=stored.pk)
        if locked.status != ReportStatus.DRAFT:
            raise PermissionDenied("Bare utkast kan redigeres.")
        document = document_of(locked)
        stamp = timezone.localtime().strftime("%d.%m.%Y %H:%M")
        who = user.get_full_name() or user.username
        for chapter in document.chapters:
            original = target_paragraph(chapter, paragraph_id)
            if original is None:
                continue
            if add_after:
                new_id = f"{paragraph_id}.lagt-til-{len(chapter.blocks)}"
                added = Paragraph(new_id, text, [], "", True, who, stamp)
                index = next(i for i, b in enumerate(chapter.blocks) if b.paragraph is original)
                chapter.blocks.insert(index + 1, Block(paragraph=added))
                edited_id = new_id
            else:
                original.text, original.edited, original.edited_by, original.edited_at = text, True, who, stamp
                original.stale = False
                edited_id = paragraph_id
            break
        else:
            raise ReportError(f"paragraph: fant ikke avsnittet {paragraph_id[:60]!r}.")
        locked.document = document.to_dict()
        locked.stale_paragraphs = [p for p in locked.stale_paragraphs if p != edited_id]
        locked.html = main_html(document, locked.code_version)
        locked.pdf = None
        locked.xlsx = None
        locked.save()
    return edited_id
