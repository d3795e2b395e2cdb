"""Domain operations on questionnaires: importing a YAML version (all or nothing). The pure Definition is built
from the stored rows by the model (QuestionnaireVersion.definition(), from as_dict())."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kartlegg.accounts.models import Channel, audit
from kartlegg.surveys.definition import Definition
from kartlegg.surveys.definition import Question as QuestionDef
from kartlegg.surveys.loader import Problem, QuestionnaireImportError, check_document, line_index, plain, read_yaml
from kartlegg.surveys.models import Question, QuestionnaireVersion, Section, Survey, ValidationRule

__all__ = [
    "Problem",
    "QuestionnaireImportError",
    "import_questionnaire",
    "import_questionnaire_text",
]


def read_source(path_or_text: str | Path) -> tuple[str, str]:
    """(text, source name). A Path, or a one-line string naming an existing file, is read; else it is YAML text."""
    if isinstance(path_or_text, Path) or (
        "\n" not in path_or_text and len(path_or_text) < 1000 and Path(path_or_text).is_file()
    ):
        path = Path(path_or_text)
        try:
            return path.read_text(encoding="utf-8"), path.name
        except (OSError, UnicodeDecodeError) as exc:
            raise QuestionnaireImportError([Problem(0, f"kan ikke lese {path}: {exc}")]) from exc
    return str(path_or_text), ""


def _earlier_codes(survey_code: str, year: int, label: str) -> dict[str, QuestionDef]:
    """Every question of the survey's earlier versions (earlier year, or same year but another label), latest
    version winning, so `continues` can be checked against what really exists."""
    found: dict[str, QuestionDef] = {}
    earlier = (
        QuestionnaireVersion.objects.filter(survey__code=survey_code, year__lte=year)
        .exclude(year=year, label=label)
        .order_by("year", "imported_at")
    )
    for version in earlier:
        for question in version.definition().questions.values():
            found[question.code] = question
    return found


def _check_against_database(data: Any, defn: Definition, replace: bool) -> list[Problem]:
    problems: list[Problem] = []
    survey = Survey.objects.filter(code=defn.survey_code).first()
    if survey is not None and survey.kind != defn.kind:
        problems.append(Problem(data.get("survey").line, f"undersøkelsen «{survey.code}» er av typen {survey.kind}"))
    exists = QuestionnaireVersion.objects.filter(
        survey__code=defn.survey_code, year=defn.year, label=defn.label
    ).exists()
    if exists and not replace:
        problems.append(
            Problem(
                data.key_lines.get("label", 1),
                f"versjonen {defn.survey_code} {defn.year} «{defn.label}» finnes allerede; "
                "bruk --replace for å erstatte den",
            )
        )
    earlier = _earlier_codes(defn.survey_code, defn.year, defn.label)
    lines = line_index(data)
    for question in defn.questions.values():
        line = lines.get(question.code, 0)
        if question.continues and question.continues not in earlier:
            problems.append(
                Problem(
                    line,
                    f"spørsmål «{question.code}»: «continues» peker på «{question.continues}», som ikke finnes i "
                    f"noen tidligere versjon av {defn.survey_code}",
                )
            )
            continue
        previous = earlier.get(question.continues or question.code)
        if not question.is_grid or previous is None:
            continue
        if not previous.is_grid:
            problems.append(Problem(line, f"spørsmål «{question.code}»: forgjengeren er ikke et rutenett"))
            continue
        for what, renamed, old_lines in (
            ("rad", question.row_continues, previous.rows),
            ("kolonne", question.column_continues, previous.columns),
        ):
            old_codes = {code for code, _ in old_lines}
            merged = question.row_merges if what == "rad" else question.column_merges
            for new, olds in merged.items():
                for old in olds:
                    if old not in old_codes:
                        problems.append(
                            Problem(
                                line,
                                f"spørsmål «{question.code}»: {what} «{new}» slår sammen «{old}», som ikke finnes i "
                                f"«{previous.code}»",
                            )  # fmt: skip
                        )
            for new, old in renamed.items():
                if old not in old_codes:
                    problems.append(
                        Problem(
                            line,
                            f"spørsmål «{question.code}»: {what} «{new}» viderefører «{old}», som ikke "
                            f"finnes i «{previous.code}»",
                        )  # fmt: skip
                    )
    return problems


def import_questionnaire(
    path_or_text: str | Path, *, replace: bool = False, user: Any = None, published: bool | None = None
) -> QuestionnaireVersion:
    """Check the whole file, then import it in one transaction. Raises QuestionnaireImportError listing every
    problem (with line numbers); nothing is written unless the file is entirely sound."""
    text, source_name = read_source(path_or_text)
    return import_questionnaire_text(text, replace=replace, user=user, published=published, source_name=source_name)


def import_questionnaire_text(
    text: str, *, replace: bool = False, user: Any = None, published: bool | None = None, source_name: str = ""
) -> QuestionnaireVersion:
    """As import_questionnaire, for text that never names a file (uploads: a path in the text is not read)."""
    data, problems = read_yaml(text)
    defn = check_document(data, problems) if not problems else None
    if defn is None:
        raise QuestionnaireImportError(problems or [Problem(0, "filen kunne ikke leses")])
    problems = _check_against_database(data, defn, replace)
    if problems:
        raise QuestionnaireImportError(problems)
    plain_data = plain(data)
    with transaction.atomic():
        survey_data = plain_data["survey"]
        survey, _ = Survey.objects.update_or_create(
            code=defn.survey_code,
            defaults={
                "name": defn.survey_name,
                "kind": defn.kind,
                "pulse_interval_days": defn.pulse_interval_days or (14 if defn.kind == "pulse" else None),
                "description": str(survey_data.get("description") or ""),
            },
        )
        version = (
            QuestionnaireVersion.objects.select_for_update()
            .filter(survey=survey, year=defn.year, label=defn.label)
            .first()
        )
        replaced = version is not None
        if version is None:
            version = QuestionnaireVersion(survey=survey, year=defn.year, label=defn.label)
        else:
            # Keep the row (rounds point at it); replace everything under it.
            version.rules.all().delete()
            version.questions.all().delete()
            version.sections.all().delete()
        version.title = defn.title
        version.intro = defn.intro
        version.translations = defn.translations
        version.source = text
        version.source_name = source_name
        if published is not None:
            version.published = published
        elif "published" in plain_data:
            version.published = bool(plain_data["published"])
        version.imported_at = timezone.now()
        version.imported_by = user if getattr(user, "is_authenticated", False) else None
        version.save()
        _create_rows(version, plain_data)
        audit(
            "questionnaire.replace" if replaced else "questionnaire.import",
            user=user,
            channel=Channel.IMPORT,
            obj=version,
            survey=survey.code,
            year=version.year,
            label=version.label,
            questions=len(defn.questions),
            rules=len(defn.rules),
        )
    return version


def _create_rows(version: QuestionnaireVersion, data: dict[str, Any]) -> None:
    order = 0
    questions: list[Question] = []
    for s_order, s in enumerate(data["sections"]):
        section = Section.objects.create(
            version=version, code=s["code"], title=s["title"], help=s.get("help") or "", order=s_order
        )
        for q in s.get("questions") or []:
            order += 1
            questions.append(
                Question(
                    version=version,
                    section=section,
                    code=q["code"],
                    type=q["type"],
                    label=q["label"],
                    help=q.get("help") or "",
                    required=bool(q.get("required", False)),
                    min_value=q.get("min"),
                    max_value=q.get("max"),
                    decimals=q.get("decimals"),
                    max_length=q.get("max_length"),
                    unit=q.get("unit") or "",
                    choices=[_line(ch) for ch in q.get("choices") or []],
                    relevance=q.get("relevance") or "",
                    continues=q.get("continues") or "",
                    changed=q.get("changed") or "",
                    tags=list(q.get("tags") or []),
                    rows=[_line(r) for r in q.get("rows") or []],
                    columns=[_line(col) for col in q.get("columns") or []],
                    order=order,
                )
            )
    Question.objects.bulk_create(questions)
    ValidationRule.objects.bulk_create(
        ValidationRule(
            version=version,
            code=r["code"],
            expression=r["expression"],
            when=r.get("when") or "",
            each_cell=r.get("each_cell") or "",
            severity=r.get("severity", "error"),
            message=r["message"],
            variables=list(r.get("variables") or []),
            order=index,
        )
        for index, r in enumerate(data.get("rules") or [])
    )


def _line(item: dict[str, Any]) -> dict[str, str]:
    return {key: str(item[key]) for key in ("code", "label", "help", "continues", "merges", "changed") if item.get(key)}


def can_see_drafts(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_analyst)


def visible_versions(user: Any) -> QuerySet[QuestionnaireVersion]:
    """Published versions for everyone; unpublished drafts only for analysts."""
    versions = QuestionnaireVersion.objects.select_related("survey")
    return versions if can_see_drafts(user) else versions.filter(published=True)


def get_version_for_user(user: Any, version_id: int) -> QuestionnaireVersion:
    """The one way to reach a version by id. Raises QuestionnaireVersion.DoesNotExist when it is missing or the
    user may not see it (a draft is indistinguishable from a missing version to outsiders)."""
    return visible_versions(user).get(pk=version_id)
