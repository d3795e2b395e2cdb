"""The summary of a round's coded answers, and the quotes an analyst has marked publishable.

`summary_for(book, round)` returns a plain `FreetextSummary` (kartlegg.freetext.summary) that the report's
free-text chapter, the pulse quick report and the standalone exports all render (docs/freetext.md).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kartlegg.accounts.models import audit
from kartlegg.geography.models import County, Municipality, ReportingUnit
from kartlegg.responses.models import Answer, Round

from .. import summary as pure
from ..masking import Masker
from ..models import Codebook, Quote
from . import agreement
from .coding import answers_for, final_codes


def scale() -> tuple[pure.ScaleStep, ...]:
    return pure.parse_scale(getattr(settings, "KARTLEGG_FREETEXT_SCALE", pure.DEFAULT_SCALE))


def code_infos(book: Codebook) -> list[pure.CodeInfo]:
    return [
        pure.CodeInfo(
            c.key,
            c.label,
            c.theme.key if c.theme else "",
            c.theme.label if c.theme else "",
            c.statement,
            c.is_other,
        )
        for c in book.active_codes()
    ]


def summary_for(book: Codebook, round_obj: Round, *, min_group: int = pure.MIN_GROUP) -> pure.FreetextSummary:
    """Everything the summary section shows, computed once: counts, shares, quantifiers, sentences, quotes that
    are publishable and confirmed, and the breakdowns by county and size group (groups under `min_group` units
    suppressed). The agreement sentence goes with it for the methods text."""
    answers = list(answers_for(book, round_obj))
    finals = final_codes(book, [a.pk for a in answers])
    units = []
    for answer in answers:
        if answer.pk in finals:
            unit = answer.response.unit
            units.append(pure.UnitCodes(unit.code, frozenset(finals[answer.pk]), unit.county_code, unit.size_group))
    quotes = [
        pure.QuoteText(q.answer.response.unit.code, q.masked_text, frozenset(finals.get(q.answer_id, set())))
        for q in Quote.objects.filter(
            codebook=book, answer__in=answers, publishable=True, confirmed_at__isnull=False
        ).select_related("answer__response__unit")
    ]
    counties = dict(County.objects.filter(year=round_obj.year).values_list("code", "name"))
    kinds = {a.response.unit.kind for a in answers}
    report = agreement.report(book, round_obj)
    return pure.build_summary(
        code_infos(book),
        units,
        answered=len({a.response.unit.code for a in answers}),
        quotes=quotes,
        scale=scale(),
        noun=getattr(settings, "KARTLEGG_FREETEXT_NOUN", "kommuner"),
        note="Oslos bydeler teller som egne enheter." if "bydel" in kinds else "",
        title=book.name,
        question=_question_label(round_obj, book),
        county_names=counties,
        min_group=min_group,
        method=report.sentence() if report.answers else "",
    )


def _question_label(round_obj: Round, book: Codebook) -> str:
    try:
        questions = round_obj.definition().questions
    except Exception:  # noqa: BLE001 - the label is a nicety; the summary stands without it
        return ", ".join(book.questions)
    return " / ".join(str(questions[q].label) for q in book.questions if q in questions) or ", ".join(book.questions)


@lru_cache(maxsize=1)
def _place_names() -> tuple[str, ...]:
    names = set(Municipality.objects.values_list("name", flat=True))
    names |= set(County.objects.values_list("name", flat=True))
    names |= set(ReportingUnit.objects.values_list("name", flat=True))
    return tuple(sorted(names))


def masker() -> Masker:
    return Masker(_place_names())


def quote_candidates(book: Codebook, round_obj: Round, theme: str = "", limit: int = 60) -> list[dict[str, Any]]:
    """Coded answers with their automatic masking and any saved quote, shortest first (short answers quote best)."""
    answers = list(answers_for(book, round_obj))
    finals = final_codes(book, [a.pk for a in answers])
    theme_codes = set(book.codes.filter(theme__key=theme).values_list("key", flat=True)) if theme else set()
    saved = {q.answer_id: q for q in Quote.objects.filter(codebook=book, answer__in=answers)}
    mask = masker()
    rows = []
    for answer in sorted(answers, key=lambda a: (len(a.value_text or ""), a.pk)):
        codes = finals.get(answer.pk)
        if not codes or (theme_codes and not codes & theme_codes):
            continue
        auto = mask.mask(answer.value_text or "")
        rows.append({"answer": answer, "codes": sorted(codes), "auto": auto, "quote": saved.get(answer.pk)})
        if len(rows) >= limit:
            break
    return rows


@transaction.atomic
def confirm_quote(book: Codebook, answer: Answer, user: Any, publishable: bool, masked_text: str) -> Quote:
    """The analyst marks an answer publishable (or not) and confirms its masked text."""
    masked_text = (masked_text or "").strip()
    if publishable and not masked_text:
        from django.core.exceptions import ValidationError

        raise ValidationError({"masked_text": "Et sitat trenger en tekst."})
    quote, _ = Quote.objects.update_or_create(
        codebook=book,
        answer=answer,
        defaults={
            "publishable": publishable,
            "masked_text": masked_text,
            "confirmed_by": user,
            "confirmed_at": timezone.now(),
        },
    )
    audit(
        "freetext.quote",
        user=user,
        obj=book,
        unit_code=answer.response.unit.code,
        variable=answer.variable,
        new=masked_text if publishable else None,
        answer=answer.pk,
        publishable=publishable,
    )
    return quote
