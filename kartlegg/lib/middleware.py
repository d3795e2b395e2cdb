"""Middleware of the whole site that belongs to no app."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Bodies up to this size are read to the end and discarded when a view answered without reading them (a 413, a 401
# before the body mattered): a plain HTTP client that is still sending then sees the status instead of a reset
# connection. Anything larger is cut off; in production nginx refuses it first (deploy/nginx-kartlegg.conf).
DRAIN_LIMIT = 32 * 1024 * 1024
CHUNK = 256 * 1024


class DrainRequestBodyMiddleware:
    """Read what is left of the request body after the view has answered.

    Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE without reading it. A WSGI server that then closes the
    connection with unread bytes in the socket makes the kernel answer with a reset, so the client gets a broken pipe
    and never reads the 413. Draining (bounded by DRAIN_LIMIT) fixes that. Put it first in MIDDLEWARE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        drain(request)
        return response


def drain(request: HttpRequest) -> int:
    """Read and discard the unread rest of the body (at most DRAIN_LIMIT bytes); returns the bytes read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
    if length <= 0 or length > DRAIN_LIMIT or getattr(request, "_read_started", False) and hasattr(request, "_body"):
        return 0
    stream = getattr(request, "_stream", None)
    if stream is None:
        return 0
    total = 0
    try:
        while chunk := stream.read(CHUNK):
            total += len(chunk)
    except OSError:
        return total
    return total


class PermissionsPolicyMiddleware:
    """Permissions-Policy on every answer (settings.PERMISSIONS_POLICY): Django 5.2 has no setting for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        return response
