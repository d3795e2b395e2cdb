"""Read-mostly admin: versions are created and replaced only through import_questionnaire, so the questionnaire
and its stored YAML never disagree."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kartlegg.surveys.models import Question, QuestionnaireVersion, Section, Survey, ValidationRule


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SectionInline(ReadOnlyInline):
    model = Section
    fields = ("order", "code", "title")


class RuleInline(ReadOnlyInline):
    model = ValidationRule
    fields = ("order", "code", "severity", "expression", "message")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "pulse_interval_days")
    search_fields = ("code", "name")


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(admin.ModelAdmin):
    list_display = ("survey", "year", "label", "title", "published", "imported_at")
    list_filter = ("survey", "year", "published")
    search_fields = ("title", "label")
    # Only the publication flag is editable here; the content comes from the YAML import.
    readonly_fields = (
        "survey",
        "year",
        "label",
        "title",
        "intro",
        "source_name",
        "source",
        "imported_at",
        "imported_by",
    )
    inlines = [SectionInline, RuleInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("code", "type", "label", "version", "required", "continues")
    list_filter = ("version", "type", "required")
    search_fields = ("code", "label")
    list_select_related = ("version__survey",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
