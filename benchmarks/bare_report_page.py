"""The bare view benchmarks/report.py compares the stored report page with: the same page's bytes, read once from
the database when the server starts, returned by a Django view with no middleware, no permission check, no
conditional request, nothing else. The difference is the cost of the full stack around the stored page.

Served by gunicorn as `benchmarks.bare_report_page:application` with the app's settings (KARTLEGG_BENCH_REPORT names
the report); never part of the app itself.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartlegg.settings")

from django.conf import settings  # noqa: E402 - the settings module must be named first

settings.ROOT_URLCONF = __name__
settings.MIDDLEWARE = []

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

application = get_wsgi_application()

from kartlegg.reports.models import Report  # noqa: E402 - apps are ready only after the line above

PAGE = Report.objects.values_list("html", flat=True).get(pk=int(os.environ["KARTLEGG_BENCH_REPORT"])).encode()


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok")


urlpatterns = [path("bare/", page), path("api/v1/openapi.json", health)]
