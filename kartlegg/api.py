"""The one public JSON API, /api/v1/. Each app contributes a router; OpenAPI is served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kartlegg.analytics.api import PARAMETERS as STATISTICS_PARAMETERS
from kartlegg.analytics.api import router as analytics_router
from kartlegg.geography.api import router as geography_router
from kartlegg.publishing.api import router as publishing_router
from kartlegg.pulse.api import router as pulse_router
from kartlegg.quality.api import router as quality_router
from kartlegg.responses.api import router as responses_router
from kartlegg.surveys.api import router as surveys_router


class LocalSwagger(Swagger):
    """Swagger UI from our own static files (vendored from npm by frontend/build.mjs), never from a CDN: the docs
    work without internet, and the page has no inline script."""

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(request, "api/swagger.html", {"swagger_settings": settings, "api": api, "add_csrf": True})


class KartleggAPI(NinjaAPI):
    """The API whose OpenAPI document also states the strict query parameters that the views check by hand (enums and
    patterns, kartlegg.analytics.api_params), so the document says what the server enforces."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path, item in schema.get("paths", {}).items():
            extra = OPENAPI_PARAMETERS.get(path.removeprefix("/api/v1"), {})
            for operation in item.values():
                for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                    if parameter.get("in") == "query" and parameter.get("name") in extra:
                        parameter["schema"] = {**parameter.get("schema", {}), **extra[parameter["name"]]}
                        for key in ("anyOf", "minimum", "maximum"):
                            parameter["schema"].pop(key, None)
                        parameter["schema"]["type"] = "string"
                # Any operation with parameters can answer 400 (validation_error below names the parameter).
                if isinstance(operation, dict) and (operation.get("parameters") or operation.get("requestBody")):
                    responses = operation.setdefault("responses", {})
                    if 400 not in responses and "400" not in responses:
                        responses[400] = BAD_REQUEST
        return schema


BAD_REQUEST = {
    "description": "A parameter or the body is not valid; the error names it.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "details": {"type": "array", "items": {"type": "object"}}},
                "required": ["error"],
            }
        }
    },
}
# Query parameters whose OpenAPI schema is stricter than their Python type, by path under /api/v1.
YEAR = {"year": {"pattern": "^[0-9]{4}$"}}
OPENAPI_PARAMETERS = {"/statistics/{variable}": STATISTICS_PARAMETERS, "/municipalities": YEAR, "/units": YEAR}

api = KartleggAPI(
    title="kartlegg API",
    version="1",
    description="Open API for kartlegg: reference geography, questionnaires, responses and statistics.",
    urls_namespace="api",
    docs_url="/docs",
    docs=LocalSwagger(),
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
api.add_router("/", pulse_router)
api.add_router("/", publishing_router)
