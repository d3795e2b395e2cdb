"""Log-in, lock-out after repeated failures, roles, the one permission check, audit log and API tokens."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from kartlegg.accounts.models import AuditEvent, Channel, audit
from kartlegg.accounts.permissions import Access, can_access_unit, check_unit_access, require_analyst, unit_filter
from kartlegg.accounts.tokens import TokenAuth, create_token, user_for_token

from .factories import PASSWORD, make_analyst, make_respondent, make_reviewer

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_and_logout() -> None:
    user = make_respondent("4601")
    client = Client()
    response = login(client, user.username)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_wrong_password_names_the_problem() -> None:
    user = make_respondent("4601")
    response = login(Client(), user.username, "feil-passord")
    assert response.status_code == 200
    assert "_auth_user_id" not in response.client.session
    assert "passord" in response.content.decode().lower()


def test_lockout_after_repeated_failures() -> None:
    user = make_respondent("4601")
    client = Client()
    for _ in range(5):
        login(client, user.username, "feil")
    # The sixth try is refused even with the right password.
    response = login(client, user.username)
    assert response.status_code == 429
    assert "For mange" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_page_has_csrf_protection() -> None:
    user = make_respondent("4601")
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("who", "unit", "county", "access", "allowed"),
    [
        ("analyst", "4601", "46", Access.EDIT, True),
        ("respondent", "4601", "46", Access.EDIT, True),
        ("respondent", "4602", "46", Access.VIEW, False),
        ("respondent", "030101", "03", Access.VIEW, False),
        ("reviewer46", "4601", "46", Access.VIEW, True),
        ("reviewer46", "4601", "46", Access.EDIT, False),
        ("reviewer46", "0301", "03", Access.VIEW, False),
        ("anonymous", "4601", "46", Access.VIEW, False),
    ],
)
def test_permission_matrix(who: str, unit: str, county: str, access: Access, allowed: bool) -> None:
    from django.contrib.auth.models import AnonymousUser

    users = {
        "analyst": make_analyst,
        "respondent": lambda: make_respondent("4601"),
        "reviewer46": lambda: make_reviewer("46"),
        "anonymous": AnonymousUser,
    }
    user = users[who]()
    assert can_access_unit(user, unit, county, access) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied):
            check_unit_access(user, unit, county, access)


@pytest.mark.parametrize("access", [Access.VIEW, Access.EDIT])
def test_unit_filter_lets_through_exactly_the_units_that_can_access_unit_allows(access: Access) -> None:
    """The queryset form of the rule agrees with the one-unit form, unit by unit, for every kind of user."""
    from django.contrib.auth.models import AnonymousUser

    from kartlegg.accounts.models import Role
    from kartlegg.geography.models import ReportingUnit

    from .factories import make_user

    units = ReportingUnit.objects.filter(year=2024)
    pairs = list(units.values_list("code", "county_code"))
    users = {
        "analyst": make_analyst(),
        "respondent": make_respondent("4601", "030101"),
        "reviewer": make_reviewer("46"),
        "reviewer without county": make_user(Role.REVIEWER),
        "inactive analyst": make_analyst(is_active=False),
        "anonymous": AnonymousUser(),
    }
    seen = {}
    for name, user in users.items():
        allowed = {code for code, county in pairs if can_access_unit(user, code, county, access)}
        seen[name] = set(units.filter(unit_filter(user, access, prefix="")).values_list("code", flat=True))
        assert seen[name] == allowed, name
    assert len(seen["analyst"]) == len(pairs) > 300
    assert seen["respondent"] == {"4601", "030101"}
    assert len(seen["reviewer"]) == (0 if access is Access.EDIT else len({c for c, county in pairs if county == "46"}))
    assert seen["reviewer without county"] == seen["inactive analyst"] == seen["anonymous"] == set()


def test_inactive_analyst_has_no_access() -> None:
    user = make_analyst(is_active=False)
    assert not can_access_unit(user, "4601", "46")
    with pytest.raises(PermissionDenied):
        require_analyst(user)


def test_audit_records_old_and_new_values() -> None:
    user = make_analyst()
    event = audit("answer.changed", user=user, channel=Channel.FORM, unit_code="4601", variable="B.x", old=None, new=2)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.user, stored.channel, stored.old_value, stored.new_value) == (user, "form", None, "2")


def test_audit_log_cannot_be_edited_in_admin() -> None:
    user = make_analyst(is_staff=True, is_superuser=True)
    event = audit("answer.changed", user=user, unit_code="4601", old="1", new="2")
    client = Client()
    client.force_login(user)
    url = reverse("admin:accounts_auditevent_change", args=[event.pk])
    response = client.post(url, {"old_value": "forfalsket"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).old_value == "1"


def test_api_token_authenticates_only_its_user() -> None:
    user = make_respondent("4601")
    token, key = create_token(user, "fagsystem")
    assert key.startswith("kl_") and token.key_hash != key
    assert user_for_token(key) == user
    assert user_for_token(key + "x") is None
    assert user_for_token("") is None
    request = RequestFactory().get("/api/v1/x", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert TokenAuth()(request) == user
    assert request.user == user
    token.revoked = True
    token.save()
    assert user_for_token(key) is None


def test_create_api_token_command_rejects_unknown_user(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CommandError, match="username"):
        call_command("create_api_token", "finnes-ikke", "test")
    user = make_analyst()
    call_command("create_api_token", user.username, "eksport")
    key = capsys.readouterr().out.strip()
    assert user_for_token(key) == user
