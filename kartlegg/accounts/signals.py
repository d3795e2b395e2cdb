"""Keeping the API token cache (accounts.tokens) honest: a token or a user saved or deleted in this process empties
it, so a revoked token or a deactivated user is refused at once here (other processes within seconds)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from .models import ApiToken, User
from .tokens import forget_tokens


def _changed(sender: Any, **kwargs: Any) -> None:
    forget_tokens()


def connect() -> None:
    for model in (ApiToken, User):
        post_save.connect(_changed, sender=model, dispatch_uid=f"accounts.forget_tokens.save.{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"accounts.forget_tokens.delete.{model.__name__}")
