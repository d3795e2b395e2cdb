"""The permission gate of collection: reaching a response, the responses a user may see, whether one can be
changed now, and the row lock that every write takes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kartlegg.accounts.models import Channel
from kartlegg.accounts.permissions import Access, check_unit_access, require_analyst, unit_filter

from ..models import Response, ResponseStatus, Round


class NotWritable(PermissionDenied):
    """The response cannot be changed now (locked or closed round, or submitted). The message says why, in bokmål."""


def get_response_for_user(user: Any, round_id: int, unit_code: str, access: Access = Access.VIEW) -> Response:
    """THE way every view, download and API endpoint reaches a response. 404 when it does not exist, 403
    (PermissionDenied) when this user may not see it, or may not change it when access is EDIT."""
    try:
        response = Response.objects.select_related("round__version", "unit").get(
            round_id=round_id, unit__code=unit_code
        )
    except (Response.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Fant ikke svaret.")) from None
    check_unit_access(user, response.unit.code, response.unit.county_code, access)
    return response


def lock_response(response: Response, *related: str) -> Response:
    """The response, fresh and locked for this transaction (call inside transaction.atomic).

    Its round is held too, but shared: on PostgreSQL each writer holds the round row FOR SHARE, which any number of
    saves hold at once and which quality.services.versions.lock_round (FOR UPDATE) waits for, so a save in flight
    ends before a round's data version is stored and none begins after. A FOR UPDATE of the round in every save
    would make the saves of a round wait for one another's commits. SQLite writes one transaction at a time.
    """
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Round._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR SHARE", [response.round_id])  # noqa: S608
    return Response.objects.select_for_update(of=("self",)).select_related(*related).get(pk=response.pk)


def get_round_for_user(user: Any, round_id: Any, access: Access = Access.VIEW) -> Round:
    """THE way every view and API call reaches a round. Access.EDIT (opening, inviting, reminding, QA, locking,
    exports) is for analysts: 403 (PermissionDenied) before anything is looked up. Access.VIEW needs a logged-in
    user; which of the round's units they then see is responses_for_user's business. 404 when there is no such
    round."""
    if access is Access.EDIT:
        require_analyst(user)
    elif not (getattr(user, "is_authenticated", False) and user.is_active):
        raise PermissionDenied("Du må logge inn.")
    try:
        return Round.objects.select_related("version__survey").get(pk=round_id)
    except (Round.DoesNotExist, ValueError, TypeError):
        raise Http404("Fant ikke runden.") from None


def responses_for_user(user: Any, round_obj: Round) -> Any:
    """The responses of a round this user may see (analysts all, reviewers their county, respondents their units)."""
    return Response.objects.filter(round=round_obj).filter(unit_filter(user, Access.VIEW)).select_related("unit")


def writable_reason(response: Response, user: Any, channel: str = Channel.FORM) -> str:
    """Why this response cannot be changed now, or "" when it can."""
    round_obj = response.round
    if round_obj.is_locked:
        return _("Runden er låst. Svarene kan ikke endres.")
    privileged = bool(getattr(user, "is_analyst", False)) or channel in (Channel.IMPORT, Channel.SYSTEM)
    if privileged:
        return ""
    now = timezone.now()
    if now < round_obj.opens_at:
        return _("Runden er ikke åpnet ennå.")
    if not round_obj.is_open(now):
        return _("Runden er stengt. Kontakt oss hvis dere må endre svarene.")
    if response.status == ResponseStatus.SUBMITTED:
        return _("Skjemaet er sendt inn. Kontakt oss hvis dere må endre svarene.")
    return ""
