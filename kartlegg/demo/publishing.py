"""The demo's publishing step: four topic pages, the 2023 report published under its topics (written by
«analytiker», approved by a second analyst, «redaktor», who has the publishing permission), the 2024 report
scheduled for tomorrow at 08:00 (under embargo: invisible to the public on every surface until then, together
with the 2024 statistics), and a short note on the pulse survey. Idempotent: what exists is left as it is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Permission
from django.utils import timezone

from kartlegg.accounts.models import User
from kartlegg.demo.users import DEMO_PASSWORD
from kartlegg.publishing import services
from kartlegg.publishing.models import Publication, Topic
from kartlegg.publishing.services import topics as topic_services
from kartlegg.reports import services as reports
from kartlegg.reports.models import Report, ReportStatus

TOPICS = [
    ("arsverk", "Årsverk", "arsverk_totalt arsverk_voksne arsverk_barn_og_unge",
     "Hvor mange årsverk kommunene bruker på psykisk helse- og rusarbeid, for voksne og for barn og unge, og "
     "hvordan det har utviklet seg siden 2017.\n\nTallene er **Syntetiske demodata**, kalibrert til de "
     "publiserte nasjonale totalene.\n\n- Årsverk per 10 000 innbyggere gjør kommunene sammenlignbare\n"
     "- Se alle tallene i [statistikkbanken](/statistikk/)"),
    ("kompetanse", "Kompetanse", "",
     "Hvilken utdanning de ansatte har, og hvor mange som har videreutdanning i psykisk helsearbeid eller rus."),
    ("barn-og-unge", "Barn og unge", "arsverk_barn_og_unge",
     "Tjenester til barn og unge: helsestasjon og skolehelsetjeneste, psykologer i kommunen og samarbeid med "
     "spesialisthelsetjenesten."),
    ("korona", "Korona", "",
     "Koronakrisen og psykisk helsearbeid: pulsundersøkelsene våren 2020 om tilbud som stengte, åpnet igjen og "
     "bekymringen for sårbare grupper."),
]  # fmt: skip
SECOND_ANALYST = "redaktor"
# How setup_demo lists this login beside DEMO_USERS (it is made here, since it needs the publishing permission).
SECOND_ANALYST_ROLE = "Analytiker med publiseringsrett: godkjenner og publiserer"


def _second_analyst(first: User) -> User:
    user = User.objects.filter(username=SECOND_ANALYST).first()
    if user is None:
        user = User.objects.create_user(SECOND_ANALYST, role=first.role, first_name="Rita", last_name="Redaktør")
    user.set_password(DEMO_PASSWORD)
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="publish_publication"))
    return User.objects.get(pk=user.pk)


def _approved_report(year: int, author: User, approver: User) -> Report | None:
    report = Report.objects.filter(year=year, language="nb", status=ReportStatus.APPROVED).order_by("-pk").first()
    if report is not None:
        return report
    draft = Report.objects.filter(year=year, language="nb", status=ReportStatus.DRAFT).order_by("-pk").first()
    if draft is None or not draft.document:
        return None
    reports.change_status(draft, "submit", author)
    return reports.change_status(draft, "approve", approver)


def publish_demo_publications(
    write: Callable[[str], Any] = print, published_year: int = 2023, scheduled_year: int = 2024
) -> None:
    author = User.objects.filter(username="analytiker").first()
    if author is None:
        return
    editor = _second_analyst(author)
    for slug, title, figures, body in TOPICS:
        if not Topic.objects.filter(slug=slug).exists():
            topic_services.save_topic(author, title=title, body=body, key_figures=figures, slug=slug,
                                      order=len(Topic.objects.all()))  # fmt: skip
    done = []
    if not Publication.objects.filter(year=published_year).exists():
        report = _approved_report(published_year, author, editor)
        if report is not None:
            publication = services.create_from_report(report, user=author, topics=["arsverk", "kompetanse",
                                                                                   "barn-og-unge"])  # fmt: skip
            services.submit(publication, author)
            services.approve(publication, editor)
            services.publish_now(publication, editor)
            done.append(f"{published_year}-rapporten publisert")
    if not Publication.objects.filter(year=scheduled_year).exists():
        report = _approved_report(scheduled_year, author, editor)
        if report is not None:
            publication = services.create_from_report(report, user=author, topics=["arsverk", "barn-og-unge"])
            services.submit(publication, author)
            services.approve(publication, editor)
            tomorrow = timezone.localtime() + dt.timedelta(days=1)
            services.schedule(publication, tomorrow.replace(hour=8, minute=0, second=0, microsecond=0), editor)
            done.append(f"{scheduled_year}-rapporten planlagt til i morgen kl. 08.00 (under embargo)")
    if not Publication.objects.filter(slug="pulsundersokelsen-varen-2020").exists():
        note = services.create_publication(
            user=author, kind="note", title="Pulsundersøkelsen våren 2020", slug="pulsundersokelsen-varen-2020",
            summary="Kommunene meldte om tilbud som stengte i mars og gradvis åpnet igjen utover våren.",
            body="Notatet oppsummerer pulsundersøkelsene våren 2020 (Syntetiske demodata).", topics=["korona"],
            year=2020,
        )  # fmt: skip
        services.submit(note, author)
        services.approve(note, editor)
        services.publish_now(note, editor)
        done.append("notat om pulsundersøkelsen publisert")
    if done:
        write("Publisering: " + "; ".join(done) + ". Se /publikasjoner/.")
