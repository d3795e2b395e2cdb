"""Factories for the free-text tests: a 2020 round with the open question, answers written straight to the
database, and the shipped codebook imported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.utils import timezone

from kartlegg.freetext.models import Codebook
from kartlegg.freetext.services import codebook as codebook_services
from kartlegg.responses import services
from kartlegg.responses.models import Answer, Response, ResponseStatus, Round
from kartlegg.surveys.models import QuestionnaireVersion
from kartlegg.surveys.services import import_questionnaire

from . import make_analyst

SOURCE = (Path(__file__).parent.parent / "fixtures" / "freetext" / "korona.yaml").read_text(encoding="utf-8")
CODEBOOK = Path(__file__).parents[2] / "kartlegg" / "freetext" / "data" / "korona2020.yaml"

TEXTS = {
    "4601": "Dagsenteret i Bergen ble stengt, og Kari fulgte opp brukerne på telefon.",
    "030101": "Vi ringte brukerne og gikk turer ute. Dagtilbudet er ikke stengt.",
    "1103": "Flere ansatte ble omdisponert til smittesporing.",
    "5001": "Færre henvisninger enn vanlig, og vi er bekymret for sårbar ungdom.",
    "3024": "Ingen kommentar.",
}


def version() -> QuestionnaireVersion:
    found = QuestionnaireVersion.objects.filter(survey__code="fritekst", year=2020).first()
    return found or import_questionnaire(SOURCE)


def korona_round(analyst: Any = None) -> Round:
    opens = timezone.now() - dt.timedelta(days=10)
    return services.open_round(
        version(),
        name="Fritekst 2020",
        year=2020,
        opens_at=opens,
        deadline=(opens + dt.timedelta(days=30)).date(),
        user=analyst or make_analyst(),
    )


def write_texts(round_obj: Round, texts: dict[str, str] | None = None) -> dict[str, Answer]:
    """One answer per unit code, the responses marked submitted."""
    out = {}
    for code, text in (texts or TEXTS).items():
        response = Response.objects.get(round=round_obj, unit__code=code)
        out[code] = Answer.objects.create(response=response, variable="I_korona", value_text=text)
        Response.objects.filter(pk=response.pk).update(status=ResponseStatus.SUBMITTED, submitted_at=timezone.now())
    return out


def codebook(analyst: Any) -> Codebook:
    return codebook_services.import_codebook(CODEBOOK.read_text(encoding="utf-8"), analyst)
