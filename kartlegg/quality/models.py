"""Quality assurance: the check settings of a questionnaire version, the flags a round raised and what became of
them, the queries sent to units, and the locked data versions of a round with their change log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .checks import SEVERITIES, QAConfigError, effective_config
from .states import ACTIVE, SETTLED, FlagState


class QAConfig(models.Model):
    """Overrides of the checks' default settings for one questionnaire version, as JSON:
    {"implausible_change": {"relative": 0.25}, "stale_copy": {"enabled": false}}. Missing keys keep the defaults."""

    version = models.OneToOneField(
        "surveys.QuestionnaireVersion", on_delete=models.CASCADE, related_name="qa_config", verbose_name=_("skjema")
    )
    config = models.JSONField(_("innstillinger"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("kontrolloppsett")
        verbose_name_plural = _("kontrolloppsett")

    def __str__(self) -> str:
        return f"QA {self.version}"

    def clean(self) -> None:
        try:
            effective_config(self.config)
        except QAConfigError as exc:
            raise ValidationError({"config": str(exc)}) from exc

    def effective(self) -> dict[str, dict[str, Any]]:
        return effective_config(self.config)


class Severity(models.TextChoices):
    ERROR = "error", _("feil")
    WARNING = "warning", _("advarsel")
    INFO = "info", _("merknad")


assert tuple(Severity.values) == SEVERITIES


class Flag(models.Model):
    """Something a check found in one unit's answers. (round, unit, check, rule, variable) is its identity, so a
    re-run updates the flag instead of adding another."""

    round = models.ForeignKey("responses.Round", on_delete=models.CASCADE, related_name="flags")
    unit = models.ForeignKey("geography.ReportingUnit", on_delete=models.PROTECT, related_name="+")
    variable = models.CharField(_("variabel"), max_length=80, blank=True)
    # Not `check`: that name is taken by Model.check(), which runs the system checks.
    check_name = models.CharField(_("kontroll"), max_length=40)
    rule = models.CharField(_("regel"), max_length=40)
    severity = models.CharField(_("alvorlighet"), max_length=10, choices=Severity.choices)
    values = models.JSONField(_("verdier"), default=dict, blank=True)
    # The stored variables involved: a change to any of them counts as a correction of this flag.
    variables = models.JSONField(default=list, blank=True)
    explanation = models.TextField(_("forklaring"))
    impact = models.FloatField(_("anslått virkning (årsverk)"), default=0)
    state = models.CharField(_("status"), max_length=10, choices=FlagState.choices, default=FlagState.OPEN)
    reason = models.TextField(_("begrunnelse"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)  # the last run in which the check fired
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "unit", "check_name", "rule", "variable"], name="unique_flag_identity"
            )
        ]
        indexes = [models.Index(fields=["round", "state"]), models.Index(fields=["round", "check_name"])]
        ordering = ["-impact", "severity", "id"]
        verbose_name = _("flagg")
        verbose_name_plural = _("flagg")

    def __str__(self) -> str:
        return f"{self.check_name}/{self.rule} {self.variable} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE

    @property
    def is_settled(self) -> bool:
        return self.state in SETTLED


class FlagEvent(models.Model):
    """One transition of a flag: who, when, from which state to which, and why."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    note = models.TextField(blank=True)
    channel = models.CharField(max_length=10, default="system")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("flagghendelse")
        verbose_name_plural = _("flagghendelser")

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


class Query(models.Model):
    """One question from an analyst to one unit about one or more of its flags. The thread lives with the response."""

    round = models.ForeignKey("responses.Round", on_delete=models.CASCADE, related_name="queries")
    unit = models.ForeignKey("geography.ReportingUnit", on_delete=models.PROTECT, related_name="+")
    response = models.ForeignKey("responses.Response", on_delete=models.CASCADE, related_name="queries")
    flags = models.ManyToManyField(Flag, related_name="queries")
    message = models.TextField(_("melding"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)  # the unit's first reply
    emails = models.PositiveSmallIntegerField(default=0)
    # Set when sending reopened a submitted response so that the unit could correct; replying submits it again.
    reopened_response = models.BooleanField(default=False)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("spørsmål")
        verbose_name_plural = _("spørsmål")

    def __str__(self) -> str:
        return f"Spørsmål {self.pk} til {self.unit_id}"


class QueryMessage(models.Model):
    query = models.ForeignKey(Query, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_unit = models.BooleanField(default=False)
    body = models.TextField(blank=True)
    changed = models.JSONField(default=list, blank=True)  # variables the unit corrected with this message
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("melding")
        verbose_name_plural = _("meldinger")

    def __str__(self) -> str:
        return f"{'enhet' if self.from_unit else 'analytiker'} {self.at:%Y-%m-%d %H:%M}"


class DataVersion(models.Model):
    """A frozen copy of a round's data. Version 1 is made when the round is locked; each correction after that makes
    the next version, with a change log. Statistics name the version they come from."""

    round = models.ForeignKey("responses.Round", on_delete=models.CASCADE, related_name="data_versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    checksum = models.CharField(max_length=64)
    units = models.PositiveIntegerField(default=0)
    values_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "number"], name="unique_data_version")]
        ordering = ["round", "-number"]
        verbose_name = _("dataversjon")
        verbose_name_plural = _("dataversjoner")

    def __str__(self) -> str:
        return f"{self.round} – dataversjon {self.number}"


class DataSnapshot(models.Model):
    """One unit's stored values (variable → stored text, as Answer.value_text) in one data version."""

    version = models.ForeignKey(DataVersion, on_delete=models.CASCADE, related_name="snapshots")
    unit_code = models.CharField(max_length=6)
    values = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "unit_code"], name="unique_snapshot_unit")]
        verbose_name = _("øyeblikksbilde")
        verbose_name_plural = _("øyeblikksbilder")

    def __str__(self) -> str:
        return f"{self.version} {self.unit_code}"


class ChangeLogEntry(models.Model):
    """What changed from the previous data version: one variable of one unit, old and new value, and why."""

    version = models.ForeignKey(DataVersion, on_delete=models.CASCADE, related_name="changes")
    unit_code = models.CharField(max_length=6)
    variable = models.CharField(max_length=80)
    old_value = models.TextField(null=True, blank=True)
    new_value = models.TextField(null=True, blank=True)
    reason = models.TextField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version", "unit_code", "variable"]
        verbose_name = _("endring")
        verbose_name_plural = _("endringslogg")

    def __str__(self) -> str:
        return f"{self.unit_code} {self.variable}: {self.old_value} → {self.new_value}"
