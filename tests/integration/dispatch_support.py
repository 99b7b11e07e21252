"""Helpers for the dispatch tests: a Redis server and a TCP proxy the test can stop and start,
a webhook receiver, dispatcher subprocesses, and routed requests inserted in bulk."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select

from app.db import utcnow
from app.dispatch.models import Assignment, OutboxEntry
from app.dispatch.streams import stream_name
from app.intake.models import AssistanceRequest, RequestArea, RequestParagraph
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TRIAGE = Path(sys.executable).parent / "triage"
AREA_OF_GROUP = {"cj-cft": ("ftf", 13), "bm-le": ("borders", 18), "wmd-cbrn": ("cbrn", 20)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    condition: Callable[[], bool],
    *,
    timeout: float = 20.0,
    every: float = 0.05,
    what: str = "condition",
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class RedisServer:
    """A redis-server of the test's own on a fixed free port, keeping nothing on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.mkdtemp(prefix="triage-redis-")

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = self.client()
        try:
            wait_for(lambda: _pings(client), timeout=10, what="redis-server")
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> "redis.Redis":
        # from_url builds a client without retries, like the app's and the dispatcher's.
        return redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=1)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


def _pings(client: "redis.Redis") -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class TcpProxy:
    """Forwards a local port to a target; stop() refuses and cuts every connection."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # stopped meanwhile
                    client.close()
                    upstream.close()
                    return
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def stop(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not.
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for s in sockets:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class WebhookReceiver:
    """A local HTTP server that answers the given statuses in turn, then 200."""

    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = outer.statuses.pop(0) if outer.statuses else 200
                outer.received.append(Received(dict(self.headers.items()), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def routed_requests(
    engine: Engine,
    count: int,
    *,
    groups: tuple[str, ...] = ("cj-cft",),
    state: str = "NGA",
    portal_client_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Requests as intake stores auto-routed ones (labels, pending assignments, outbox rows),
    inserted in bulk; the first group is the primary one."""
    now = utcnow()
    area, paragraph = AREA_OF_GROUP[groups[0]]
    ids = [uuid.uuid4() for _ in range(count)]
    requests, areas, paragraphs, assignments, outbox = [], [], [], [], []
    for rid in ids:
        reference = f"TX-{rid.hex[:12].upper()}"
        requests.append(
            {
                "id": rid,
                "reference": reference,
                "requesting_state": state,
                "portal_client_id": portal_client_id,
                "title": None,
                "body": "Training for prosecutors on returning foreign terrorist fighters.",
                "contact": None,
                "language": "en",
                "language_hint": None,
                "status": "triaged",
                "review_reason": None,
                "received_at": now,
                "updated_at": now,
                "triaged_at": now,
                "decision": "auto_routed",
                "confidence": 0.93,
                "primary_area": area,
                "working_group_id": groups[0],
                "current_triage_id": None,
                "duplicate_of_id": None,
                "idempotency_key": None,
                "idempotency_fingerprint": None,
                "version": 1,
            }
        )
        areas.append({"request_id": rid, "area_id": area, "rank": 0})
        paragraphs.append({"request_id": rid, "number": paragraph, "rank": 0})
        for index, group in enumerate(groups):
            assignments.append(
                {
                    "id": uuid.uuid4(),
                    "request_id": rid,
                    "working_group_id": group,
                    "is_primary": index == 0,
                    "status": "pending",
                    "created_at": now,
                    "delivery_count": 0,
                }
            )
            outbox.append(
                {
                    "request_id": rid,
                    "working_group_id": group,
                    "topic": "dispatch",
                    "payload": {
                        "request_id": str(rid),
                        "reference": reference,
                        "requesting_state": state,
                        "areas": [area],
                        "paragraphs": [paragraph],
                        "working_group": group,
                        "primary": index == 0,
                        "language": "en",
                    },
                    "created_at": now,
                    "available_at": now,
                    "attempts": 0,
                }
            )
    with engine.begin() as conn:
        for table, rows in (
            (AssistanceRequest, requests),
            (RequestArea, areas),
            (RequestParagraph, paragraphs),
            (Assignment, assignments),
            (OutboxEntry, outbox),
        ):
            for start in range(0, len(rows), 500):
                conn.execute(insert(table), rows[start : start + 500])
    return ids


def unpublished(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.published_at.is_(None))
            )
            or 0
        )


def stream_request_ids(client: "redis.Redis", group: str) -> list[str]:
    return [fields[b"request_id"].decode() for _, fields in client.xrange(stream_name(group))]


def dispatcher_env(
    settings: Settings,
    *,
    redis_url: str | None = None,
    database_url: str | None = None,
    **extra: str,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update(
        {
            "TRIAGE_DATABASE_URL": database_url or settings.database_url,
            "TRIAGE_LOG_JSON": "false",
            "TRIAGE_LOG_LEVEL": os.environ.get("DISPATCH_TEST_LOG_LEVEL", "INFO"),
            "TRIAGE_DISPATCH_RETRY_BASE": "0.05",
            "TRIAGE_DISPATCH_RETRY_MAX": "0.5",
            "TRIAGE_DISPATCH_DB_BACKOFF_MAX": "1",
            "TRIAGE_WEBHOOK_ALLOWED_NETWORKS": settings.webhook_allowed_networks,
            **extra,
        }
    )
    if redis_url:
        env["TRIAGE_REDIS_URL"] = redis_url
    return env


@contextmanager
def dispatcher_process(env: dict[str, str], *args: str) -> Iterator["subprocess.Popen[bytes]"]:
    """`triage dispatcher` in a child process; killed if the block leaves it running."""
    process = subprocess.Popen(
        [str(TRIAGE), "dispatcher", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def entry_json(fields: dict[bytes, bytes], name: str) -> Any:
    return json.loads(fields[name.encode()])


def rows(engine: Engine, stmt: Any) -> list[Any]:
    """Run a query in a short transaction: on SQLite an open one would block every writer."""
    with engine.connect() as conn:
        return list(conn.execute(stmt))


def column(engine: Engine, stmt: Any) -> list[Any]:
    return [row[0] for row in rows(engine, stmt)]


# -- fixtures shared by the dispatch test modules (imported by name there) ------------------


@pytest.fixture(name="redis_server", scope="module")
def redis_server_fixture() -> Iterator[RedisServer]:
    """A redis-server of the module's own; tests may stop and start it."""
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(name="redis_client")
def redis_client_fixture(redis_server: RedisServer) -> Iterator["redis.Redis"]:
    """A client of the module's Redis, running; everything in it is dropped after the test."""
    if redis_server.process is None:
        redis_server.start()
    client = redis_server.client()
    yield client
    if redis_server.process is None:
        redis_server.start()
    client.flushall()
    client.close()


@pytest.fixture(name="redis_app", scope="module")
def redis_app_fixture(settings: Settings, redis_server: RedisServer) -> Iterator[TestClient]:
    """The app configured with the module's Redis."""
    from app.main import create_app

    configured = settings.model_copy(update={"redis_url": redis_server.url})
    with TestClient(create_app(configured), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(name="rapi")
def rapi_fixture(redis_app: TestClient, api: TestClient, redis_client: "redis.Redis") -> TestClient:
    """`redis_app`, with the database (through `api`) and Redis cleaned after the test."""
    return redis_app
