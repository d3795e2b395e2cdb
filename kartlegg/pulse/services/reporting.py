"""The quick report of a closed wave: read the series up to the wave (answers submitted before it closed), compute
the trends, build the document (quickreport, pure), render it through the report machinery (reports.render_html,
reports.render_pdf) and store it as a draft, or publish it at once when the series says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from kartlegg.accounts.models import Channel, audit
from kartlegg.accounts.permissions import require_analyst
from kartlegg.freetext.models import Codebook, Coding
from kartlegg.freetext.services.summary import summary_for
from kartlegg.lib.numbers import format_number
from kartlegg.lib.pdf import html_to_pdf
from kartlegg.publishing import services as publishing
from kartlegg.publishing.models import Kind, Publication, Status
from kartlegg.reports.document import Report
from kartlegg.reports.render_html import render_html
from kartlegg.reports.render_pdf import html_document, report_css
from kartlegg.reports.services import code_version

from .. import quickreport, trends
from ..models import QuickReport, ReportState, Wave
from .data import read_series

Step = Callable[[str], None]
# The annual report's print CSS puts the cover, the contents and every chapter on pages of their own; a quick
# report runs on, so that it stays within one to three pages.
QUICK_CSS = """
.report-cover, .report-toc { page-break-after: auto; }
.report-toc { display: none; }
.report-title { margin-top: 0; font-size: 18pt; }
.chapter-title { page-break-before: auto; font-size: 13pt; margin-top: 6mm; }
.report-figure svg { max-height: 52mm; }
.report-figure { margin: 2mm 0; }
.report-table th, .report-table td { padding: 0.6mm 1.2mm; }
.report-meta { display: none; }
html { font-size: 9pt; }
"""


def free_text_parts(wave: Wave) -> list[quickreport.FreeTextPart]:
    """The summary of each codebook whose questions are in the wave's questionnaire and has codes for its answers."""
    if wave.round is None:
        return []
    codes = set(wave.series.version.definition().questions)
    parts = []
    for book in Codebook.objects.order_by("pk"):
        if not codes & set(book.questions or []):
            continue
        if not Coding.objects.filter(codebook=book, answer__response__round=wave.round).exists():
            continue
        summary = summary_for(book, wave.round)
        if summary.denominator:
            parts.append(quickreport.FreeTextPart(summary.question, summary.bullets(), summary.denominator_text))
    return parts


def quick_inputs(wave: Wave) -> quickreport.QuickInputs:
    series = wave.series
    data = read_series(series, up_to=wave, on_time_only=True)
    computed = [trends.question_trend(q, data.waves, data.answers) for q in data.questions]
    now = data.counts[-1]
    before = data.counts[-2] if len(data.counts) > 1 else None
    previous = trends.response_rate(before.submitted - before.late, before.total) if before else None
    submitted = now.submitted - now.late  # answers after closing are not in the report
    late = ""
    if series.late_answers == "accept":
        late = (
            "Serien tar imot svar etter at målingen er stengt; de er merket som sene og er ikke med i denne rapporten."
        )
    return quickreport.QuickInputs(
        series=series.name,
        wave=data.waves[-1],
        year=timezone.localtime(wave.opens_at).year,
        submitted=submitted,
        total=now.total,
        previous_rate=previous,
        trends=computed,
        late_note=late,
        free_text=free_text_parts(wave),
        questionnaire=series.version.label,
        demo=bool(settings.KARTLEGG_DEMO_MODE),
    )


def render_quick_html(document: Report, svgs: dict[str, str] | None = None) -> str:
    return render_html(document, svgs=svgs, extra={"code_version": code_version()})


def render_quick_pdf(document: Report, svgs: dict[str, str] | None = None) -> bytes:
    """The PDF; `svgs` shares the charts already rendered for the HTML (vl-convert is the slow part)."""
    body = render_html(document, for_pdf=True, svgs=svgs, extra={"code_version": code_version()})
    return html_to_pdf(html_document(body, document), report_css(document) + QUICK_CSS)


