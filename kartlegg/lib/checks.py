"""System checks of the deployment, and the refusal to serve with the repository's development key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

INSECURE_KEY_MESSAGE = (
    "SECRET_KEY is not set and DEBUG is off: the repository's development key would sign sessions and links, so "
    "anyone could forge them. Set SECRET_KEY in the environment (see docs/deployment.md)."
)


def uses_development_key() -> bool:
    return getattr(settings, "DEVELOPMENT_SECRET_KEY", None) == settings.SECRET_KEY


def refuse_insecure_start() -> None:
    """Called by kartlegg/wsgi.py before the application loads: no web process with the known key."""
    if not settings.DEBUG and uses_development_key():
        raise ImproperlyConfigured(INSECURE_KEY_MESSAGE)


@register(Tags.security, deploy=True)
def check_secret_key(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if uses_development_key():
        return [Error(INSECURE_KEY_MESSAGE, id="kartlegg.E001")]
    return []


@register(Tags.security, deploy=True)
def check_content_security_policy(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    directives = policy.get("DIRECTIVES", {})
    errors = []
    if not directives:
        errors.append(Error("CONTENT_SECURITY_POLICY has no directives.", id="kartlegg.E002"))
    for name, values in directives.items():
        if isinstance(values, list | tuple) and any(v in ("'unsafe-inline'", "'unsafe-eval'") for v in values):
            errors.append(
                Error(f"Content-Security-Policy {name} allows unsafe inline code or eval.", id="kartlegg.E003")
            )
    return errors
