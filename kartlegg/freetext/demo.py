"""The free-text demo step: the April 2020 question coded the way a team would have it half-way through.

Imports the shipped codebook (data/korona2020.yaml), then codes about half of the 2020 answers as the demo analyst,
from the themes the demo generator put into each answer (with a little human noise), gives 40 of them to a second
coder who codes them blind (with other noise, so the agreement is high but not perfect), and marks a few short
answers publishable with their masked text confirmed. Called with one line from the demo runner; idempotent (a
rerun replaces the demo codebook).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from kartlegg.accounts.models import Channel, Role
from kartlegg.responses.models import Round

from .models import Codebook, SecondCoder
from .services import codebook as codebook_services
from .services.coding import answers_for, set_codes
from .services.summary import confirm_quote, masker

CODEBOOK = Path(__file__).parent / "data" / "korona2020.yaml"
PRIMARY = "analytiker"
SECOND = "koder2"
SHARE_CODED = 0.5
DOUBLE_CODED = 40
QUOTES = 10


def _noisy(themes: Sequence[str], keys: Sequence[str], rng: random.Random, noise: float) -> list[str]:
    codes = [t for t in themes if t in keys and rng.random() >= noise]
    if rng.random() < noise:
        codes.append(rng.choice(list(keys)))
    return sorted(set(codes)) or ["annet"]


@transaction.atomic
def add_demo_coding(
    rounds: Mapping[int, int], themes: Mapping[str, Mapping[str, Sequence[str]]], seed: int
) -> dict[str, Any]:
    """`rounds`: year → round id; `themes`: str(year) → unit code → the themes the generator wrote (RunResult)."""
    round_id = rounds.get(2020)
    if round_id is None:
        return {"coded": 0}
    round_obj = Round.objects.get(pk=round_id)
    users = get_user_model().objects
    primary = users.filter(username=PRIMARY).first() or users.filter(role=Role.ANALYST).first()
    if primary is None:
        return {"coded": 0}
    second, created = users.get_or_create(
        username=SECOND,
        defaults={
            "role": Role.ANALYST,
            "first_name": "Kari",
            "last_name": "Koder",
            "email": "koder2@demo.kartlegg.invalid",
        },
    )
    if created:
        second.set_unusable_password()
        second.save()
    Codebook.objects.filter(name=codebook_services.parse_codebook(CODEBOOK.read_text(encoding="utf-8")).name).delete()
    book = codebook_services.import_codebook(CODEBOOK.read_text(encoding="utf-8"), primary, channel=Channel.SYSTEM)
    keys = [c.key for c in book.active_codes() if not c.is_other]
    truth = themes.get("2020", {})
    rng = random.Random(f"{seed}:freetext")
    answers = list(answers_for(book, round_obj))
    chosen = sorted(rng.sample(answers, round(len(answers) * SHARE_CODED)), key=lambda a: a.pk)
    for answer in chosen:
        codes = _noisy(truth.get(answer.response.unit.code, []), keys, rng, 0.04)
        set_codes(book, answer, primary, codes, confirm=True, channel=Channel.SYSTEM)
    double = rng.sample(chosen, min(DOUBLE_CODED, len(chosen)))
    SecondCoder.objects.bulk_create([SecondCoder(codebook=book, answer=a, coder=second) for a in double])
    for answer in double:
        codes = _noisy(truth.get(answer.response.unit.code, []), keys, rng, 0.08)
        set_codes(book, answer, second, codes, confirm=True, channel=Channel.SYSTEM)
    mask = masker()
    for answer in sorted(chosen, key=lambda a: (len(a.value_text or ""), a.pk))[:QUOTES]:
        confirm_quote(book, answer, primary, True, mask.mask(answer.value_text or "").text)
    return {"codebook": book.pk, "answers": len(answers), "coded": len(chosen), "double_coded": len(double)}
