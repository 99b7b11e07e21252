"""Shared pieces of the benchmarks and drills: scratch PostgreSQL databases, servers, a Redis
of their own, load generators, and the audit that counts accepted, stored and lost requests."""

import asyncio
import gc
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis
import uvloop
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get(
    "TRIAGE_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_database(prefix: str = "triage_bench") -> Iterator[str]:
    """A new PostgreSQL database for one benchmark run, dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    # Pre-ping: a drill may restart the PostgreSQL server while this block runs.
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(app: str, env: dict[str, str], *, workers: int = 1) -> Iterator[str]:
    """Run `uvicorn --factory app` in a child process until the block ends."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{app} did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(99)


def post_load(
    url: str,
    bodies: list[dict[str, object]],
    headers: dict[str, str],
    *,
    concurrency: int,
    seconds: float,
    expect: int = 201,
) -> LoadResult:
    """POST the bodies round-robin from `concurrency` connections for `seconds`."""

    async def run() -> LoadResult:
        latencies: list[float] = []
        errors = 0
        stop = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=30, headers=headers) as client:

            async def worker(offset: int) -> None:
                nonlocal errors
                i = offset
                while time.perf_counter() < stop:
                    started = time.perf_counter()
                    response = await client.post(url, json=bodies[i % len(bodies)])
                    elapsed = (time.perf_counter() - started) * 1000
                    if response.status_code == expect:
                        latencies.append(elapsed)
                    else:
                        errors += 1
                    i += concurrency

            began = time.perf_counter()
            await asyncio.gather(*(worker(n) for n in range(concurrency)))
            return LoadResult(len(latencies), errors, time.perf_counter() - began, latencies)

    return asyncio.run(run())


# -- drills: the service as processes, its own Redis, clients that retry, and the final audit --

