"""What the start page shows each role: its next task. Reads only; every query goes through the apps' own
permission-aware helpers (responses_for_user), so a user never sees another unit's or county's numbers.

Reports waiting for an analyst come from a hook: when an app at a higher layer (reports) is installed and provides
`start_page.waiting(user)`, its items are listed; until then the panel says there are none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils import timezone
from django.utils.module_loading import import_string

from kartlegg.accounts.permissions import Access, unit_filter
from kartlegg.geography.models import County
from kartlegg.quality.models import Flag
from kartlegg.quality.states import ACTIVE
from kartlegg.responses import services as response_services
from kartlegg.responses.models import Response, ResponseStatus, Round

ROUNDS_SHOWN = 4
REPORTS_HOOK = "kartlegg.reports.start_page.waiting"


@dataclass
class RoundRow:
    round: Round
    total: int
    submitted: int
    open_flags: int | None = None

    @property
    def share(self) -> float | None:
        return 100 * self.submitted / self.total if self.total else None


@dataclass
class StartPage:
    role: str
    forms: list[Response] = field(default_factory=list)
    rounds: list[RoundRow] = field(default_factory=list)
    reports: list[Any] = field(default_factory=list)
    county: County | None = None


def _recent_rounds() -> list[Round]:
    return list(Round.objects.select_related("version__survey").order_by("-opens_at", "-pk")[:ROUNDS_SHOWN])


def _round_rows(user: Any, with_flags: bool) -> list[RoundRow]:
    rows = []
    for round_obj in _recent_rounds():
        counts = response_services.round_status_counts(round_obj, response_services.responses_for_user(user, round_obj))
        if not counts["total"]:
            continue
        row = RoundRow(round_obj, counts["total"], counts[ResponseStatus.SUBMITTED])
        if with_flags:
            row.open_flags = Flag.objects.filter(round=round_obj, state__in=ACTIVE).count()
        rows.append(row)
    return rows


def reports_waiting(user: Any) -> list[Any]:
    """Items from the reports app's hook, or [] while no such app is installed."""
    if not apps.is_installed("kartlegg.reports"):
        return []
    try:
        waiting = import_string(REPORTS_HOOK)
    except ImportError:
        return []
    return list(waiting(user))


def start_page(user: Any) -> StartPage | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_analyst:
        return StartPage("analyst", rounds=_round_rows(user, with_flags=True), reports=reports_waiting(user))
    if user.is_reviewer:
        county = County.objects.filter(code=user.county_code).order_by("-year").first()
        return StartPage("reviewer", rounds=_round_rows(user, with_flags=False), county=county)
    now = timezone.now()
    forms = [
        r
        for r in Response.objects.filter(unit_filter(user, Access.VIEW))
        .select_related("round", "unit")
        .order_by("round__deadline", "unit__code")
        if r.round.is_open(now) and not r.round.is_locked
    ]
    return StartPage("respondent", forms=forms)
