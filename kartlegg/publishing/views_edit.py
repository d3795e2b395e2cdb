"""The analysts' side: the editorial page (/publikasjoner/redaksjon/: every publication and its status, new ones
from a report or as a note, re-issue offers after a data correction), editing a draft, the workflow buttons,
topic pages with a Markdown preview. Thin: each view parses the form and calls one service."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from kartlegg.accounts.permissions import require_analyst
from kartlegg.jobs import services as jobs
from kartlegg.publishing import rules, services, tasks
from kartlegg.publishing.models import Publication, Topic
from kartlegg.publishing.services import reissue
from kartlegg.publishing.services import topics as topic_services
from kartlegg.reports.models import Report
from kartlegg.reports.services import get_report_for_user

ACTIONS = ("submit", "approve", "reopen", "schedule", "unschedule", "publish", "correct")


@require_http_methods(["GET"])
def manage(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    everything = Publication.objects.select_related("report").prefetch_related("topics").order_by("slug", "-version")
    context = {"publications": list(everything), "reports": Report.objects.order_by("-year", "-created_at")[:20],
               "topics": Topic.objects.all(), "offers": reissue.offers(),
               "can_publish": services.can_publish(request.user), "four_eyes": services.four_eyes()}  # fmt: skip
    return render(request, "publishing/manage.html", context)


@require_POST
def create(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    topics = request.POST.getlist("topics")
    try:
        if request.POST.get("kind") == "report":
            raw = request.POST.get("report", "")
            if not raw.isdigit():
                raise services.PublishingError("report: velg en rapport.")
            report = get_report_for_user(request.user, int(raw))
            created = services.create_from_report(report, user=request.user, topics=topics,
                                                  title=request.POST.get("title", ""),
                                                  summary=request.POST.get("summary", ""))  # fmt: skip
        else:
            year = request.POST.get("year", "").strip()
            if year and not (year.isdigit() and len(year) == 4):
                raise services.PublishingError(f"year: {year[:10]!r} er ikke et årstall.")
            created = services.create_publication(
                user=request.user, kind="note", title=request.POST.get("title", ""),
                summary=request.POST.get("summary", ""), body=request.POST.get("body", ""), topics=topics,
                year=int(year) if year else None,
            )  # fmt: skip
    except services.PublishingError as error:
        messages.error(request, str(error))
        return redirect("publishing:manage")
    return redirect("publishing:edit", slug=created.slug, version=created.version)


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    require_analyst(request.user)
    publication = services.get_publication_for_user(request.user, slug, version)
    if request.method == "POST":
        fields = {name: request.POST.get(name, "") for name in ("title", "summary", "body", "sources")}
        if publication.previous_id:
            fields["correction_note"] = request.POST.get("correction_note", "")
        try:
            services.update(publication, request.user, topics=request.POST.getlist("topics"), **fields)
            messages.success(request, "Lagret.")
            return redirect("publishing:version", slug=slug, version=version)
        except services.PublishingError as error:
            messages.error(request, str(error))
    return render(
        request,
        "publishing/edit.html",
        {
            "publication": publication,
            "topics": Topic.objects.all(),
            "chosen": set(publication.topics.values_list("pk", flat=True)),
        },
    )


def _moment(text: str) -> dt.datetime:
    """A datetime-local value ("2026-12-06T08:00") in the site's time zone."""
    try:
        naive = dt.datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise services.PublishingError(
            f"publish_at: {text[:30]!r} er ikke dato og klokkeslett (ÅÅÅÅ-MM-DDTTT:MM)."
        ) from error
    return timezone.make_aware(naive) if timezone.is_naive(naive) else naive


@require_POST
def status(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    require_analyst(request.user)
    publication = services.get_publication_for_user(request.user, slug, version)
    action = request.POST.get("action", "")[:20]
    user = request.user
    try:
        if action == "submit":
            services.submit(publication, user)
        elif action == "approve":
            services.approve(publication, user)
        elif action == "reopen":
            services.reopen(publication, user)
        elif action == "schedule":
            services.schedule(publication, _moment(request.POST.get("publish_at", "")), user)
        elif action == "unschedule":
            services.unschedule(publication, user)
        elif action == "publish":
            services.publish_now(publication, user)
        elif action == "correct":
            new = services.correct(publication, user, request.POST.get("correction_note", ""))
            return redirect("publishing:edit", slug=new.slug, version=new.version)
        else:
            raise services.PublishingError(f"action: ukjent handling {action!r}; gyldige er {', '.join(ACTIONS)}.")
    except (services.PublishingError, PermissionDenied) as error:
        messages.error(request, str(error))
    return redirect("publishing:version", slug=slug, version=version)


@require_POST
def reissue_view(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    require_analyst(request.user)
    publication = services.get_publication_for_user(request.user, slug, version)
    offer = next((o for o in reissue.offers() if o.publication.pk == publication.pk), None)
    if offer is None:
        messages.error(request, "Det finnes ingen nyere dataversjon å bygge rapporten på.")
        return redirect("publishing:manage")
    page = reverse("publishing:manage")
    job = jobs.start(tasks.reissue_job, user=request.user, key=f"publishing:reissue:{publication.pk}", url=page,
                     detail=publication.title, publication_id=publication.pk, user_id=request.user.pk,
                     data_version=offer.newest_version)  # fmt: skip
    return redirect(jobs.with_job(page, job))


@require_http_methods(["GET", "POST"])
def topic_edit(request: HttpRequest, slug: str = "") -> HttpResponse:
    require_analyst(request.user)
    topic = get_object_or_404(Topic, slug=slug) if slug else None
    form = {"title": topic.title if topic else "", "body": topic.body if topic else "",
            "key_figures": " ".join(topic.key_figures) if topic else "", "slug": slug}  # fmt: skip
    if request.method == "POST":
        form = {name: request.POST.get(name, "") for name in ("title", "body", "key_figures", "slug")}
        try:
            saved = topic_services.save_topic(
                request.user, title=form["title"], body=form["body"], key_figures=form["key_figures"],
                slug=form["slug"], topic=topic,
            )  # fmt: skip
            return redirect("publishing:topic", slug=saved.slug)
        except services.PublishingError as error:
            messages.error(request, str(error))
    return render(
        request,
        "publishing/topic_edit.html",
        {"topic": topic, "form": form, "preview": rules.render_markdown(form["body"])},
    )


@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The Markdown as it will show (sanitised), for the editor's preview (htmx)."""
    require_analyst(request.user)
    return render(request, "publishing/_preview.html", {"preview": rules.render_markdown(request.POST.get("body", ""))})
