"""Queries: an analyst asks one unit about one or more of its flags; the unit answers in text and/or corrects.

Sending reopens a submitted response while the round is open, so that the unit may correct it in the form's own
way (responses.save_values, channel "form", audited); replying submits it again. The e-mail carries a fresh login
link (respondents log in through links) and the address of the query page. Every step is logged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kartlegg.accounts.models import Channel, audit
from kartlegg.accounts.permissions import Access, require_analyst
from kartlegg.responses import invitations
from kartlegg.responses import services as responses
from kartlegg.responses.models import InvitationKind, Response, ResponseStatus

from ..models import Flag, Query, QueryMessage
from ..states import ACTIVE, FlagState, next_state
from .flags import after_submit, transition

MAX_MESSAGE = 10_000


class QueryError(ValueError):
    """A query or a reply that cannot be made as asked. The message says why, in bokmål."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = dict(errors or {})


def query_url(query: Query, base_url: str | None = None) -> str:
    base = (base_url or settings.SITE_URL).rstrip("/")
    return base + reverse("quality:query", args=[query.pk])


def _send_mail(query: Query, base_url: str | None) -> int:
    """One e-mail per known address of the unit, each with its own login link. Returns how many were sent."""
    sent = 0
    for email in invitations.unit_addresses(query.round, query.unit):
        invitation, token = invitations.create_invitation(
            query.round, query.unit, email, invited_by=query.sent_by, kind=InvitationKind.INVITE
        )
        context = {
            "query": query,
            "unit": query.unit,
            "round": query.round,
            "flags": list(query.flags.all()),
            "login_url": invitations.invitation_url(token, base_url),
            "query_url": query_url(query, base_url),
        }
        EmailMessage(
            subject=_("Spørsmål om svarene fra %(unit)s: %(round)s")
            % {"unit": query.unit.name, "round": query.round.name},
            body=render_to_string("quality/email/query.txt", context),
            to=[email],
        ).send()
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])
        sent += 1
    return sent


def send_query(flags: Sequence[Flag], message: str, user: Any, base_url: str | None = None) -> Query:
    """One query to one unit about these flags (all of one round and one unit)."""
    require_analyst(user)
    message = (message or "").strip()
    flags = list(flags)
    if not flags:
        raise QueryError(_("Velg minst ett flagg å spørre om."))
    if not message:
        raise QueryError(_("Skriv en melding til enheten."))
    if len(message) > MAX_MESSAGE:
        raise QueryError(_("Meldingen er for lang (høyst %(n)s tegn).") % {"n": MAX_MESSAGE})
    if len({(f.round_id, f.unit_id) for f in flags}) != 1:
        raise QueryError(_("Ett spørsmål gjelder én enhet i én runde. Send ett spørsmål per enhet."))
    for flag in flags:
        next_state(flag.state, "query")  # IllegalTransition before anything is written
    first = flags[0]
    with transaction.atomic():
        response = Response.objects.select_related("round", "unit").get(round_id=first.round_id, unit_id=first.unit_id)
        reopened = False
        round_obj = response.round
        if response.status == ResponseStatus.SUBMITTED and round_obj.is_open() and not round_obj.is_locked:
            reopened = responses.reopen(response, user, reason=_("Spørsmål fra kvalitetskontrollen"))
        query = Query.objects.create(
            round=round_obj, unit=response.unit, response=response, message=message, sent_by=user,
            reopened_response=reopened,
        )  # fmt: skip
        query.flags.set(flags)
        QueryMessage.objects.create(query=query, author=user, from_unit=False, body=message)
        for flag in flags:
            transition(flag, "query", user, _("Spørsmål %(id)s sendt.") % {"id": query.pk})
        query.emails = _send_mail(query, base_url)
        query.save(update_fields=["emails"])
        audit(
            "quality.query.sent",
            user=user,
            channel=Channel.FORM,
            obj=query,
            unit_code=response.unit.code,
            round=round_obj.pk,
            flags=[f.pk for f in flags],
            emails=query.emails,
            reopened=reopened,
        )
    return query


def send_queries_per_unit(flags: Iterable[Flag], message: str, user: Any, base_url: str | None = None) -> list[Query]:
    """One query to each unit among the flags (the bulk action of the queue)."""
    by_unit: dict[tuple[int, int], list[Flag]] = defaultdict(list)
    for flag in flags:
        by_unit[(flag.round_id, flag.unit_id)].append(flag)
    return [send_query(group, message, user, base_url) for _key, group in sorted(by_unit.items())]


