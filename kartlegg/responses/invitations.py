"""Invitation links and reminders.

A link carries a random token; only its SHA-256 is stored, so the database never holds a working link. A link logs
its holder in as a respondent bound to the invited unit (the account is created on first use) until it expires.
Reminders are logged per round, unit, kind and day under a unique constraint, so a cron job and an analyst can remind
at the same time, or twice, and each unit still gets one reminder of a kind per day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kartlegg.accounts.models import Channel, Role, UnitAssignment, User, audit

from .models import Invitation, InvitationKind, ReminderLog, Response, ResponseStatus, Round

# How many colleague invitations one unit may send per day: enough for a team, too few for spam.
COLLEAGUE_LIMIT_PER_DAY = 10


class InvitationInvalid(Exception):
    """The link is unknown (mistyped, tampered with) or expired. `reason` is "unknown" or "expired"."""

    def __init__(self, reason: str, invitation: Invitation | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation


def invitation_days() -> int:
    return int(getattr(settings, "KARTLEGG_INVITATION_DAYS", 30))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_url(token: str, base_url: str | None = None) -> str:
    base = (base_url or settings.SITE_URL).rstrip("/")
    return base + reverse("responses:invitation", args=[token])


def create_invitation(
    round_obj: Round,
    unit: Any,
    email: str,
    *,
    invited_by: Any = None,
    kind: str = InvitationKind.INVITE,
    days: int | None = None,
    language: str | None = None,
) -> tuple[Invitation, str]:
    """A new invitation and its token (the token is returned once and never stored). Without a `language`, the
    unit's latest choice (unit_language)."""
    token = secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(days=days if days is not None else invitation_days())
    invitation = Invitation.objects.create(
        round=round_obj,
        unit=unit,
        email=normalise_email(email),
        token_hash=hash_token(token),
        kind=kind,
        language=check_language(language) if language else unit_language(unit),
        expires_at=expires,
        invited_by=invited_by if getattr(invited_by, "is_authenticated", False) else None,
    )
    return invitation, token


def check_language(language: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    if language not in codes:
        raise ValueError(
            _("Ukjent språk %(language)r; gyldige er %(codes)s.") % {"language": language, "codes": ", ".join(codes)}
        )
    return language


def unit_language(unit: Any) -> str:
    """The language of the unit's latest invitation (any round, any address; a reminder repeats what it follows),
    or the site's default (bokmål) for a unit never invited."""
    latest = (
        Invitation.objects.filter(unit__code=unit.code)
        .order_by("-created_at", "-pk")
        .values_list("language", flat=True)
    )
    return latest.first() or settings.LANGUAGE_CODE


def normalise_email(email: str) -> str:
    local, _at, domain = (email or "").strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else (email or "").strip()


_TEMPLATES = {
    InvitationKind.INVITE: ("responses/email/invitation.txt", gettext_noop("Invitasjon: %(round)s")),
    InvitationKind.COLLEAGUE: ("responses/email/colleague.txt", gettext_noop("Du er invitert til å svare: %(round)s")),
    InvitationKind.REMINDER: (
        "responses/email/reminder.txt",
        gettext_noop("Påminnelse: %(round)s, frist %(deadline)s"),
    ),
}


def send_invitation(invitation: Invitation, token: str, base_url: str | None = None) -> None:
    """Send the e-mail for one invitation, in the invitation's language whatever the sender's page is in (the
    backend decides how: SMTP, console, file, memory in tests)."""
    with translation.override(invitation.language):
        _send(invitation, token, base_url)
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["sent_at"])


def _send(invitation: Invitation, token: str, base_url: str | None) -> None:
    template, subject = _TEMPLATES[InvitationKind(invitation.kind)]
    round_obj = invitation.round
    context = {
        "invitation": invitation,
        "round": round_obj,
        "unit": invitation.unit,
        "url": invitation_url(token, base_url),
        "deadline": round_obj.deadline.strftime("%d.%m.%Y"),
        "expires": timezone.localtime(invitation.expires_at).strftime("%d.%m.%Y"),
        "inviter": invitation.invited_by,
    }
    message = EmailMessage(
        subject=_(subject) % {"round": round_obj.name, "deadline": context["deadline"]},
        body=render_to_string(template, context),
        to=[invitation.email],
    )
    message.send()


def invite(
    round_obj: Round,
    unit: Any,
    email: str,
    *,
    invited_by: Any = None,
    kind: str = InvitationKind.INVITE,
    base_url: str | None = None,
    language: str | None = None,
) -> Invitation:
    """Create and send one invitation; audited. `language` as create_invitation."""
    with transaction.atomic():
        invitation, token = create_invitation(
            round_obj, unit, email, invited_by=invited_by, kind=kind, language=language
        )
        send_invitation(invitation, token, base_url)
        audit(
            f"invitation.{kind}",
            user=invited_by,
            channel=Channel.FORM,
            obj=invitation,
            unit_code=unit.code,
            round=round_obj.pk,
            email=invitation.email,
            language=invitation.language,
        )
    return invitation


def invite_colleague(response: Response, email: str, invited_by: Any, base_url: str | None = None) -> Invitation:
    """A respondent invites a colleague to the same unit. Limited per unit and day."""
    since = timezone.now() - dt.timedelta(days=1)
    recent = Invitation.objects.filter(
        round=response.round, unit=response.unit, kind=InvitationKind.COLLEAGUE, created_at__gte=since
    ).count()
    if recent >= COLLEAGUE_LIMIT_PER_DAY:
        raise ValueError(_("Dere har invitert mange kolleger i dag. Prøv igjen i morgen."))
    return invite(
        response.round, response.unit, email, invited_by=invited_by, kind=InvitationKind.COLLEAGUE, base_url=base_url
    )


