"""QA in the public API: follow-up figures for a round (analysts only), for the methods chapter and its reports."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from kartlegg.accounts.permissions import Access
from kartlegg.accounts.tokens import API_AUTH
from kartlegg.responses import services as responses

from . import metrics, services

router = Router(tags=["kvalitet"], auth=API_AUTH)

MAX_ID = 2**62


class ErrorOut(Schema):
    error: str


class DataVersionOut(Schema):
    number: int
    created_at: str
    checksum: str
    units: int
    label: str


class MetricsOut(Schema):
    round: int
    units: int = Field(description="Units in the round.")
    units_flagged: int
    units_queried: int = Field(description="Units that got at least one query.")
    units_corrected: int = Field(description="Units with at least one flag that ended as corrected.")
    share_queried: float | None = Field(description="Per cent of the round's units that were queried.")
    share_corrected_of_queried: float | None = Field(description="Per cent of the queried units that corrected.")
    share_corrected: float | None = Field(description="Per cent of all units that corrected something.")
    queries: int
    queries_answered: int
    median_hours_to_answer: float | None = Field(description="Median hours from a query to the unit's first reply.")
    flags: int
    flags_by_check: dict[str, dict[str, int]] = Field(description="Per check: number of flags per state, and total.")
    flags_by_state: dict[str, int]
    sentence: str = Field(description="The follow-up in one Norwegian sentence, for the methods chapter.")
    data_version: DataVersionOut | None = Field(description="The round's current locked data version, if any.")


@router.get(
    "/rounds/{round_id}/qa-metrics",
    response={200: MetricsOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="How much QA follow-up a round got (analysts only)",
)
def qa_metrics(request: HttpRequest, round_id: int) -> Any:
    try:
        # An id out of range finds nothing (a 404 like any missing round, after the 403 for non-analysts).
        round_obj = responses.get_round_for_user(request.user, round_id if 0 < round_id < MAX_ID else None, Access.EDIT)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except Http404:
        raise HttpError(404, "Fant ikke runden.") from None
    result = services.metrics_for_round(round_obj)
    version = services.current_data_version(round_obj)
    return {
        "round": round_obj.pk,
        **result.as_dict(),
        "sentence": metrics.methods_sentence(result),
        "data_version": None
        if version is None
        else {
            "number": version.number,
            "created_at": version.created_at.isoformat(),
            "checksum": version.checksum,
            "units": version.units,
            "label": services.version_label(version),
        },
    }
