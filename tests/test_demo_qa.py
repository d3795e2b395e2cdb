"""The demo's QA step (issue 17, point 3): the analyst finds open flags in the newest round, a query the unit
answered, a correction the unit made, and the earlier rounds followed up with reasons."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from kartlegg.accounts.models import AuditEvent, Role, User
from kartlegg.demo.qa import prepare_qa_demo
from kartlegg.quality.models import Flag, FlagEvent, Query
from kartlegg.quality.states import ACTIVE

pytestmark = pytest.mark.django_db


def test_the_demo_shows_a_realistic_qa_queue(tmp_path: Path) -> None:
    call_command(
        "make_demo_data", "--seed", "7", "--years", "2023-2024", "--no-progress",
        "--errors-file", str(tmp_path / "errors.json"),
    )  # fmt: skip
    User.objects.create(username="analytiker", role=Role.ANALYST)
    result = prepare_qa_demo()
    assert set(result.flags) == {2023, 2024} and result.flags[2024] >= 10

    # The earlier round is followed up: nothing active, every flag settled with a reason by the analyst.
    older = Flag.objects.filter(round__year=2023)
    assert older.exists() and not older.filter(state__in=ACTIVE).exists()
    assert {f.state for f in older} <= {"accepted", "corrected", "dismissed"}
    assert all(f.reason for f in older)
    decisions = FlagEvent.objects.filter(
        flag__round__year=2023, user__username="analytiker", action__in=("accept", "dismiss", "correct")
    )
    assert decisions.count() == older.count()

    # The newest round: open flags, one query answered in text, one value corrected by the unit.
    newest = Flag.objects.filter(round__year=2024)
    assert newest.filter(state="open").count() >= 5
    queries = list(Query.objects.filter(round__year=2024).prefetch_related("messages", "flags"))
    assert len(queries) == 2 and all(q.answered_at for q in queries)
    states = sorted(f.state for q in queries for f in q.flags.all())
    assert states == ["answered", "corrected"]
    corrected = next(q for q in queries if q.flags.filter(state="corrected").exists())
    changed = next(m.changed for m in corrected.messages.all() if m.from_unit)
    assert (
        changed
        and AuditEvent.objects.filter(
            unit_code=corrected.unit.code, variable=changed[0], action="answer.changed", user__role=Role.RESPONDENT
        ).exists()
    )  # the correction is in the answer's history, by the unit's contact

    # Idempotent: nothing new the second time.
    again = prepare_qa_demo()
    assert again.settled == 0 and again.queries == []
    assert Query.objects.count() == 2 and Flag.objects.filter(round__year=2024).count() == newest.count()
