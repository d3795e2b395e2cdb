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


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    return f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608


def upsert_answers(answers: Sequence[Answer]) -> None:
    """Insert or update (response, variable) rows with the answers' current fields."""
    if not answers:
        return
    quote = connection.ops.quote_name
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in _ANSWER_COLUMNS[2:])
    sql = (
        _insert_sql(Answer._meta.db_table, _ANSWER_COLUMNS)
        + f" ON CONFLICT ({quote('response_id')}, {quote('variable')}) DO UPDATE SET {updates}"
    )
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
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


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
    with connection.cursor() as cursor:
        cursor.executemany(_insert_sql(AuditEvent._meta.db_table, _AUDIT_COLUMNS), rows)
