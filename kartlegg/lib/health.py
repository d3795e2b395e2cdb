"""/healthz for load balancers and monitoring: is the database answering (and, once there is one, the worker)?

No authentication and no personal data: it says ok or what is down, with the time each check took. 200 when the
process can serve, 503 when it cannot. Never cached.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def database_status() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the class name says which, without secrets
        return {"ok": False, "error": type(exc).__name__, "ms": _ms(started)}
    return {"ok": True, "vendor": connection.vendor, "ms": _ms(started)}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_status()}
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)
