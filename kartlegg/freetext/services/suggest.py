"""Suggestions for a round's answers, from the codebook's confirmed codings (every round) and its examples.

The trained suggester and its predictions are kept in this process, keyed by a fingerprint of what they were
trained on (the confirmed codings and the codebook's latest edit), so a page view retrains only after codes have
changed; at 300 answers a retraining takes well under a second (benchmarks/freetext.py). Nothing is written to
the database: a suggestion becomes a code only when a coder accepts it.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db.models import Count, Max

from kartlegg.accounts.models import AuditEvent
from kartlegg.responses.models import Answer, Round

from ..classify import Prediction, Suggester
from ..models import Codebook, Coding
from . import codebook as codebook_services
from .coding import answers_for, final_codes

LOW_CONFIDENCE = (0.3, 0.7)  # a suggestion scored in this band is "uncertain"
_CACHE: dict[tuple[int, int], tuple[Any, dict[int, Prediction]]] = {}
_LOCK = threading.Lock()


def fingerprint(book: Codebook) -> tuple[Any, ...]:
    confirmed = Coding.objects.filter(codebook=book, confirmed=True).aggregate(n=Count("id"), at=Max("updated_at"))
    edits = (
        AuditEvent.objects.filter(object_type="freetext.codebook", object_id=str(book.pk))
        .exclude(action__startswith="freetext.coding")
        .aggregate(m=Max("id"))["m"]
    )
    return confirmed["n"], confirmed["at"], edits


def train(book: Codebook) -> Suggester:
    finals = final_codes(book)
    texts = dict(Answer.objects.filter(pk__in=list(finals)).values_list("pk", "value_text"))
    ids = [pk for pk in finals if texts.get(pk)]
    return Suggester(codebook_services.code_specs(book)).fit([texts[i] or "" for i in ids], [finals[i] for i in ids])


def predictions(book: Codebook, round_obj: Round) -> dict[int, Prediction]:
    """answer id → Prediction for every answer in the round (cached until the codes change)."""
    key = (book.pk, round_obj.pk)
    stamp = fingerprint(book)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    suggester = train(book)
    answers = list(answers_for(book, round_obj).values_list("pk", "value_text"))
    result = dict(zip([pk for pk, _ in answers], suggester.predict([t or "" for _, t in answers]), strict=True))
    with _LOCK:
        _CACHE[key] = (stamp, result)
    return result


def is_low_confidence(prediction: Prediction | None) -> bool:
    low, high = LOW_CONFIDENCE
    return prediction is not None and any(low <= s < high for s in prediction.scores.values())


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
