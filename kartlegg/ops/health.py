"""/healthz for load balancers and monitoring: is the database answering, and is a task worker beating?

No authentication and no personal data: it says ok or what is down, with the time each check took. The status is
200 when this web process can serve (its database answers) and 503 when it cannot, so a load balancer takes only a
broken app server out. The worker's heartbeat is reported beside it; `/healthz?worker=1` (for monitoring) answers
503 also when no worker has beaten within six heartbeats. Never cached.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import worker


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


def worker_heartbeat() -> dict[str, Any]:
    try:
        return worker.worker_status()
    except Exception as exc:  # the database is down: reported there
        return {"ok": False, "error": type(exc).__name__}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_status()
    workers = worker_heartbeat() if database["ok"] else {"ok": False, "error": "database"}
    required = [database, workers] if request.GET.get("worker") == "1" else [database]
    ok = all(check["ok"] for check in required)
    return JsonResponse(
        {"status": "ok" if ok else "error", "database": database, "worker": workers}, status=200 if ok else 503
    )
