"""Double coding: give a share of a round's answers to a second coder, measure agreement, resolve disagreements."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from kartlegg.accounts.models import audit
from kartlegg.lib.numbers import format_number
from kartlegg.responses.models import Answer, Round

from ..metrics import cohen_kappa, kappa_words, krippendorff_alpha
from ..models import Codebook, Coding, SecondCoder
from .coding import answers_for, codings_by_answer, set_codes


@transaction.atomic
def assign_second_coder(
    book: Codebook, round_obj: Round, coder: Any, share: float, by: Any, *, seed: int = 0
) -> list[int]:
    """Give `share` (0–1] of the round's answers to `coder`, chosen at random (reproducible with `seed`), preferring
    answers that someone else has already confirmed. Returns the answer ids."""
    if not getattr(coder, "is_analyst", False):
        raise ValidationError({"coder": "Andrekoderen må være analytiker."})
    if not 0 < share <= 1:
        raise ValidationError({"share": "Andelen må være mellom 0 og 100 %."})
    answers = list(answers_for(book, round_obj).values_list("id", flat=True))
    coded_by_others = set(
        Coding.objects.filter(codebook=book, answer_id__in=answers, confirmed=True)
        .exclude(coder=coder)
        .values_list("answer_id", flat=True)
    )
    rng = random.Random(seed)
    first = sorted(coded_by_others)
    rest = sorted(set(answers) - coded_by_others)
    rng.shuffle(first)
    rng.shuffle(rest)
    wanted = max(1, round(share * len(answers))) if answers else 0
    chosen = (first + rest)[:wanted]
    SecondCoder.objects.bulk_create(
        [SecondCoder(codebook=book, answer_id=a, coder=coder) for a in chosen], ignore_conflicts=True
    )
    audit("freetext.second_coder", user=by, obj=book, coder=coder.username, round=round_obj.pk, answers=len(chosen))
    return chosen


@dataclass
class CodeAgreement:
    key: str
    label: str
    kappa: float | None
    alpha: float | None
    both: int  # answers where both coders gave the code
    either: int  # answers where at least one coder gave it


@dataclass
class AgreementReport:
    answers: int  # answers coded by two or more coders
    total: int  # answers in the round
    coders: int
    kappa: float | None  # pooled over every (answer, code) decision
    alpha: float | None  # Krippendorff's alpha, pooled the same way (reported when there are more than two coders)
    per_code: list[CodeAgreement] = field(default_factory=list)

    def sentence(self) -> str:
        """The methods text: how many answers were double-coded and how well the coders agreed."""
        if not self.answers:
            return "Ingen svar er kodet av to kodere ennå, så samsvaret mellom koderne er ikke målt."
        share = format_number(100 * self.answers / self.total if self.total else 0, 0)
        kappas = [c.kappa for c in self.per_code if c.kappa is not None]
        spread = f"; per kode fra {format_number(min(kappas), 2)} til {format_number(max(kappas), 2)}" if kappas else ""
        text = (
            f"{format_number(self.answers)} av {format_number(self.total)} svar ({share} %) ble kodet uavhengig av "
            f"{'to' if self.coders == 2 else format_number(self.coders)} kodere. Samsvaret var "
            f"{kappa_words(self.kappa)} (Cohens kappa {format_number(self.kappa, 2) if self.kappa is not None else '–'}"
            f" samlet{spread})"
        )
        if self.coders > 2 and self.alpha is not None:
            text += f", Krippendorffs alfa {format_number(self.alpha, 2)}"
        return text + ". Uenighetene ble avgjort av en analytiker."


def report(book: Codebook, round_obj: Round) -> AgreementReport:
    answers = answers_for(book, round_obj)
    ids = list(answers.values_list("id", flat=True))
    by_answer = codings_by_answer(book, ids)
    pairs: dict[int, dict[int, set[str]]] = {}
    for answer_id, codings in by_answer.items():
        coded = {c.coder_id: {x.key for x in c.codes.all()} for c in codings if c.confirmed and not c.consensus}
        if len(coded) >= 2:
            pairs[answer_id] = coded
    coders = sorted({coder for coded in pairs.values() for coder in coded})
    codes = list(book.active_codes())
    result = AgreementReport(len(pairs), len(ids), len(coders), None, None)
    pooled_a: list[bool] = []
    pooled_b: list[bool] = []
    pooled_units: list[dict[str, Any]] = []
    for code in codes:
        first: list[bool] = []
        second: list[bool] = []
        units: list[dict[str, Any]] = []
        both = either = 0
        for coded in pairs.values():
            order = sorted(coded)
            values = [code.key in coded[c] for c in order]
            first.append(values[0])
            second.append(values[1])
            units.append({str(c): code.key in coded[c] for c in order})
            both += all(values)
            either += any(values)
        result.per_code.append(
            CodeAgreement(code.key, code.label, cohen_kappa(first, second), krippendorff_alpha(units), both, either)
        )
        pooled_a += first
        pooled_b += second
        pooled_units += units
    result.kappa = cohen_kappa(pooled_a, pooled_b)
    result.alpha = krippendorff_alpha(pooled_units)
    return result


@transaction.atomic
def resolve(book: Codebook, answer: Answer, user: Any, codes: list[str]) -> Coding:
    """The analyst's decision on a disagreement: a consensus coding, which the summary uses."""
    return set_codes(book, answer, user, codes, consensus=True)