TRIAGE_CLI = [sys.executable, "-m", "app.cli"]
SAMPLE_TEXTS = [
    "The Ministry of Justice requests UNODC support to train 35 prosecutors on the prosecution "
    "of returning foreign terrorist fighters and the use of battlefield evidence (SCR 2396).",
    "La Cellule de renseignement financier sollicite un atelier sur l'évaluation des risques de "
    "financement du terrorisme dans le secteur des organismes à but non lucratif.",
    "Se solicita asistencia técnica para revisar el proyecto de ley de adhesión al Convenio "
    "internacional para la represión de los actos de terrorismo nuclear.",
    "Просим оказать содействие в подготовке сотрудников пенитенциарной системы по вопросам "
    "предотвращения радикализации заключенных, осужденных за терроризм.",
    "请求毒品和犯罪问题办公室协助培训边境管理人员使用预报旅客信息和旅客姓名记录数据。",
    "تطلب وزارة العدل المساعدة التقنية لتدريب القضاة على التعامل مع الأطفال المجندين من قبل "
    "الجماعات الإرهابية وفقا لمعايير قضاء الأحداث.",
]


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def wal_position(database_url: str) -> int:
    """The server's write-ahead log position in bytes (all its databases): the difference of
    two readings is what a run made PostgreSQL write before any data file."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_current_wal_lsn() - '0/0'")).scalar_one())
    finally:
        engine.dispose()


class RedisProcess:
    """A redis-server of the drill's own on a free loopback port (never the shared one), with
    an append-only file that is fsynced on every write, in a temporary directory."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = tempfile.mkdtemp(prefix="triage-drill-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                self.directory,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not self.ping():
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def ping(self) -> bool:
        client = self.client()
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def client(self) -> "redis.Redis":
        return redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=1)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM shuts down cleanly (the AOF is flushed); SIGKILL is a crash."""
        if self.process is not None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def own_redis() -> Iterator[RedisProcess]:
    server_ = RedisProcess()
    server_.start()
    try:
        yield server_
    finally:
        server_.close()


def service_env(database_url: str, redis_url: str, model: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIAGE_", "PROMETHEUS_"))}
    return {
        **env,
        "TRIAGE_DATABASE_URL": database_url,
        "TRIAGE_REDIS_URL": redis_url,
        "TRIAGE_MODEL_DIR": str(model.parent),
        "TRIAGE_RATE_LIMIT": "off",
        # As the container image runs them (Dockerfile): with an arena per thread, glibc let
        # the api's resident memory creep by 3-4 MB a minute under sustained load.
        "MALLOC_ARENA_MAX": "2",
        **extra,
    }


def trained_model() -> Path:
    from app.catalogue.loader import get_catalogue
    from app.triage.training import cached_model

    return cached_model(ROOT / "var" / "test-cache", get_catalogue())


def prepare_database(env: dict[str, str], model: Path, *, state: str = "NGA") -> str:
    """Migrate, register the model and create a portal key; returns the key."""
    subprocess.run([*TRIAGE_CLI, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(
        [*TRIAGE_CLI, "register", str(model), "--activate"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    issued = subprocess.run(
        [*TRIAGE_CLI, "create-api-key", "--state", state],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return issued.stdout.strip().splitlines()[-1]


class Process:
    """A `triage` command in a process group of its own, its output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args = args
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*TRIAGE_CLI, *self.args],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group: uvicorn's workers die with their supervisor."""
        if self.process is not None and self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def children(self) -> list[int]:
        """The worker processes `triage serve --workers N` spawned (not the resource tracker)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes()
            except OSError:
                continue
            if int(fields[1]) == self.pid and b"spawn_main" in cmdline:
                found.append(int(stat.parent.name))
        return sorted(found)

    def rss_bytes(self) -> int:
        """Resident memory of the process and its workers."""
        total = 0
        for pid in [self.pid, *self.children()]:
            with suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        return total


class Api(Process):
    def __init__(self, env: dict[str, str], log: Path, *, workers: int = 2) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        super().__init__(
            ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
            env,
            log,
        )
        self.workers = workers

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200 and (
                    len(self.children()) >= self.workers or self.workers == 1
                ):
                    return
            except httpx.HTTPError:
                pass
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the api did not start; see {self.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the api was not ready in {timeout:.0f} s; see {self.log}")
            time.sleep(0.2)


def error_lines(log: Path) -> int:
    """Log lines at level error (unexpected exceptions) in a process's JSON log."""
    if not log.exists():
        return 0
    return sum(
        1 for line in log.read_text(errors="replace").splitlines() if '"level": "error"' in line
    )


# A small HTTP/1.1 client on asyncio streams: on a two-CPU machine the load generator must
# cost far less than the service it measures, which httpx's per-call overhead does not.


