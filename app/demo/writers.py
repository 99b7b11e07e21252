"""Bulk writes of synthetic rows: COPY on PostgreSQL, executemany batches on SQLite."""

from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

from app.db import Base

Row = tuple[Any, ...]


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _copy(session: Session, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> None:
    json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
    connection = session.connection().connection.driver_connection
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            if json_at:
                values = list(row)
                for i in json_at:
                    values[i] = Json(values[i])
                copy.write_row(values)
            else:
                copy.write_row(row)


def write(session: Session, name: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Append rows to a table in the session's transaction (no ORM events, no defaults)."""
    if not rows:
        return
    table = _table(name)
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, table, columns, rows)
        return
    session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
