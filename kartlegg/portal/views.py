"""The start page, the contact page and the error pages (403/404/500 in the site's layout)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.http import require_GET

from . import services


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"start": services.start_page(request.user)})


@require_GET
def contact(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/contact.html", {"contact_email": settings.KARTLEGG_CONTACT_EMAIL})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The exception's text is shown only when it is one of ours (a sentence for the user), never Django's default.
    message = str(exception) if exception and str(exception) not in ("", "Forbidden") else ""
    return render(request, "403.html", {"message": message}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the failure may be in one of them. The template needs only static and i18n.
    return HttpResponse(loader.render_to_string("500.html"), status=500)