class HttpError(Exception):
    """The connection failed or closed before a whole response arrived."""


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self,
        method: str,
        path: str,
        body: bytes,
        headers: dict[str, str],
        timeout: float = 30,
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            return await asyncio.wait_for(self._request(method, path, body, headers), timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            await self.close()
            raise HttpError(type(exc).__name__) from exc

    async def _request(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        if not status_line:
            raise asyncio.IncompleteReadError(b"", None)
        status = int(status_line.split(b" ", 2)[1])
        received: dict[str, str] = {}
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            received[name.strip().lower()] = value.strip()
        content = await self.reader.readexactly(int(received.get("content-length", "0")))
        if received.get("connection", "").lower() == "close":
            await self.close()
        return status, received, content


@dataclass
class Submission:
    key: str
    request_id: str | None = None
    attempts: int = 0
    replayed: bool = False
    final_status: int | None = None


@dataclass
class Traffic:
    """What the clients saw: every logical submission, every answer, and when."""

    started: float = field(default_factory=time.monotonic)
    submissions: list[Submission] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    timeline: list[tuple[float, str]] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def accepted(self) -> list[Submission]:
        return [s for s in self.submissions if s.request_id is not None]

    @property
    def throughput(self) -> float:
        """201s per second over the time the clients ran."""
        return len(self.latencies_ms) / self.elapsed if self.elapsed else 0.0

    def merged(self, other: "Traffic") -> "Traffic":
        return Traffic(submissions=self.submissions + other.submissions)

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


RETRYABLE = {429, 500, 502, 503, 504}


async def _submit(
    connection: Connection,
    path: str,
    headers: dict[str, str],
    body: bytes,
    traffic: Traffic,
    *,
    give_up_at: float,
    scheduled: float | None = None,
) -> None:
    """One logical submission: POST until a 201, retrying with the same Idempotency-Key.

    Paced callers pass the `time.monotonic()` the call was due: its latency is then counted
    from then, so a server that falls behind its schedule cannot hide it (no coordinated
    omission)."""
    submission = Submission(key=str(uuid.uuid4()))
    traffic.submissions.append(submission)
    sent = {**headers, "Idempotency-Key": submission.key}
    delay = 0.05
    while True:
        submission.attempts += 1
        began = time.perf_counter()
        try:
            status, received, content = await connection.request("POST", path, body, sent)
            outcome = str(status)
        except HttpError as exc:
            status, outcome = 0, f"connection: {exc}"
        traffic.statuses[outcome] += 1
        traffic.timeline.append((time.monotonic() - traffic.started, outcome))
        if status == 201:
            if scheduled is not None:
                traffic.latencies_ms.append((time.monotonic() - scheduled) * 1000)
            else:
                traffic.latencies_ms.append((time.perf_counter() - began) * 1000)
            # The Location header names the new request: no need to parse the whole answer
            # (4 kB) on the cores the service under test needs.
            location = received.get("location")
            submission.request_id = (
                location.rsplit("/", 1)[-1] if location else json.loads(content)["id"]
            )
            submission.replayed = received.get("idempotent-replayed") == "true"
            submission.final_status = 201
            return
        if (status and status not in RETRYABLE) or time.monotonic() > give_up_at:
            submission.final_status = status
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)


def drive(
    base: str,
    key: str,
    *,
    seconds: float,
    concurrency: int,
    rate: float | None = None,
    traffic: Traffic | None = None,
    during: Callable[[Traffic], None] | None = None,
    retry_for: float = 120.0,
    path: str = "/api/v1/requests",
) -> Traffic:
    """Submit requests from `concurrency` connections for `seconds`, closed-loop, or at `rate`
    requests per second in total; a failed call is retried with its Idempotency-Key for up to
    `retry_for` seconds after the end. `during` runs in a thread alongside (a fault to inject).
    """
    parsed = httpx.URL(base)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    traffic = traffic or Traffic()

    async def run() -> None:
        stop = time.monotonic() + seconds
        give_up_at = stop + retry_for
        counter = 0

        async def client(index: int) -> None:
            nonlocal counter
            connection = Connection(parsed.host, parsed.port or 80)
            # Paced clients start staggered, so the calls are spread evenly over each second.
            next_start = time.monotonic() + (index / rate if rate else 0)
            try:
                while time.monotonic() < stop:
                    due = None
                    if rate:
                        await asyncio.sleep(max(0.0, next_start - time.monotonic()))
                        due, next_start = next_start, next_start + concurrency / rate
                        if time.monotonic() >= stop:
                            break
                    counter += 1
                    text = SAMPLE_TEXTS[counter % len(SAMPLE_TEXTS)]
                    body = json.dumps(
                        {"body": f"{text} (drill {counter})", "requesting_state": "NGA"}
                    ).encode()
                    await _submit(
                        connection,
                        path,
                        headers,
                        body,
                        traffic,
                        give_up_at=give_up_at,
                        scheduled=due,
                    )
            finally:
                await connection.close()

        loop = asyncio.get_running_loop()
        side = loop.run_in_executor(None, during, traffic) if during else None
        await asyncio.gather(*(client(n) for n in range(concurrency)))
        if side is not None:
            await side

    began = time.monotonic()
    # The clients' own collector stays off while they run: over a long run its full
    # collections of everything the traffic records took 150 ms each, and every call in
    # flight was counted that much later.
    collecting = gc.isenabled()
    gc.disable()
    try:
        # On uvloop, as the service runs: the clients share the service's cores. With it and
        # the id read from Location, they took 0.46 ms of CPU per call at 250/s, not 0.60.
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(run())
    finally:
        if collecting:
            gc.enable()
    traffic.elapsed = time.monotonic() - began
    return traffic


# -- the audit at the end of every drill ---------------------------------------------------


@dataclass(frozen=True)
class Audit:
    accepted: int
    stored: int
    routed_assignments: int
    stream_entries: int
    duplicates: int
    lost: int
    unpublished: int

    def lines(self) -> list[str]:
        return [
            f"accepted requests (201s the clients saw): {self.accepted}",
            f"stored requests:                         {self.stored}",
            f"stream entries:                          {self.stream_entries} "
            f"(assignments to publish: {self.routed_assignments})",
            f"duplicates:                              {self.duplicates}",
            f"lost:                                    {self.lost}",
        ]


def audit(
    database_url: str, redis_client: "redis.Redis", traffic: Traffic, *, drain_timeout: float = 120
) -> Audit:
    """Wait for the dispatcher to publish every outbox row, then compare what the clients were
    promised with what the database and the streams hold.

    Lost: an accepted request missing from the database, a logical submission that never got
    its 201, or a routed assignment missing from its working group's stream. Duplicates: two
    rows for one submission, a request twice in one stream, or two ids for one Idempotency-Key.
    """
    engine = create_engine(database_url)
    try:
        deadline = time.monotonic() + drain_timeout
        while True:
            with engine.connect() as conn:
                waiting = conn.execute(
                    text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                ).scalar_one()
            if not waiting or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        with engine.connect() as conn:
            stored: dict[str, str | None] = dict(
                conn.execute(
                    text("SELECT id::text, idempotency_key FROM assistance_requests")
                ).all()
            )
            pairs = {
                (str(request_id), group)
                for request_id, group in conn.execute(
                    text("SELECT request_id::text, working_group_id FROM assignments")
                )
            }
    finally:
        engine.dispose()
    in_streams: Counter[tuple[str, str]] = Counter()
    for name in redis_client.scan_iter(match="triage:wg:*", count=500):
        stream = name.decode()
        if stream.endswith((":published", ":dead")):
            continue
        group = stream.removeprefix("triage:wg:")
        entries: Any = redis_client.xrange(stream)
        for _, fields in entries:
            in_streams[(fields[b"request_id"].decode(), group)] += 1
    accepted = traffic.accepted
    ids_by_key: dict[str, set[str]] = {}
    for s in accepted:
        ids_by_key.setdefault(s.key, set()).add(s.request_id or "")
    keys_in_db = Counter(k for k in stored.values() if k)
    duplicates = (
        sum(n - 1 for n in in_streams.values() if n > 1)
        + sum(n - 1 for n in keys_in_db.values() if n > 1)
        + sum(len(ids) - 1 for ids in ids_by_key.values())
    )
    lost = (
        sum(1 for s in accepted if s.request_id not in stored)
        + sum(1 for s in traffic.submissions if s.request_id is None)
        + sum(1 for pair in pairs if pair not in in_streams)
    )
    return Audit(
        accepted=len(accepted),
        stored=len(stored),
        routed_assignments=len(pairs),
        stream_entries=sum(in_streams.values()),
        duplicates=duplicates,
        lost=lost,
        unpublished=int(waiting),
    )


def outcome_summary(traffic: Traffic) -> str:
    """What the clients were answered, most frequent first."""
    return ", ".join(f"{status}: {n}" for status, n in traffic.statuses.most_common())


def first_and_last(
    traffic: Traffic, predicate: Callable[[str], bool]
) -> tuple[float, float] | None:
    """Seconds into the run of the first and last answer matching `predicate`."""
    moments = [t for t, outcome in traffic.timeline if predicate(outcome)]
    return (moments[0], moments[-1]) if moments else None
