"""Admin: the check settings per questionnaire version can be edited (validated); the rest is for looking."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import ChangeLogEntry, DataVersion, Flag, QAConfig, Query


@admin.register(QAConfig)
class QAConfigAdmin(admin.ModelAdmin):
    list_display = ["version", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request: Any, obj: QAConfig, form: Any, change: bool) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Flag)
class FlagAdmin(ReadOnly):
    list_display = ["round", "unit", "check_name", "rule", "variable", "severity", "state", "impact"]
    list_filter = ["check_name", "state", "severity"]
    search_fields = ["unit__code", "unit__name", "variable", "explanation"]


@admin.register(Query)
class QueryAdmin(ReadOnly):
    list_display = ["round", "unit", "sent_by", "sent_at", "answered_at"]


@admin.register(DataVersion)
class DataVersionAdmin(ReadOnly):
    list_display = ["round", "number", "created_at", "created_by", "units", "checksum"]


@admin.register(ChangeLogEntry)
class ChangeLogAdmin(ReadOnly):
    list_display = ["version", "unit_code", "variable", "old_value", "new_value", "user", "at"]
