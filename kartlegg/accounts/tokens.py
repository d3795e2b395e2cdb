"""API tokens for machine clients, and the authentication classes that every API router uses."""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from kartlegg.lib.rawrows import Columns

from .models import ApiToken, User

TOKEN_PREFIX = "kl_"  # noqa: S105 - a visible prefix, not a secret


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_token(user: Any, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with the plain key, which is never stored and cannot be shown again."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=_hash(key))
    return token, key


# token hash → (monotonic expiry, the user). A busy client sends a request every few seconds; reading the token and
# its user from the database for each one was a tenth of a save. Entries live KARTLEGG_TOKEN_CACHE_SECONDS; saving
# or deleting any token or user in this process empties the cache (accounts.signals), and other processes see a
# revoked token or a deactivated user within those seconds. Only valid tokens are kept: a bad key is always read.
_CACHE: dict[str, tuple[float, Any]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 10_000


def forget_tokens() -> None:
    """Empty this process's token cache (a token or a user changed)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _fresh_copy(user: Any) -> Any:
    """A copy of the cached user for one request: attributes set on it (the unit codes a request reads, related
    objects) stay with that request."""
    clone = copy.copy(user)
    clone._state = copy.copy(user._state)
    clone._state.fields_cache = {}
    return clone


def user_for_token(key: str) -> Any | None:
    if not key or len(key) > 200:
        return None
    digest = _hash(key)
    seconds = float(getattr(settings, "KARTLEGG_TOKEN_CACHE_SECONDS", 30))
    now_mono = time.monotonic()
    with _CACHE_LOCK:
        hit = _CACHE.get(digest)
    if hit is not None and hit[0] > now_mono:
        return _fresh_copy(hit[1])
    found = _read_token(digest)
    if found is None or not found[2].is_active:
        with _CACHE_LOCK:
            _CACHE.pop(digest, None)
        return None
    token_id, last_used, user = found
    # Touch last_used at most once a minute, so a busy client does not write on every call.
    now = timezone.now()
    if last_used is None or (now - last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token_id).update(last_used=now)
    if seconds > 0:
        with _CACHE_LOCK:
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.clear()
            _CACHE[digest] = (now_mono + seconds, _fresh_copy(user))
    return user


# The token look-up as one hand-written statement (lib.rawrows): each app process reads every client's token once
# per KARTLEGG_TOKEN_CACHE_SECONDS, and compiling the ORM's select_related query cost more than running it.
_TOKEN_SQL: dict[str, tuple[str, Columns, Columns]] = {}


def _token_sql() -> tuple[str, Columns, Columns]:
    vendor = connection.vendor
    if vendor not in _TOKEN_SQL:
        q = connection.ops.quote_name
        token = Columns.of(ApiToken, "t", ["id", "last_used"])
        user = Columns.of(User, "u")
        sql = (
            f"SELECT {', '.join(token.sql + user.sql)} FROM {q(ApiToken._meta.db_table)} t"  # noqa: S608 - names from the models
            f" JOIN {q(User._meta.db_table)} u ON u.{q('id')} = t.{q('user_id')}"
            f" WHERE t.{q('key_hash')} = %s AND t.{q('revoked')} = %s"
        )
        _TOKEN_SQL[vendor] = (sql, token, user)
    return _TOKEN_SQL[vendor]


def _read_token(digest: str) -> tuple[int, Any, Any] | None:
    """(token id, last used, its user) of the unrevoked token with this hash, or None."""
    sql, token_columns, user_columns = _token_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest, False])
        row = cursor.fetchone()
    if row is None:
        return None
    token = token_columns.build(row)
    return token.pk, token.last_used, user_columns.build(row, len(token_columns.names))


class TokenAuth(HttpBearer):
    """`Authorization: Bearer kl_…`. Sets request.user so the one permission check works the same as for sessions."""

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
            request.auth_channel = "api"  # type: ignore[attr-defined]
        return user


class LoggedInSession(SessionAuth):
    """A browser session, with CSRF on unsafe methods. The CSRF check applies only when a session logs the caller
    in: a request with neither a token nor a session is simply unauthenticated (401), not a CSRF failure (403)."""

    def __call__(self, request: HttpRequest) -> Any | None:
        user = getattr(request, "user", None)
        if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF check Failed")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        user = super().authenticate(request, key)
        if user is None or isinstance(user, AnonymousUser):
            return None
        return user


def api_user(request: HttpRequest) -> Any:
    """The caller of a public endpoint (one that answers anonymous callers too): a bearer token's user, else the
    session's, else anonymous. A bearer token that is not valid is a 401, never a silent fall-back to anonymous."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        user = user_for_token(header[7:].strip())
        if user is None:
            raise HttpError(401, "Ugyldig API-nøkkel.")
        request.user = user
        request.auth_channel = "api"  # type: ignore[attr-defined]
        return user
    return getattr(request, "user", None) or AnonymousUser()


# Use as `auth=API_AUTH` on routers and operations that need a logged-in caller.
API_AUTH = [TokenAuth(), LoggedInSession()]
