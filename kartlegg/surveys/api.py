"""Questionnaires in the open API: the list of versions, and one version in full (sections, questions with every
attribute, grids and rules), so anyone can read exactly what was asked in a given year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Path, Query, Router, Schema
from ninja.errors import HttpError

from kartlegg.accounts.tokens import api_user
from kartlegg.surveys import engine
from kartlegg.surveys.models import QuestionnaireVersion
from kartlegg.surveys.services import get_version_for_user, visible_versions

router = Router(tags=["spørreskjema"])

MAX_ID = 2**63 - 1


class ErrorOut(Schema):
    error: str


class SurveyOut(Schema):
    code: str
    name: str
    kind: str
    interval_days: int | None = None


class VersionSummaryOut(Schema):
    id: int
    survey: SurveyOut
    year: int
    label: str
    title: str
    published: bool
    imported_at: dt.datetime
    question_count: int
    variable_count: int
    url: str
    pdf_url: str


class LineOut(Schema):
    code: str
    label: str
    help: str = ""
    continues: str = ""


class ChoiceOut(Schema):
    code: str
    label: str


class QuestionOut(Schema):
    code: str
    type: str
    label: str
    help: str
    required: bool
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    max_length: int | None = None
    unit: str = ""
    choices: list[ChoiceOut]
    relevance: str
    continues: str
    tags: list[str]
    rows: list[LineOut]
    columns: list[LineOut]
    value_codes: list[str]


class SectionOut(Schema):
    code: str
    title: str
    help: str
    questions: list[QuestionOut]


class RuleOut(Schema):
    code: str
    expression: str
    when: str
    each_cell: str
    severity: str
    message: str
    variables: list[str]


class VersionOut(Schema):
    id: int
    survey: SurveyOut
    year: int
    label: str
    title: str
    intro: str
    language: str = "nb"
    published: bool
    imported_at: dt.datetime
    reserved_variables: dict[str, str]
    sections: list[SectionOut]
    rules: list[RuleOut]


def _survey(version: QuestionnaireVersion) -> dict[str, Any]:
    survey = version.survey
    return {"code": survey.code, "name": survey.name, "kind": survey.kind, "interval_days": survey.pulse_interval_days}


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@router.get("/questionnaires", response={200: list[VersionSummaryOut], 401: ErrorOut}, summary="Skjemaversjoner")
def list_questionnaires(request: HttpRequest) -> list[dict[str, Any]]:
    """Every questionnaire version the caller may see (published ones for the public), newest first."""
    out = []
    for version in visible_versions(api_user(request)).order_by("survey__code", "-year", "label"):
        defn = version.definition()
        out.append(
            {
                "id": version.pk,
                "survey": _survey(version),
                "year": version.year,
                "label": version.label,
                "title": version.title,
                "published": version.published,
                "imported_at": version.imported_at,
                "question_count": len(defn.questions),
                "variable_count": len(engine.value_codes(defn)),
                "url": reverse("api:get_questionnaire", kwargs={"version_id": version.pk}),
                "pdf_url": reverse("surveys:pdf", args=[version.pk]),
            }
        )
    return out


@router.get(
    "/questionnaires/{version_id}",
    response={200: VersionOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    summary="Én skjemaversjon i sin helhet",
    url_name="get_questionnaire",
)
def get_questionnaire(
    request: HttpRequest,
    version_id: int = Path(..., ge=1, le=MAX_ID),
    lang: Literal["nb", "nn", "en"] = Query("nb", description="Language of the texts: nb (bokmål), nn or en"),
) -> dict[str, Any]:
    """Sections, questions with all attributes (grids with rows, columns and cell codes), and validation rules.
    Grid cells are stored as `grid.row.column`; totals are computed, never stored. `lang` gives the texts in
    nynorsk or English where the questionnaire translates them (bokmål otherwise); codes never change."""
    try:
        version = get_version_for_user(api_user(request), version_id)
    except QuestionnaireVersion.DoesNotExist as exc:
        raise HttpError(404, f"Fant ingen skjemaversjon med id {version_id}.") from exc
    defn = version.definition(lang)
    data = engine.definition_to_dict(defn)
    for section in data["sections"]:
        for question in section["questions"]:
            q = defn.questions[question["code"]]
            question["min"] = _number(q.min_value)
            question["max"] = _number(q.max_value)
            question["value_codes"] = q.cell_codes() if q.is_grid else [q.code]
    return {
        "id": version.pk,
        "survey": _survey(version),
        "year": version.year,
        "label": version.label,
        "title": defn.title,
        "intro": defn.intro,
        "language": lang,
        "published": version.published,
        "imported_at": version.imported_at,
        "reserved_variables": dict(engine.RESERVED_VARIABLES),
        "sections": data["sections"],
        "rules": data["rules"],
    }
