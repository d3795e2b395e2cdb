"""Building and editing codebooks: import and export as YAML, edits, merges and splits. Every change is audited
(`accounts.audit`, object = the codebook, so one query gives its history)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.shortcuts import get_object_or_404

from kartlegg.accounts.models import AuditEvent, Channel, audit
from kartlegg.accounts.permissions import require_analyst

from ..classify import CodeSpec
from ..codebook_io import KEY, CodebookData, CodeData, ThemeData, dump_codebook, parse_codebook
from ..models import Code, Codebook, Coding, Theme

EDITABLE = ("label", "statement", "description", "include", "exclude")


def get_codebook_for_user(user: Any, pk: int) -> Codebook:
    """The one way views reach a codebook: analysts only."""
    require_analyst(user)
    return get_object_or_404(Codebook, pk=pk)


def _log(action: str, book: Codebook, user: Any, channel: str = Channel.FORM, **detail: Any) -> None:
    audit(f"freetext.{action}", user=user, channel=channel, obj=book, **detail)


def history(book: Codebook) -> Any:
    return AuditEvent.objects.filter(object_type="freetext.codebook", object_id=str(book.pk)).select_related("user")


@transaction.atomic
def import_codebook(
    source: str, user: Any, *, name: str = "", into: Codebook | None = None, channel: str = Channel.IMPORT
) -> Codebook:
    """Create a codebook from YAML, or add the file's themes and codes to `into` (existing keys are updated).
    All or nothing: CodebookError names the line."""
    data = parse_codebook(source, default_name=name or "Kodebok")
    book = into or Codebook.objects.create(
        name=name or data.name, description=data.description, questions=data.questions, created_by=user
    )
    if into is not None and data.questions:
        book.questions = sorted(set(book.questions) | set(data.questions))
        book.save(update_fields=["questions"])
    theme_order = Theme.objects.filter(codebook=book).aggregate(m=Max("order"))["m"] or 0
    for theme_data in data.themes:
        theme_order += 1
        theme, _ = Theme.objects.update_or_create(
            codebook=book,
            key=theme_data.key,
            defaults={"label": theme_data.label, "description": theme_data.description},
            create_defaults={"label": theme_data.label, "description": theme_data.description, "order": theme_order},
        )
        for order, code in enumerate(theme_data.codes, start=1):
            _save_code(book, theme, code, order)
    _save_code(book, None, data.other, 0)
    _log("import", book, user, channel, codes=[c.key for c in data.codes()])
    return book


def _save_code(book: Codebook, theme: Theme | None, data: CodeData, order: int) -> Code:
    fields = {f: getattr(data, f) for f in EDITABLE}
    code, _ = Code.objects.update_or_create(
        codebook=book,
        key=data.key,
        defaults={**fields, "theme": theme, "is_other": data.is_other, "active": True},
        create_defaults={**fields, "theme": theme, "is_other": data.is_other, "order": order},
    )
    return code


def ensure_other(book: Codebook) -> Code:
    """Every codebook has its "ikke relevant / annet" code."""
    other = book.codes.filter(is_other=True, active=True).first()
    if other is None:
        other = _save_code(book, None, CodebookData(book.name).other, 0)
    return other


def as_data(book: Codebook) -> CodebookData:
    data = CodebookData(book.name, book.description, list(book.questions))
    codes = list(book.active_codes())
    for theme in book.themes.all():
        data.themes.append(
            ThemeData(
                theme.key,
                theme.label,
                theme.description,
                [_code_data(c) for c in codes if c.theme_id == theme.pk and not c.is_other],
            )
        )
    data.themes = [t for t in data.themes if t.codes]
    other = next((c for c in codes if c.is_other), None)
    if other is not None:
        data.other = _code_data(other)
    return data


def _code_data(code: Code) -> CodeData:
    return CodeData(
        code.key,
        code.label,
        code.description,
        code.statement,
        list(code.include),
        list(code.exclude),
        code.is_other,
    )


def export_yaml(book: Codebook) -> str:
    return dump_codebook(as_data(book))


def code_specs(book: Codebook) -> list[CodeSpec]:
    return [CodeSpec(c.key, c.label, tuple(c.include), tuple(c.exclude), c.is_other) for c in book.active_codes()]


def _examples(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    return [str(v).strip() for v in value or [] if str(v).strip()]


@transaction.atomic
def save_code(book: Codebook, user: Any, values: dict[str, Any], code: Code | None = None) -> Code:
    """Create a code (values include `key` and `theme`) or edit one; the old and new values go to the audit log."""
    theme = values.get("theme")
    if theme is not None and theme.codebook_id != book.pk:
        raise ValidationError({"theme": "Temaet hører til en annen kodebok."})
    clean = {f: values[f] for f in EDITABLE if f in values}
    for name in ("include", "exclude"):
        if name in clean:
            clean[name] = _examples(clean[name])
    if not (clean.get("label") or (code and code.label)):
        raise ValidationError({"label": "Koden må ha et navn."})
    if code is None:
        key = str(values.get("key", "")).strip()
        if not KEY.match(key):
            raise ValidationError({"key": f"Ugyldig nøkkel «{key}»."})
        if book.codes.filter(key=key).exists():
            raise ValidationError({"key": f"Nøkkelen «{key}» finnes fra før."})
        order = (book.codes.aggregate(m=Max("order"))["m"] or 0) + 1
        code = Code.objects.create(codebook=book, key=key, theme=theme, order=order, **clean)
        _log("code.create", book, user, code=key, after=clean)
        return code
    old = {f: getattr(code, f) for f in clean}
    for name, value in clean.items():
        setattr(code, name, value)
    if theme is not None:
        old["theme"] = code.theme.key if code.theme else None
        clean["theme"] = theme.key
        code.theme = theme
    code.save()
    _log("code.edit", book, user, code=code.key, before=old, after=dict(clean))
    return code


@transaction.atomic
def save_theme(book: Codebook, user: Any, key: str, label: str, description: str = "") -> Theme:
    key = key.strip()
    if not KEY.match(key):
        raise ValidationError({"key": f"Ugyldig nøkkel «{key}»."})
    if not label.strip():
        raise ValidationError({"label": "Temaet må ha et navn."})
    order = (book.themes.aggregate(m=Max("order"))["m"] or 0) + 1
    theme, created = Theme.objects.update_or_create(
        codebook=book,
        key=key,
        defaults={"label": label.strip(), "description": description.strip()},
        create_defaults={"label": label.strip(), "description": description.strip(), "order": order},
    )
    _log("theme.create" if created else "theme.edit", book, user, theme=key, label=label)
    return theme


@transaction.atomic
def merge_codes(book: Codebook, user: Any, sources: list[Code], target: Code) -> int:
    """Move every coding of `sources` to `target` and retire the sources (kept, pointing at the target, so the
    history shows where they went). Returns the number of codings moved."""
    sources = [c for c in sources if c.pk != target.pk]
    if not sources:
        raise ValidationError({"sources": "Velg minst én kode å slå sammen med målkoden."})
    if any(c.codebook_id != book.pk for c in [*sources, target]) or not target.active:
        raise ValidationError({"target": "Kodene må være aktive koder i denne kodeboken."})
    moved = 0
    for coding in Coding.objects.filter(codebook=book, codes__in=sources).distinct():
        coding.codes.remove(*sources)
        coding.codes.add(target)
        moved += 1
    Code.objects.filter(pk__in=[c.pk for c in sources]).update(active=False, replaced_by=target)
    _log("code.merge", book, user, sources=[c.key for c in sources], target=target.key, codings=moved)
    return moved


@transaction.atomic
def split_code(book: Codebook, user: Any, source: Code, parts: list[tuple[str, str]]) -> list[Code]:
    """Replace `source` by new codes (key, label). The answers that had `source` get the first new code, so no
    code given is lost; the history lists them, so a coder can look through them with the filter on that code."""
    if source.codebook_id != book.pk or not source.active or source.is_other:
        raise ValidationError({"source": "Bare aktive koder (ikke «annet») kan deles."})
    if len(parts) < 2:
        raise ValidationError({"parts": "En kode deles i minst to nye koder."})
    new = [
        save_code(book, user, {"key": key, "label": label, "theme": source.theme, "description": source.description})
        for key, label in parts
    ]
    codings = list(Coding.objects.filter(codebook=book, codes=source))
    for coding in codings:
        coding.codes.remove(source)
        coding.codes.add(new[0])
    source.active = False
    source.replaced_by = new[0]
    source.save(update_fields=["active", "replaced_by"])
    _log(
        "code.split",
        book,
        user,
        source=source.key,
        parts=[c.key for c in new],
        answers=[c.answer_id for c in codings],
    )
    return new
