"""Seeding synthetic traffic: N requests over the last M months, written in committed batches."""

import queue
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

import app.models  # noqa: F401  (every table in the metadata the writers read)
from app.catalogue.loader import Catalogue
from app.db import utcnow
from app.demo import profiles, writers
from app.demo.traffic import (
    AREA_COLUMNS,
    ASSIGNMENT_COLUMNS,
    PARAGRAPH_COLUMNS,
    REQUEST_COLUMNS,
    REVIEW_COLUMNS,
    TRIAGE_COLUMNS,
    Batch,
    TrafficGenerator,
)
from app.errors import InvalidInput
from app.intake.models import ReferenceCounter
from app.routing import service as routing_service
from app.triage import registry
from ml.corpus import Example, load_split

DEFAULT_BATCH = 10_000
DEMO_MODEL_VERSION = "demo-model"
TABLES = (
    ("assistance_requests", REQUEST_COLUMNS, "requests"),
    ("triage_results", TRIAGE_COLUMNS, "triage_results"),
    ("request_areas", AREA_COLUMNS, "request_areas"),
    ("request_paragraphs", PARAGRAPH_COLUMNS, "request_paragraphs"),
    ("assignments", ASSIGNMENT_COLUMNS, "assignments"),
    ("reviews", REVIEW_COLUMNS, "reviews"),
)


@dataclass(frozen=True)
class SeedOutcome:
    requests: int
    rows: dict[str, int]
    start: datetime
    end: datetime


def window_start(now: datetime, months: int) -> datetime:
    """The first instant of the month `months - 1` months before `now`'s month (UTC)."""
    index = now.year * 12 + now.month - 1 - (months - 1)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _reserve_references(session: Session, per_year: Counter[int]) -> dict[int, int]:
    """Take a block of reference numbers per year, as intake takes one, so submissions during
    seeding never collide; returns the last number before each block."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    before: dict[int, int] = {}
    for year, count in sorted(per_year.items()):
        session.execute(
            insert(ReferenceCounter)
            .values(year=year, last_value=0)
            .on_conflict_do_nothing(index_elements=["year"])
        )
        last = session.execute(
            update(ReferenceCounter)
            .where(ReferenceCounter.year == year)
            .values(last_value=ReferenceCounter.last_value + count)
            .returning(ReferenceCounter.last_value)
        ).scalar_one()
        before[year] = last - count
    session.commit()
    return before


class _Writer:
    """Writes batches, one transaction each. On PostgreSQL a thread with its own connection
    writes while the next batch is drawn; elsewhere (SQLite has one writer) it writes inline."""

    def __init__(self, session: Session, progress: Callable[[int], None] | None) -> None:
        self.session = session
        self.progress = progress
        self.totals: Counter[str] = Counter()
        self.threaded = session.get_bind().dialect.name == "postgresql"
        self.queue: queue.Queue[tuple[Batch, int] | None] = queue.Queue(maxsize=2)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="seed-writer", daemon=True)

    def __enter__(self) -> "_Writer":
        if self.threaded:
            self.thread.start()
        return self

    def put(self, batch: Batch, requests: int) -> None:
        if not self.threaded:
            self._write(self.session, batch, requests)
            return
        if self.failure is not None:
            raise self.failure
        self.queue.put((batch, requests))

    def _write(self, session: Session, batch: Batch, requests: int) -> None:
        if self.threaded:
            # Demo rows: a crash may lose the last batches, so skip waiting for the WAL flush.
            session.execute(text("SET LOCAL synchronous_commit TO off"))
        for table, columns, attribute in TABLES:
            rows = getattr(batch, attribute)
            writers.write(session, table, columns, rows)
            self.totals[table] += len(rows)
        session.commit()
        if self.progress is not None:
            self.progress(requests)

    def _run(self) -> None:
        with Session(bind=self.session.get_bind()) as own:
            while (item := self.queue.get()) is not None:
                if self.failure is None:
                    try:
                        self._write(own, *item)
                    except BaseException as exc:  # handed to the drawing thread
                        self.failure = exc

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.threaded:
            self.queue.put(None)
            self.thread.join()
        if exc is None and self.failure is not None:
            raise self.failure


def seed_traffic(
    session: Session,
    *,
    requests: int,
    months: int,
    catalogue: Catalogue,
    seed: int = 2019,
    now: datetime | None = None,
    examples: Sequence[Example] | None = None,
    batch_size: int = DEFAULT_BATCH,
    reference_prefix: str = "TA",
    progress: Callable[[int], None] | None = None,
) -> SeedOutcome:
    """Add `requests` synthetic requests received over the last `months` months up to `now`.

    Commits once per batch, so a long run shows progress and an interrupted one keeps whole
    batches. Raises InvalidInput for a count or span out of range.
    """
    if requests < 0:
        raise InvalidInput("--requests must be 0 or more", field="requests")
    if not 1 <= months <= 120:
        raise InvalidInput("--months must be between 1 and 120", field="months")
    moment = now or utcnow()
    start = window_start(moment, months)
    active = registry.active(session)
    routes = {a: r.working_group_id for a, r in routing_service.current_routes(session).items()}
    generator = TrafficGenerator(
        catalogue=catalogue,
        examples=examples if examples is not None else load_split("train"),
        routes=routes,
        now=moment,
        seed=seed,
        model_version=active.version if active else DEMO_MODEL_VERSION,
        reference_prefix=reference_prefix,
    )
    stamps = profiles.arrival_times(requests, start=start, end=moment, rng=generator.rng)
    generator.counters.update(_reserve_references(session, Counter(s.year for s in stamps)))
    with _Writer(session, progress) as writer:
        for offset in range(0, len(stamps), batch_size):
            chunk = stamps[offset : offset + batch_size]
            batch = Batch()
            for received in chunk:
                generator.request(received, batch)
            writer.put(batch, len(chunk))
    return SeedOutcome(requests=requests, rows=dict(writer.totals), start=start, end=moment)
