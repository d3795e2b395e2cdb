"""The one settings module for kartlegg. Everything that differs between machines comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# A fixed development key stands in when SECRET_KEY is unset, so that commands and tests run on a fresh clone. With
# DEBUG off the web process refuses to start with it (kartlegg/wsgi.py, kartlegg.lib.checks) and `check --deploy`
# fails: sessions and signed links are verified by the web process, so that is where a known key could be abused.
DEVELOPMENT_SECRET_KEY = "kartlegg-insecure-development-key-change-me-0123456789abcdef"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "ninja",
    "kartlegg.lib",
    "kartlegg.accounts",
    "kartlegg.jobs",
    "kartlegg.geography",
    "kartlegg.surveys",
    "kartlegg.responses",
    "kartlegg.analytics",
    "kartlegg.quality",
    "kartlegg.freetext",
    "kartlegg.ops",
    "kartlegg.demo",
    "kartlegg.portal",
    "kartlegg.reports",
    "kartlegg.pulse",
    "kartlegg.publishing",
]

MIDDLEWARE = [
    "kartlegg.lib.middleware.DrainRequestBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "kartlegg.lib.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kartlegg.urls"
WSGI_APPLICATION = "kartlegg.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kartlegg" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kartlegg.lib.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'kartlegg.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the demo server and a management command write at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Rate-limited login: five failures lock the username+address pair for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Optional log-in for respondents through ID-porten (OpenID Connect, code flow with PKCE); off by default and not
# needed for the demo. docs/idporten.md explains every setting. The OIDC_* names are those mozilla-django-oidc reads;
# they are always defined (harmless when off) so that the views can answer 404 instead of failing on a missing name.
KARTLEGG_IDPORTEN_ENABLED = env_bool("KARTLEGG_IDPORTEN_ENABLED", False)
# Key for the hash of the national identity number; defaults to SECRET_KEY. Changing it orphans every link between
# an ID-porten person and an account, so set it explicitly before SECRET_KEY is ever rotated.
KARTLEGG_IDPORTEN_PID_KEY = os.environ.get("KARTLEGG_IDPORTEN_PID_KEY", "")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
# Production values from https://idporten.no/.well-known/openid-configuration (test environment: docs/idporten.md).
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "https://idporten.no")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "https://login.idporten.no/authorize")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "https://idporten.no/token")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "https://idporten.no/userinfo")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "https://idporten.no/jwks.json")
OIDC_OP_LOGOUT_ENDPOINT = os.environ.get("OIDC_OP_LOGOUT_ENDPOINT", "https://login.idporten.no/logout")
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid profile"
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_AUTH_REQUEST_EXTRA_PARAMS = {"acr_values": os.environ.get("OIDC_ACR_VALUES", "idporten-loa-substantial")}
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:idporten_callback"
OIDC_TOKEN_USE_BASIC_AUTH = env_bool("OIDC_TOKEN_USE_BASIC_AUTH", False)
# The id_token holds the identity number in clear text; keeping it in the session (for id_token_hint at logout)
# is therefore opt-in.
OIDC_STORE_ID_TOKEN = env_bool("OIDC_STORE_ID_TOKEN", False)
OIDC_TIMEOUT = int(os.environ.get("OIDC_TIMEOUT", "10"))
if KARTLEGG_IDPORTEN_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    # After axes (so lock-outs apply first), before ModelBackend.
    AUTHENTICATION_BACKENDS.insert(1, "kartlegg.accounts.idporten.IdportenBackend")
    if not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("KARTLEGG_IDPORTEN_ENABLED needs OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET.")

# Cookies: Secure whenever DEBUG is off (SECURE_COOKIES=0 only for plain-HTTP trials), HttpOnly (no script reads
# them: htmx and form.js take the CSRF token from the page), SameSite=Lax.
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sent on every answer by kartlegg.lib.middleware.PermissionsPolicyMiddleware: no page uses these browser features.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), "
    "interest-cohort=()"
)
# Behind a load balancer that ends TLS and sets X-Forwarded-Proto (deploy/nginx-kartlegg.conf does): redirect plain
# HTTP to HTTPS and send HSTS for a year.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # /healthz is asked by the load balancer over plain HTTP on the private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# Content-Security-Policy (django-csp 4): only this site's own files, no inline script or style except an element
# carrying the request's nonce (`nonce="{{ request.csp_nonce }}"`), no eval, no framing, no plugins.
CONTENT_SECURITY_POLICY: dict[str, Any] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
if KARTLEGG_IDPORTEN_ENABLED:
    # Log-in and log-out forms redirect to ID-porten; Chromium applies form-action to such redirects too.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += [
        "https://" + urlsplit(OIDC_OP_AUTHORIZATION_ENDPOINT).netloc,
        "https://" + urlsplit(OIDC_OP_LOGOUT_ENDPOINT).netloc,
    ]
if BEHIND_TLS_PROXY:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", "Norsk bokmål"), ("nn", "Norsk nynorsk"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True
# Numbers are formatted explicitly (lib.numbers, the nb_number filter); automatic separators would turn
# years and codes into "2 024".
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "kartlegg" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kartlegg <kartlegg@localhost>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")


def _default_reference_dir() -> Path:
    shared = BASE_DIR.parent / "shared" / "data"
    if shared.is_dir():
        return shared
    return BASE_DIR / "var" / "reference"


# The real reference data is read from here, never copied into the repository.
KARTLEGG_REFERENCE_DIR = Path(os.environ.get("KARTLEGG_REFERENCE_DIR", str(_default_reference_dir())))
# Marks every page and export as built on invented data. Off unless set: `make demo` sets it.
KARTLEGG_DEMO_MODE = env_bool("KARTLEGG_DEMO_MODE", False)
# Free-text summaries: the quantifier scale from the top, ">" strictly more than (docs/freetext.md).
KARTLEGG_FREETEXT_SCALE = os.environ.get(
    "KARTLEGG_FREETEXT_SCALE", ">=90:nesten alle;>50:de fleste;>=25:mange;>=10:flere;>=0:noen"
)
KARTLEGG_FREETEXT_NOUN = os.environ.get("KARTLEGG_FREETEXT_NOUN", "kommuner")  # "Nesten alle kommuner beskriver …"
# How long an invitation link stays valid, and on which days before the deadline reminders go out.
KARTLEGG_INVITATION_DAYS = int(os.environ.get("KARTLEGG_INVITATION_DAYS", "30"))
KARTLEGG_REMINDER_DAYS = tuple(int(x) for x in env_list("KARTLEGG_REMINDER_DAYS", "7,2,0"))
# Size groups by total population: the lower bounds of each group.
KARTLEGG_SIZE_GROUPS = [int(x) for x in env_list("KARTLEGG_SIZE_GROUPS", "0,5000,10000,20000,50000")]
# Non-response in the statistics: "carry_forward" keeps a unit's last reported årsverk, "none" leaves it out.
KARTLEGG_IMPUTATION = os.environ.get("KARTLEGG_IMPUTATION", "carry_forward")
# Where "Kontakt oss" sends users (the contact page, the footer and the error pages).
KARTLEGG_CONTACT_EMAIL = os.environ.get("KARTLEGG_CONTACT_EMAIL", "postmottak@kartlegg.example")
# Show unpublished years' statistics to everyone (the demo); otherwise only analysts see them before publication.
# Off unless set: `make demo` sets it.
KARTLEGG_STATISTICS_PREVIEW = env_bool("KARTLEGG_STATISTICS_PREVIEW", False)
# Publishing needs a second analyst's approval (not the one who wrote or submitted the publication).
KARTLEGG_PUBLISH_FOUR_EYES = env_bool("KARTLEGG_PUBLISH_FOUR_EYES", True)
# QA checks run when a response is submitted (quality/signals.py); bulk writes send no signal either way.
KARTLEGG_QA_ON_SUBMIT = env_bool("KARTLEGG_QA_ON_SUBMIT", True)
# Stored aggregates are recomputed (as a job) after a save or a new data version (analytics/services/hooks.py).
KARTLEGG_STATISTICS_RECOMPUTE_ON_SAVE = env_bool("KARTLEGG_STATISTICS_RECOMPUTE_ON_SAVE", True)

# Background jobs (kartlegg.jobs) run on django-tasks with its database backend: `manage.py db_worker` runs them.
# KARTLEGG_TASKS_BACKEND=immediate runs each job inside the request that starts it (no worker needed).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_task_backend = os.environ.get("KARTLEGG_TASKS_BACKEND", "database")
if _task_backend not in _TASK_BACKENDS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"KARTLEGG_TASKS_BACKEND={_task_backend!r}; choose one of {', '.join(_TASK_BACKENDS)}.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[_task_backend]}}
# A running job's progress also goes to the "jobs" cache, which the web server reads: a job that writes its results
# in one long transaction cannot show its progress through the database until it commits. A file cache serves one
# machine; with web servers on several machines, point KARTLEGG_JOBS_CACHE_DIR at a shared folder.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "jobs": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("KARTLEGG_JOBS_CACHE_DIR", str(BASE_DIR / "var" / "jobs")),
    },
}
# Seconds a process keeps a valid API token's user in memory (accounts.tokens); 0 reads the token on every request.
KARTLEGG_TOKEN_CACHE_SECONDS = float(os.environ.get("KARTLEGG_TOKEN_CACHE_SECONDS", "30"))
# Seconds between a task worker's heartbeats (manage.py run_worker); six missed beats and /healthz says it is down,
# and its unfinished tasks are run again by another worker.
KARTLEGG_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("KARTLEGG_WORKER_HEARTBEAT_SECONDS", "5"))
# Seconds a statistics recompute waits for more changes to the same round before it runs (they join it).
KARTLEGG_RECOMPUTE_DELAY = float(os.environ.get("KARTLEGG_RECOMPUTE_DELAY", "10"))
# Days finished background jobs are kept; the worker (run_worker) and `manage.py prune_jobs` delete older ones.
KARTLEGG_JOBS_KEEP_DAYS = int(os.environ.get("KARTLEGG_JOBS_KEEP_DAYS", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
