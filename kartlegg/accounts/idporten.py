"""Optional log-in through ID-porten (OpenID Connect code flow with PKCE, state and nonce), built on
mozilla-django-oidc. Off unless settings.KARTLEGG_IDPORTEN_ENABLED; docs/idporten.md describes the set-up.

The URL patterns always exist, so that switching the setting never changes the URLconf: every view answers 404 and
the backend authenticates nobody while it is off.

A person is recognised by a keyed hash of the `pid` claim (the national identity number) in User.idporten_subject;
the number itself is never stored. A person seen for the first time gets a respondent account with no units; units
come from invitations (responses.views_rounds.follow_invitation), never from the log-in.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .models import Channel, Role, User, audit

logger = logging.getLogger(__name__)

BACKEND_PATH = "kartlegg.accounts.idporten.IdportenBackend"
# ID-porten's levels of assurance, weakest first: asking for one accepts it or any stronger.
LEVELS = ("idporten-loa-substantial", "idporten-loa-high")
_PID_SHAPE = re.compile(r"^[0-9]{11}$")
# Set on the request by the backend when it refuses a person, so that the callback page can say why.
_FAILURE_ATTR = "_idporten_failure"


def enabled() -> bool:
    return bool(getattr(settings, "KARTLEGG_IDPORTEN_ENABLED", False))


def subject_for(pid: str) -> str:
    """The keyed hash stored for an identity number. Keyed, because the space of identity numbers is small enough
    that a plain hash could be reversed by trying them all."""
    key = getattr(settings, "KARTLEGG_IDPORTEN_PID_KEY", "") or settings.SECRET_KEY
    return hmac.new(key.encode("utf-8"), b"idporten-pid:" + pid.encode("ascii"), hashlib.sha256).hexdigest()


def logged_in_with_idporten(request: HttpRequest) -> bool:
    """Whether this session's user proved who they are at ID-porten (rather than with a password or a link)."""
    user: Any = getattr(request, "user", None)
    return bool(
        enabled()
        and user is not None
        and user.is_authenticated
        and request.session.get(BACKEND_SESSION_KEY) == BACKEND_PATH
    )


def login_url(next_url: str = "") -> str:
    """Where to send a browser to log in through ID-porten and then come back to `next_url` (a local path)."""
    url = reverse("accounts:idporten_login")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def accepted_levels() -> tuple[str, ...]:
    requested = getattr(settings, "OIDC_AUTH_REQUEST_EXTRA_PARAMS", {}).get("acr_values", "")
    if requested in LEVELS:
        return LEVELS[LEVELS.index(requested) :]
    return (requested,) if requested else LEVELS


class IdportenBackend(OIDCAuthenticationBackend):
    """Maps ID-porten's `pid` to an account through its keyed hash; creates a respondent on first log-in."""

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        # Only the OIDC callback passes a nonce; a password log-in (username, password) is not ours to answer.
        if not enabled() or request is None or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        if not enabled():
            return None
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def verify_token(self, token: Any, **kwargs: Any) -> Any:
        """The library checks signature, algorithm, expiry (when present) and nonce; ID-porten's guide also requires
        the issuer, the audience and the level of assurance to be checked (OIDC Core 3.1.3.7)."""
        try:
            payload = super().verify_token(token, **kwargs)
        except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
            # Expired, malformed or signed with an unknown key: all mean "do not trust this token".
            raise SuspiciousOperation(f"ID-porten token rejected: {exc.__class__.__name__}") from exc
        if "nonce" in kwargs:
            self._check_id_token(payload)
        return payload

    def _check_id_token(self, payload: dict[str, Any]) -> None:
        issuer = getattr(settings, "OIDC_OP_ISSUER", "")
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("ID-porten id_token has the wrong issuer.")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID-porten id_token is meant for another client.")
        if "exp" not in payload:
            raise SuspiciousOperation("ID-porten id_token has no expiry.")
        if payload.get("acr") not in accepted_levels():
            raise SuspiciousOperation("ID-porten id_token has too low a level of assurance.")

    def get_userinfo(self, access_token: Any, id_token: Any, payload: Any) -> dict[str, Any]:
        info = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
            # OIDC Core 5.3.2: the userinfo answer must be about the person in the id_token.
            raise SuspiciousOperation("ID-porten userinfo is about another subject.")
        if "pid" in info and "pid" in payload and info["pid"] != payload["pid"]:
            raise SuspiciousOperation("ID-porten userinfo and id_token disagree on pid.")
        # The signed id_token wins over the userinfo answer.
        return {**info, **{key: payload[key] for key in ("sub", "pid", "acr") if key in payload}}

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(_PID_SHAPE.match(str(claims.get("pid", ""))))

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return User.objects.filter(idporten_subject=subject_for(str(claims["pid"])))

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        if not user.is_active:
            setattr(self.request, _FAILURE_ATTR, "inactive")
            # The library turns this into "no user", so the callback logs nobody in.
            raise SuspiciousOperation("ID-porten log-in for an inactive account.")
        return user

    def create_user(self, claims: dict[str, Any]) -> Any:
        subject = subject_for(str(claims["pid"]))
        try:
            with transaction.atomic():
                user = User(username=self._free_username(subject), role=Role.RESPONDENT, idporten_subject=subject)
                user.set_unusable_password()
                user.save()
                audit("idporten.user_created", user=user, channel=Channel.FORM, obj=user)
        except IntegrityError:
            # The same person logged in twice at once; the other request created the account.
            return self.update_user(User.objects.get(idporten_subject=subject), claims)
        return user

    @staticmethod
    def _free_username(subject: str) -> str:
        # Derived from the hash, so it says nothing about the person and is the same on every try.
        base = f"idporten-{subject[:12]}"
        username, n = base, 1
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{base}-{n}"
        return username


