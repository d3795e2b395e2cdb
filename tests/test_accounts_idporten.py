"""Log-in through ID-porten (optional): the authorization request, the callback against a fake ID-porten (an RSA key
made here, served as JWKS by `responses`; nothing touches the network), failures that log nobody in, the hashed
identity number, and invitation links with the setting on and off."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.urls import reverse

from kartlegg.accounts import idporten
from kartlegg.accounts.models import AuditEvent, Role, UnitAssignment, User
from kartlegg.responses import invitations
from kartlegg.responses.models import Invitation
from tests.factories.responses import open_round, response_for

from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401
from .factories import PASSWORD, make_analyst, make_respondent

pytestmark = pytest.mark.django_db

ISSUER = "https://idporten.example"
AUTHORIZE = f"{ISSUER}/authorize"
TOKEN = f"{ISSUER}/token"
USERINFO = f"{ISSUER}/userinfo"
JWKS = f"{ISSUER}/jwks.json"
END_SESSION = f"{ISSUER}/logout"
CLIENT_ID = "kartlegg-test"
KID = "test-key-1"
PID = "01018012345"  # synthetic (month + 80), as in ID-porten's test environment
OTHER_PID = "02028054321"
# force_login would otherwise pick the first backend with get_user, which is ID-porten's while it is on.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY = _rsa_key()
WRONG_KEY = _rsa_key()


@pytest.fixture
def idporten_on(settings):  # type: ignore[no-untyped-def]
    settings.KARTLEGG_IDPORTEN_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        idporten.BACKEND_PATH,
        MODEL_BACKEND,
    ]
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "hemmelig"
    settings.OIDC_OP_ISSUER = ISSUER
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = AUTHORIZE
    settings.OIDC_OP_TOKEN_ENDPOINT = TOKEN
    settings.OIDC_OP_USER_ENDPOINT = USERINFO
    settings.OIDC_OP_JWKS_ENDPOINT = JWKS
    settings.OIDC_OP_LOGOUT_ENDPOINT = END_SESSION
    return settings


@pytest.fixture
def mock_http() -> Iterator[responses.RequestsMock]:
    # Any request not registered here fails, so no test can reach the network.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def jwks(key: rsa.RSAPrivateKey = KEY) -> dict[str, Any]:
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}


def id_token(nonce: str, pid: str = PID, /, *, key: rsa.RSAPrivateKey = KEY, **claims: Any) -> str:
    """A signed id_token as ID-porten would send it; `claims` override or (with None) remove claims."""
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": f"sub-{pid}",
        "pid": pid,
        "acr": "idporten-loa-substantial",
        "amr": ["TestID"],
        "iat": now,
        "exp": now + 120,
        "nonce": nonce,
        "locale": "nb",
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": KID})


def start(client: Client, next_url: str = "") -> dict[str, str]:
    """Open the ID-porten log-in and return the query of the authorization request it redirects to."""
    reply = client.get(idporten.login_url(next_url))
    assert reply.status_code == 302, reply.status_code
    location = reply["Location"]
    assert location.startswith(AUTHORIZE + "?"), location
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def serve(
    mock_http: responses.RequestsMock,
    token: str,
    userinfo: dict[str, Any] | None = None,
    *,
    key: rsa.RSAPrivateKey = KEY,
) -> None:
    claims = jwt.decode(token, options={"verify_signature": False})
    mock_http.add(
        responses.POST,
        TOKEN,
        json={"access_token": "access-123", "id_token": token, "token_type": "Bearer", "expires_in": 120},
    )
    info = userinfo if userinfo is not None else {"sub": claims.get("sub"), "pid": claims.get("pid")}
    mock_http.add(responses.GET, USERINFO, json=info)
    mock_http.add(responses.GET, JWKS, json=jwks(key))


def callback(client: Client, state: str, code: str = "code-abc") -> Any:
    return client.get(reverse("accounts:idporten_callback"), {"code": code, "state": state})


def log_in(client: Client, mock_http: responses.RequestsMock, pid: str = PID, next_url: str = "", **claims: Any) -> Any:
    params = start(client, next_url)
    serve(mock_http, id_token(params["nonce"], pid, **claims))
    return callback(client, params["state"])


def logged_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_authorization_request_has_pkce_state_nonce_and_level(idporten_on) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    params = start(client, "/innsamling/")
    assert params["response_type"] == "code" and params["client_id"] == CLIENT_ID
    assert params["scope"] == "openid profile"
    assert params["redirect_uri"] == "http://testserver" + reverse("accounts:idporten_callback")
    assert params["acr_values"] == "idporten-loa-substantial"
    assert params["ui_locales"] == "nb"
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32 and params["state"] != params["nonce"]
    stored = client.session["oidc_states"][params["state"]]
    assert stored["nonce"] == params["nonce"]
    verifier = stored["code_verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert params["code_challenge"] == challenge and verifier not in json.dumps(params)
    # A second start gets fresh values.
    again = start(client)
    assert again["state"] != params["state"] and again["nonce"] != params["nonce"]


def test_next_must_be_a_local_address(idporten_on) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    start(client, "https://evil.example/phish")
    assert client.session["oidc_login_next"] is None
    start(client, "/innsamling/")
    assert client.session["oidc_login_next"] == "/innsamling/"


def test_callback_logs_in_a_new_respondent_and_stores_only_a_hash(idporten_on, mock_http) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    params = start(client)
    serve(mock_http, id_token(params["nonce"]))
    reply = callback(client, params["state"], code="code-xyz")
    assert reply.status_code == 302 and reply["Location"] == reverse("home")

    user = logged_in_user(client)
    assert user is not None and user.role == Role.RESPONDENT and user.is_active
    assert not user.has_usable_password() and not UnitAssignment.objects.filter(user=user).exists()
    assert client.session["_auth_user_backend"] == idporten.BACKEND_PATH
    # Only the keyed hash is kept: not the number, and not a plain (unkeyed) hash of it.
    assert user.idporten_subject == idporten.subject_for(PID)
    assert user.idporten_subject != hashlib.sha256(PID.encode()).hexdigest()
    stored = json.dumps([list(row) for row in User.objects.filter(pk=user.pk).values_list()], default=str)
    assert PID not in stored
    audit_rows = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert PID not in audit_rows and "idporten.login" in audit_rows
    assert PID not in json.dumps(dict(client.session.items()), default=str)

    # The token request carried the code, the PKCE verifier of this log-in and the registered redirect URI.
    token_call = next(call for call in mock_http.calls if call.request.url == TOKEN)
    body = parse_qs(str(token_call.request.body))
    assert body["code"] == ["code-xyz"] and body["grant_type"] == ["authorization_code"]
    verifier = body["code_verifier"][0]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == params["code_challenge"]
    assert body["redirect_uri"] == [params["redirect_uri"]]
    userinfo_call = next(call for call in mock_http.calls if call.request.url == USERINFO)
    assert userinfo_call.request.headers["Authorization"] == "Bearer access-123"


def test_second_log_in_finds_the_same_account(idporten_on, mock_http) -> None:  # type: ignore[no-untyped-def]
    first = Client()
    assert log_in(first, mock_http).status_code == 302
    user = logged_in_user(first)
    second = Client()
    reply = log_in(second, mock_http, next_url="/innsamling/")
    assert reply.status_code == 302 and reply["Location"] == "/innsamling/"
    assert logged_in_user(second) == user
    assert User.objects.filter(idporten_subject__isnull=False).count() == 1
    # Another person gets another account.
    third = Client()
    log_in(third, mock_http, pid=OTHER_PID)
    assert logged_in_user(third) not in (None, user)


def test_the_hash_depends_on_the_key(settings) -> None:  # type: ignore[no-untyped-def]
    first = idporten.subject_for(PID)
    assert len(first) == 64 and first == idporten.subject_for(PID) and first != idporten.subject_for(OTHER_PID)
    settings.KARTLEGG_IDPORTEN_PID_KEY = "en-annen-nokkel"
    assert idporten.subject_for(PID) != first


def test_password_log_in_still_works_when_idporten_is_on(idporten_on) -> None:  # type: ignore[no-untyped-def]
    user = make_respondent("4601")
    client = Client()
    reply = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert reply.status_code == 302 and logged_in_user(client) == user


def _assert_refused(reply: Any, client: Client, status: int, text: str) -> None:
    assert reply.status_code == status, reply.status_code
    page = reply.content.decode()
    assert "Innloggingen med ID-porten mislyktes" in page and text in page
    assert logged_in_user(client) is None


def test_unknown_state_is_refused(idporten_on, mock_http) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    params = start(client)
    serve(mock_http, id_token(params["nonce"]))
    _assert_refused(callback(client, "not-the-state"), client, 400, "kunne ikke bekrefte")
    # A callback in a browser that never started a log-in is refused the same way.
    stranger = Client()
    _assert_refused(callback(stranger, params["state"]), stranger, 400, "kunne ikke bekrefte")
    assert not any(call.request.url == TOKEN for call in mock_http.calls)
    assert not User.objects.filter(idporten_subject__isnull=False).exists()


def test_a_state_works_once(idporten_on, mock_http) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    params = start(client)
    serve(mock_http, id_token(params["nonce"]))
    assert callback(client, params["state"]).status_code == 302
    client.post(reverse("accounts:logout"))
    _assert_refused(callback(client, params["state"]), client, 400, "kunne ikke bekrefte")


@pytest.mark.parametrize(
    ("problem", "claims", "key"),
    [
        ("bad signature", {}, WRONG_KEY),
        ("wrong nonce", {"nonce": "someone-elses-nonce"}, KEY),
        ("expired", {"exp": int(time.time()) - 60, "iat": int(time.time()) - 300}, KEY),
        ("no expiry", {"exp": None}, KEY),
        ("wrong issuer", {"iss": "https://evil.example"}, KEY),
        ("wrong audience", {"aud": "another-client"}, KEY),
        ("too low level", {"acr": "idporten-loa-low"}, KEY),
        ("no pid", {"pid": None}, KEY),
        ("malformed pid", {"pid": "1234"}, KEY),
    ],
)
def test_untrustworthy_tokens_log_nobody_in(idporten_on, mock_http, problem, claims, key) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    params = start(client)
    token = id_token(params["nonce"], key=key, **claims)
    serve(mock_http, token, key=KEY)
    _assert_refused(callback(client, params["state"]), client, 400, "kunne ikke bekrefte")
    assert not User.objects.filter(idporten_subject__isnull=False).exists(), problem


def test_userinfo_about_someone_else_is_refused(idporten_on, mock_http) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    params = start(client)
    serve(mock_http, id_token(params["nonce"]), userinfo={"sub": "sub-somebody-else", "pid": OTHER_PID})
    _assert_refused(callback(client, params["state"]), client, 400, "kunne ikke bekrefte")
    assert not User.objects.filter(idporten_subject__isnull=False).exists()


def test_inactive_account_is_refused(idporten_on, mock_http) -> None:  # type: ignore[no-untyped-def]
    assert log_in(Client(), mock_http).status_code == 302
    User.objects.filter(idporten_subject=idporten.subject_for(PID)).update(is_active=False)
    client = Client()
    _assert_refused(log_in(client, mock_http), client, 403, "deaktivert")


def test_cancelled_at_idporten(idporten_on) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    params = start(client)
    reply = client.get(reverse("accounts:idporten_callback"), {"error": "access_denied", "state": params["state"]})
    _assert_refused(reply, client, 403, "avbrutt")
    assert params["state"] not in client.session["oidc_states"]


def test_idporten_down_gives_a_page_not_an_error(idporten_on, mock_http) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    params = start(client)
    mock_http.add(responses.POST, TOKEN, status=503, body="nede")
    _assert_refused(callback(client, params["state"]), client, 502, "svarte ikke")


def test_log_out_also_ends_the_idporten_session(idporten_on, mock_http) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    log_in(client, mock_http)
    reply = client.post(reverse("accounts:logout"))
    assert reply.status_code == 302 and reply["Location"].startswith(END_SESSION + "?")
    query = parse_qs(urlparse(reply["Location"]).query)
    assert query["client_id"] == [CLIENT_ID] and query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert logged_in_user(client) is None
    # A password user is logged out locally only.
    other = Client()
    other.force_login(make_respondent("4601"), backend=MODEL_BACKEND)
    reply = other.post(reverse("accounts:logout"))
    assert reply.status_code == 302 and not reply["Location"].startswith(ISSUER)


@pytest.mark.browser
def test_idporten_pages_are_accessible(idporten_on, live_url, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = browser.new_page()
    page.goto(live_url + reverse("accounts:login"))
    assert page.get_by_role("link", name="Logg inn med ID-porten").is_visible()
    assert_accessible(page, "innlogging med ID-porten")
    # A callback nobody started ends on the failure page.
    page.goto(live_url + reverse("accounts:idporten_callback") + "?code=c&state=s")
    assert page.get_by_role("heading", level=1).inner_text() == "Innloggingen med ID-porten mislyktes"
    assert_accessible(page, "ID-porten-feil")


def test_off_by_default_no_button_and_no_idporten_urls(mock_http) -> None:  # type: ignore[no-untyped-def]
    page = Client().get(reverse("accounts:login"))
    assert page.status_code == 200 and "ID-porten" not in page.content.decode()
    client = Client()
    assert client.get(reverse("accounts:idporten_login")).status_code == 404
    assert client.get(reverse("accounts:idporten_callback"), {"code": "c", "state": "s"}).status_code == 404
    assert idporten.IdportenBackend().authenticate(None, nonce="n") is None
    assert len(mock_http.calls) == 0


def test_button_shown_when_on(idporten_on) -> None:  # type: ignore[no-untyped-def]
    page = Client().get(reverse("accounts:login"), {"next": "/innsamling/"}).content.decode()
    assert "Logg inn med ID-porten" in page
    assert 'href="/konto/idporten/logg-inn/?next=%2Finnsamling%2F"' in page


def test_switching_off_ends_idporten_sessions(idporten_on, mock_http) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    log_in(client, mock_http)
    assert client.get(reverse("responses:index")).status_code == 200
    idporten_on.KARTLEGG_IDPORTEN_ENABLED = False
    assert client.get(reverse("responses:index")).status_code == 302  # to the log-in page


@pytest.fixture
def invitation_link():  # type: ignore[no-untyped-def]
    round_obj = open_round(year=2024)
    unit = response_for(round_obj, "4601").unit
    invitation, token = invitations.create_invitation(round_obj, unit, "postmottak@bergen.kommune.no")
    return invitation, reverse("responses:invitation", args=[token])


def test_with_idporten_off_the_link_logs_in_as_before(invitation_link, mock_http) -> None:  # type: ignore[no-untyped-def]
    invitation, path = invitation_link
    client = Client()
    reply = client.get(path)
    assert reply.status_code == 302
    assert reply["Location"] == reverse("responses:form", args=[invitation.round_id, "4601"])
    user = logged_in_user(client)
    assert user is not None and user.email == "postmottak@bergen.kommune.no" and user.idporten_subject is None
    assert UnitAssignment.objects.filter(user=user, unit_code="4601").exists()
    assert len(mock_http.calls) == 0


def test_with_idporten_on_the_link_binds_the_person_who_logs_in(idporten_on, mock_http, invitation_link) -> None:  # type: ignore[no-untyped-def]
    invitation, path = invitation_link
    client = Client()
    reply = client.get(path)
    # The link alone logs nobody in and binds nobody: it sends the browser to ID-porten and comes back afterwards.
    assert reply.status_code == 302 and reply["Location"] == idporten.login_url(path)
    assert logged_in_user(client) is None and not UnitAssignment.objects.exists()
    params = start(client, path)
    assert client.session["oidc_login_next"] == path
    serve(mock_http, id_token(params["nonce"]))
    reply = callback(client, params["state"])
    assert reply.status_code == 302 and reply["Location"] == path
    assert "oidc_login_next" not in client.session  # the token does not outlive the log-in
    reply = client.get(path)
    form = reverse("responses:form", args=[invitation.round_id, "4601"])
    assert reply.status_code == 302 and reply["Location"] == form

    person = User.objects.get(idporten_subject=idporten.subject_for(PID))
    assert logged_in_user(client) == person
    assert list(person.unit_assignments.values_list("unit_code", flat=True)) == ["4601"]
    invitation.refresh_from_db()
    assert invitation.user == person and invitation.used_at is not None
    # The e-mail address got no account: the link bound the person, not the address.
    assert not User.objects.filter(email__iexact="postmottak@bergen.kommune.no").exists()
    assert client.get(form).status_code == 200


def test_with_idporten_on_a_password_session_is_not_enough(idporten_on, invitation_link) -> None:  # type: ignore[no-untyped-def]
    _invitation, path = invitation_link
    respondent = make_respondent()
    client = Client()
    client.force_login(respondent, backend=MODEL_BACKEND)
    reply = client.get(path)
    assert reply.status_code == 302 and reply["Location"] == idporten.login_url(path)
    assert not respondent.unit_assignments.exists()


def test_with_idporten_on_bad_links_and_analysts(idporten_on, invitation_link) -> None:  # type: ignore[no-untyped-def]
    invitation, path = invitation_link
    reply = Client().get(reverse("responses:invitation", args=["x" * 43]))
    assert reply.status_code == 404 and "Lenken virker ikke" in reply.content.decode()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=invitation.created_at)
    assert Client().get(path).status_code == 410
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=invitation.expires_at)
    analyst = make_analyst()
    client = Client()
    client.force_login(analyst, backend=MODEL_BACKEND)
    reply = client.get(path)
    assert reply.status_code == 302 and reply["Location"] == reverse(
        "responses:form", args=[invitation.round_id, "4601"]
    )
    assert not UnitAssignment.objects.exists()
