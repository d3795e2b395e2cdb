"""API tokens for machine clients, and the authentication classes that every API router uses."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken

TOKEN_PREFIX = "kl_"  # noqa: S105 - a visible prefix, not a secret


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_token(user: Any, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with the plain key, which is never stored and cannot be shown again."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=_hash(key))
    return token, key


def user_for_token(key: str) -> Any | None:
    if not key or len(key) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(key), revoked=False).first()
    if token is None or not token.user.is_active:
        return None
    # Touch last_used at most once a minute, so a busy client does not write on every call.
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user


class TokenAuth(HttpBearer):
    """`Authorization: Bearer kl_…`. Sets request.user so the one permission check works the same as for sessions."""

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
            request.auth_channel = "api"  # type: ignore[attr-defined]
        return user


class LoggedInSession(SessionAuth):
    """A browser session (with CSRF on unsafe methods, as Django Ninja's SessionAuth does)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        user = super().authenticate(request, key)
        if user is None or isinstance(user, AnonymousUser):
            return None
        return user


# Use as `auth=API_AUTH` on routers and operations that need a logged-in caller.
API_AUTH = [TokenAuth(), LoggedInSession()]
