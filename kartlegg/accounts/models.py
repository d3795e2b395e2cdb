"""Users, their roles, what they are bound to, and the audit log that every later app writes to."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ANALYST = "analyst", _("Analytiker")
    RESPONDENT = "respondent", _("Respondent")
    REVIEWER = "reviewer", _("Fylkesleser")


class User(AbstractUser):
    role = models.CharField(_("rolle"), max_length=20, choices=Role.choices, default=Role.RESPONDENT)
    # A county reviewer (Statsforvalteren) reads the units of this county, by the county code of the year shown.
    county_code = models.CharField(_("fylke"), max_length=2, blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    # A keyed hash (HMAC-SHA256) of the national identity number ID-porten sends as `pid`, so that the same person
    # finds the same account again; the number itself is never stored. Null for accounts that never used ID-porten.
    idporten_subject = models.CharField(
        _("ID-porten-nøkkel"), max_length=64, unique=True, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("bruker")
        verbose_name_plural = _("brukere")

    @property
    def is_analyst(self) -> bool:
        return self.is_active and (self.role == Role.ANALYST or self.is_superuser)

    @property
    def is_reviewer(self) -> bool:
        return self.is_active and self.role == Role.REVIEWER and bool(self.county_code)

    @property
    def is_respondent(self) -> bool:
        return self.is_active and self.role == Role.RESPONDENT

    def unit_codes(self) -> set[str]:
        """The reporting-unit codes a respondent is bound to (cached per request object)."""
        cached = getattr(self, "_unit_codes_cache", None)
        if cached is None:
            cached = set(self.unit_assignments.values_list("unit_code", flat=True))
            self._unit_codes_cache = cached
        return cached


class UnitAssignment(models.Model):
    """Binds a respondent to a reporting unit (municipality or Oslo bydel) by its code."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unit_assignments")
    unit_code = models.CharField(_("enhetskode"), max_length=6, db_index=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "unit_code"], name="unique_user_unit")]
        verbose_name = _("enhetstilknytning")
        verbose_name_plural = _("enhetstilknytninger")

    def __str__(self) -> str:
        return f"{self.user} → {self.unit_code}"


class Channel(models.TextChoices):
    FORM = "form", _("skjema")
    API = "api", _("API")
    IMPORT = "import", _("import")
    ADMIN = "admin", _("admin")
    SYSTEM = "system", _("system")


class AuditEvent(models.Model):
    """Append-only log: who changed what, when, from which value to which, and through which channel."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SYSTEM)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    unit_code = models.CharField(max_length=6, blank=True, db_index=True)
    variable = models.CharField(max_length=80, blank=True)
    old_value = models.TextField(null=True, blank=True)
    new_value = models.TextField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("logghendelse")
        verbose_name_plural = _("logg")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


def audit(
    action: str,
    *,
    user: Any = None,
    channel: str = Channel.SYSTEM,
    obj: models.Model | None = None,
    unit_code: str = "",
    variable: str = "",
    old: Any = None,
    new: Any = None,
    **detail: Any,
) -> AuditEvent:
    """Write one audit row. Values are stored as text so that any type can be compared later."""
    return AuditEvent.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        channel=channel,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        unit_code=unit_code,
        variable=variable,
        old_value=None if old is None else str(old),
        new_value=None if new is None else str(new),
        detail=detail,
    )


class ApiToken(models.Model):
    """A bearer token for machine clients. Only a SHA-256 hash is stored; the plain token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("navn"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("API-nøkkel")
        verbose_name_plural = _("API-nøkler")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
