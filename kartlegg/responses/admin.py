"""Admin for collection. Answers are read-only here: every change to a value goes through services.save_values so
that it is parsed, validated and audited; the admin is for looking, and for fixing a round's dates."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import Answer, Invitation, ReminderLog, Response, Round


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "version", "opens_at", "deadline", "closes_at", "locked_at"]
    list_filter = ["year"]
    fields = ["name", "version", "year", "opens_at", "deadline", "closes_at", "locked_at", "created_by"]
    readonly_fields = ["version", "year", "created_by"]

    # A round is opened on its own page, which also creates a response per unit.
    def has_add_permission(self, request: Any) -> bool:
        return False


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    can_delete = False
    fields = ("variable", "value_text", "comment", "version", "updated_at", "updated_by")
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    list_display = ["unit", "round", "status", "version", "submitted_at"]
    list_filter = ["round", "status"]
    search_fields = ["unit__code", "unit__name"]
    inlines = [AnswerInline]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "unit", "round", "kind", "sent_at", "used_at", "expires_at"]
    list_filter = ["round", "kind"]
    search_fields = ["email", "unit__code"]
    exclude = ["token_hash"]


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnlyAdmin):
    list_display = ["day", "round", "unit", "kind", "recipients", "sent_by"]
    list_filter = ["round", "kind", "day"]
