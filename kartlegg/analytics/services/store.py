"""Compact storage of the aggregates: one AggregateBlock row per (variable, rule, structure, level, year, data
version), every region of the level in it as parallel lists (models.AggregateBlock). A full computation writes
some ten thousand blocks instead of ~190 000 rows; the readers get cells, one per region, from `cells()`.

Writing a block replaces it (delete, insert): block ids only grow, so the newest id names the state of the store
(services.read.data_stamp). An incremental recompute writes the changed regions of some blocks (`merge`): the
other regions of those blocks are kept as they were.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
from django.db import connection, transaction
from django.db.models import Max, Q

from kartlegg.analytics.grouping import Block
from kartlegg.analytics.measures import STATUS_SYMBOLS
from kartlegg.analytics.models import LIVE, AggregateBlock

WRITE_BATCH = 500


class Cell(NamedTuple):
    """One region's figures, as a reader gets them."""

    variable: str
    rule: str
    structure: int
    level: str
    region: str
    year: int
    value: float | None
    rate: float | None
    median: float | None
    status: str
    n: int
    n_units: int
    n_imputed: int
    value_imputed: float | None
    source_code: str
    data_version: str
    computed_at: Any


def blocks(*conditions: Q, **filters: Any) -> Any:
    """The stored blocks that match (a queryset: the block fields, not region)."""
    return AggregateBlock.objects.filter(*conditions, **filters)


def cells(
    *conditions: Q,
    regions: Collection[str] | None = None,
    places: Collection[tuple[str, str]] | None = None,
    **filters: Any,
) -> Iterator[Cell]:
    """The cells of the matching blocks: `conditions` and `filters` select blocks by their fields (variable, rule,
    structure, level, year, data_version); `regions` keeps those regions, `places` those (level, region) pairs."""
    rows = blocks(*conditions, **filters).values_list(
        "variable", "rule", "structure", "level", "year", "data_version", "source_code", "computed_at", "payload"
    )
    wanted = set(regions) if regions is not None else None
    pairs = set(places) if places is not None else None
    for variable, rule, structure, level, year, key, code, computed_at, payload in rows.iterator(chunk_size=200):
        cols = decode(payload)
        names = cols["region"]
        if pairs is not None:
            chosen: Iterable[int] = [i for i, r in enumerate(names) if (level, r) in pairs]
        elif wanted is not None:
            chosen = [i for i, r in enumerate(names) if r in wanted]
        else:
            chosen = range(len(names))
        value, rate, median, status = cols["value"], cols["rate"], cols["median"], cols["status"]
        n, n_units, n_imputed, parts = cols["n"], cols["n_units"], cols["n_imputed"], cols["value_imputed"]
        for i in chosen:
            yield Cell(
                variable, rule, structure, level, names[i], year, value[i], rate[i], median[i], status[i], n[i],
                n_units[i], n_imputed[i], parts[i], code, key, computed_at,
            )  # fmt: skip


def count(*conditions: Q, **filters: Any) -> int:
    """How many cells the matching blocks hold."""
    return sum(blocks(*conditions, **filters).values_list("regions", flat=True))


def newest(*conditions: Q, **filters: Any) -> Any:
    """When the newest of the matching blocks was computed (None: none stored)."""
    return blocks(*conditions, **filters).aggregate(newest=Max("computed_at"))["newest"]


# The payload: a JSON header with the names and statuses, a NUL byte, then the figures as little-endian arrays
# (float64 with NaN for "no figure", int64 counts), each as long as the region list. Binary, because the floats go
# in and out exactly and without formatting: a full computation writes some 200 000 cells of seven figures.
FLOATS = ("value", "rate", "median", "value_imputed")
INTS = ("n", "n_units", "n_imputed")


_REGION_TEXT: dict[tuple[str, ...], str] = {}


def _region_text(regions: Any) -> str:
    """The JSON of a region list; the same lists recur for every variable, so each is written once per process."""
    key = tuple(regions)
    text = _REGION_TEXT.get(key)
    if text is None:
        if len(_REGION_TEXT) > 10_000:
            _REGION_TEXT.clear()
        text = _REGION_TEXT[key] = json.dumps(list(key), separators=(",", ":"))
    return text


_PLAIN = frozenset(STATUS_SYMBOLS.values()) | {""}  # no character JSON would escape