def failure_page(request: HttpRequest, reason: str) -> HttpResponse:
    status = {"invalid": 400, "unavailable": 502}.get(reason, 403)
    context = {"reason": reason, "retry_url": login_url(request.session.get("oidc_login_next") or "")}
    return render(request, "accounts/idporten_failed.html", context, status=status)


class AuthenticateView(OIDCAuthenticationRequestView):
    """Sends the browser to ID-porten with state, nonce, a PKCE challenge and the level of assurance asked for."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404
        return super().get(request)

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        params = dict(super().get_extra_params(request))
        language = getattr(request, "LANGUAGE_CODE", "nb")
        if language in {"nb", "nn", "en"}:
            params.setdefault("ui_locales", language)
        return params


class CallbackView(OIDCAuthenticationCallbackView):
    """ID-porten sends the browser back here. Any failure ends on a page that says so, with nobody logged in."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            # Unknown state (a replayed or forged callback), a bad signature, a wrong nonce, and so on.
            logger.warning("ID-porten log-in refused: %s", exc)
            return failure_page(request, getattr(request, _FAILURE_ATTR, "") or "invalid")
        except requests.RequestException as exc:
            logger.warning("ID-porten did not answer as expected: %s", exc.__class__.__name__)
            return failure_page(request, "unavailable")

    def login_failure(self) -> HttpResponse:
        reason = getattr(self.request, _FAILURE_ATTR, "")
        if not reason:
            reason = "cancelled" if self.request.GET.get("error") else "invalid"
        return failure_page(self.request, reason)

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        audit("idporten.login", user=self.user, channel=Channel.FORM)
        return response

    @property
    def success_url(self) -> str:
        # Popped rather than read: the address may carry an invitation token, which should not outlive the log-in.
        next_url = self.request.session.pop("oidc_login_next", None)
        return next_url or resolve_url(settings.LOGIN_REDIRECT_URL)


def provider_logout_url(request: HttpRequest) -> str:
    """ID-porten's end-session address, so that logging out of kartlegg also ends the ID-porten session."""
    params = {"post_logout_redirect_uri": request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL))}
    id_token = request.session.get("oidc_id_token")
    if id_token:
        params["id_token_hint"] = id_token
    else:
        params["client_id"] = settings.OIDC_RP_CLIENT_ID
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{urlencode(params)}"


class LoginView(auth_views.LoginView):
    """The password log-in page, with a "Logg inn med ID-porten" button when ID-porten is on."""

    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["idporten_enabled"] = enabled()
        if enabled():
            context["idporten_url"] = login_url(self.get_redirect_url())
        return context


class LogoutView(auth_views.LogoutView):
    """Django's log-out; a person who came through ID-porten is then sent on to end the ID-porten session too."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Decided before logging out, because logging out empties the session.
        end_session = None
        if logged_in_with_idporten(request) and settings.OIDC_OP_LOGOUT_ENDPOINT:
            end_session = provider_logout_url(request)
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(end_session) if end_session else response
