"""Locking a round and its data versions.

Locking freezes a round (responses.Round.locked_at: nobody, analysts included, can change answers through the normal
channels) and stores data version 1: every submitted unit's values, with a SHA-256 checksum over them. A correction
after the lock is an explicit analyst action with a reason; it changes the stored answer (audited as usual, channel
"admin") and makes the next data version, whose change log says what changed, from what, to what, and why.
Statistics and reports ask for current_data_version(round) and values_for_version(version) and name the version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartlegg.accounts.models import Channel, audit
from kartlegg.accounts.permissions import Access, require_analyst
from kartlegg.responses import services as responses
from kartlegg.responses.models import Answer, Response, Round
from kartlegg.surveys import engine

from ..models import ChangeLogEntry, DataSnapshot, DataVersion


class VersionError(ValueError):
    """A lock or a correction that cannot be made as asked. The message says why, in bokmål."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = dict(errors or {})


def checksum(texts: Mapping[str, Mapping[str, str]]) -> str:
    """SHA-256 over the canonical JSON of {unit: {variable: stored text}}: the same data always give the same sum."""
    canonical = json.dumps(texts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def live_texts(round_obj: Round, unit_codes: list[str] | None = None) -> dict[str, dict[str, str]]:
    """The stored values of the units that have submitted (a reopened response has too), as stored text."""
    responses_qs = Response.objects.filter(round=round_obj, submitted_at__isnull=False)
    if unit_codes is not None:
        responses_qs = responses_qs.filter(unit__code__in=unit_codes)
    codes = dict(responses_qs.values_list("pk", "unit__code"))
    texts: dict[str, dict[str, str]] = {code: {} for code in codes.values()}
    rows = Answer.objects.filter(response_id__in=codes, value_text__isnull=False).values_list(
        "response_id", "variable", "value_text"
    )
    for response_id, variable, text in rows:
        if text is not None:
            texts[codes[response_id]][variable] = text
    return texts


def current_data_version(round_obj: Round | int) -> DataVersion | None:
    """The newest data version of a round, or None when the round has not been locked through QA."""
    round_id = round_obj if isinstance(round_obj, int) else round_obj.pk
    return DataVersion.objects.filter(round_id=round_id).order_by("-number").first()


def snapshot_texts(version: DataVersion) -> dict[str, dict[str, str]]:
    return {code: dict(values) for code, values in version.snapshots.values_list("unit_code", "values")}


def values_for_version(version: DataVersion) -> dict[str, dict[str, Any]]:
    """{unit code: {variable: python value}} as frozen in `version` (numbers are Decimal, as the engine reads them)."""
    definition = version.round.version.definition()
    result: dict[str, dict[str, Any]] = {}
    for code, texts in snapshot_texts(version).items():
        values = {}
        for variable, text in texts.items():
            if definition.question_for(variable) is not None:
                values[variable] = engine.load_value(definition, variable, text)
        result[code] = values
    return result


def verify_version(version: DataVersion) -> bool:
    """Whether the stored snapshot still matches its checksum."""
    return checksum(snapshot_texts(version)) == version.checksum


def version_label(version: DataVersion | None) -> str:
    if version is None:
        return _("ikke låst (foreløpige tall)")
    when = timezone.localtime(version.created_at).strftime("%d.%m.%Y")
    return _("dataversjon %(n)s av %(date)s") % {"n": version.number, "date": when}


def _store(round_obj: Round, number: int, texts: dict[str, dict[str, str]], user: Any, note: str) -> DataVersion:
    version = DataVersion.objects.create(
        round=round_obj,
        number=number,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        note=note,
        checksum=checksum(texts),
        units=len(texts),
        values_count=sum(len(v) for v in texts.values()),
    )
    DataSnapshot.objects.bulk_create(
        [DataSnapshot(version=version, unit_code=code, values=values) for code, values in sorted(texts.items())]
    )
    audit(
        "quality.data_version.created",
        user=user,
        channel=Channel.FORM,
        obj=version,
        round=round_obj.pk,
        number=number,
        checksum=version.checksum,
        units=version.units,
        note=note,
    )
    return version


def lock_round(round_obj: Round, user: Any, note: str = "") -> DataVersion:
    """Lock the round and store data version 1. Idempotent: a round that already has a version keeps it."""
    require_analyst(user)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_obj.pk)
        existing = current_data_version(locked)
        if existing is not None:
            return existing
        responses.lock_round(locked, user)
        version = _store(locked, 1, live_texts(locked), user, note or _("Låst for analyse."))
    round_obj.locked_at = locked.locked_at
    return version


def correct_locked(
    round_obj: Round, unit_code: str, raw_values: Mapping[str, Any], reason: str, user: Any
) -> DataVersion:
    """Change values of a locked round (analysts only, with a reason) and store the next data version.

    The answer is changed through responses.save_values (parsed, audited, channel "admin"). The round is unlocked
    only inside this transaction, so no other writer ever sees it open.
    """
    require_analyst(user)
    reason = (reason or "").strip()
    if not reason:
        raise VersionError(_("Skriv hvorfor verdiene rettes etter at runden er låst."))
    if not raw_values:
        raise VersionError(_("Ingen verdier å rette."))
    with transaction.atomic():
        locked_round = Round.objects.select_for_update().get(pk=round_obj.pk)
        if locked_round.locked_at is None:
            raise VersionError(_("Runden er ikke låst. Rett verdiene i skjemaet."))
        previous = current_data_version(locked_round) or lock_round(locked_round, user)
        response = responses.get_response_for_user(user, locked_round.pk, unit_code, Access.EDIT)
        frozen_at = locked_round.locked_at
        Round.objects.filter(pk=locked_round.pk).update(locked_at=None)
        try:
            result = responses.save_values(response, dict(raw_values), None, None, user, Channel.ADMIN)
        finally:
            Round.objects.filter(pk=locked_round.pk).update(locked_at=frozen_at)
        if result.errors:
            raise VersionError(_("Verdiene ble ikke rettet."), result.errors)
        if not result.changed:
            raise VersionError(_("Verdiene er de samme som før; ingen ny dataversjon."))
        texts = snapshot_texts(previous)
        old = texts.get(unit_code, {})
        # The unit's values are part of the data from now on, even if it never submitted.
        new = live_texts_all(response)
        texts[unit_code] = new
        version = _store(locked_round, previous.number + 1, texts, user, reason)
        ChangeLogEntry.objects.bulk_create(
            [
                ChangeLogEntry(
                    version=version,
                    unit_code=unit_code,
                    variable=variable,
                    old_value=old.get(variable),
                    new_value=new.get(variable),
                    reason=reason,
                    user=user,
                )
                for variable in sorted(set(old) | set(new))
                if old.get(variable) != new.get(variable)
            ]
        )
    return version


def live_texts_all(response: Response) -> dict[str, str]:
    """A response's stored values whether or not it was ever submitted (a correction makes it part of the data)."""
    rows = response.answers.filter(value_text__isnull=False).values_list("variable", "value_text")
    return {variable: text for variable, text in rows if text is not None}
