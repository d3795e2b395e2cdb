from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kartlegg.accounts.models import User
from kartlegg.accounts.tokens import create_token


class Command(BaseCommand):
    help = "Creates an API token for a user and prints it once (it cannot be shown again)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("name", help="What the token is for, e.g. 'fagsystem Bergen'")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"username: no active user named {username!r}")
        if not name.strip():
            raise CommandError("name: give the token a name that says what it is for")
        _, key = create_token(user, name.strip()[:100])
        self.stdout.write(key)
