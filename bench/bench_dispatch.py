"""Dispatcher throughput into Redis Streams as a ratio to raw pipelined XADD of the same
entries, and end-to-end submit-to-stream latency under load, on PostgreSQL and Redis.

Throughput: N routed requests are inserted as intake stores them (request, labels, pending
assignment, outbox row); one dispatcher drains them (claim, idempotent publish, mark, audit,
commit per batch). The baseline pipelines XADD of the very same fields, batch for batch, into
a stream of its own, in the same run. Latency: the service and a `triage dispatcher` run as
processes; portals POST for `--seconds`, and a reader notes when each routed request appears
in its working group's stream. Usage:

    .venv/bin/python bench/bench_dispatch.py [--requests 5000] [--batch-size 100]
                                             [--seconds 10] [--concurrency 8]

A scratch PostgreSQL database (TRIAGE_BENCH_DATABASE_URL's server) and Redis database
(TRIAGE_BENCH_REDIS_URL, default redis://127.0.0.1:6379/13, flushed before and after).
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import redis
from sqlalchemy import Engine, insert

from bench.support import ROOT, scratch_database, server

REDIS_URL = os.environ.get("TRIAGE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
GROUPS = ("cj-cft", "bm-le", "wmd-cbrn", "et-cip")
TEXT = (
    "Request {i}: training for prosecutors on terrorist financing investigations and "
    "asset freezing, cohort {i}."
)


def insert_routed(engine: Engine, count: int) -> None:
    """Routed requests as intake stores them, spread over four working groups."""
    from app.db import utcnow
    from app.dispatch.models import Assignment, OutboxEntry
    from app.intake.models import AssistanceRequest, RequestArea, RequestParagraph

    now = utcnow()
    requests, labels, paragraphs, assignments, outbox = [], [], [], [], []
    for i in range(count):
        rid, group = uuid.uuid4(), GROUPS[i % len(GROUPS)]
        reference = f"TB-{rid.hex[:12].upper()}"
        requests.append(
            {
                "id": rid,
                "reference": reference,
                "requesting_state": "NGA",
                "body": TEXT,
                "status": "triaged",
                "received_at": now,
                "updated_at": now,
                "triaged_at": now,
                "decision": "auto_routed",
                "confidence": 0.9,
                "primary_area": "financing",
                "working_group_id": group,
                "language": "en",
                "version": 1,
            }
        )
        labels.append({"request_id": rid, "area_id": "financing", "rank": 0})
        paragraphs.append({"request_id": rid, "number": 14, "rank": 0})
        assignments.append(
            {
                "id": uuid.uuid4(),
                "request_id": rid,
                "working_group_id": group,
                "is_primary": True,
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
                "created_at": now,
                "available_at": now,
                "attempts": 0,
                "payload": {
                    "request_id": str(rid),
                    "reference": reference,
                    "requesting_state": "NGA",
                    "areas": ["financing"],
                    "paragraphs": [14, 15],
                    "working_group": group,
                    "primary": True,
                    "language": "en",
                },
            }
        )
    with engine.begin() as conn:
        for table, rows in (
            (AssistanceRequest, requests),
            (RequestArea, labels),
            (RequestParagraph, paragraphs),
            (Assignment, assignments),
            (OutboxEntry, outbox),
        ):
            for start in range(0, len(rows), 1000):
                conn.execute(insert(table), rows[start : start + 1000])


def throughput(url: str, client: "redis.Redis", *, count: int, batch: int) -> dict[str, float]:
    from sqlalchemy import select

    from app.db import make_engine
    from app.dispatch.dispatcher import Dispatcher
    from app.dispatch.models import Assignment, OutboxEntry
    from app.dispatch.streams import entry_fields
    from app.settings import Settings

    engine = make_engine(url, pool_size=2)
    insert_routed(engine, count)
    with engine.connect() as conn:
        rows = conn.execute(
            select(OutboxEntry.working_group_id, OutboxEntry.payload, Assignment.id)
            .join(
                Assignment,
                (Assignment.request_id == OutboxEntry.request_id)
                & (Assignment.working_group_id == OutboxEntry.working_group_id),
            )
            .order_by(OutboxEntry.id)
        ).all()
    entries = [
        (group, entry_fields(payload, assignment_id=str(aid))) for group, payload, aid in rows
    ]

    began = time.perf_counter()
    for start in range(0, len(entries), batch):
        pipe = client.pipeline(transaction=False)
        for group, fields in entries[start : start + batch]:
            pipe.xadd(f"bench:baseline:{group}", fields)  # type: ignore[arg-type]
        pipe.execute()
    baseline = len(entries) / (time.perf_counter() - began)

    worker = Dispatcher(
        Settings(database_url=url, redis_url=REDIS_URL),
        batch_size=batch,
        engine=engine,
        redis_client=client,
        name="bench",
    )
    began = time.perf_counter()
    worker.drain(timeout=600)
    dispatched = count / (time.perf_counter() - began)
    worker.close()
    published = sum(client.xlen(f"triage:wg:{g}") for g in GROUPS)
    assert published == count, f"{published} entries for {count} requests"
    engine.dispose()
    return {"baseline": baseline, "dispatcher": dispatched}


class StreamWatcher(threading.Thread):
    """Notes when each request id first appears in any working group's stream."""

    def __init__(self, client: "redis.Redis") -> None:
        super().__init__(daemon=True)
        self.client = client
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        from app.dispatch.streams import stream_name

        last = {stream_name(g): "0-0" for g in GROUPS}  # the streams start empty
        while not self.stop.is_set():
            reply: Any = self.client.xread(last, block=100)  # type: ignore[arg-type]
            now = time.perf_counter()
            for stream, entries in reply or []:
                for entry_id, fields in entries:
                    last[stream.decode()] = entry_id.decode()
                    self.seen.setdefault(fields[b"request_id"].decode(), now)


