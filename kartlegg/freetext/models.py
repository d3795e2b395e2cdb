"""Codebooks, codes and the codes people give to free-text answers.

A codebook belongs to one or more open questions (variable codes) and may be used for any round that has them.
A `Coding` is one person's codes for one answer; suggestions are never stored, only what a person confirms.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Codebook(models.Model):
    name = models.CharField(_("navn"), max_length=200)
    description = models.TextField(_("beskrivelse"), blank=True)
    questions = models.JSONField(_("spørsmål"), default=list, help_text=_("Variabelkodene til de åpne spørsmålene."))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("kodebok")
        verbose_name_plural = _("kodebøker")

    def __str__(self) -> str:
        return self.name

    def active_codes(self) -> models.QuerySet[Code]:
        # Theme by theme; "ikke relevant / annet" (no theme) last.
        return (
            self.codes.filter(active=True)
            .select_related("theme")
            .order_by(models.F("theme__order").asc(nulls_last=True), "order", "id")
        )


class Theme(models.Model):
    codebook = models.ForeignKey(Codebook, on_delete=models.CASCADE, related_name="themes")
    key = models.CharField(_("nøkkel"), max_length=80)
    label = models.CharField(_("navn"), max_length=200)
    description = models.TextField(_("beskrivelse"), blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["codebook", "key"], name="freetext_theme_key")]

    def __str__(self) -> str:
        return self.label


class Code(models.Model):
    codebook = models.ForeignKey(Codebook, on_delete=models.CASCADE, related_name="codes")
    theme = models.ForeignKey(Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="codes")
    key = models.CharField(_("nøkkel"), max_length=80)
    label = models.CharField(_("navn"), max_length=200)
    statement = models.CharField(
        _("setning"), max_length=300, blank=True, help_text=_("Fortsettelsen av «… kommuner beskriver at …».")
    )
    description = models.TextField(_("beskrivelse"), blank=True)
    include = models.JSONField(_("eksempler som hører til"), default=list, blank=True)
    exclude = models.JSONField(_("eksempler som ikke hører til"), default=list, blank=True)
    is_other = models.BooleanField(_("ikke relevant / annet"), default=False)
    active = models.BooleanField(default=True)
    order = models.PositiveIntegerField(default=0)
    replaced_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
        verbose_name=_("erstattet av"),
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["codebook", "key"], name="freetext_code_key")]

    def __str__(self) -> str:
        return self.label


class Coding(models.Model):
    """One person's codes for one answer. `confirmed` is set when the coder presses Enter (or imports); a
    consensus coding is the analyst's resolution of a disagreement and wins over the others."""

    codebook = models.ForeignKey(Codebook, on_delete=models.CASCADE, related_name="codings")
    answer = models.ForeignKey("responses.Answer", on_delete=models.CASCADE, related_name="codings")
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="codings")
    codes = models.ManyToManyField(Code, blank=True, related_name="codings")
    confirmed = models.BooleanField(default=False)
    consensus = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["codebook", "answer", "coder", "consensus"], name="freetext_coding_once")
        ]

    def __str__(self) -> str:
        return f"{self.answer_id} / {self.coder_id}"


class SecondCoder(models.Model):
    """An answer given to a second coder for double coding: they code it blind, without seeing the first codes."""

    codebook = models.ForeignKey(Codebook, on_delete=models.CASCADE, related_name="second_coders")
    answer = models.ForeignKey("responses.Answer", on_delete=models.CASCADE, related_name="+")
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["codebook", "answer", "coder"], name="freetext_second_once")]


class Quote(models.Model):
    """An answer the analyst has marked publishable, with its masked text and who confirmed the masking."""

    codebook = models.ForeignKey(Codebook, on_delete=models.CASCADE, related_name="quotes")
    answer = models.ForeignKey("responses.Answer", on_delete=models.CASCADE, related_name="+")
    publishable = models.BooleanField(_("kan siteres"), default=False)
    masked_text = models.TextField(_("maskert tekst"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["codebook", "answer"], name="freetext_quote_once")]
