"""The analyst's forms: starting a series, and the extension's new end date."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kartlegg.geography.models import County
from kartlegg.geography.services import county_choices
from kartlegg.surveys.models import QuestionnaireVersion

from .models import LateAnswers, UnitScope

_INPUT = {"class": "ds-input"}
_DATE = {**_INPUT, "type": "date"}


class SeriesForm(forms.Form):
    version = forms.ModelChoiceField(
        label=_("Skjema"),
        queryset=QuestionnaireVersion.objects.filter(survey__kind="pulse").select_related("survey").order_by("-year"),
        widget=forms.Select(attrs=_INPUT),
    )
    name = forms.CharField(label=_("Navn på serien"), max_length=200, widget=forms.TextInput(attrs=_INPUT))
    interval_days = forms.IntegerField(
        label=_("Dager mellom målingene"),
        initial=14,
        min_value=1,
        max_value=366,
        widget=forms.NumberInput(attrs=_INPUT),
    )  # fmt: skip
    open_days = forms.IntegerField(
        label=_("Dager hver måling er åpen"),
        initial=3,
        min_value=1,
        max_value=60,
        widget=forms.NumberInput(attrs=_INPUT),
    )
    first_date = forms.DateField(label=_("Første måling"), widget=forms.DateInput(attrs=_DATE))
    end_date = forms.DateField(label=_("Siste dag for nye målinger"), widget=forms.DateInput(attrs=_DATE))
    scope = forms.ChoiceField(
        label=_("Enheter"), choices=UnitScope.choices, initial=UnitScope.ALL, widget=forms.Select(attrs=_INPUT)
    )
    county = forms.ChoiceField(label=_("Fylke (når enhetene er ett fylke)"), required=False, choices=[],
                               widget=forms.Select(attrs=_INPUT))  # fmt: skip
    units = forms.CharField(
        label=_("Enhetskoder (når enhetene er en liste; skilt med komma eller mellomrom)"),
        required=False,
        widget=forms.Textarea(attrs={**_INPUT, "rows": 3}),
    )
    language = forms.ChoiceField(
        label=_("Språk i invitasjonene"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE,
        widget=forms.Select(attrs=_INPUT),
    )  # fmt: skip
    late_answers = forms.ChoiceField(
        label=_("Svar etter at en måling er stengt"), choices=LateAnswers.choices, initial=LateAnswers.REFUSE,
        widget=forms.Select(attrs=_INPUT),
    )  # fmt: skip
    publish_at_once = forms.BooleanField(
        label=_("Publiser hurtigrapporten straks målingen stenger (ellers venter den som utkast)"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        latest = County.objects.order_by("-year").values_list("year", flat=True).first()
        county: Any = self.fields["county"]
        county.choices = [("", "–"), *(county_choices(latest) if latest else [])]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, end = data.get("first_date"), data.get("end_date")
        if first and end and end < first:
            self.add_error("end_date", _("Siste dag kan ikke være før første måling."))
        interval, open_days = data.get("interval_days"), data.get("open_days")
        if interval and open_days and open_days > interval:
            self.add_error("open_days", _("En måling kan ikke være åpen lenger enn intervallet."))
        if data.get("scope") == UnitScope.COUNTY and not data.get("county"):
            self.add_error("county", _("Velg et fylke."))
        if data.get("scope") == UnitScope.LIST and not unit_list(data.get("units", "")):
            self.add_error("units", _("Skriv minst én enhetskode."))
        return data


def unit_list(text: str) -> list[str]:
    return [code for code in re.split(r"[\s,;]+", text or "") if code]


class ExtendForm(forms.Form):
    end_date = forms.DateField(label=_("Ny siste dag"), widget=forms.DateInput(attrs=_DATE))
