"""The demo's QA work (issue 17): the analyst finds a realistic queue rather than an empty one.

- The checks run for every annual round, so each year's queue exists.
- Earlier rounds are followed up, as if last year's analyst had done the work: a unit that did not answer is
  dismissed (imputed), a planted error is marked corrected, anything else accepted, each with a reason. Their
  queues show that history (the flag page lists who did what, when).
- The newest round stays open with its flags: one query has been answered by the unit in text, and one unit has
  corrected a value through its query (the flag is "rettet", the change is in the answer's history).

Idempotent: checks are re-run (no duplicates), settled flags are left alone, and the two queries are only made once
per round. Called from setup_demo with one line; e-mails to the demo units are not sent anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.test.utils import override_settings

from kartlegg.accounts.models import Role, UnitAssignment, User
from kartlegg.quality import services as qa
from kartlegg.quality.models import Flag, Query
from kartlegg.quality.states import ACTIVE
from kartlegg.responses.models import Response, ResponseStatus, Round

ANALYST = "analytiker"
ERROR_CHECKS = ("unit_error", "inconsistency", "stale_copy", "cell_outlier")
REASONS = {
    "dismiss": "Enheten svarte ikke; fjorårets tall er brukt (imputert).",
    "correct": "Rettet i samråd med enheten (telefon).",
    "accept": "Kontrollert med enheten: tallene stemmer.",
}
QUESTION = "Kan dere se på dette tallet? Det skiller seg mye fra fjorårets svar og fra andre kommuner."
TEXT_ANSWER = "Tallet stemmer. Vi fikk et nytt team i mars, og stillingene er fylt."
CORRECTION_NOTE = "Beklager, vi hadde ført stillingsprosent. Rettet nå."


@dataclass
class QADemo:
    flags: dict[int, int] = field(default_factory=dict)  # year → flags in the round
    settled: int = 0
    queries: list[str] = field(default_factory=list)

    def summary(self) -> str:
        years = ", ".join(f"{year}: {count}" for year, count in sorted(self.flags.items()))
        return f"Kvalitetskontroll: flagg per år ({years}); {self.settled} flagg i eldre runder fulgt opp; " + (
            "; ".join(self.queries) or "ingen nye spørsmål"
        )


def prepare_qa_demo() -> QADemo:
    """Run the checks for the demo's annual rounds and leave the follow-up described in the module docstring."""
    analyst = User.objects.filter(username=ANALYST).first() or User.objects.filter(role=Role.ANALYST).first()
    result = QADemo()
    rounds = list(Round.objects.filter(version__survey__kind="annual").select_related("version").order_by("year"))
    if not rounds or analyst is None:
        return result
    newest = rounds[-1]
    for round_obj in rounds:
        qa.run_checks(round_obj, user=analyst)
        result.flags[round_obj.year] = Flag.objects.filter(round=round_obj).count()
        if round_obj.pk != newest.pk:
            result.settled += _follow_up(round_obj, analyst)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        result.queries = _queries(newest, analyst)
    return result


def _follow_up(round_obj: Round, analyst: User) -> int:
    count = 0
    for flag in Flag.objects.filter(round=round_obj, state__in=ACTIVE).select_related("unit").order_by("id"):
        if flag.check_name == "missing" and flag.rule in ("not_answered", "not_submitted"):
            action = "dismiss"
        elif flag.check_name in ERROR_CHECKS:
            action = "correct"
        else:
            action = "accept"
        qa.transition(flag, action, analyst, REASONS[action])
        count += 1
    return count


def _unit_user(unit: Any) -> User:
    """A contact person for the unit (no password: demo units log in nowhere), to answer as the unit."""
    user, _created = User.objects.get_or_create(
        username=f"enhet-{unit.code}",
        defaults={"role": Role.RESPONDENT, "first_name": "Kontaktperson", "last_name": unit.name[:100]},
    )
    if not user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    UnitAssignment.objects.get_or_create(user=user, unit_code=unit.code)
    return user


def _candidates(round_obj: Round, query: Q) -> list[Flag]:
    """Open flags of units that submitted, biggest impact first."""
    submitted = Response.objects.filter(round=round_obj, status=ResponseStatus.SUBMITTED).values("unit_id")
    return list(
        Flag.objects.filter(query, round=round_obj, state="open", unit_id__in=submitted)
        .select_related("unit", "round")
        .order_by("-impact", "id")
    )


def _correction(flag: Flag) -> dict[str, str] | None:
    """The value the unit meant, for a percentage typed as årsverk in one cell."""
    value = flag.values.get("som_arsverk")
    if flag.rule != "percent_as_fte" or value is None or len(flag.variables) != 1:
        return None
    return {flag.variables[0]: str(Decimal(str(value))).replace(".", ",")}


def _queries(round_obj: Round, analyst: User) -> list[str]:
    if Query.objects.filter(round=round_obj).exists():
        return []
    done: list[str] = []
    used: set[int] = set()
    for flag in _candidates(round_obj, Q(check_name="unit_error", rule="percent_as_fte")):
        values = _correction(flag)
        if values is None:
            continue
        query = qa.send_query([flag], QUESTION, analyst)
        qa.reply(query, _unit_user(flag.unit), CORRECTION_NOTE, values)
        used.add(flag.unit_id)
        done.append(f"{flag.unit.code} {flag.unit.name} rettet {flag.variables[0]}")
        break
    # A unit whose figures really are unusual (and that has no error flag): it explains them in text.
    erroneous = set(Flag.objects.filter(round=round_obj, check_name__in=ERROR_CHECKS).values_list("unit_id", flat=True))
    for flag in _candidates(round_obj, Q(check_name__in=("peer_outlier", "implausible_change"))):
        if flag.unit_id in used or flag.unit_id in erroneous:
            continue
        query = qa.send_query([flag], QUESTION, analyst)
        qa.reply(query, _unit_user(flag.unit), TEXT_ANSWER)
        done.append(f"{flag.unit.code} {flag.unit.name} svarte på spørsmål om {flag.variable or flag.check_name}")
        break
    return done
