"""The permission gate of collection: reaching a response, the responses a user may see, whether one can be
changed now, and the row lock that every write takes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kartlegg.accounts.models import Channel, UnitAssignment
from kartlegg.accounts.permissions import Access, check_unit_access, require_analyst, unit_filter
from kartlegg.geography.models import ReportingUnit
from kartlegg.lib.rawrows import Columns
from kartlegg.surveys.models import QuestionnaireVersion

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


def lock_response_for_user(user: Any, round_id: int, unit_code: str) -> Response:
    """The response a save writes, reached through the permission gate and locked in one statement (call inside
    transaction.atomic): the response FOR UPDATE and its round FOR SHARE, as lock_response takes them, with its
    round, questionnaire version and unit, and for a respondent only if bound to the unit. A save thus costs one
    query for what took four (the response, the respondent's units, the round lock, the response lock), and a caller
    who may not write the unit locks nothing. 404 or 403 as get_response_for_user."""
    if not getattr(user, "is_authenticated", False) or not (user.is_analyst or user.is_respondent):
        get_response_for_user(user, round_id, unit_code, Access.EDIT)  # 404, or 403: reviewers never write
        raise PermissionDenied("Du har ikke tilgang til denne enheten.")
    found = _locked(round_id, unit_code, None if user.is_analyst else user.pk)
    if found is None:
        # Not there, or not this respondent's: the gate says which. A unit bound meanwhile is locked now.
        get_response_for_user(user, round_id, unit_code, Access.EDIT)
        found = _locked(round_id, unit_code, None)
        if found is None:
            raise Http404(_("Fant ikke svaret."))
    check_unit_access(user, found.unit.code, found.unit.county_code, Access.EDIT, bound=True)
    return found


def read_response_for_user(user: Any, round_id: int, unit_code: str, access: Access = Access.VIEW) -> Response:
    """get_response_for_user in one statement (the API's GET, which every form opening and client sync sends): the
    response with its round, questionnaire version and unit, for a respondent only if bound to the unit, read by
    the statement lock_response_for_user takes its lock with, here without the lock. The same verdicts: 404 when
    there is no such response, 403 (PermissionDenied) when this user may not reach it with `access`."""
    if not getattr(user, "is_authenticated", False) or not (user.is_analyst or user.is_respondent or user.is_reviewer):
        return get_response_for_user(user, round_id, unit_code, access)  # 403 (or 404): the gate says which
    respondent = user.is_respondent and not user.is_analyst  # the statement checks the unit binding
    found = _locked(round_id, unit_code, user.pk if respondent else None, lock=False)
    if found is None:
        # Not there, or not this respondent's: the gate says which (and finds a unit bound meanwhile).
        return get_response_for_user(user, round_id, unit_code, access)
    check_unit_access(user, found.unit.code, found.unit.county_code, access, bound=True if respondent else None)
    return found


# The columns the lock reads: every column of the response, round and unit, and of the questionnaire version what
# its cached definition is found by (not its YAML source). Built once per database vendor and locking mode.
_VERSION_FIELDS = ("id", "survey_id", "year", "label", "title", "source_name", "published", "imported_at")
_LOCK_SQL: dict[tuple[str, bool], tuple[str, list[Columns]]] = {}


def _lock_sql(lock: bool = True) -> tuple[str, list[Columns]]:
    vendor = connection.vendor
    if (vendor, lock) in _LOCK_SQL:
        return _LOCK_SQL[vendor, lock]
    q = connection.ops.quote_name
    parts = [
        Columns.of(Response, "r"),
        Columns.of(Round, "rd"),
        Columns.of(QuestionnaireVersion, "v", _VERSION_FIELDS),
        Columns.of(ReportingUnit, "u"),
    ]
    sql = (
        f"SELECT {', '.join(c for part in parts for c in part.sql)} FROM {q(Response._meta.db_table)} r"  # noqa: S608
        f" JOIN {q(Round._meta.db_table)} rd ON rd.id = r.{q('round_id')}"
        f" JOIN {q(QuestionnaireVersion._meta.db_table)} v ON v.id = rd.{q('version_id')}"
        f" JOIN {q(ReportingUnit._meta.db_table)} u ON u.id = r.{q('unit_id')}"
        f" WHERE r.{q('round_id')} = %s AND u.{q('code')} = %s{{bound}}"
        + (" FOR UPDATE OF r FOR SHARE OF rd" if vendor == "postgresql" and lock else "")
    )
    _LOCK_SQL[vendor, lock] = (sql, parts)
    return sql, parts


def _locked(round_id: int, unit_code: str, respondent_id: int | None, lock: bool = True) -> Response | None:
    """The response with its round, version and unit in one statement (locked unless `lock` is False), for a
    respondent only if bound to the unit; None when there is no such row."""
    sql, parts = _lock_sql(lock)
    params: list[Any] = [round_id, unit_code]
    bound = ""
    if respondent_id is not None:
        q = connection.ops.quote_name
        bound = (
            f" AND EXISTS (SELECT 1 FROM {q(UnitAssignment._meta.db_table)} a"  # noqa: S608 - names from the models
            f" WHERE a.{q('user_id')} = %s AND a.{q('unit_code')} = u.{q('code')})"
        )
        params.append(respondent_id)
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{bound}", bound), params)
        row = cursor.fetchone()
    if row is None:
        return None
    objects: list[Any] = []
    start = 0
    for part in parts:
        objects.append(part.build(row, start))
        start += len(part.names)
    response, round_obj, version, unit = objects
    round_obj.version = version
    response.round = round_obj
    response.unit = unit
    return response


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
