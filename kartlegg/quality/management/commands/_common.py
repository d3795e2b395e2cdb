"""Shared by the QA commands: find the round named on the command line."""

from __future__ import annotations

from django.core.management.base import CommandError

from kartlegg.responses.models import Round


def find_round(text: str) -> Round:
    """A round by id, or by its exact name (e.g. "Kartlegging 2024"). CommandError names what was asked for."""
    value = (text or "").strip()
    found = None
    if value.isdigit() and len(value) < 18:
        found = Round.objects.select_related("version").filter(pk=int(value)).first()
    if found is None and value:
        matches = list(Round.objects.select_related("version").filter(name=value)[:2])
        if len(matches) > 1:
            raise CommandError(f"Flere runder heter «{value}». Bruk rundens nummer (id) i stedet.")
        found = matches[0] if matches else None
    if found is None:
        known = ", ".join(f"{r.pk} ({r.name})" for r in Round.objects.order_by("-year", "-pk")[:10])
        raise CommandError(f"Fant ingen runde «{value}». Kjente runder: {known or 'ingen'}.")
    return found
