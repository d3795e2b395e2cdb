"""The hot path of a save: one upsert for the answers and one insert for their audit rows, as plain SQL.

Django's bulk_create/bulk_update spend more time compiling SQL for 30 rows than the database spends writing them
(benchmarks/deadline_load.py measured bulk_update at 85 % of a save). `INSERT … ON CONFLICT … DO UPDATE` has the
same syntax on SQLite (3.24+) and PostgreSQL, so one statement serves both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection

from kartlegg.accounts.models import AuditEvent

from .models import Answer

_ANSWER_COLUMNS = (
    "response_id",
    "variable",
    "value_text",
    "value_num",
    "comment",
    "version",
    "updated_at",
    "updated_by_id",
)
_AUDIT_COLUMNS = (
    "at", "user_id", "action", "channel", "object_type", "object_id", "unit_code", "variable",
    "old_value", "new_value", "detail",
)  # fmt: skip


# Rows per statement: one multi-row INSERT is one round trip, where executemany is one per row (psycopg measured
# 0.5 ms each on loopback). 200 rows × 11 columns stays far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 200


def _insert_sql(table: str, columns: Sequence[str], rows: int, suffix: str = "") -> str:
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    group = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([group] * rows)}{suffix}"  # noqa: S608


def _insert(table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], suffix: str = "") -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.execute(_insert_sql(table, columns, len(chunk), suffix), [v for row in chunk for v in row])


def upsert_answers(answers: Sequence[Answer]) -> None:
    """Insert or update (response, variable) rows with the answers' current fields."""
    if not answers:
        return
    quote = connection.ops.quote_name
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in _ANSWER_COLUMNS[2:])
    suffix = f" ON CONFLICT ({quote('response_id')}, {quote('variable')}) DO UPDATE SET {updates}"
    ops = connection.ops
    rows = [
        (
            a.response_id,
            a.variable,
            a.value_text,
            ops.adapt_decimalfield_value(a.value_num, 20, 6),
            a.comment,
            a.version,
            ops.adapt_datetimefield_value(a.updated_at),
            a.updated_by_id,
        )
        for a in answers
    ]
    _insert(Answer._meta.db_table, _ANSWER_COLUMNS, rows, suffix)


def insert_audit(events: Sequence[AuditEvent], at: Any) -> None:
    """Append audit rows, all stamped with the same time (the save's)."""
    if not events:
        return
    stamp = connection.ops.adapt_datetimefield_value(at)
    rows = [
        (
            stamp,
            e.user_id,
            e.action,
            e.channel,
            e.object_type,
            e.object_id,
            e.unit_code,
            e.variable,
            e.old_value,
            e.new_value,
            json.dumps(e.detail, ensure_ascii=False),
        )
        for e in events
    ]
    _insert(AuditEvent._meta.db_table, _AUDIT_COLUMNS, rows)
