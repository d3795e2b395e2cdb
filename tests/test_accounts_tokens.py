"""The API token look-up (accounts.tokens): one statement on a miss, and the per-process cache of a valid token's
user, whose bound is KARTLEGG_TOKEN_CACHE_SECONDS for changes made by another process."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kartlegg.accounts import tokens
from kartlegg.accounts.models import ApiToken, User
from kartlegg.accounts.tokens import create_token, forget_tokens, user_for_token
from tests.factories import make_analyst, make_respondent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    forget_tokens()
    yield
    forget_tokens()


def _delete_without_signals(token: ApiToken) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ApiToken._meta.db_table} WHERE id = %s", [token.pk])  # noqa: S608


class Clock:
    """time.monotonic as the token cache reads it, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1_000.0
        monkeypatch.setattr(tokens.time, "monotonic", lambda: self.now)


def test_a_miss_reads_the_same_user_as_the_orm(settings: Any) -> None:
    settings.KARTLEGG_TOKEN_CACHE_SECONDS = 0
    user = make_respondent("4601", first_name="Åse", last_name="Ørnes")
    _token, key = create_token(user, "fagsystem")
    found = user_for_token(key)
    fresh = User.objects.get(pk=user.pk)
    assert isinstance(found, User) and found.pk == user.pk
    for field in User._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(fresh, field.attname), field.name
    assert found.unit_codes() == {"4601"}


@pytest.mark.parametrize("key", ["", "kl_", "kl_finnes-ikke", "x" * 201, "kl_" + "æ" * 40, "' OR 1=1 --"])
def test_bad_keys_find_nobody(key: str) -> None:
    make_respondent("4601")
    assert user_for_token(key) is None


def test_last_used_is_touched_at_most_once_a_minute() -> None:
    token, key = create_token(make_analyst(), "fagsystem")
    assert user_for_token(key) is not None
    first = ApiToken.objects.get(pk=token.pk).last_used
    assert first is not None
    forget_tokens()
    assert user_for_token(key) is not None
    assert ApiToken.objects.get(pk=token.pk).last_used == first  # within the minute: not written again
    ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now() - dt.timedelta(minutes=2))
    forget_tokens()
    assert user_for_token(key) is not None
    assert ApiToken.objects.get(pk=token.pk).last_used > first


def test_revoking_in_this_process_takes_effect_at_once() -> None:
    token, key = create_token(make_respondent("4601"), "fagsystem")
    assert user_for_token(key) is not None  # cached now
    token.revoked = True
    token.save()  # post_save empties this process's cache
    assert user_for_token(key) is None


@pytest.mark.parametrize(
    "change",
    [
        lambda token: ApiToken.objects.filter(pk=token.pk).update(revoked=True),
        lambda token: _delete_without_signals(token),
        lambda token: User.objects.filter(pk=token.user_id).update(is_active=False),
    ],
    ids=["revoked", "deleted", "user-deactivated"],
)
def test_another_process_revoking_takes_effect_within_the_cache_seconds(
    change: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change made by another process sends no signal here: a queryset update stands in for it. The cached user
    is kept for at most KARTLEGG_TOKEN_CACHE_SECONDS, then the token is refused."""
    settings.KARTLEGG_TOKEN_CACHE_SECONDS = 30
    clock = Clock(monkeypatch)
    token, key = create_token(make_respondent("4601"), "fagsystem")
    assert user_for_token(key) is not None
    change(token)
    clock.now += 29.9
    assert user_for_token(key) is not None  # still within the bound
    clock.now += 0.2
    assert user_for_token(key) is None
    assert user_for_token(key) is None  # and a refused token is not cached


def test_without_a_cache_every_request_reads_the_token(settings: Any) -> None:
    settings.KARTLEGG_TOKEN_CACHE_SECONDS = 0
    token, key = create_token(make_respondent("4601"), "fagsystem")
    assert user_for_token(key) is not None
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    assert user_for_token(key) is None


def test_each_request_gets_its_own_copy_of_the_cached_user() -> None:
    _token, key = create_token(make_respondent("4601"), "fagsystem")
    first = user_for_token(key)
    assert first.unit_codes() == {"4601"}
    first.marker = "one request"
    second = user_for_token(key)
    assert second is not first and second.pk == first.pk
    assert not hasattr(second, "marker")
    assert getattr(second, "_unit_codes_cache", None) is None  # the units are read again for each request
