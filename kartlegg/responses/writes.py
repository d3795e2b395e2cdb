"""The hot path of a save: one upsert for the answers and one insert for their audit rows, as plain SQL.

Django's bulk_create/bulk_update spend more time compiling SQL for 30 rows than the database spends writing them
(benchmarks/deadline_load.py measured bulk_update at 85 % of a save). `INSERT … ON CONFLICT … DO UPDATE` has the
same syntax on SQLite (3.24+) and PostgreSQL, so one statement serves both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models.signals import post_save
from django.utils import timezone

from kartlegg.accounts.models import AuditEvent

from .models import Answer, Response

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


class AnswerRow(NamedTuple):
    """An answer to upsert (the fields upsert_answers reads; an Answer instance has them too)."""

    response_id: int
    variable: str
    value_text: str | None
    value_num: Decimal | None
    comment: str
    version: int
    updated_at: Any
    updated_by_id: int | None


class AuditRow(NamedTuple):
    """An audit row to insert (the fields insert_audit reads; an AuditEvent instance has them too)."""

    user_id: int | None
    action: str
    channel: str
    object_type: str
    object_id: str
    unit_code: str
    variable: str
    old_value: str | None
    new_value: str | None
    detail: dict[str, Any]


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


def upsert_answers(answers: Sequence[Answer | AnswerRow]) -> None:
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


def insert_audit(events: Sequence[AuditEvent | AuditRow], at: Any) -> None:
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


_ANSWER_READ = ("variable", "value_text", "value_num", "comment", "version")


def answer_rows(response_id: int) -> list[tuple[Any, ...]]:
    """(variable, value_text, value_num, comment, version) of every stored answer of a response, as the ORM would
    return them (values_list), without compiling a query on every save."""
    quote = connection.ops.quote_name
    fields: list[Any] = [Answer._meta.get_field(name) for name in _ANSWER_READ]
    sql = (
        f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(Answer._meta.db_table)}"  # noqa: S608
        f" WHERE {quote('response_id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [response_id])
        rows = cursor.fetchall()
    converters = []
    for index, field in enumerate(fields):
        col = field.get_col(Answer._meta.db_table)
        funcs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if funcs:
            converters.append((index, col, funcs))
    if not converters:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for index, col, funcs in converters:
            for func in funcs:
                values[index] = func(values[index], col, connection)
        out.append(tuple(values))
    return out


def save_response(response: Response, fields: Sequence[str]) -> None:
    """Response.save(update_fields=fields) as one plain UPDATE (updated_at set now, as auto_now does), with the
    post_save signal that save() sends, so its listeners (quality, analytics) see exactly what they saw before."""
    response.updated_at = timezone.now()
    names = list(dict.fromkeys([*fields, "updated_at"]))
    model_fields: list[Any] = [Response._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in model_fields)
    params = [f.get_db_prep_save(getattr(response, f.attname), connection) for f in model_fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(Response._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s",  # noqa: S608
            [*params, response.pk],
        )
    post_save.send(
        sender=Response,
        instance=response,
        created=False,
        update_fields=frozenset(names),
        raw=False,
        using=connection.alias,
    )
