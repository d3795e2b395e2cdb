"""Downloads of what a statistics page shows (the explorer and the unit profiles): the same address with
format=csv|xlsx|px|jsonstat|notes, and csv=plain for commas and decimal points. analytics.downloads renders them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kartlegg.analytics import downloads
from kartlegg.analytics.cube import Cube
from kartlegg.analytics.services.freshness import Freshness

FORMATS = downloads.FORMATS


def respond(request: HttpRequest, cube: Cube, kind: str, fresh: Freshness | None = None) -> HttpResponse:
    plain = request.GET.get("csv") == "plain"
    extension = {"kartlegg": fresh.as_json()} if fresh is not None else None
    found = downloads.render(cube, kind, plain=plain, extension=extension)
    response = HttpResponse(found.content, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response


def links(params: dict[str, Any]) -> list[tuple[str, str]]:
    """(link text, address) for every download of the page whose parameters are `params`."""
    choices = [
        (_("CSV for Excel"), {"format": "csv"}),
        (_("CSV med komma og punktum"), {"format": "csv", "csv": "plain"}),
        (_("Excel (XLSX)"), {"format": "xlsx"}),
        (_("PC-Axis (PX)"), {"format": "px"}),
        (_("JSON-stat"), {"format": "jsonstat"}),
        (_("Merknader (tekst)"), {"format": "notes"}),
    ]
    return [(label, "?" + urlencode({**params, **extra})) for label, extra in choices]


def unknown_format_message() -> str:
    return _("ukjent format; velg %(formats)s") % {"formats": ", ".join(FORMATS)}
