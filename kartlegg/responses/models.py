"""Collection: rounds of a questionnaire version, one response per reporting unit, its answers, the invitations
that let respondents in, and a log of reminders so that reminding twice in a day sends nothing the second time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Round(models.Model):
    """One collection of one questionnaire version, e.g. the annual mapping for 2024 or a pulse wave."""

    version = models.ForeignKey(
        "surveys.QuestionnaireVersion", on_delete=models.PROTECT, related_name="rounds", verbose_name=_("skjema")
    )
    name = models.CharField(_("navn"), max_length=200)
    # The units of a round are the reporting units valid in this year.
    year = models.PositiveSmallIntegerField(_("år"), db_index=True)
    opens_at = models.DateTimeField(_("åpner"))
    deadline = models.DateField(_("svarfrist"))
    # After closes_at only analysts may change answers; None keeps the round open past the deadline.
    closes_at = models.DateTimeField(_("stenger"), null=True, blank=True)
    # A locked round is frozen for everyone, analysts included: its data are the published basis.
    locked_at = models.DateTimeField(_("låst"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-opens_at", "-id"]
        verbose_name = _("runde")
        verbose_name_plural = _("runder")

    def __str__(self) -> str:
        return self.name

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    def is_open(self, now: dt.datetime | None = None) -> bool:
        """Respondents may write: opened, not closed, not locked."""
        now = now or timezone.now()
        if self.is_locked or now < self.opens_at:
            return False
        return self.closes_at is None or now < self.closes_at

    def definition(self) -> Any:
        return self.version.definition()


class ResponseStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("ikke påbegynt")
    DRAFT = "draft", _("under arbeid")
    SUBMITTED = "submitted", _("sendt inn")
    REOPENED = "reopened", _("gjenåpnet")


class Response(models.Model):
    """A reporting unit's answer to a round. `version` increases with every save (optimistic locking)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="responses")
    unit = models.ForeignKey("geography.ReportingUnit", on_delete=models.PROTECT, related_name="responses")
    status = models.CharField(
        _("status"), max_length=12, choices=ResponseStatus.choices, default=ResponseStatus.NOT_STARTED
    )
    version = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="unique_response_round_unit")]
        indexes = [models.Index(fields=["round", "status"])]
        ordering = ["round", "unit__code"]
        verbose_name = _("svar")
        verbose_name_plural = _("svar")

    def __str__(self) -> str:
        return f"{self.round} – {self.unit}"

    @property
    def unit_code(self) -> str:
        return self.unit.code

    @property
    def is_submitted(self) -> bool:
        return self.status == ResponseStatus.SUBMITTED


class Answer(models.Model):
    """One stored variable of a response, as text (engine.dump_value) and, for numbers, also as a Decimal so that
    statistics can aggregate in the database. A row with both values NULL is a deliberate blank (never 0)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    variable = models.CharField(max_length=80)
    value_text = models.TextField(null=True, blank=True)
    value_num = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    comment = models.TextField(blank=True)
    # The response version that last wrote this answer: a stale save conflicts only on answers written since.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "variable"], name="unique_answer_variable")]
        # Statistics read one variable across all responses of a round.
        indexes = [models.Index(fields=["variable"], name="answer_variable_idx")]
        verbose_name = _("svarverdi")
        verbose_name_plural = _("svarverdier")

    def __str__(self) -> str:
        return f"{self.variable}={self.value_text!r}"


class InvitationKind(models.TextChoices):
    INVITE = "invite", _("invitasjon")
    COLLEAGUE = "colleague", _("kollega")
    REMINDER = "reminder", _("påminnelse")


class Invitation(models.Model):
    """A login link for one e-mail address and one unit in one round. Only a hash of the token is stored, so a
    database leak does not leak working links; the link itself exists only in the e-mail."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="invitations")
    unit = models.ForeignKey("geography.ReportingUnit", on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField(_("e-post"))
    token_hash = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=InvitationKind.choices, default=InvitationKind.INVITE)
    # The language of the e-mail and of the form the link opens: a nynorsk municipality is written to in nynorsk
    # (språklova § 6). Reminders and colleague invitations follow the unit's latest choice.
    language = models.CharField(_("språk"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The respondent account the link logged in (created on first use when needed).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["round", "unit"])]
        ordering = ["-created_at"]
        verbose_name = _("invitasjon")
        verbose_name_plural = _("invitasjoner")

    def __str__(self) -> str:
        return f"{self.email} → {self.unit} ({self.round})"

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class ReminderLog(models.Model):
    """One reminder of one kind to one unit on one day. The unique constraint is what makes reminding idempotent,
    even when cron and an analyst remind at the same moment."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="reminders")
    unit = models.ForeignKey("geography.ReportingUnit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, default="reminder")
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveSmallIntegerField(default=0)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "unit", "kind", "day"], name="unique_reminder_per_day")]
        ordering = ["-sent_at"]
        verbose_name = _("påminnelse")
        verbose_name_plural = _("påminnelser")

    def __str__(self) -> str:
        return f"{self.kind} {self.unit} {self.day}"


class ResponseImport(models.Model):
    """A file of answers an analyst uploaded for a round, imported by the task worker (responses.tasks) with a
    progress bar. The import applies whole or not at all; `outcome` (the counts) or `problems` (each bad row, by
    number) is stored in the import's own transaction, so a job run twice finds it done. The file is dropped once
    imported."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="imports", verbose_name=_("runde"))
    filename = models.CharField(_("fil"), max_length=200)
    data = models.BinaryField(default=b"")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(null=True, blank=True)
    problems = models.JSONField(default=list, blank=True)  # [[row, message], ...]; row 0: the whole file

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.round})"

    @property
    def finished(self) -> bool:
        return self.finished_at is not None