def submit_load(
    url: str, key: str, *, concurrency: int, seconds: float
) -> tuple[dict[str, float], list[float], int]:
    """POST for `seconds`; the send time of each routed request, HTTP latencies, errors."""

    async def run() -> tuple[dict[str, float], list[float], int]:
        sent: dict[str, float] = {}
        http: list[float] = []
        errors = 0
        stop = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=concurrency)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(limits=limits, timeout=30, headers=headers) as client:

            async def worker(offset: int) -> None:
                nonlocal errors
                i = offset
                while time.perf_counter() < stop:
                    started = time.perf_counter()
                    response = await client.post(
                        f"{url}/api/v1/requests",
                        json={"body": TEXT.format(i=i), "requesting_state": "NGA"},
                    )
                    if response.status_code != 201:
                        errors += 1
                    else:
                        http.append((time.perf_counter() - started) * 1000)
                        data = response.json()
                        if data["triage"]["decision"] == "auto_routed":
                            sent[data["id"]] = started
                    i += concurrency

            await asyncio.gather(*(worker(n) for n in range(concurrency)))
        return sent, http, errors

    return asyncio.run(run())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latency(url: str, client: "redis.Redis", *, seconds: float, concurrency: int) -> dict[str, Any]:
    from app.catalogue.loader import get_catalogue
    from app.triage.training import cached_model

    model = cached_model(ROOT / "var" / "test-cache", get_catalogue())
    env = {
        **os.environ,
        "TRIAGE_DATABASE_URL": url,
        "TRIAGE_REDIS_URL": REDIS_URL,
        "TRIAGE_MODEL_DIR": str(model.parent),
        "TRIAGE_RATE_LIMIT": "off",
        "TRIAGE_LOG_LEVEL": "WARNING",
    }
    triage = [str(Path(sys.executable).parent / "triage")]
    subprocess.run(
        [*triage, "register", str(model), "--activate"], env=env, check=True, capture_output=True
    )
    key = (
        subprocess.run(
            [*triage, "create-api-key", "--state", "NGA"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    dispatcher = subprocess.Popen([*triage, "dispatcher"], env=env, cwd=ROOT)
    watcher = StreamWatcher(client)
    watcher.start()
    try:
        with server("app.main:create_app", env) as base:
            submit_load(base, key, concurrency=concurrency, seconds=2)  # warm-up
            sent, http, errors = submit_load(base, key, concurrency=concurrency, seconds=seconds)
            deadline = time.monotonic() + 10
            while set(sent) - set(watcher.seen) and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        watcher.stop.set()
        dispatcher.terminate()
        dispatcher.wait(timeout=15)
    delays = [(watcher.seen[rid] - at) * 1000 for rid, at in sent.items() if rid in watcher.seen]
    return {
        "routed": len(sent),
        "missing": len(set(sent) - set(watcher.seen)),
        "errors": errors,
        "submitted": len(http),
        "seconds": seconds,
        "http_p50": statistics.median(http),
        "http_p99": percentile(http, 99),
        "e2e_p50": statistics.median(delays),
        "e2e_p99": percentile(delays, 99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    from app.cli import migrate_database
    from app.settings import Settings

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    try:
        with scratch_database("triage_bench_dispatch") as url:
            migrate_database(Settings(database_url=url))
            rates = throughput(url, client, count=args.requests, batch=args.batch_size)
            client.flushdb()
            lat = latency(url, client, seconds=args.seconds, concurrency=args.concurrency)
    finally:
        client.flushdb()
        client.close()

    print(
        f"PostgreSQL + Redis ({REDIS_URL}); {args.requests} requests, batches of "
        f"{args.batch_size}, one dispatcher"
    )
    print(f"{'':44s} {'entries/s':>10s}")
    print(f"{'baseline (pipelined XADD, same entries)':44s} {rates['baseline']:10.0f}")
    print(f"{'dispatcher (claim, publish, mark, audit)':44s} {rates['dispatcher']:10.0f}")
    print(f"ratio dispatcher/baseline throughput: {rates['dispatcher'] / rates['baseline']:.3f}")
    print()
    print(
        f"end to end under load: {lat['submitted']} submissions in {lat['seconds']:.0f} s "
        f"from {args.concurrency} connections, {lat['routed']} routed, "
        f"{lat['missing']} missing, {lat['errors']} errors"
    )
    print(
        f"  POST /api/v1/requests      p50 {lat['http_p50']:7.1f} ms   "
        f"p99 {lat['http_p99']:7.1f} ms"
    )
    print(
        f"  submit to stream entry     p50 {lat['e2e_p50']:7.1f} ms   p99 {lat['e2e_p99']:7.1f} ms"
    )


if __name__ == "__main__":
    main()
