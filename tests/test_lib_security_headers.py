"""Security headers and cookies (issue 18): a Content-Security-Policy without 'unsafe-inline', HSTS behind https,
Referrer-Policy, Permissions-Policy, Secure/HttpOnly/SameSite cookies; no template carries inline script, style or
event handlers; `check --deploy` is clean under production settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.factories import PASSWORD, make_respondent

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/konto/logg-inn/", "/skjema/", "/api/v1/docs", "/healthz", "/api/v1/geography/years"]


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_carries_the_security_headers(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (200, 404), path
    csp = _directives(response["Content-Security-Policy"])
    for name in ("default-src", "script-src", "style-src"):
        assert "'self'" in csp[name]
        assert "'unsafe-inline'" not in csp[name]
        assert "'unsafe-eval'" not in csp[name]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response  # plain http: no HSTS


def test_a_nonce_in_a_template_is_in_the_policy(rf) -> None:  # type: ignore[no-untyped-def]
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.template import engines

    request = rf.get("/")
    middleware = CSPMiddleware(lambda r: HttpResponse(""))
    middleware.process_request(request)
    html = (
        engines["django"].from_string('<script nonce="{{ request.csp_nonce }}"></script>').render({"request": request})
    )
    nonce = re.search(r'nonce="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    response = middleware.process_response(request, HttpResponse(html))
    assert f"'nonce-{nonce}'" in _directives(response["Content-Security-Policy"])["script-src"]


@override_settings(
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_SSL_REDIRECT=True,
    SECURE_REDIRECT_EXEMPT=[r"^healthz$"],
)
def test_hsts_and_redirect_behind_https(client: Client) -> None:
    secure = client.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    plain = client.get("/")
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200  # the load balancer's check over plain http


@override_settings(
    SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True, LANGUAGE_COOKIE_SECURE=True, SECURE_COOKIES=True
)
def test_cookies_are_secure_httponly_and_samesite(client: Client) -> None:
    user = make_respondent("0301")
    client.get("/konto/logg-inn/")
    response = client.post(
        "/konto/logg-inn/", {"username": user.username, "password": PASSWORD}, HTTP_X_FORWARDED_PROTO="https"
    )
    assert response.status_code == 302
    response = client.post("/i18n/setlang/", {"language": "nn", "next": "/"})
    cookies = client.cookies
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME):
        morsel = cookies[name]
        assert morsel["secure"], name
        assert morsel["httponly"], name
        assert morsel["samesite"] == "Lax", name


def test_production_defaults_for_cookies_come_from_debug() -> None:
    # Tests switch Secure off (plain http test client); the settings module turns it on whenever DEBUG is off.
    source = (ROOT / "kartlegg" / "settings.py").read_text(encoding="utf-8")
    assert 'SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)' in source
    for name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE"):
        assert f"{name} = SECURE_COOKIES" in source


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on* handler"),
    (re.compile(r"\shx-on", re.I), "hx-on handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def _templates() -> list[Path]:
    found = sorted((ROOT / "kartlegg").rglob("templates/**/*.html"))
    assert len(found) > 20
    return found


def test_no_template_has_inline_script_style_or_handlers() -> None:
    problems = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text[: match.start()].count("\n") + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not problems, "\n".join(problems)


def test_swagger_page_uses_only_static_scripts(client: Client) -> None:
    html = client.get("/api/v1/docs").content.decode()
    assert "cdn.jsdelivr.net" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts), scripts


def test_check_deploy_is_clean_under_production_settings() -> None:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "production-like-key-" + "q7" * 30,
        "BEHIND_TLS_PROXY": "1",
        "ALLOWED_HOSTS": "kartlegg.example.no",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # The browser tests of the same session allow sync calls inside Playwright's loop; a deployment never does.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # Without SECRET_KEY the same check fails and the web process does not load.
    env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "kartlegg.E001" in result.stderr + result.stdout
    result = subprocess.run(
        [sys.executable, "-c", "import kartlegg.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
