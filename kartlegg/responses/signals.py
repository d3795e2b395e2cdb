"""Signals the responses app sends for the apps above it, which it must not import.

`answers_imported` is sent once per import, after its transaction commits, with the round and the codes of the units
whose answers changed. Quality listens and runs its checks once for all of them (a post_save per unit would run them
once per unit, reading the whole round each time).
"""

from __future__ import annotations

from django.dispatch import Signal

answers_imported = Signal()  # sender=Round; round: Round, units: list[str], user: User | None
