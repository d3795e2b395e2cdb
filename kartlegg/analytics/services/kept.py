"""Per-unit figures kept between computations in the process that computes (the task worker), so that one unit's
change is recomputed from that unit's answers alone (issue 11: one unit's recompute at most 5 % of a full one).

After a computation that read every year's live data, the process keeps what it read: the geography (with the
frames and harmonisation plans built from it) and every year's values per code and unit, with a marker of each
open round's responses (how many, how many submitted, the sum of their versions) and each response's state
(version, submitted). When a recompute of some units of a round comes next, the kept values are brought up to
date instead of being read again, and only if they can be:

- the reference data, the annual rounds and each year's data version (locked years) are unchanged;
- the open years other than the changed round's have the same markers (else another change is on its way, in its
  own recompute, and the values are read afresh);
- in the changed round, the units named and every unit whose response state moved are read again (one query),
  and the codes whose values differ from the kept ones are what changed: only the variables that read them are
  recomputed.

The kept figures are also dropped when another process has written aggregates since this one last did (a full
`compute_aggregates` after a bulk import, say): the stored figures may then rest on data this process has not
seen. Otherwise the caller reads everything, as before, and keeps that. Nothing here is shared between processes;
a web process that never computes keeps nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection

from kartlegg.analytics.models import LIVE, AggregateBlock
from kartlegg.analytics.services import store
from kartlegg.analytics.services.extract import Geography, YearValues, read_units
from kartlegg.geography.models import ReportingUnit
from kartlegg.responses.models import Response, Round

_lock = threading.Lock()


@dataclass
class Kept:
    reference: tuple[int, int | None]
    rounds: tuple[tuple[int, int, str], ...]  # (year, round id, data version label)
    geo: Geography
    data: dict[int, YearValues]
    markers: dict[int, tuple[int, int, int]]  # open years: (responses, submitted, sum of their versions)
    states: dict[int, dict[str, tuple[int, bool]]]  # open years: unit → (response version, submitted)
    caches: dict[str, Any] = field(default_factory=dict)  # the Context's caches (frames, plans, headline inputs)
    stamp: int = 0  # store.stamp() after this process last wrote: another writer moves it


_kept: Kept | None = None


def _signature(rounds: Mapping[int, Round], labels: Mapping[int, str]) -> tuple[tuple[int, int, str], ...]:
    """(year, round, data version label) of the years `labels` gives."""
    return tuple((y, r.pk, labels[y]) for y, r in sorted(rounds.items()) if y in labels)


class State(NamedTuple):
    """What the kept figures are checked against, read in one statement (_state)."""

    stamp: int  # store.stamp()
    reference: tuple[int, int | None]  # the reporting units: how many, the newest id
    labels: dict[int, str]  # year → data version label (as extract.data_version_labels)
    markers: dict[int, tuple[int, int, int]]  # open year → (responses, submitted, sum of their versions)
    states: dict[int, dict[str, tuple[int, bool]]]  # stated year → unit → (response version, submitted)


def _state(
    rounds: Mapping[int, Round], labelled: Collection[int], marked: Collection[int], stated: Collection[int]
) -> State:
    """The labels of the `labelled` years, the markers of the `marked` ones and the response states of the
    `stated` ones, with the stamp and the reference, as one UNION ALL: every statement is a round trip, and an
    incremental recompute takes a few dozen milliseconds. Every save of a response adds 1 to its version, so the
    sum of the versions moves with every change."""
    from kartlegg.quality.models import DataVersion

    def table(model: Any) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    by_round = {rounds[y].pk: y for y in set(labelled) | set(marked) | set(stated)}
    labelled_ids = [rounds[y].pk for y in labelled] or [0]
    marked_ids = [rounds[y].pk for y in marked] or [0]
    stated_ids = [rounds[y].pk for y in stated] or [0]
    block, unit, version, response = (table(m) for m in (AggregateBlock, ReportingUnit, DataVersion, Response))
    labels_in, marked_in, stated_in = (", ".join(["%s"] * len(ids)) for ids in (labelled_ids, marked_ids, stated_ids))
    # Table names from the models, values as parameters.
    sql = (
        f"SELECT 's', '', COALESCE(MAX(id), 0), 0, 0, 0 FROM {block} "  # noqa: S608
        f"UNION ALL SELECT 'u', '', COUNT(id), COALESCE(MAX(id), 0), 0, 0 FROM {unit} "
        f"UNION ALL SELECT 'v', '', round_id, MAX(number), 0, 0 FROM {version} "
        f"WHERE round_id IN ({labels_in}) GROUP BY round_id "
        f"UNION ALL SELECT 'm', '', round_id, COUNT(id), COUNT(submitted_at), COALESCE(SUM(version), 0) "
        f"FROM {response} WHERE round_id IN ({marked_in}) GROUP BY round_id "
        f"UNION ALL SELECT 'r', u.code, r.round_id, r.version, CASE WHEN r.submitted_at IS NULL THEN 0 ELSE 1 END, 0 "
        f"FROM {response} r JOIN {unit} u ON u.id = r.unit_id WHERE r.round_id IN ({stated_in})"
    )
    stamp: int = 0
    reference: tuple[int, int | None] = (0, None)
    labels = dict.fromkeys(labelled, LIVE)
    markers = dict.fromkeys(marked, (0, 0, 0))
    states: dict[int, dict[str, tuple[int, bool]]] = {y: {} for y in stated}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*labelled_ids, *marked_ids, *stated_ids])
        for kind, code, a, b, c, d in cursor.fetchall():
            if kind == "s":
                stamp = int(a)
            elif kind == "u":
                reference = (int(a), int(b) or None)
            elif kind == "v":
                labels[by_round[int(a)]] = f"v{int(b)}"
            elif kind == "m":
                markers[by_round[int(a)]] = (int(b), int(c), int(d))
            else:
                states[by_round[int(a)]][code] = (int(b), bool(c))
    return State(stamp, reference, labels, markers, states)


def remember(rounds: Mapping[int, Round], geo: Geography, data: dict[int, YearValues], caches: dict[str, Any]) -> None:
    """Keep what a computation read (every code of every year, live)."""
    global _kept
    live = [y for y, d in data.items() if d.data_version == LIVE]
    state = _state(rounds, [], live, live)
    labels = {y: d.data_version for y, d in data.items()}
    kept = Kept(
        state.reference, _signature(rounds, labels), geo, data, state.markers, state.states, caches, state.stamp
    )
    with _lock:
        _kept = kept


def wrote() -> None:
    """This process has written blocks from the kept figures: they are the stored state again."""
    with _lock:
        if _kept is not None:
            _kept.stamp = store.stamp()


def forget() -> None:
    global _kept
    with _lock:
        _kept = None


@dataclass
class Update:
    """The kept figures brought up to date for a change to some units of one year: the units that changed and the
    codes whose values differ from before."""

    geo: Geography
    data: dict[int, YearValues]
    caches: dict[str, Any]
    units: set[str]
    codes: set[str]
    regridded: set[str]  # grids (code prefixes) some changed unit answered before and not after, or the reverse


def update(rounds: Mapping[int, Round], year: int, units: Collection[str]) -> Update | None:
    """The kept figures with the round of `year` read again for `units` and for every unit whose response changed
    since; None when nothing is kept or it cannot be brought up to date (read everything then)."""
    with _lock:
        kept = _kept
    if kept is None or year not in kept.data or kept.data[year].data_version != LIVE:
        return None
    state = _state(rounds, list(kept.data), list(kept.markers), [year])
    if state.stamp != kept.stamp:
        return None  # another process computed since (a full computation, a slice on request): read afresh
    if _signature(rounds, state.labels) != kept.rounds or state.reference != kept.reference:
        return None
    markers = state.markers
    if any(y != year and markers[y] != marker for y, marker in kept.markers.items()):
        return None
    if markers.get(year, (0, 0, 0))[0] < kept.markers.get(year, (0, 0, 0))[0]:
        return None  # a response was deleted
    # The units named, and every unit of the round whose response was saved (or submitted, or reopened) since.
    states = state.states[year]
    previous = kept.states.get(year, {})
    changed = set(units) | {u for u in states.keys() | previous.keys() if states.get(u) != previous.get(u)}
    fresh = read_units(rounds[year], changed)
    values = kept.data[year].values
    codes: set[str] = set()
    for code, column in values.items():
        for unit in changed:
            if column.get(unit) != fresh.get(code, {}).get(unit):
                codes.add(code)
    codes.update(code for code in fresh if code not in values)
    regridded: set[str] = set()
    for unit in changed:
        before = {c.split(".")[0] for c, column in values.items() if "." in c and unit in column}
        after = {c.split(".")[0] for c, column in fresh.items() if "." in c and unit in column}
        regridded |= before ^ after
    with _lock:
        for column in values.values():
            for unit in changed:
                column.pop(unit, None)
        for code, column in fresh.items():
            values.setdefault(code, {}).update(column)
        kept.markers[year] = markers[year]
        kept.states[year] = states
        # What was made from the year's old values.
        if year in kept.caches.get("headline", {}):
            kept.caches.setdefault("headline_stale", {}).setdefault(year, set()).update(changed)
        answered = kept.caches.get("answered", {})
        for key in [k for k in answered if k[0] == year]:
            del answered[key]
    return Update(kept.geo, kept.data, kept.caches, changed, codes, regridded)