def build_quick_report(wave: Wave, step: Step | None = None) -> QuickReport:
    """Build (or rebuild) the wave's quick report and hand it to the publishing workflow: a draft publication that
    waits for an analyst, or published at once when the series says so."""
    step = step or (lambda _what: None)
    step("Leser svarene")
    inputs = quick_inputs(wave)
    step("Beregner endringene")
    document = quickreport.quick_report(inputs)
    step("Lager HTML")
    svgs: dict[str, str] = {}
    html = render_quick_html(document, svgs)
    step("Lager PDF")
    pdf = render_quick_pdf(document, svgs)
    with transaction.atomic():
        stored, _created = QuickReport.objects.select_for_update().get_or_create(wave=wave)
        stored.document = document.to_dict()
        stored.html = html
        stored.pdf = pdf
        stored.error = ""
        stored.built_at = timezone.now()
        if stored.state != ReportState.PUBLISHED:
            stored.state = ReportState.DRAFT
        if stored.publication is None:
            stored.publication = new_publication(stored, wave, document)
        stored.save()
        audit("pulse.report_built", channel=Channel.SYSTEM, obj=stored, wave=wave.pk, submitted=inputs.submitted)
        if wave.series.publish_at_once and stored.state != ReportState.PUBLISHED:
            publish_at_once(stored)
    return stored


def _creator(wave: Wave) -> Any:
    user = wave.series.created_by
    return user if user is not None and getattr(user, "is_analyst", False) and user.is_active else None


def new_publication(stored: QuickReport, wave: Wave, document: Report) -> Publication:
    """A draft note in the publishing workflow that links to the quick report's page and PDF; written by the analyst
    who started the series (or the system, when that analyst is gone)."""
    if stored.pk is None:
        stored.save()
    findings = [p.text for c in document.chapters if c.id == "hovedfunn" for p in c.paragraphs]
    summary = " ".join(findings[:2]) or document.title
    body = "\n\n".join(findings)
    links = [
        {"title": "Hurtigrapporten", "url": reverse("pulse:report", args=[stored.pk])},
        {"title": "Hurtigrapporten som PDF", "url": reverse("pulse:report_pdf", args=[stored.pk])},
    ]
    return publishing.create_publication(
        user=_creator(wave), kind=Kind.NOTE, title=document.title[:200], summary=summary[:2000], body=body,
        links=links, sources="kartlegg, pulsundersøkelse til kommunene og Oslos bydeler", language=document.language,
    )  # fmt: skip


def publish_at_once(stored: QuickReport) -> QuickReport:
    """The series' standing decision: submit, approve and publish the publication as the system (publishing
    records it as automatic)."""
    assert stored.publication is not None
    publication = stored.publication
    if publication.status == Status.DRAFT:
        publication = publishing.submit(publication, None)
    if publication.status == Status.REVIEW:
        publication = publishing.approve(publication, None)
    if publication.status in (Status.APPROVED, Status.SCHEDULED):
        publication = publishing.publish_now(publication, None)
    stored.publication = publication
    stored.state = ReportState.PUBLISHED
    stored.published_at = timezone.now()
    stored.save(update_fields=["publication", "state", "published_at"])
    audit("pulse.report_published", channel=Channel.SYSTEM, obj=stored, automatic=True, publication=publication.pk)
    return stored


def submit_for_review(stored: QuickReport, user: Any) -> QuickReport:
    """An analyst sends the draft publication on to review; approving and publishing follow in the publishing
    workflow (another analyst approves when KARTLEGG_PUBLISH_FOUR_EYES is on)."""
    require_analyst(user)
    with transaction.atomic():
        locked = QuickReport.objects.select_for_update().get(pk=stored.pk)
        if locked.state != ReportState.DRAFT or locked.publication is None:
            raise ValueError("Bare et ferdig utkast kan sendes til godkjenning.")
        publishing.submit(locked.publication, user)
        audit("pulse.report_submitted", user=user, channel=Channel.FORM, obj=locked)
    return locked


def is_public(stored: QuickReport) -> bool:
    return stored.state == ReportState.PUBLISHED or (
        stored.publication_id is not None and publishing.public_publications().filter(pk=stored.publication_id).exists()
    )


def visible_reports(user: Any) -> QuerySet[QuickReport]:
    """Analysts: every quick report. Everyone else: published ones."""
    reports = QuickReport.objects.select_related("wave__series", "publication")
    if getattr(user, "is_authenticated", False) and user.is_analyst:
        return reports
    public = publishing.public_publications().values("pk")
    return reports.filter(Q(state=ReportState.PUBLISHED) | Q(publication__in=public))


def get_report_for_user(user: Any, pk: int) -> QuickReport:
    found = visible_reports(user).filter(pk=pk).first()
    if found is None:
        raise Http404("Fant ikke hurtigrapporten.")
    return found


def size_text(stored: QuickReport) -> str:
    return f"{format_number(len(stored.pdf or b'') / 1024, 0)} kB"
