"""Declarative base, engine construction and the per-request session dependency."""

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
from anyio import CancelScope
from fastapi import Depends, Request
from sqlalchemy import (
    ColumnDefault,
    DateTime,
    Engine,
    MetaData,
    Select,
    Table,
    and_,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    inspect,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session, sessionmaker
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeDecorator
from starlette.concurrency import run_in_threadpool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


@cache
def _python_defaults(table: Table) -> tuple[tuple[str, ColumnDefault], ...]:
    return tuple(
        (column.key, column.default)
        for column in table.columns
        if isinstance(column.default, ColumnDefault)
    )


def _with_defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    filled = dict(row)
    for key, default in _python_defaults(table):
        if key not in filled:
            # Callable defaults are wrapped to take an execution context; ours ignore it.
            filled[key] = default.arg(None) if default.is_callable else default.arg
    return filled


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return "\\x" + value.hex()  # bytea's hex input format
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


@lru_cache(maxsize=256)
def _recordset_insert(shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> TextClause:
    """One statement writing each table's rows from a JSON array: few parameters and a short
    text, so both SQLAlchemy and the driver cache it (a VALUES list per row would not be)."""
    ctes = []
    for i, (table, keys) in enumerate(shape):
        columns = ", ".join(f'"{table.c[key].name}"' for key in keys)
        ctes.append(
            f'write_{i} AS (INSERT INTO "{table.name}" ({columns}) SELECT {columns} '
            f'FROM json_populate_recordset(NULL::"{table.name}", CAST(:rows_{i} AS json)))'
        )
    return text("WITH " + ", ".join(ctes) + " SELECT 1")


@dataclass(frozen=True, slots=True)
class NewRow:
    """A row to insert, as column values with their defaults filled: what `new_row` makes."""

    table: Table
    values: dict[str, Any]


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, for Core statements (executemany updates keyed by column)."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


@cache
def _columns_of(model: type[Base]) -> tuple[Table, dict[str, str]]:
    mapper = inspect(model)
    return table_of(model), {prop.key: prop.columns[0].key for prop in mapper.column_attrs}


def new_row(model: type[Base], **values: Any) -> NewRow:
    """A row of a mapped class, named by its attributes, without building the ORM instance
    (for bulk writes whose rows the session never needs: instrumenting each would cost
    more than inserting it)."""
    table, columns = _columns_of(model)
    return NewRow(table, _with_defaults(table, {columns[k]: v for k, v in values.items()}))


def _as_row(obj: Base | NewRow) -> NewRow:
    if isinstance(obj, NewRow):
        return obj
    state = inspect(obj)
    table = state.mapper.local_table
    assert isinstance(table, Table)
    values = {
        prop.columns[0].key: state.dict[prop.key]
        for prop in state.mapper.column_attrs
        if prop.key in state.dict
    }
    return NewRow(table, _with_defaults(table, values))


def insert_all(session: Session, objects: Sequence[Base | NewRow]) -> None:
    """Insert new rows of several tables, parents before children, in few round trips.

    PostgreSQL takes them all in one statement of data-modifying CTEs (it checks foreign
    keys when the whole statement ends); SQLite takes one INSERT per table.
    ORM objects stay out of the session: give them every value the caller reads back (ids,
    timestamps) beforehand; columns left unset take their defaults here.
    """
    if not objects:
        return
    batches: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for obj in objects:
        row = _as_row(obj)
        batches.setdefault((row.table, tuple(row.values)), []).append(row.values)
    if session.get_bind().dialect.name != "postgresql":
        for (table, _), rows in batches.items():
            session.execute(insert(table), rows)
        return
    params = {
        # orjson writes UUIDs and aware datetimes (RFC 3339) as PostgreSQL reads them.
        f"rows_{i}": orjson.dumps(rows, default=_json_value).decode()
        for i, rows in enumerate(batches.values())
    }
    session.execute(_recordset_insert(tuple(batches)), params)


SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


def by_pairs(
    statement: SelectT,
    first: InstrumentedAttribute[Any],
    second: InstrumentedAttribute[Any],
    pairs: Sequence[tuple[Any, Any]],
    *,
    dialect: str,
) -> SelectT:
    """`statement` narrowed to the rows whose (first, second) is one of `pairs`.

    On PostgreSQL the pairs are joined as two unnested arrays: the statement reads the same
    for any number of pairs, and its plan looks each pair up in the index on both columns. A
    row-value IN list was a new statement for every batch size, and under load its plans
    scanned: 4–6 ms a lookup on tables of a few thousand rows, growing with them. SQLite keeps
    the IN list, which it answers from the index.
    """
    if dialect != "postgresql":
        return statement.where(tuple_(first, second).in_(pairs))
    wanted = (
        func.unnest(
            bindparam(None, [a for a, _ in pairs], type_=ARRAY(first.type)),
            bindparam(None, [b for _, b in pairs], type_=ARRAY(second.type)),
        )
        .table_valued("first", "second")
        .render_derived(name="wanted")
    )
    return statement.join(wanted, and_(first == wanted.c.first, second == wanted.c.second))


def make_engine(
    url: str, *, pool_size: int = 10, echo: bool = False, read_only: bool = False
) -> Engine:
    """Build an engine; SQLite gets foreign keys, WAL and write-serialising transactions.
    `read_only` (PostgreSQL) makes every transaction read-only: a replica's engine refuses to
    write even when it is given the primary."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        echo=echo,
        # Errors quote the statement, never its parameters: they carry request texts.
        hide_parameters=True,
        # No ping before each checkout (a round trip per transaction): a connection found
        # dead fails its request with a 503 and the pool replaces every older connection.
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"options": "-c default_transaction_read_only=on"} if read_only else {},
    )


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take it over.
    # BEGIN IMMEDIATE takes the write lock up front, so two writers wait (busy_timeout)
    # instead of failing when a read transaction upgrades to a write.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for one request. Opening one does no I/O, so it happens on the event loop;
    closing one does only when a transaction is still open, and then goes to a thread."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            # Shielded: a request cancelled mid-way must still give its connection back.
            with CancelScope(shield=True):
                await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]
