"""Reading the dashboards from a PostgreSQL replica (`TRIAGE_DASHBOARD_DATABASE_URL`).

A dashboard read also writes: it brings the period's facts up to date and stores the
snapshots of closed months. With a replica those writes are made on the primary and committed
first; once the replica has replayed that commit, the figures are read there, in read-only
transactions, and the primary only answers the bookkeeping. A replica that has not caught up
within `MAX_WAIT`, or cannot be reached, is passed over for the primary: a lagging replica
never makes figures stale, it only stops taking the load.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.metrics import DASHBOARD_READS

log = logging.getLogger(__name__)

MAX_WAIT = 2.0  # seconds
POLL = 0.02


def wal_position(primary: Session) -> str:
    """Where the primary's write-ahead log stands now (after the caller's commit)."""
    position = primary.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one()
    primary.commit()
    return str(position)


def caught_up(replica: Session, position: str, *, timeout: float) -> bool:
    """Whether the replica has replayed the log up to `position`, waiting up to `timeout`.
    A server that is not in recovery (a primary given as the replica) is current by
    definition."""
    deadline = time.monotonic() + timeout
    while True:
        in_recovery, replayed = replica.execute(
            text("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= CAST(:at AS pg_lsn)"),
            {"at": position},
        ).one()
        replica.rollback()
        if not in_recovery or replayed:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)


@contextmanager
def reading(
    primary: Session,
    replica: "sessionmaker[Session] | None",
    prepare: Callable[[Session], None],
) -> Iterator[tuple[Session, bool]]:
    """The session to read figures from, and whether it may write (and commit) as it reads."""
    if replica is None:
        DASHBOARD_READS.labels("primary").inc()
        yield primary, True
        return
    prepare(primary)
    primary.commit()
    position = wal_position(primary)
    with replica() as session:
        try:
            current = caught_up(session, position, timeout=MAX_WAIT)
        except SQLAlchemyError as exc:
            log.warning("dashboard replica unavailable (%s); read the primary", type(exc).__name__)
            current = False
        else:
            if not current:
                log.warning("dashboard replica over %.0f s behind; read the primary", MAX_WAIT)
        if current:
            DASHBOARD_READS.labels("replica").inc()
            yield session, False
            return
    DASHBOARD_READS.labels("primary").inc()
    yield primary, True