def get_query_for_user(user: Any, query_id: int, access: Access = Access.VIEW) -> Query:
    """THE way to a query: 404 when it does not exist, and the responses gate decides who may see or answer it."""
    try:
        query = Query.objects.select_related("round__version", "unit", "response", "sent_by").get(pk=query_id)
    except (Query.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(_("Fant ikke spørsmålet.")) from None
    responses.get_response_for_user(user, query.round_id, query.unit.code, access)
    return query


def open_queries_for_response(response: Response) -> list[Query]:
    """Queries to this response's unit that still have a flag waiting for the unit (for the form's notice box)."""
    return list(
        Query.objects.filter(response=response, flags__state__in=[FlagState.QUERIED, FlagState.ANSWERED])
        .distinct()
        .order_by("-sent_at")
    )


def query_variables(query: Query) -> list[str]:
    """The stored variables the query's flags involve, in questionnaire order (the fields the unit may correct)."""
    from kartlegg.surveys import engine

    wanted = {v for flag in query.flags.all() for v in flag.variables}
    order = engine.value_codes(query.round.version.definition())
    return [code for code in order if code in wanted]


@dataclass
class ReplyResult:
    changed: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    corrected: list[int] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    resubmitted: bool = False
    message: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def reply(
    query: Query,
    user: Any,
    text: str = "",
    raw_values: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> ReplyResult:
    """The unit answers a query: a text, corrected values, or both. Corrections go through responses.save_values
    (channel "form": audited, parsed, all or nothing) and re-run the checks for the unit. A flag whose variables
    changed becomes "corrected"; the others "answered". May raise StaleVersion or NotWritable from save_values."""
    query = get_query_for_user(user, query.pk, Access.EDIT)
    text = (text or "").strip()
    raw = dict(raw_values or {})
    if len(text) > MAX_MESSAGE:
        raise QueryError(_("Svaret er for langt (høyst %(n)s tegn).") % {"n": MAX_MESSAGE})
    allowed = set(query_variables(query))
    unknown = {code: _("Denne verdien hører ikke til spørsmålet.") for code in raw if code not in allowed}
    if unknown:
        return ReplyResult(errors=unknown)
    response = query.response
    from_unit = not getattr(user, "is_analyst", False)
    result = ReplyResult()
    with transaction.atomic():
        if raw:
            saved = responses.save_values(response, raw, None, expected_version, user, Channel.FORM)
            if saved.errors:
                return ReplyResult(errors=saved.errors)
            result.changed = list(saved.changed)
        if not text and not result.changed:
            raise QueryError(_("Skriv et svar eller rett en verdi før du sender."))
        QueryMessage.objects.create(query=query, author=user, from_unit=from_unit, body=text, changed=result.changed)
        if from_unit and query.answered_at is None:
            query.answered_at = timezone.now()
            query.save(update_fields=["answered_at"])
        changed = set(result.changed)
        for flag in query.flags.select_related("unit").filter(state__in=ACTIVE):
            if changed & set(flag.variables):
                transition(flag, "correct", user, _("Rettet av enheten i svar på spørsmål %(id)s.") % {"id": query.pk})
                result.corrected.append(flag.pk)
            elif from_unit and text and flag.state in (FlagState.QUERIED, FlagState.ANSWERED):
                transition(flag, "answer", user, text[:500])
                result.answered.append(flag.pk)
        audit(
            "quality.query.answered",
            user=user,
            channel=Channel.FORM,
            obj=query,
            unit_code=query.unit.code,
            round=query.round_id,
            changed=result.changed,
            corrected=result.corrected,
            answered=result.answered,
        )
    response.refresh_from_db()
    if result.changed:
        after_submit(response)  # the checks again, for this unit; a failure there must not lose the reply
    if from_unit and query.reopened_response and response.status == ResponseStatus.REOPENED:
        try:
            submitted = responses.submit(response, user)
        except responses.NotWritable as exc:
            result.message = str(exc)
            return result
        result.resubmitted = submitted.submitted
        if not submitted.submitted:
            result.message = _(
                "Svaret er lagret, men skjemaet kan ikke sendes inn igjen før feilene er rettet og advarslene "
                "forklart. Gå til skjemaet for å sende inn."
            )
    return result
