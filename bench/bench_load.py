"""Sustained intake load on PostgreSQL and Redis: `triage serve --workers 2` and a dispatcher,
against the one-INSERT baseline app (also two workers) on the same database server, in the
same run, driven by the same clients at 32 connections.

Two measurements, each against a target:
- capacity: both apps closed-loop (each connection posts again as soon as it is answered),
  in alternating rounds; intake's throughput over the baseline's should be >= 0.5;
- latency under sustained load: intake paced at half the baseline's measured capacity over
  the same 32 connections, latency counted from when each call was due; it should keep that
  pace with p99 <= 50 ms. (Closed-loop latency is the queue the clients build themselves:
  32 connections over N requests per second wait 32/N s on average, at any speed.)

Then the audit: accepted, stored, stream entries, duplicates, lost. Usage:

    .venv/bin/python bench/bench_load.py [--seconds 30] [--rounds 3] [--concurrency 32]

A scratch PostgreSQL database (TRIAGE_BENCH_DATABASE_URL's server) and a redis-server of its
own on a free loopback port.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import (
    Api,
    Process,
    Traffic,
    audit,
    drive,
    error_lines,
    load_average,
    own_redis,
    prepare_database,
    scratch_database,
    server,
    service_env,
    trained_model,
)

THROUGHPUT_TARGET = 0.5
P99_TARGET_MS = 50.0


def row(name: str, traffic: Traffic) -> str:
    errors = sum(n for status, n in traffic.statuses.items() if status != "201")
    return (
        f"{name:44s} {traffic.throughput:8.1f} {traffic.percentile(50):8.1f} "
        f"{traffic.percentile(99):8.1f} {errors:7d}"
    )


def combine(parts: list[Traffic]) -> Traffic:
    total = Traffic()
    for part in parts:
        total.submissions += part.submissions
        total.latencies_ms += part.latencies_ms
        total.statuses.update(part.statuses)
        total.elapsed += part.elapsed
    return total


def create_baseline_table(url: str) -> None:
    # Made here once: two baseline workers creating it at the same moment would collide.
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS baseline_requests (id uuid PRIMARY KEY, "
                "state char(3), body text, received_at timestamptz)"
            )
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured, per app")
    parser.add_argument(
        "--rounds", type=int, default=3, help="baseline and intake alternate in this many rounds"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    args = parser.parse_args()

    print(f"start: {load_average()}")
    model = trained_model()
    logs = Path(tempfile.mkdtemp(prefix="triage-bench-load-"))
    segment = args.seconds / args.rounds
    with scratch_database() as url, own_redis() as redis_server:
        env = service_env(url, redis_server.url, model)
        key = prepare_database(env, model)
        create_baseline_table(url)
        api = Api(env, logs / "api.log", workers=args.workers)
        dispatcher = Process(["dispatcher"], env, logs / "dispatcher.log")
        api.start()
        dispatcher.start()
        try:
            with server("bench.baseline_app:create_app", env, workers=args.workers) as base:
                api.wait_ready()
                drive(
                    base, key, seconds=args.warmup, concurrency=args.concurrency, path="/baseline"
                )
                intake_parts = [
                    drive(api.base, key, seconds=args.warmup, concurrency=args.concurrency)
                ]
                warm_count = len(intake_parts[0].submissions)
                baseline_parts = []
                # Alternating keeps a change in the machine's load from favouring either side.
                for _ in range(args.rounds):
                    baseline_parts.append(
                        drive(
                            base,
                            key,
                            seconds=segment,
                            concurrency=args.concurrency,
                            path="/baseline",
                        )
                    )
                    intake_parts.append(
                        drive(api.base, key, seconds=segment, concurrency=args.concurrency)
                    )
            baseline = combine(baseline_parts)
            intake = combine(intake_parts[1:])
            paced_rate = THROUGHPUT_TARGET * baseline.throughput
            paced = drive(
                api.base,
                key,
                seconds=args.paced_seconds,
                concurrency=args.concurrency,
                rate=paced_rate,
            )
            began = time.monotonic()
            client = redis_server.client()
            counts = audit(url, client, combine([*intake_parts, paced]))
            drained = time.monotonic() - began
            client.close()
        finally:
            api.stop()
            dispatcher.stop()

    ratio = intake.throughput / baseline.throughput
    kept_pace = paced.throughput >= 0.97 * paced_rate
    p99 = paced.percentile(99)
    print(f"end:   {load_average()}")
    print(
        f"PostgreSQL + Redis, {args.workers} api workers + 1 dispatcher; baseline "
        f"{args.workers} workers; {args.concurrency} connections; {args.rounds} alternating "
        f"rounds, {args.seconds:.0f} s measured per app after {args.warmup:.0f} s of warm-up "
        f"({warm_count} warm-up submissions)"
    )
    print(f"{'':44s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>7s}")
    print(row("baseline (one INSERT), closed loop", baseline))
    print(row("intake (POST /api/v1/requests), closed loop", intake))
    print(row(f"intake paced at {paced_rate:.0f}/s", paced))
    print(
        f"capacity ratio intake/baseline: {ratio:.2f} (target >= {THROUGHPUT_TARGET}: "
        f"{'met' if ratio >= THROUGHPUT_TARGET else 'NOT met'})"
    )
    print(
        f"at {THROUGHPUT_TARGET}x the baseline's capacity ({paced_rate:.0f}/s) over "
        f"{args.concurrency} connections: kept pace {paced.throughput:.0f}/s, p99 {p99:.1f} ms "
        f"(target <= {P99_TARGET_MS:.0f} ms: "
        f"{'met' if kept_pace and p99 <= P99_TARGET_MS else 'NOT met'})"
    )
    print(
        f"outbox drained {drained:.1f} s after the load stopped; "
        f"unexpected errors logged by the api: {error_lines(logs / 'api.log')}"
    )
    for line in counts.lines():
        print(line)
    print(f"logs: {logs}")


if __name__ == "__main__":
    main()
