"""Django forms for the analyst's round pages and the respondent's colleague invitation. The questionnaire itself is
not a Django form: it is built from the questionnaire definition (form_fields.py) and parsed by the engine."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kartlegg.surveys.models import QuestionnaireVersion

from .models import ResponseStatus

_INPUT = {"class": "ds-input"}


class OpenRoundForm(forms.Form):
    version = forms.ModelChoiceField(
        label=_("Skjemaversjon"),
        queryset=QuestionnaireVersion.objects.select_related("survey").order_by("-year", "survey__code"),
        widget=forms.Select(attrs=_INPUT),
    )
    name = forms.CharField(label=_("Navn på runden"), max_length=200, widget=forms.TextInput(attrs=_INPUT))
    year = forms.IntegerField(
        label=_("År (enhetene som rapporterer)"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs=_INPUT),
    )
    opens_at = forms.DateField(label=_("Åpner"), widget=forms.DateInput(attrs={**_INPUT, "type": "date"}))
    deadline = forms.DateField(label=_("Svarfrist"), widget=forms.DateInput(attrs={**_INPUT, "type": "date"}))
    closes_at = forms.DateField(
        label=_("Stenger (valgfritt)"),
        required=False,
        widget=forms.DateInput(attrs={**_INPUT, "type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, deadline, closes = data.get("opens_at"), data.get("deadline"), data.get("closes_at")
        if opens and deadline and deadline < opens:
            self.add_error("deadline", _("Svarfristen kan ikke være før runden åpner."))
        if closes and deadline and closes < deadline:
            self.add_error("closes_at", _("Runden kan ikke stenge før svarfristen."))
        return data

    @staticmethod
    def start_of(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    @staticmethod
    def end_of(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


STATUS_FILTER_CHOICES = [("", _("Alle"))] + [(s.value, s.label) for s in ResponseStatus]


class UnitFilterForm(forms.Form):
    """Which units of a round an action applies to."""

    status = forms.ChoiceField(
        label=_("Status"), choices=STATUS_FILTER_CHOICES, required=False, widget=forms.Select(attrs=_INPUT)
    )
    county = forms.ChoiceField(label=_("Fylke"), choices=[], required=False, widget=forms.Select(attrs=_INPUT))
    units = forms.CharField(
        label=_("Bare disse enhetene (valgfritt, kommunenummer skilt med komma eller mellomrom)"),
        required=False,
        widget=forms.TextInput(attrs=_INPUT),
    )

    def __init__(self, *args: Any, counties: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        county = self.fields["county"]
        assert isinstance(county, forms.ChoiceField)
        county.choices = [("", _("Alle"))] + list(counties or [])

    def clean_units(self) -> list[str]:
        text = self.cleaned_data.get("units") or ""
        codes = [c for c in re.split(r"[\s,;]+", text) if c]
        bad = [c for c in codes if not re.fullmatch(r"\d{4}|\d{6}", c)]
        if bad:
            raise ValidationError(_("Ugyldig enhetskode: %(codes)s.") % {"codes": ", ".join(bad[:5])})
        return codes

    def filter(self, responses: Any) -> Any:
        data = self.cleaned_data
        if data.get("status"):
            responses = responses.filter(status=data["status"])
        if data.get("county"):
            responses = responses.filter(unit__county_code=data["county"])
        if data.get("units"):
            responses = responses.filter(unit__code__in=data["units"])
        return responses


class InviteForm(UnitFilterForm):
    addresses = forms.CharField(
        label=_("E-postadresser"),
        help_text=_(
            "Én linje per adresse: enhetskode og e-post, for eksempel «4601 postmottak@bergen.kommune.no». "
            "Adressene brukes for enhetene som passer til filteret."
        ),
        required=False,
        widget=forms.Textarea(attrs={**_INPUT, "rows": 6}),
    )
    known_contacts = forms.BooleanField(
        label=_("Inviter også kjente kontaktpersoner (respondenter som allerede er knyttet til enheten)"),
        required=False,
        initial=True,
    )
    language = forms.ChoiceField(
        label=_("Målform i e-posten og skjemaet"),
        help_text=_("Uten valg får hver enhet samme målform som sist den ble invitert, og nye enheter bokmål."),
        required=False,
        widget=forms.Select(attrs=_INPUT),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("Som sist for hver enhet")), *settings.LANGUAGES]

    def clean_addresses(self) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        problems: list[str] = []
        for number, line in enumerate((self.cleaned_data.get("addresses") or "").splitlines(), start=1):
            parts = [p for p in re.split(r"[\s,;]+", line.strip()) if p]
            if not parts:
                continue
            if len(parts) != 2 or not re.fullmatch(r"\d{4}|\d{6}", parts[0]):
                problems.append(_("linje %(n)s: skriv enhetskode og e-post") % {"n": number})
                continue
            try:
                validate_email(parts[1])
            except ValidationError:
                problems.append(_("linje %(n)s: ugyldig e-postadresse") % {"n": number})
                continue
            pairs.append((parts[0], parts[1]))
        if problems:
            raise ValidationError("; ".join(str(p) for p in problems))
        return pairs

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("addresses") and not data.get("known_contacts") and not self.errors:
            raise ValidationError(_("Skriv inn adresser, eller velg å invitere kjente kontaktpersoner."))
        return data


class RemindForm(UnitFilterForm):
    """Which units to remind (the same filter as invitations; reminding itself needs no more input)."""


class ColleagueForm(forms.Form):
    email = forms.EmailField(
        label=_("Kollegaens e-postadresse"),
        widget=forms.EmailInput(attrs={**_INPUT, "autocomplete": "email"}),
    )
