"""A built report: the serialized document with what made it (year, data version, questionnaire versions, code
version), its renderings, and its workflow (draft → review → approved, with who and when). An approved report never
changes; a rebuild of its year makes a new draft."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("utkast")
    REVIEW = "review", _("til gjennomsyn")
    APPROVED = "approved", _("godkjent")


class BuildState(models.TextChoices):
    QUEUED = "queued", _("i kø")
    RUNNING = "running", _("bygges")
    DONE = "done", _("ferdig")
    FAILED = "failed", _("feilet")


class Report(models.Model):
    year = models.PositiveSmallIntegerField(_("år"))
    language = models.CharField(_("språk"), max_length=5, default="nb")
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    data_version = models.CharField(_("dataversjon"), max_length=40, blank=True)
    structure = models.PositiveSmallIntegerField(_("strukturår"), default=0)
    rule = models.CharField(_("imputering"), max_length=20, blank=True)
    questionnaire_versions = models.JSONField(_("skjemaversjoner"), default=dict)
    code_version = models.CharField(_("kodeversjon"), max_length=80, blank=True)
    document = models.JSONField(_("årsrapport"), default=dict)
    html = models.TextField(blank=True)
    # The stored page's fingerprint and when it last changed (ETag and Last-Modified); kept by save().
    html_hash = models.CharField(max_length=64, blank=True, editable=False)
    html_at = models.DateTimeField(null=True, blank=True, editable=False)
    pdf = models.BinaryField(null=True, blank=True)
    xlsx = models.BinaryField(null=True, blank=True)
    stale_paragraphs = models.JSONField(default=list)  # edited paragraphs whose cited figures changed on rebuild

    build_state = models.CharField(max_length=10, choices=BuildState.choices, default=BuildState.DONE)
    progress = models.PositiveSmallIntegerField(default=100)  # per cent
    progress_text = models.CharField(max_length=200, blank=True)
    build_error = models.TextField(blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    built_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-created_at"]
        verbose_name = _("årsrapport")
        verbose_name_plural = _("årsrapporter")

    def __str__(self) -> str:
        return f"Rapport {self.year} ({self.get_status_display()})"

    def save(self, *args: object, **kwargs: object) -> None:
        fields = kwargs.get("update_fields")
        if fields is None or "html" in fields:  # type: ignore[operator]
            digest = hashlib.sha256(self.html.encode("utf-8")).hexdigest() if self.html else ""
            if digest != self.html_hash:
                self.html_hash, self.html_at = digest, timezone.now()
                if fields is not None:
                    kwargs["update_fields"] = {*fields, "html_hash", "html_at"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_draft(self) -> bool:
        return self.status == ReportStatus.DRAFT
