"""Forms of the QA pages: the queue's filters and bulk actions, one flag's actions, the unit's reply, the lock and a
correction after the lock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kartlegg.surveys import engine

from .checks import check_labels
from .models import Severity
from .states import FlagState

ACTIVE_FILTER = "aktive"
MAX_TEXT = 10_000


class StyledForm(forms.Form):
    """Designsystemet's input class on every visible field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()

    def style(self) -> None:
        for field in self.fields.values():
            if not field.widget.is_hidden and not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "ds-input")


def choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class QueueFilterForm(StyledForm):
    check = forms.ChoiceField(label=_("Kontroll"), required=False)
    state = forms.ChoiceField(label=_("Status"), required=False)
    severity = forms.ChoiceField(label=_("Alvorlighet"), required=False)
    county = forms.ChoiceField(label=_("Fylke"), required=False)
    q = forms.CharField(label=_("Søk (enhet, variabel eller tekst)"), required=False, max_length=100)

    def __init__(self, *args: Any, counties: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        all_label = str(_("Alle"))
        choice(self, "check").choices = [("", all_label), *check_labels().items()]
        choice(self, "state").choices = [
            (ACTIVE_FILTER, _("Aktive (åpne, spurt, besvart)")),
            ("", all_label),
            *FlagState.choices,
        ]
        choice(self, "severity").choices = [("", all_label), *Severity.choices]
        choice(self, "county").choices = [("", all_label), *(counties or [])]

    def filter(self, flags: QuerySet[Any]) -> QuerySet[Any]:
        data = self.cleaned_data
        state = data.get("state")
        if state == ACTIVE_FILTER:
            flags = flags.filter(state__in=[FlagState.OPEN, FlagState.QUERIED, FlagState.ANSWERED])
        elif state:
            flags = flags.filter(state=state)
        if data.get("check"):
            flags = flags.filter(check_name=data["check"])
        if data.get("severity"):
            flags = flags.filter(severity=data["severity"])
        if data.get("county"):
            flags = flags.filter(unit__county_code=data["county"])
        text = (data.get("q") or "").strip()
        if text:
            flags = flags.filter(
                Q(unit__code__startswith=text)
                | Q(unit__name__icontains=text)
                | Q(variable__icontains=text)
                | Q(explanation__icontains=text)
            )
        return flags


BULK_ACTIONS = [
    ("accept", _("Godta (tallene er riktige)")),
    ("dismiss", _("Avvis (med begrunnelse)")),
    ("query", _("Send ett spørsmål til hver valgt enhet")),
]


class BulkActionForm(StyledForm):
    flags = forms.TypedMultipleChoiceField(label=_("Flagg"), coerce=int, choices=[])
    action = forms.ChoiceField(label=_("Handling"), choices=BULK_ACTIONS)
    text = forms.CharField(
        label=_("Begrunnelse eller melding til enhetene"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, flag_ids: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice(self, "flags").choices = [(pk, str(pk)) for pk in flag_ids or []]
        self.fields["flags"].error_messages["required"] = _("Velg minst ett flagg.")
        self.fields["flags"].error_messages["invalid_choice"] = _("Et av flaggene hører ikke til runden.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        action, text = data.get("action"), (data.get("text") or "").strip()
        if action == "dismiss" and not text:
            self.add_error("text", _("Skriv en begrunnelse for å avvise flaggene."))
        if action == "query" and not text:
            self.add_error("text", _("Skriv meldingen som skal sendes til enhetene."))
        data["text"] = text
        return data


FLAG_ACTIONS = [
    ("accept", _("Godta")),
    ("dismiss", _("Avvis")),
    ("query", _("Send spørsmål til enheten")),
    ("reopen", _("Åpne igjen")),
]


class FlagActionForm(StyledForm):
    action = forms.ChoiceField(label=_("Handling"), choices=FLAG_ACTIONS)
    text = forms.CharField(
        label=_("Begrunnelse eller melding"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        text = (data.get("text") or "").strip()
        if data.get("action") in ("dismiss", "query") and not text:
            self.add_error("text", _("Skriv en begrunnelse eller en melding."))
        data["text"] = text
        return data


def display_value(value: Any) -> str:
    """A stored value as the respondent would type it: `0,5`, `ja`/`nei`, the choice code, blank for nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, Decimal):
        return (engine.dump_value(value) or "").replace(".", ",")
    return engine.dump_value(value) or ""


class ReplyForm(StyledForm):
    """The unit's reply: a text, and a field for each variable the query is about (when the form may be changed)."""

    text = forms.CharField(
        label=_("Svar til analytikeren"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Forklar tallene, eller skriv hva dere har rettet."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(
        self,
        *args: Any,
        variables: list[tuple[str, str, Any, Any]] | None = None,
        editable: bool = True,
        **kwargs: Any,
    ) -> None:
        """variables: (code, label, question, current value)."""
        super().__init__(*args, **kwargs)
        self.value_fields: list[str] = []
        self.initial_texts: dict[str, str] = {}
        if not editable:
            return
        for code, label, question, value in variables or []:
            name = "v_" + code
            initial = display_value(value)
            self.initial_texts[code] = initial
            kind = (
                question.cell_type if question is not None and question.is_grid else getattr(question, "type", "text")
            )
            if kind == "yesno":
                field: forms.Field = forms.ChoiceField(
                    label=label, required=False, choices=[("", "–"), ("ja", _("Ja")), ("nei", _("Nei"))]
                )
            elif kind == "choice" and question is not None:
                field = forms.ChoiceField(label=label, required=False, choices=[("", "–"), *question.choices])
            else:
                attrs = {"inputmode": "decimal", "autocomplete": "off"} if kind in engine.NUMERIC_TYPES else {}
                field = forms.CharField(
                    label=label, required=False, max_length=MAX_TEXT, widget=forms.TextInput(attrs=attrs)
                )
            field.initial = initial
            self.fields[name] = field
            self.value_fields.append(name)
        self.style()

    def changed_values(self) -> dict[str, str]:
        """Only the values the respondent actually changed (as typed), keyed by variable code. A blank field that
        was sent blanks the value (missing, never 0)."""
        changed = {}
        for name in self.value_fields:
            if name not in self.data:
                continue  # a field that was not sent is left as it is, never blanked
            code = name[2:]
            typed = (self.cleaned_data.get(name) or "").strip()
            if typed != self.initial_texts.get(code, ""):
                changed[code] = typed
        return changed


class LockForm(StyledForm):
    note = forms.CharField(label=_("Merknad til dataversjonen"), required=False, max_length=2000)
    confirm = forms.BooleanField(label=_("Jeg forstår at svarene ikke kan endres i skjemaet etter at runden er låst."))


class CorrectionForm(StyledForm):
    unit = forms.CharField(label=_("Enhetsnummer"), max_length=6)
    variable = forms.CharField(label=_("Variabel (kode)"), max_length=80)
    value = forms.CharField(
        label=_("Ny verdi"), required=False, max_length=MAX_TEXT, help_text=_("Tom for å slette verdien.")
    )
    reason = forms.CharField(label=_("Begrunnelse"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