def _status_text(status: Sequence[str]) -> str:
    """The JSON of a status list; the symbols need no escaping, so joining them is enough (and much faster)."""
    if not status:
        return "[]"
    if _PLAIN.issuperset(status):
        return '["' + '","'.join(status) + '"]'
    return json.dumps(list(status), separators=(",", ":"))


def _pack(regions: Any, status: Sequence[str], floats: Any, ints: Any) -> bytes:
    head = '{"region":' + _region_text(regions) + ',"status":' + _status_text(status) + "}"
    floats, ints = np.asarray(floats, dtype="<f8"), np.asarray(ints, dtype="<i8")  # no copy when they are already
    return b"".join((head.encode(), b"\0", floats.tobytes(), ints.tobytes()))


def _arrays(columns: dict[str, Any]) -> tuple[Any, Any]:
    """The figures of block columns as (FLOATS × regions) and (INTS × regions) arrays, None becoming NaN."""
    return (
        np.array([columns[name] for name in FLOATS], dtype="<f8"),
        np.array([columns[name] for name in INTS], dtype="<i8"),
    )


def encode(columns: dict[str, Any]) -> bytes:
    return _pack(columns["region"], columns["status"], *_arrays(columns))


def _unpack(payload: bytes | memoryview) -> tuple[dict[str, list[Any]], Any, Any]:
    """The header ({"region": [...], "status": [...]}) and the figures as (FLOATS × regions) and (INTS × regions)
    arrays."""
    raw = bytes(payload)
    cut = raw.index(b"\0")
    head: dict[str, list[Any]] = json.loads(raw[:cut])
    size = len(head["region"])
    floats = np.frombuffer(raw, dtype="<f8", count=size * len(FLOATS), offset=cut + 1).reshape(len(FLOATS), size)
    offset = cut + 1 + 8 * size * len(FLOATS)
    ints = np.frombuffer(raw, dtype="<i8", count=size * len(INTS), offset=offset).reshape(len(INTS), size)
    return head, floats, ints


def decode(payload: bytes | memoryview) -> dict[str, list[Any]]:
    """The payload as lists, None where a figure is missing."""
    found, floats, ints = _unpack(payload)
    for name, row in zip(FLOATS, floats.tolist(), strict=True):
        found[name] = [None if v != v else v for v in row]
    for name, row in zip(INTS, ints.tolist(), strict=True):
        found[name] = row
    return found


BLOCK_COLUMNS = (
    "variable", "rule", "structure", "level", "year", "data_version", "source_code", "regions", "payload",
    "computed_at",
)  # fmt: skip
COPY_TYPES = ["varchar", "varchar", "int2", "varchar", "int2", "varchar", "varchar", "int4", "bytea", "timestamptz"]


def _row(block: Block, rule: str, key: str, moment: Any, packed: tuple[int, bytes] | None = None) -> tuple[Any, ...]:
    """The table row of a block; `packed` gives its region count and payload when they are not the block's own
    (a merge)."""
    regions, payload = packed or (len(block.columns["region"]), encode(block.columns))
    return (
        block.variable, rule, block.structure, block.level, block.year, key, block.source_code, regions, payload,
        moment,
    )  # fmt: skip


def _table() -> str:
    return connection.ops.quote_name(AggregateBlock._meta.db_table)


def _sql() -> str:
    names = ", ".join(connection.ops.quote_name(c) for c in BLOCK_COLUMNS)  # the fields are their columns
    if connection.vendor == "postgresql":
        return f"COPY {_table()} ({names}) FROM STDIN (FORMAT BINARY)"
    return f"INSERT INTO {_table()} ({names}) VALUES ({', '.join(['%s'] * len(BLOCK_COLUMNS))})"  # noqa: S608


