"""Shared pieces of the benchmarks: scratch PostgreSQL databases, servers, a load generator."""

import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
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
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
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
