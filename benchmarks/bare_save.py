"""The bare view deadline_load.py compares the full stack with: the same PUT path, the same upsert and audit insert
(kartlegg.responses.writes), in one transaction with the response row locked, and nothing else: no middleware,
no token check, no permission check, no parsing of values, no validation, no comparison with stored values.

Served by gunicorn as `benchmarks.bare_save:application` with the app's settings; never part of the app itself.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartlegg.settings")

from django.conf import settings  # noqa: E402 - the settings module must be named first

settings.ROOT_URLCONF = __name__
settings.MIDDLEWARE = []

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import transaction  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402

application = get_wsgi_application()

from kartlegg.accounts.models import AuditEvent  # noqa: E402 - apps are ready only after the line above
from kartlegg.responses import writes  # noqa: E402
from kartlegg.responses.models import Answer, Response  # noqa: E402


def response_view(request: HttpRequest, round_id: int, unit_code: str) -> HttpResponse:
    found = Response.objects.filter(round_id=round_id, unit__code=unit_code).values_list("pk", "version").first()
    if found is None:
        return JsonResponse({"error": "not found"}, status=404)
    pk, version = found
    if request.method != "PUT":
        return JsonResponse({"version": version})
    values: dict[str, Any] = json.loads(request.body)["values"]
    now = timezone.now()
    with transaction.atomic():
        version = Response.objects.select_for_update().values_list("version", flat=True).get(pk=pk) + 1
        answers = [
            Answer(
                response_id=pk,
                variable=code,
                value_text=str(value),
                value_num=Decimal(str(value)).quantize(Decimal("0.000001")),
                version=version,
                updated_at=now,
            )
            for code, value in values.items()
        ]
        writes.upsert_answers(answers)
        events = [
            AuditEvent(
                action="answer.changed",
                channel="api",
                object_type="responses.response",
                object_id=str(pk),
                unit_code=unit_code,
                variable=code,
                new_value=str(value),
                detail={"round": round_id},
            )
            for code, value in values.items()
        ]
        writes.insert_audit(events, now)
        Response.objects.filter(pk=pk).update(version=version, updated_at=now)
    return JsonResponse({"version": version})


urlpatterns = [path("api/v1/rounds/<int:round_id>/units/<str:unit_code>/response", response_view)]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A plain 404 (the site's page needs the middleware this app leaves out); the start-up probe asks for one."""
    return JsonResponse({"error": "not found"}, status=404)
