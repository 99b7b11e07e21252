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
  When that target is missed, intake is paced again at lower fractions of the baseline
  (`--sweep`), and the highest rate that kept p99 under the target is reported: the rate this
  machine can promise at that latency.

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


def meets_latency(traffic: Traffic, rate: float) -> bool:
    """Kept the pace (within 3 %) with p99 under the target."""
    return traffic.throughput >= 0.97 * rate and traffic.percentile(99) <= P99_TARGET_MS


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
    parser.add_argument(
        "--sweep",
        default="0.4,0.3,0.2",
        help="fractions of the baseline to pace intake at when the target rate misses p99; "
        "empty for none",
    )
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
            sweep: list[tuple[float, Traffic]] = []
            if not meets_latency(paced, paced_rate):
                for fraction in [float(f) for f in args.sweep.split(",") if f.strip()]:
                    rate = fraction * baseline.throughput
                    sweep.append(
                        (
                            fraction,
                            drive(
                                api.base,
                                key,
                                seconds=args.paced_seconds,
                                concurrency=args.concurrency,
                                rate=rate,
                            ),
                        )
                    )
                    if meets_latency(sweep[-1][1], rate):
                        break
            began = time.monotonic()
            client = redis_server.client()
            counts = audit(url, client, combine([*intake_parts, paced, *(t for _, t in sweep)]))
            drained = time.monotonic() - began
            client.close()
        finally:
            api.stop()
            dispatcher.stop()

    ratio = intake.throughput / baseline.throughput
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
    for fraction, traffic in sweep:
        print(
            row(
                f"intake paced at {fraction:.2f}x ({fraction * baseline.throughput:.0f}/s)", traffic
            )
        )
    print(
        f"capacity ratio intake/baseline: {ratio:.2f} (target >= {THROUGHPUT_TARGET}: "
        f"{'met' if ratio >= THROUGHPUT_TARGET else 'NOT met'})"
    )
    print(
        f"at {THROUGHPUT_TARGET}x the baseline's capacity ({paced_rate:.0f}/s) over "
        f"{args.concurrency} connections: kept pace {paced.throughput:.0f}/s, p99 {p99:.1f} ms "
        f"(target <= {P99_TARGET_MS:.0f} ms: "
        f"{'met' if meets_latency(paced, paced_rate) else 'NOT met'})"
    )
    if sweep:
        kept = [f for f, t in sweep if meets_latency(t, f * baseline.throughput)]
        print(
            f"highest rate tried that kept p99 <= {P99_TARGET_MS:.0f} ms: "
            + (
                f"{kept[0] * baseline.throughput:.0f}/s ({kept[0]:.2f}x the baseline)"
                if kept
                else f"none down to {sweep[-1][0]:.2f}x the baseline"
            )
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
