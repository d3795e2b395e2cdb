"""The questionnaire as versioned data: a survey has versions (one per year and label), each with sections,
questions and validation rules. Versions are created only by `services.import_questionnaire`, from YAML; the
YAML text is kept in `source` so a version can always be re-read exactly as it was imported."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kartlegg.surveys.definition import definition_from_dict

if TYPE_CHECKING:
    from kartlegg.surveys.engine import Definition


class SurveyKind(models.TextChoices):
    ANNUAL = "annual", _("årlig kartlegging")
    PULSE = "pulse", _("pulsundersøkelse")


class QuestionType(models.TextChoices):
    INTEGER = "integer", _("heltall")
    DECIMAL = "decimal", _("desimaltall")
    PERCENT = "percent", _("prosent")
    YESNO = "yesno", _("ja/nei")
    CHOICE = "choice", _("ett valg")
    MULTICHOICE = "multichoice", _("flere valg")
    TEXT = "text", _("tekst")
    DATE = "date", _("dato")
    GRID = "grid", _("rutenett")


class Severity(models.TextChoices):
    ERROR = "error", _("feil")
    WARNING = "warning", _("advarsel")


class Survey(models.Model):
    code = models.SlugField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("navn"), max_length=200)
    kind = models.CharField(_("type"), max_length=10, choices=SurveyKind.choices, default=SurveyKind.ANNUAL)
    # Pulse surveys go out every N days; None for the annual survey.
    pulse_interval_days = models.PositiveSmallIntegerField(_("intervall (dager)"), null=True, blank=True)
    description = models.TextField(_("beskrivelse"), blank=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("undersøkelse")
        verbose_name_plural = _("undersøkelser")

    def __str__(self) -> str:
        return self.name


# Definitions are immutable once built; the key includes imported_at so that `--replace` invalidates the entry in
# every process without any cross-process signalling.
_DEFINITION_CACHE: OrderedDict[tuple[int, str], Definition] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 32


class QuestionnaireVersion(models.Model):
    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="versions", verbose_name=_("undersøkelse")
    )
    year = models.PositiveSmallIntegerField(_("år"))
    label = models.CharField(_("etikett"), max_length=40)
    title = models.CharField(_("tittel"), max_length=300)
    intro = models.TextField(_("innledning"), blank=True)
    source = models.TextField(_("kildetekst (YAML)"))
    source_name = models.CharField(_("kildefil"), max_length=300, blank=True)
    # The texts in nynorsk and English ({"nn": {key: text}}), taken from the file beside the bokmål (surveys/texts.py).
    translations = models.JSONField(_("oversettelser"), default=dict, blank=True)
    # Respondents and the public may read published versions; drafts are for analysts only.
    published = models.BooleanField(_("publisert"), default=True)
    imported_at = models.DateTimeField(_("importert"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "year", "label"], name="unique_questionnaire_version")]
        ordering = ["survey__code", "-year", "label"]
        verbose_name = _("skjemaversjon")
        verbose_name_plural = _("skjemaversjoner")

    def __str__(self) -> str:
        return f"{self.survey.code} {self.year} ({self.label})"

    def definition(self, language: str | None = None) -> Definition:
        """The pure, ORM-free definition used by the engine (validation, skip logic, parsing). Cached. With a
        language (nb, nn, en), its texts are in that language wherever the file translates them."""
        if language and language != "nb":
            key = (self.pk, f"{self.imported_at.isoformat()}|{language}")
            with _CACHE_LOCK:
                cached = _DEFINITION_CACHE.get(key)
            if cached is None:
                cached = self.definition().localized(language)
                with _CACHE_LOCK:
                    _DEFINITION_CACHE[key] = cached
            return cached
        key = (self.pk, self.imported_at.isoformat())
        with _CACHE_LOCK:
            cached = _DEFINITION_CACHE.get(key)
            if cached is not None:
                _DEFINITION_CACHE.move_to_end(key)
                return cached
        built = definition_from_dict(self.as_dict())
        with _CACHE_LOCK:
            _DEFINITION_CACHE[key] = built
            while len(_DEFINITION_CACHE) > _CACHE_SIZE:
                _DEFINITION_CACHE.popitem(last=False)
        return built

    def as_dict(self) -> dict[str, Any]:
        """The stored version in the normalised dict shape (same as the YAML file and the API JSON)."""
        survey = self.survey
        sections = []
        questions_by_section: dict[int, list[dict[str, Any]]] = {}
        for q in self.questions.all().order_by("order"):
            questions_by_section.setdefault(q.section_id, []).append(
                {
                    "code": q.code,
                    "type": q.type,
                    "label": q.label,
                    "help": q.help,
                    "required": q.required,
                    "min": q.min_value,
                    "max": q.max_value,
                    "decimals": q.decimals,
                    "max_length": q.max_length,
                    "unit": q.unit,
                    "choices": q.choices,
                    "relevance": q.relevance,
                    "continues": q.continues,
                    "changed": q.changed,
                    "tags": q.tags,
                    "rows": q.rows,
                    "columns": q.columns,
                }
            )
        for s in self.sections.all().order_by("order"):
            sections.append(
                {"code": s.code, "title": s.title, "help": s.help, "questions": questions_by_section.get(s.pk, [])}
            )
        rules = [
            {
                "code": r.code,
                "expression": r.expression,
                "when": r.when,
                "each_cell": r.each_cell,
                "severity": r.severity,
                "message": r.message,
                "variables": r.variables,
            }
            for r in self.rules.all().order_by("order")
        ]
        return {
            "survey": {
                "code": survey.code,
                "name": survey.name,
                "kind": survey.kind,
                "interval_days": survey.pulse_interval_days,
            },
            "year": self.year,
            "label": self.label,
            "title": self.title,
            "intro": self.intro,
            "sections": sections,
            "rules": rules,
            "translations": self.translations or {},
        }


class Section(models.Model):
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="sections")
    code = models.CharField(_("kode"), max_length=40)
    title = models.CharField(_("tittel"), max_length=300)
    help = models.TextField(_("hjelpetekst"), blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_section_code")]
        ordering = ["version", "order"]
        verbose_name = _("del")
        verbose_name_plural = _("deler")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Question(models.Model):
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(_("kode"), max_length=80)
    type = models.CharField(_("type"), max_length=12, choices=QuestionType.choices)
    label = models.TextField(_("spørsmål"))
    help = models.TextField(_("hjelpetekst"), blank=True)
    required = models.BooleanField(_("påkrevd"), default=False)
    min_value = models.DecimalField(_("minste verdi"), max_digits=20, decimal_places=6, null=True, blank=True)
    max_value = models.DecimalField(_("største verdi"), max_digits=20, decimal_places=6, null=True, blank=True)
    decimals = models.PositiveSmallIntegerField(_("desimaler"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("maks lengde"), null=True, blank=True)
    unit = models.CharField(_("enhet"), max_length=40, blank=True)
    # [[code, label], ...] for choice and multichoice.
    choices = models.JSONField(_("svaralternativer"), default=list, blank=True)
    relevance = models.TextField(_("vises når"), blank=True)
    continues = models.CharField(_("viderefører"), max_length=80, blank=True)
    # What changed in the definition since the version it continues (statistics mark a series break there).
    changed = models.TextField(_("endret definisjon"), blank=True)
    tags = models.JSONField(_("merker"), default=list, blank=True)
    # [{"code", "label", "help", "continues"}, ...] for grids.
    rows = models.JSONField(_("rader"), default=list, blank=True)
    columns = models.JSONField(_("kolonner"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_question_code")]
        ordering = ["version", "order"]
        verbose_name = _("spørsmål")
        verbose_name_plural = _("spørsmål")

    def __str__(self) -> str:
        return self.code


class ValidationRule(models.Model):
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="rules")
    code = models.CharField(_("kode"), max_length=80)
    expression = models.TextField(_("uttrykk som må holde"))
    # Optional precondition: the rule is checked only when this holds.
    when = models.TextField(_("gjelder når"), blank=True)
    # Optional grid code: the rule is checked once per cell, with the cell's value as `_cell`.
    each_cell = models.CharField(_("for hver celle i"), max_length=80, blank=True)
    severity = models.CharField(_("alvorlighet"), max_length=10, choices=Severity.choices, default=Severity.ERROR)
    message = models.TextField(_("melding"))
    variables = models.JSONField(_("variabler"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_rule_code")]
        ordering = ["version", "order"]
        verbose_name = _("kontrollregel")
        verbose_name_plural = _("kontrollregler")

    def __str__(self) -> str:
        return self.code
