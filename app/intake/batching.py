"""Group commit for submissions: the requests waiting in one api process are classified and
stored together.

Each submission waits on the event loop for its outcome. A runner takes whatever is waiting
(up to `max_batch`) and hands it to a worker thread as one batch: the model reads the batch in
one pass and the database takes it in two statements on PostgreSQL, so a busy process spends
its time on requests, not on round trips. An idle process gains nothing and loses nothing: a
lone request is a batch of one and goes at once. Nothing is answered before its batch has
committed.
"""

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.catalogue.loader import Catalogue
from app.errors import AppError
from app.intake import service
from app.intake.service import Intake, Submission
from app.triage.provider import ClassifierProvider

Process = Callable[[Sequence[Intake]], list[Submission | AppError]]


@dataclass
class _Lane:
    """The queue and runners of one event loop (test clients start loops of their own)."""

    queue: asyncio.Queue[tuple[Intake, asyncio.Future[Submission]]]
    runners: list[asyncio.Task[None]] = field(default_factory=list)
    busy: int = 0  # runners with a batch in a worker thread


class IntakeBatcher:
    def __init__(self, process: Process, *, max_batch: int = 32, runners: int = 1) -> None:
        # One runner by default: the batch grows while it works, and the thread a batch
        # runs in does not compete with another for the interpreter. A second would let one
        # batch be classified while another waits for its commit.
        self._process = process
        self._max_batch = max_batch
        self._runner_count = runners
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lane: _Lane | None = None

    async def submit(self, intake: Intake) -> Submission:
        """Wait for the intake's batch to commit; raises the intake's own error, or the
        batch's (the database gone) for every intake in it."""
        lane = self._current_lane()
        outcome: asyncio.Future[Submission] = asyncio.get_running_loop().create_future()
        lane.queue.put_nowait((intake, outcome))
        return await outcome

    def _current_lane(self) -> _Lane:
        loop = asyncio.get_running_loop()
        if self._lane is None or loop is not self._loop:
            lane = _Lane(queue=asyncio.Queue())
            lane.runners = [
                loop.create_task(self._run(lane), name=f"intake-batch-{n}")
                for n in range(self._runner_count)
            ]
            self._loop, self._lane = loop, lane
        return self._lane

    async def _run(self, lane: _Lane) -> None:
        queue = lane.queue
        while True:
            batch = [await queue.get()]
            while len(batch) < self._max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            # A caller that went away before its batch started is not stored: it had no
            # answer, and retries with its Idempotency-Key if it cares.
            live = [(intake, future) for intake, future in batch if not future.done()]
            if live:
                lane.busy += 1
                try:
                    await self._settle(live)
                finally:
                    lane.busy -= 1

    async def _settle(self, live: list[tuple[Intake, asyncio.Future[Submission]]]) -> None:
        """Process one batch and answer each of its callers; never raises, so the runner
        outlives any batch."""
        try:
            outcomes = await run_in_threadpool(self._process, [intake for intake, _ in live])
            if len(outcomes) != len(live):
                raise RuntimeError(f"{len(outcomes)} outcomes for a batch of {len(live)}")
        except Exception as exc:  # the batch failed as a whole; each caller is told
            for _, future in live:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), outcome in zip(live, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, AppError):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def close(self) -> None:
        """Let the waiting submissions and the batches under way finish, then stop."""
        lane = self._lane
        if lane is None:
            return
        while not lane.queue.empty() or lane.busy:
            await asyncio.sleep(0.01)
        for task in lane.runners:
            task.cancel()
        await asyncio.gather(*lane.runners, return_exceptions=True)
        self._lane = self._loop = None


BatchSessions = Callable[[], AbstractContextManager[Session]]


def storing(
    sessions: BatchSessions,
    classifiers: ClassifierProvider,
    catalogue: Catalogue,
    *,
    reference_prefix: str,
) -> Process:
    """What a batch goes through: the intake service, on a session of its own."""

    def process(intakes: Sequence[Intake]) -> list[Submission | AppError]:
        with sessions() as session:
            return service.submit_many(
                session,
                intakes,
                classifier=classifiers.get(),
                catalogue=catalogue,
                reference_prefix=reference_prefix,
            )

    return process


def batch_sessions(engine: Engine, sessions: sessionmaker[Session]) -> BatchSessions:
    """The intake batches' sessions. On PostgreSQL each batch holds one pooled connection in
    autocommit from start to end: it reads and reserves its references in one statement and
    writes every row in a second, each atomic on its own, so explicit transactions would only
    add BEGIN and COMMIT round trips, and giving the connection back to the pool between
    statements would only add checkouts and isolation-level resets."""
    if engine.dialect.name != "postgresql":
        return sessions
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def batch_session() -> Iterator[Session]:
        with (
            autocommit.connect() as connection,
            Session(bind=connection, expire_on_commit=False, autoflush=False) as session,
        ):
            yield session

    return batch_session
