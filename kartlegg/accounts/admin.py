from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, AuditEvent, UnitAssignment, User


class UnitAssignmentInline(admin.TabularInline):
    model = UnitAssignment
    fk_name = "user"
    extra = 0
    fields = ["unit_code", "invited_by", "created"]
    readonly_fields = ["created"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Rolle", {"fields": ("role", "county_code", "phone")}))
    list_display = ["username", "email", "role", "county_code", "is_active"]
    list_filter = ["role", "is_active", "county_code"]
    inlines = [UnitAssignmentInline]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "channel", "unit_code", "variable", "old_value", "new_value"]
    list_filter = ["action", "channel"]
    search_fields = ["unit_code", "variable", "object_id"]

    # The audit log is evidence: nobody edits or deletes it, not even an analyst in the admin.
    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created", "last_used", "revoked"]
    list_filter = ["revoked"]
    fields = ["user", "name", "prefix", "created", "last_used", "revoked"]
    readonly_fields = ["user", "name", "prefix", "created", "last_used"]

    # Tokens are created with `manage.py create_api_token`, which shows the key once; the admin only revokes.
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
