"""Model instances from one hand-written statement, for the few hot paths where compiling an ORM query costs more
than the database spends answering it (the API's token look-up, the save's row lock).

`Columns` names the columns of one model under a table alias, with the converters the ORM would apply to each
(SQLite stores datetimes as text); `build` turns that model's slice of a fetched row into an instance, as
`Model.from_db` does for a queryset. Both are computed per database connection vendor by the caller and kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models


@dataclass(frozen=True)
class Columns:
    model: type[models.Model]
    names: list[str]  # attnames, in the order of the SELECT
    sql: list[str]  # alias."column", in the same order
    converters: list[tuple[Any, list[Any]]]

    @classmethod
    def of(cls, model: type[models.Model], alias: str, names: Sequence[str] | None = None) -> Columns:
        """The given fields (attnames) of `model`, all concrete fields when None."""
        quote = connection.ops.quote_name
        names = list(names) if names is not None else [f.attname for f in model._meta.concrete_fields]
        sql: list[str] = []
        converters: list[tuple[Any, list[Any]]] = []
        for name in names:
            field: Any = model._meta.get_field(name)
            sql.append(f"{alias}.{quote(field.column)}")
            col = field.get_col(alias)
            converters.append((col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
        return cls(model, names, sql, converters)

    def build(self, row: Sequence[Any], start: int = 0) -> Any:
        """The instance from row[start : start + len(self.names)]."""
        values = []
        for value, (col, funcs) in zip(row[start : start + len(self.names)], self.converters, strict=True):
            for func in funcs:
                value = func(value, col, connection)
            values.append(value)
        return self.model.from_db(connection.alias, self.names, values)