class _Copy:
    """Binary COPY on PostgreSQL for as many rows as come, sent as they are made, so that the server stores them
    while the next ones are computed (a COPY per batch made the computation wait for each batch). A context
    manager: on an error the COPY is abandoned with it. While it is open, `before` (an execute wrapper) ends it
    ahead of any other statement on the connection (the computation reads a population, Django makes a
    savepoint); the next row starts a new one."""

    def __init__(self) -> None:
        self._stack: contextlib.ExitStack | None = None
        self._copy: Any = None

    def __enter__(self) -> _Copy:
        return self

    def __exit__(self, *error: Any) -> None:
        self.end(*error)

    def write(self, row: tuple[Any, ...]) -> None:
        if self._copy is None:
            stack = contextlib.ExitStack()
            cursor = stack.enter_context(connection.cursor())
            self._copy = stack.enter_context(cursor.cursor.copy(_sql()))
            self._copy.set_types(COPY_TYPES)
            self._stack = stack
        self._copy.write_row(row)

    def end(self, *error: Any) -> None:
        stack, self._stack, self._copy = self._stack, None, None
        if stack is not None:
            stack.__exit__(*(error or (None, None, None)))

    def before(self, execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
        self.end()
        return execute(sql, params, many, context)


def _insert(rows: list[tuple[Any, ...]]) -> None:
    """Plain rows straight into the table: binary COPY on PostgreSQL, executemany on SQLite (bulk_create would
    build and prepare a model instance per block)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        with _Copy() as copy:
            for row in rows:
                copy.write(row)
        return
    stamps = {id(row[-1]): row[-1] for row in rows}
    adapted = {key: connection.ops.adapt_datetimefield_value(moment) for key, moment in stamps.items()}
    with connection.cursor() as cursor:
        cursor.executemany(_sql(), [(*row[:-1], adapted[id(row[-1])]) for row in rows])


def write(found: Iterable[Block], rule: str, keys: dict[int, str], moment: Any) -> int:
    """Insert the blocks (under `keys[year]`, live by default); returns the cells written. The caller has removed
    what they replace. PostgreSQL streams them through one COPY (_Copy), SQLite inserts a batch at a time."""
    total = 0
    if connection.vendor == "postgresql":
        with _Copy() as copy, connection.execute_wrapper(copy.before):
            for block in found:
                copy.write(_row(block, rule, keys.get(block.year, LIVE), moment))
                total += len(block.columns["region"])
        return total
    batch: list[tuple[Any, ...]] = []
    for block in found:
        batch.append(_row(block, rule, keys.get(block.year, LIVE), moment))
        total += len(block.columns["region"])
        if len(batch) >= WRITE_BATCH:
            _insert(batch)
            batch = []
    _insert(batch)
    return total


def merge(found: Sequence[Block], rule: str, key: str, moment: Any) -> int:
    """Write the regions these (partial) blocks hold into the stored blocks of the same key, keeping every other
    region of them as it was; a block not stored yet is stored as given. Returns the cells written. The stored
    blocks are taken out and read in one statement (DELETE ... RETURNING), then written back merged."""
    if not found:
        return 0
    ident = {(b.variable, b.structure, b.level, b.year): b for b in found}
    wanted = ", ".join(["(%s, %s, %s, %s)"] * len(ident))
    sql = (
        f"DELETE FROM {_table()} WHERE rule = %s AND data_version = %s "  # noqa: S608 - values as parameters
        f"AND (variable, structure, level, year) IN (VALUES {wanted}) "
        "RETURNING variable, structure, level, year, payload"
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, [rule, key, *(part for name in ident for part in name)])
        old = {(v, int(s), lvl, int(y)): payload for v, s, lvl, y, payload in cursor.fetchall()}
        _insert([_row(b, rule, key, moment, _merged(b, old[n]) if n in old else None) for n, b in ident.items()])
    return sum(len(b.columns["region"]) for b in found)


def _merged(block: Block, payload: bytes) -> tuple[int, bytes]:
    """The stored payload with the regions of `block` written over it (a region it did not hold yet added at the
    end): its region count and the new payload."""
    head, floats, ints = _unpack(payload)
    regions, status = head["region"], head["status"]
    new = block.columns
    position = {region: i for i, region in enumerate(regions)}
    added = [r for r in new["region"] if r not in position]
    if added:
        regions = regions + added
        status = status + [""] * len(added)
        position.update((r, i) for i, r in enumerate(added, start=len(position)))
        floats = np.concatenate([floats, np.full((len(FLOATS), len(added)), np.nan)], axis=1)
        ints = np.concatenate([ints, np.zeros((len(INTS), len(added)), np.int64)], axis=1)
    else:
        floats, ints = floats.copy(), ints.copy()  # the stored arrays are read-only views of the payload
    at = np.array([position[r] for r in new["region"]], dtype=np.intp)
    floats[:, at], ints[:, at] = _arrays(new)
    for i, value in zip(at.tolist(), new["status"], strict=True):
        status[i] = value
    return len(regions), _pack(regions, status, floats, ints)


def stamp() -> int:
    """Changes whenever blocks are written (ids only grow: AUTOINCREMENT on SQLite, a sequence on PostgreSQL)."""
    return AggregateBlock.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
