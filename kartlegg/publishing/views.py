"""The public pages: the list (/publikasjoner/, by topic and year), one publication (its newest public version, or
a version at its own address), its files, topic pages, and the e-mail notice sign-up. Every view reaches a
publication through services.get_publication_for_user, so nothing under embargo shows before its time."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from kartlegg.publishing import rules, services
from kartlegg.publishing.models import Kind, Topic
from kartlegg.publishing.services import pages, subscriptions, topics
from kartlegg.reports import services as reports


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    topic_slug = request.GET.get("tema", "")[:80]
    year_text = request.GET.get("ar", "")[:4]
    found = services.visible_publications(request.user)
    errors = []
    if topic_slug:
        if not Topic.objects.filter(slug=topic_slug).exists():
            errors.append(_("tema: fant ikke temaet «%(slug)s».") % {"slug": topic_slug})
        found = found.filter(topics__slug=topic_slug)
    if year_text:
        if not year_text.isdigit():
            errors.append(_("ar: «%(year)s» er ikke et årstall.") % {"year": year_text})
        else:
            found = found.filter(publish_at__year=int(year_text))
    shown = services.newest_versions(found.prefetch_related("topics"))
    years = sorted({p.publish_at.year for p in services.public_publications() if p.publish_at}, reverse=True)
    context = {"publications": shown, "topics": Topic.objects.all(), "years": years, "topic": topic_slug,
               "year": year_text, "errors": errors, "can_edit": services.can_preview(request.user)}  # fmt: skip
    return render(request, "publishing/index.html", context, status=400 if errors else 200)


def _detail(request: HttpRequest, slug: str, version: int | None) -> HttpResponse:
    publication = services.get_publication_for_user(request.user, slug, version)
    context = {"page": pages.page(publication, request.user), "analyst": services.access.is_analyst(request.user),
               "can_publish": services.can_publish(request.user)}  # fmt: skip
    return render(request, "publishing/detail.html", context)


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _detail(request, slug, None)


@require_GET
def version(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    return _detail(request, slug, version)


def _report_file(request: HttpRequest, slug: str, number: int, kind: str) -> HttpResponse:
    publication = services.get_publication_for_user(request.user, slug, number)
    if publication.kind != Kind.REPORT or publication.report is None or not publication.report.document:
        raise Http404("Publikasjonen har ingen rapportfil.")
    stored = publication.report
    content = reports.pdf_of(stored) if kind == "pdf" else reports.xlsx_of(stored)
    types = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    response = HttpResponse(content, content_type=types[kind])
    name = f"{publication.slug}-v{publication.version}.{kind}"
    response["Content-Disposition"] = f'{"inline" if kind == "pdf" else "attachment"}; filename="{name}"'
    if not publication.is_public():
        response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def pdf(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    return _report_file(request, slug, version, "pdf")


@require_GET
def xlsx(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    return _report_file(request, slug, version, "xlsx")


@require_GET
def topic(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(Topic, slug=slug)
    shown = topics.topic_publications(found)
    context = {"topic": found, "body": rules.render_markdown(found.body), "publications": shown,
               "figures": topics.key_figures(found), "updated": topics.last_updated(found, shown),
               "analyst": services.access.is_analyst(request.user)}  # fmt: skip
    return render(request, "publishing/topic.html", context)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.get("tema", request.GET.get("tema", ""))[:80]
    errors: list[str] = []
    context = {"topics": Topic.objects.all(), "chosen": chosen, "errors": errors, "sent": False}
    if request.method == "POST":
        topic_obj = Topic.objects.filter(slug=chosen).first() if chosen else None
        if chosen and topic_obj is None:
            errors.append(_("tema: fant ikke temaet «%(slug)s».") % {"slug": chosen})
        else:
            try:
                subscriptions.subscribe(request.POST.get("email", ""), topic_obj, get_language() or "nb")
                context["sent"] = True
            except services.PublishingError as error:
                errors.append(str(error))
    return render(request, "publishing/subscribe.html", context, status=400 if errors else 200)


@require_GET
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = subscriptions.confirm(token)
    if subscriber is None:
        raise Http404("Ukjent eller avsluttet abonnement.")
    return render(request, "publishing/message.html", {"title": _("Varsel bekreftet"), "subscriber": subscriber,
                                                       "confirmed": True})  # fmt: skip


@csrf_exempt  # one-click unsubscribe (RFC 8058): mail clients POST without a session; the token is the secret
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        done = subscriptions.unsubscribe(token)
        return render(request, "publishing/message.html", {"title": _("Varsel avsluttet"), "done": done})
    subscriber = subscriptions.by_token(token)
    if subscriber is None:
        return render(request, "publishing/message.html", {"title": _("Varsel avsluttet"), "done": False})
    return render(request, "publishing/message.html", {"title": _("Avslutt varsel"), "subscriber": subscriber,
                                                       "token": token})  # fmt: skip
