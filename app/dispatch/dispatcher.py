"""The dispatcher worker: publishes due outbox rows to the working groups' queues and sends
due webhook deliveries, in a loop that survives Redis and database outages.

Several dispatchers may run at once on several machines: outbox rows and deliveries are
claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite serialises writers), publishing
is idempotent, and deliveries are leased. SIGTERM or SIGINT finishes the current batch and
exits 0.
"""

import contextlib
import logging
import os
import random
import signal
import socket
import threading
import time
from types import FrameType

import httpx
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_engine, make_sessionmaker
from app.dispatch import service
from app.dispatch.streams import WAKE_KEY, StreamQueue
from app.redis_client import connect as redis_client_for
from app.routing.models import WorkingGroup
from app.settings import Settings
from app.webhooks import sender

log = logging.getLogger(__name__)


# How often a dispatcher removes acknowledged stream entries past their retention.
RETIRE_INTERVAL = 600.0


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        *,
        batch_size: int = 200,
        poll_interval: float = 0.2,
        name: str | None = None,
        engine: Engine | None = None,
        redis_client: "redis.Redis | None" = None,
    ) -> None:
        self.settings = settings
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.name = name or default_name()
        self._own_engine = engine is None
        self.engine = engine or make_engine(settings.database_url, pool_size=2)
        self.sessions: sessionmaker[Session] = make_sessionmaker(self.engine)
        self._own_redis = redis_client is None and settings.redis_url is not None
        # No client-side retries: a failed batch waits out the outbox's own backoff instead.
        self.redis = (
            redis_client
            if redis_client is not None
            else (
                redis_client_for(
                    settings.redis_url,
                    socket_timeout=5,
                    socket_connect_timeout=2,
                    health_check_interval=30,
                    retry=Retry(NoBackoff(), 0),
                )
                if settings.redis_url
                else None
            )
        )
        self.queue = StreamQueue(self.redis) if self.redis is not None else None
        self.retry = service.Backoff(settings.dispatch_retry_base, settings.dispatch_retry_max)
        self.policy = sender.Policy(
            timeout=settings.webhook_timeout,
            max_attempts=settings.webhook_max_attempts,
            backoff_base=settings.webhook_backoff_base,
            backoff_max=settings.webhook_backoff_max,
        )
        self.http = httpx.Client(timeout=settings.webhook_timeout, follow_redirects=False)
        self.egress = settings.webhook_egress
        self._stop = threading.Event()
        self._queue_down_until = 0.0
        # The Redis server process last reconciled against (its run_id); none yet.
        self._redis_identity: str | None = None
        self._checked_redis_at = -float("inf")
        self._retired_at = -float("inf")
        self._db_failures = 0

    # -- one step -------------------------------------------------------------------------

    def dispatch_once(self) -> int:
        """One outbox batch; returns how many rows were published."""
        if self.queue is not None and time.monotonic() < self._queue_down_until:
            return 0
        with self.sessions() as session:
            outcome = service.publish_due(
                session,
                queue=self.queue,
                batch_size=self.batch_size,
                worker=self.name,
                retry=self.retry,
            )
        if outcome.error is not None:
            pause = self.retry.delay(1)
            self._queue_down_until = time.monotonic() + pause
            log.warning(
                "queue unavailable (%s); %d rows wait, retrying in %.1f s",
                outcome.error,
                outcome.claimed,
                pause,
            )
        elif outcome.published:
            log.debug("published %d outbox rows", outcome.published)
        return outcome.published

    def deliver_once(self) -> int:
        """One batch of due webhook deliveries; returns how many were attempted."""
        with self.sessions() as session:
            due = sender.lease_due(session, limit=self.batch_size, policy=self.policy)
        if not due:
            return 0
        results = sender.send_all(
            self.http, due, workers=self.settings.webhook_concurrency, egress=self.egress
        )
        with self.sessions() as session:
            sender.record(session, results, policy=self.policy)
        return len(results)

    def reconcile_once(self) -> int:
        """Re-publish what Redis lost; returns how many entries were published again.
        Redis errors propagate."""
        if self.queue is None:
            return 0
        with self.sessions() as session:
            outcome = service.republish_lost(session, queue=self.queue, worker=self.name)
        if outcome.republished:
            log.warning(
                "re-published %d of %d dispatched assignments whose stream entry was lost",
                outcome.republished,
                outcome.checked,
            )
        return outcome.republished

    def retire_once(self) -> int:
        """Remove acknowledged stream entries past their retention; returns how many.
        Redis errors propagate."""
        self._retired_at = time.monotonic()
        if self.queue is None:
            return 0
        with self.sessions() as session:
            groups = list(session.scalars(select(WorkingGroup.id)))
        before_ms = int((time.time() - self.settings.dispatch_stream_retention) * 1000)
        retired = sum(self.queue.retire(group, before_ms=before_ms) for group in groups)
        if retired:
            log.info("retired %d acknowledged stream entries", retired)
        return retired

    def _retire_if_due(self) -> None:
        if time.monotonic() - self._retired_at < RETIRE_INTERVAL:
            return
        with contextlib.suppress(redis.RedisError):  # a Redis that is down: next interval
            self.retire_once()

    def _reconcile_if_redis_changed(self) -> None:
        """Reconcile when this dispatcher starts and whenever the Redis it reaches is another
        server process (a restart, or a failover to a replica): only then can entries have
        been lost, so a steady Redis costs one INFO call per interval."""
        self._checked_redis_at = time.monotonic()
        if self.redis is None:
            return
        try:
            identity = str(self.redis.info("server")["run_id"])
            if identity != self._redis_identity:
                self.reconcile_once()
                self._redis_identity = identity
        except redis.RedisError:
            pass  # the outbox's own retries cover a Redis that is down; checked again later

    def step(self) -> int:
        if time.monotonic() - self._checked_redis_at >= self.settings.dispatch_reconcile_interval:
            self._reconcile_if_redis_changed()
        self._retire_if_due()
        return self.dispatch_once() + self.deliver_once()

    def drain(self, *, timeout: float = 60.0) -> None:
        """Work until nothing is due (tests and --once); database errors propagate."""
        deadline = time.monotonic() + timeout
        while self.step() and time.monotonic() < deadline:
            pass

    # -- the loop -------------------------------------------------------------------------

    def stop(self, *_: object) -> None:
        self._stop.set()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: finishing the current batch, then exiting", signum)
        self.stop()

    def run(self, *, once: bool = False) -> int:
        """Loop until stopped (or, with `once`, until nothing is due); returns an exit code."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        mode = "redis" if self.queue is not None else "embedded"
        log.info("dispatcher %s started (%s queue, batch %d)", self.name, mode, self.batch_size)
        try:
            while not self._stop.is_set():
                try:
                    done = self.step()
                except SQLAlchemyError as exc:
                    if once:
                        log.error("database unavailable: %s", exc)
                        return 1
                    self._database_down(exc)
                    continue
                self._db_failures = 0
                if once and not done:
                    break
                if done < self.batch_size:
                    self._wait()
        finally:
            self.close()
        log.info("dispatcher %s stopped", self.name)
        return 0

    def _database_down(self, exc: SQLAlchemyError) -> None:
        self._db_failures += 1
        ceiling = min(self.settings.dispatch_db_backoff_max, 0.25 * 2 ** min(self._db_failures, 10))
        pause = ceiling / 2 + random.uniform(0, ceiling / 2)
        log.warning("database unavailable (%s); retrying in %.1f s", type(exc).__name__, pause)
        self._stop.wait(pause)

    def _wait(self) -> None:
        """Sleep for the poll interval, or less when intake nudges us through Redis."""
        if self.redis is not None and time.monotonic() >= self._queue_down_until:
            try:
                woken = self.redis.blpop([WAKE_KEY], timeout=self.poll_interval)
            except redis.RedisError:
                pass
            else:
                if woken is not None:
                    self._stop.wait(self.settings.dispatch_linger)
                return
        self._stop.wait(self.poll_interval)

    def close(self) -> None:
        self.http.close()
        if self._own_redis and self.redis is not None:
            self.redis.close()
        if self._own_engine:
            self.engine.dispose()
