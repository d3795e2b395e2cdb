"""Coding answers: the coder's queue, saving codes at once, confirming, undo, progress, and the final codes that the
summary and the suggestions use. Every action is one audited transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from kartlegg.accounts.models import AuditEvent, Channel, audit
from kartlegg.responses.models import Answer, Round

from ..models import Code, Codebook, Coding, SecondCoder

CODING_ACTION = "freetext.coding"
UNDO_ACTION = "freetext.coding.undo"


def answers_for(book: Codebook, round_obj: Round) -> QuerySet[Answer]:
    """The round's non-empty answers to the codebook's questions, in unit order."""
    return (
        Answer.objects.filter(response__round=round_obj, variable__in=list(book.questions))
        .exclude(value_text__isnull=True)
        .exclude(value_text="")
        .select_related("response__unit")
        .order_by("response__unit__code", "variable", "id")
    )


def queue_for(book: Codebook, round_obj: Round, user: Any) -> QuerySet[Answer]:
    """What this coder codes: the answers assigned to them as second coder, if any, otherwise all answers."""
    answers = answers_for(book, round_obj)
    assigned = SecondCoder.objects.filter(codebook=book, coder=user, answer__response__round=round_obj)
    if assigned.exists():
        return answers.filter(pk__in=assigned.values("answer_id"))
    return answers


def is_second_coder(book: Codebook, round_obj: Round, user: Any) -> bool:
    return SecondCoder.objects.filter(codebook=book, coder=user, answer__response__round=round_obj).exists()


def coding_of(book: Codebook, answer: Answer, user: Any) -> Coding | None:
    return Coding.objects.filter(codebook=book, answer=answer, coder=user, consensus=False).first()


def _keys(codes: Iterable[Code]) -> str:
    return ",".join(sorted(c.key for c in codes))


def _codes(book: Codebook, keys_or_ids: Iterable[Any]) -> list[Code]:
    wanted = [str(k) for k in keys_or_ids if str(k).strip()]
    found = {c.key: c for c in book.active_codes()}
    by_id = {str(c.pk): c for c in found.values()}
    codes = []
    for item in wanted:
        code = found.get(item) or by_id.get(item)
        if code is None:
            raise ValidationError({"codes": f"Ukjent kode «{item}» i denne kodeboken."})
        codes.append(code)
    return codes


@transaction.atomic
def set_codes(
    book: Codebook,
    answer: Answer,
    user: Any,
    codes: Iterable[Any],
    *,
    confirm: bool | None = None,
    consensus: bool = False,
    channel: str = Channel.FORM,
) -> Coding:
    """Give `answer` exactly these codes (keys or ids) for this coder, and confirm it if asked. Audited with the old
    and new codes, so undo can restore them."""
    if answer.variable not in book.questions:
        raise ValidationError({"answer": "Svaret hører ikke til kodebokens spørsmål."})
    chosen = _codes(book, codes)
    coding, _ = Coding.objects.select_for_update().get_or_create(
        codebook=book, answer=answer, coder=user, consensus=consensus
    )
    old_codes, old_confirmed = _keys(coding.codes.all()), coding.confirmed
    coding.codes.set(chosen)
    if confirm is not None:
        coding.confirmed = confirm
    if consensus:
        coding.confirmed = True
    coding.save()
    audit(
        CODING_ACTION,
        user=user,
        channel=channel,
        obj=book,
        unit_code=answer.response.unit.code,
        variable=answer.variable,
        old=old_codes,
        new=_keys(chosen),
        answer=answer.pk,
        consensus=consensus,
        old_confirmed=old_confirmed,
        confirmed=coding.confirmed,
    )
    return coding


@transaction.atomic
def undo_last(book: Codebook, user: Any) -> Answer | None:
    """Undo this coder's latest coding action in the codebook (repeatable: each undo goes one step further back).
    Returns the answer it restored, or None when there is nothing to undo."""
    events = AuditEvent.objects.filter(
        object_type="freetext.codebook", object_id=str(book.pk), user=user, action__in=[CODING_ACTION, UNDO_ACTION]
    ).order_by("-id")
    undone = {e.detail.get("undoes") for e in events if e.action == UNDO_ACTION}
    target = next((e for e in events if e.action == CODING_ACTION and e.pk not in undone), None)
    if target is None:
        return None
    answer = Answer.objects.select_related("response__unit").get(pk=target.detail["answer"])
    consensus = bool(target.detail.get("consensus"))
    coding = Coding.objects.select_for_update().get(codebook=book, answer=answer, coder=user, consensus=consensus)
    now = _keys(coding.codes.all())
    coding.codes.set(_codes(book, (target.old_value or "").split(",")) if target.old_value else [])
    coding.confirmed = bool(target.detail.get("old_confirmed"))
    coding.save()
    audit(
        UNDO_ACTION,
        user=user,
        obj=book,
        unit_code=answer.response.unit.code,
        variable=answer.variable,
        old=now,
        new=target.old_value or "",
        answer=answer.pk,
        undoes=target.pk,
    )
    return answer


@dataclass
class Progress:
    coded: int
    total: int

    @property
    def share(self) -> float:
        return 100 * self.coded / self.total if self.total else 0.0


def progress(book: Codebook, answers: QuerySet[Answer], user: Any) -> Progress:
    coded = Coding.objects.filter(
        codebook=book, coder=user, confirmed=True, consensus=False, answer__in=answers
    ).count()
    return Progress(coded, answers.count())


def codings_by_answer(book: Codebook, answer_ids: Iterable[int]) -> dict[int, list[Coding]]:
    out: dict[int, list[Coding]] = defaultdict(list)
    for coding in (
        Coding.objects.filter(codebook=book, answer_id__in=list(answer_ids))
        .select_related("coder")
        .prefetch_related("codes")
        .order_by("id")
    ):
        out[coding.answer_id].append(coding)
    return out


def final_codes(book: Codebook, answer_ids: Iterable[int] | None = None) -> dict[int, set[str]]:
    """The codes that count, per confirmed answer: a consensus coding if there is one; otherwise the first
    confirmed coding by a coder who is not the answer's second coder; otherwise the second coder's."""
    codings = Coding.objects.filter(codebook=book, confirmed=True)
    if answer_ids is not None:
        codings = codings.filter(answer_id__in=list(answer_ids))
    second = set(SecondCoder.objects.filter(codebook=book).values_list("answer_id", "coder_id"))
    ranked: dict[int, tuple[int, set[str]]] = {}
    for coding in codings.prefetch_related("codes").order_by("id"):
        rank = 0 if coding.consensus else (2 if (coding.answer_id, coding.coder_id) in second else 1)
        if coding.answer_id not in ranked or rank < ranked[coding.answer_id][0]:
            ranked[coding.answer_id] = (rank, {c.key for c in coding.codes.all() if c.active})
    return {answer_id: codes for answer_id, (_rank, codes) in ranked.items()}


def disagreements(book: Codebook, answers: QuerySet[Answer]) -> list[tuple[Answer, list[Coding]]]:
    """Answers whose confirmed codings (two or more coders) differ and that have no consensus yet."""
    by_answer = codings_by_answer(book, answers.values_list("id", flat=True))
    answer_map = {a.pk: a for a in answers}
    out = []
    for answer_id, codings in by_answer.items():
        if any(c.consensus for c in codings):
            continue
        confirmed = [c for c in codings if c.confirmed]
        if len(confirmed) >= 2 and len({frozenset(x.pk for x in c.codes.all()) for c in confirmed}) > 1:
            out.append((answer_map[answer_id], confirmed))
    return out
