"""The one public JSON API, /api/v1/. Each app contributes a router; OpenAPI is served at /api/v1/openapi.json."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kartlegg.analytics.api import router as analytics_router
from kartlegg.geography.api import router as geography_router
from kartlegg.quality.api import router as quality_router
from kartlegg.responses.api import router as responses_router
from kartlegg.surveys.api import router as surveys_router

api = NinjaAPI(
    title="kartlegg API",
    version="1",
    description="Open API for kartlegg: reference geography, questionnaires, responses and statistics.",
    urls_namespace="api",
    docs_url="/docs",
)


def _describe(error: dict) -> str:
    loc = [str(part) for part in error.get("loc", []) if part not in ("query", "body", "path")]
    field = ".".join(loc) or "request"
    return f"{field}: {error.get('msg', 'invalid value')}"


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Bad parameters are the client's fault: answer 400 and name each field, never 422 or 500.
    messages = [_describe(e) for e in exc.errors]
    return api.create_response(request, {"error": "; ".join(messages), "details": exc.errors}, status=400)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"error": str(exc.message)}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"error": "Authentication required"}, status=401)


api.add_router("/", geography_router)
api.add_router("/", surveys_router)
api.add_router("/", responses_router)
api.add_router("/", quality_router)
api.add_router("/", analytics_router)
