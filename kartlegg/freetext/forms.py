"""Forms of the free-text pages. Examples are one per line."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Code, Codebook, Theme

MAX_UPLOAD = 2 * 1024 * 1024


class CodebookImportForm(forms.Form):
    name = forms.CharField(label=_("Navn (valgfritt)"), max_length=200, required=False)
    file = forms.FileField(label=_("Kodebok (YAML)"), help_text=_("Temaer med koder, eller en flat liste med koder."))

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("Filen er for stor (høyst 2 MB)."))
        try:
            return str(upload.read().decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("Filen må være UTF-8-tekst.")) from exc


class CodebookForm(forms.ModelForm):
    questions_text = forms.CharField(
        label=_("Spørsmål (variabelkoder, kommaseparert)"), max_length=500, help_text=_("For eksempel I_korona.")
    )

    class Meta:
        model = Codebook
        fields = ["name", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].widget.attrs["rows"] = 2
        if self.instance.pk:
            self.fields["questions_text"].initial = ", ".join(self.instance.questions)

    def clean_questions_text(self) -> list[str]:
        codes = [c.strip() for c in self.cleaned_data["questions_text"].split(",") if c.strip()]
        if not codes:
            raise forms.ValidationError(_("Oppgi minst ett spørsmål."))
        return codes


class ThemeForm(forms.Form):
    key = forms.SlugField(label=_("Nøkkel"), max_length=80)
    label = forms.CharField(label=_("Navn"), max_length=200)
    description = forms.CharField(label=_("Beskrivelse"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CodeForm(forms.Form):
    key = forms.CharField(label=_("Nøkkel"), max_length=80, help_text=_("For eksempel tjenester.video."))
    theme = forms.ModelChoiceField(label=_("Tema"), queryset=Theme.objects.none(), required=False)
    label = forms.CharField(label=_("Navn"), max_length=200)
    statement = forms.CharField(
        label=_("Setning"), max_length=300, required=False, help_text=_("Fortsettelsen av «… kommuner beskriver at …».")
    )
    description = forms.CharField(label=_("Beskrivelse"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    include = forms.CharField(
        label=_("Eksempler som hører til (ett per linje)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    exclude = forms.CharField(
        label=_("Eksempler som ikke hører til (ett per linje)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, codebook: Codebook, code: Code | None = None, **kwargs: Any) -> None:
        if code is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "key": code.key,
                "theme": code.theme,
                "label": code.label,
                "statement": code.statement,
                "description": code.description,
                "include": "\n".join(code.include),
                "exclude": "\n".join(code.exclude),
            }
        super().__init__(*args, **kwargs)
        theme_field = self.fields["theme"]
        assert isinstance(theme_field, forms.ModelChoiceField)
        theme_field.queryset = codebook.themes.all()
        if code is not None:
            self.fields["key"].disabled = True


class MergeForm(forms.Form):
    sources = forms.ModelMultipleChoiceField(label=_("Koder som slås sammen"), queryset=Code.objects.none())
    target = forms.ModelChoiceField(label=_("Inn i koden"), queryset=Code.objects.none())

    def __init__(self, *args: Any, codebook: Codebook, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("sources", "target"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = codebook.active_codes()


class SplitForm(forms.Form):
    source = forms.ModelChoiceField(label=_("Koden som deles"), queryset=Code.objects.none())
    parts = forms.CharField(
        label=_("Nye koder (én per linje: nøkkel: navn)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Svarene med den gamle koden får den første nye koden."),
    )

    def __init__(self, *args: Any, codebook: Codebook, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["source"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = codebook.active_codes().filter(is_other=False)

    def clean_parts(self) -> list[tuple[str, str]]:
        parts = []
        for number, line in enumerate(self.cleaned_data["parts"].splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, label = line.partition(":")
            if not sep or not key.strip() or not label.strip():
                raise forms.ValidationError(_("Linje %(n)s: skriv «nøkkel: navn».") % {"n": number})
            parts.append((key.strip(), label.strip()))
        if len(parts) < 2:
            raise forms.ValidationError(_("Skriv minst to nye koder."))
        return parts