_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def find_invitation(token: str) -> Invitation:
    """The invitation a token belongs to, or InvitationInvalid. Never says more than "unknown" or "expired"."""
    if not _TOKEN_SHAPE.match(token or ""):
        raise InvitationInvalid("unknown")
    try:
        invitation = Invitation.objects.select_related("round", "unit").get(token_hash=hash_token(token))
    except Invitation.DoesNotExist:
        raise InvitationInvalid("unknown") from None
    if invitation.is_expired():
        raise InvitationInvalid("expired", invitation)
    return invitation


@transaction.atomic
def redeem(token: str) -> tuple[Invitation, User]:
    """Check a link and return its invitation and the respondent account it logs in, bound to the unit."""
    invitation = find_invitation(token)
    user = invitation.user or _respondent_for_email(invitation.email)
    if not user.is_active:
        raise InvitationInvalid("unknown", invitation)
    _, created = UnitAssignment.objects.get_or_create(
        user=user, unit_code=invitation.unit.code, defaults={"invited_by": invitation.invited_by}
    )
    now = timezone.now()
    first_use = invitation.used_at is None
    invitation.user = user
    invitation.used_at = invitation.used_at or now
    invitation.last_used_at = now
    invitation.save(update_fields=["user", "used_at", "last_used_at"])
    if first_use or created:
        audit(
            "invitation.used",
            user=user,
            channel=Channel.FORM,
            obj=invitation,
            unit_code=invitation.unit.code,
            round=invitation.round_id,
            bound=created,
        )
    return invitation, user


def _respondent_for_email(email: str) -> User:
    """The respondent account for this address, created when missing. Accounts of analysts and reviewers are never
    logged in by a link: a link only ever grants respondent access."""
    existing = User.objects.filter(email__iexact=email, role=Role.RESPONDENT, is_active=True).order_by("pk").first()
    if existing is not None:
        return existing
    base = re.sub(r"[^\w.@+-]", "", email.lower())[:140] or "respondent"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = User(username=username, email=email, role=Role.RESPONDENT)
    user.set_unusable_password()
    user.save()
    return user


@dataclass
class ReminderReport:
    sent: list[str] = field(default_factory=list)
    already_today: list[str] = field(default_factory=list)
    no_address: list[str] = field(default_factory=list)
    emails: int = 0


def unit_addresses(round_obj: Round, unit: Any) -> list[str]:
    """Everyone who has been invited to this unit in this round, plus respondents bound to it."""
    invited = Invitation.objects.filter(round=round_obj, unit=unit).exclude(kind=InvitationKind.REMINDER)
    addresses = {normalise_email(e) for e in invited.values_list("email", flat=True)}
    bound = User.objects.filter(unit_assignments__unit_code=unit.code, role=Role.RESPONDENT, is_active=True).exclude(
        email=""
    )
    addresses |= {normalise_email(e) for e in bound.values_list("email", flat=True)}
    return sorted(addresses, key=str.lower)


def remind(
    round_obj: Round,
    responses: Iterable[Response] | None = None,
    *,
    kind: str = "reminder",
    user: Any = None,
    dry_run: bool = False,
    base_url: str | None = None,
) -> ReminderReport:
    """Remind the units that have not submitted. Each gets at most one reminder of `kind` per day; a unit that has
    submitted gets none. Each address gets its own fresh link."""
    report = ReminderReport()
    today = timezone.localdate()
    if responses is None:
        responses = Response.objects.filter(round=round_obj).select_related("unit")
    for response in responses:
        if response.status == ResponseStatus.SUBMITTED:
            continue
        unit = response.unit
        if ReminderLog.objects.filter(round=round_obj, unit=unit, kind=kind, day=today).exists():
            report.already_today.append(unit.code)
            continue
        addresses = unit_addresses(round_obj, unit)
        if not addresses:
            report.no_address.append(unit.code)
            continue
        if dry_run:
            report.sent.append(unit.code)
            report.emails += len(addresses)
            continue
        try:
            with transaction.atomic():
                ReminderLog.objects.create(
                    round=round_obj,
                    unit=unit,
                    kind=kind,
                    day=today,
                    recipients=len(addresses),
                    sent_by=user if getattr(user, "is_authenticated", False) else None,
                )
                language = unit_language(unit)  # once per unit, not once per address
                for email in addresses:
                    invitation, token = create_invitation(
                        round_obj, unit, email, invited_by=user, kind=InvitationKind.REMINDER, language=language
                    )
                    send_invitation(invitation, token, base_url)
        except IntegrityError:
            # Another process logged this reminder first; it sends, we do not.
            report.already_today.append(unit.code)
            continue
        report.sent.append(unit.code)
        report.emails += len(addresses)
    if report.sent and not dry_run:
        audit(
            "round.reminded",
            user=user,
            channel=Channel.SYSTEM if user is None else Channel.FORM,
            obj=round_obj,
            kind=kind,
            units=len(report.sent),
            emails=report.emails,
        )
    return report


def reminder_due(round_obj: Round, today: dt.date | None = None) -> bool:
    """Whether the cron schedule reminds today: on the configured days before the deadline (default 7, 2 and 0),
    and every seventh day after it while the round is open."""
    today = today or timezone.localdate()
    if not round_obj.is_open():
        return False
    days_left = (round_obj.deadline - today).days
    schedule = getattr(settings, "KARTLEGG_REMINDER_DAYS", (7, 2, 0))
    if days_left >= 0:
        return days_left in schedule
    return (-days_left) % 7 == 0
