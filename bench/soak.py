"""Soak: the service under steady load at half its measured capacity for 10 minutes, sampling
the resident memory of the api (supervisor and workers) and of the dispatcher every 30 s, and
saying whether memory stayed flat (mean of the last third of the samples against the first
third). Capacity is measured first, closed-loop at 32 connections. Ends with the audit:
accepted requests, stored requests, stream entries, duplicates and lost. Usage:

    .venv/bin/python bench/soak.py [--minutes 10] [--rate R] [--interval 30]

Scratch PostgreSQL database, a redis-server of its own, loopback only.
"""

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import (
    Api,
    Process,
    Traffic,
    audit,
    drive,
    error_lines,
    load_average,
    outcome_summary,
    own_redis,
    prepare_database,
    scratch_database,
    service_env,
    trained_model,
    wal_position,
)

# Growth of the last third's mean over the first third's that still counts as flat.
FLAT_TOLERANCE = 0.02
MB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--rate", type=float, help="requests per second (default: half the capacity measured first)"
    )
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between samples")
    # As many connections as the load benchmark paces over: with fewer, a connection whose
    # call runs late cannot catch up, and the schedule slips for want of clients.
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    print(f"start: {load_average()}")
    model = trained_model()
    logs = Path(tempfile.mkdtemp(prefix="triage-soak-"))
    samples: list[tuple[float, int, int]] = []
    intervals: list[tuple[float, float] | None] = []  # answers/s and p99 ms before each sample
    with scratch_database("triage_soak") as url, own_redis() as redis_server:
        env = service_env(url, redis_server.url, model)
        key = prepare_database(env, model)
        api = Api(env, logs / "api.log", workers=2)
        dispatcher = Process(["dispatcher"], env, logs / "dispatcher.log")
        api.start()
        dispatcher.start()
        seconds = args.minutes * 60
        done = threading.Event()

        def sample(traffic: Traffic) -> None:
            seen = 0
            while True:
                # The answers since the last sample: how fast, and how late against schedule.
                window = traffic.latencies_ms[seen:]
                seen += len(window)
                samples.append(
                    (time.monotonic() - traffic.started, api.rss_bytes(), dispatcher.rss_bytes())
                )
                intervals.append(
                    (len(window) / args.interval, Traffic(latencies_ms=window).percentile(99))
                    if len(samples) > 1
                    else None
                )
                if done.wait(args.interval) or time.monotonic() - traffic.started > seconds:
                    return

        try:
            api.wait_ready()
            capacity = None
            if args.rate is None:
                measured = drive(api.base, key, seconds=15, concurrency=32)
                capacity = measured.throughput
                rate = capacity / 2
                setup = measured
            else:
                rate = args.rate
                setup = Traffic()
            wal_before = wal_position(url)
            traffic = drive(
                api.base,
                key,
                seconds=seconds,
                concurrency=args.concurrency,
                rate=rate,
                during=sample,
            )
            done.set()
            wal = wal_position(url) - wal_before
            samples.append(
                (time.monotonic() - traffic.started, api.rss_bytes(), dispatcher.rss_bytes())
            )
            intervals.append(None)  # the end: its answers are counted in the run's figures
            client = redis_server.client()
            counts = audit(url, client, setup.merged(traffic))
            client.close()
        finally:
            done.set()
            api.stop()
            dispatcher.stop()

    print(f"end:   {load_average()}")
    if capacity is not None:
        print(f"capacity measured first: {capacity:.1f} requests/s (32 connections, 15 s)")
    print(
        f"soak: {args.minutes:g} min at {rate:.1f} requests/s from {args.concurrency} "
        f"connections; achieved {traffic.throughput:.1f}/s; p50 "
        f"{traffic.percentile(50):.1f} ms, p99 {traffic.percentile(99):.1f} ms"
    )
    print(f"answers: {outcome_summary(traffic)}")
    print(
        f"PostgreSQL's write-ahead log: {wal / MB:.0f} MB during the soak, "
        f"{wal / max(1, len(traffic.latencies_ms)) / 1024:.1f} kB per accepted request"
    )
    print(
        f"{'t (s)':>7s} {'api RSS (MB)':>13s} {'dispatcher RSS (MB)':>20s} {'201/s':>7s} "
        f"{'p99 ms':>9s}"
    )
    for (at, api_rss, dispatcher_rss), window in zip(samples, intervals, strict=True):
        answers = f"{window[0]:7.1f} {window[1]:9.1f}" if window else f"{'':7s} {'':9s}"
        print(f"{at:7.0f} {api_rss / MB:13.1f} {dispatcher_rss / MB:20.1f} {answers}")
    third = max(1, len(samples) // 3)
    for name, column in (("api", 1), ("dispatcher", 2)):
        first = statistics.mean(s[column] for s in samples[:third])
        last = statistics.mean(s[column] for s in samples[-third:])
        growth = (last - first) / first
        verdict = "flat" if growth <= FLAT_TOLERANCE else "GROWING"
        # The trend after the first third (warm-up: caches and pools filling), per minute.
        settled = samples[third:] if len(samples) - third >= 2 else samples
        slope, _ = statistics.linear_regression(
            [s[0] / 60 for s in settled], [s[column] / MB for s in settled]
        )
        print(
            f"{name} memory: first third {first / MB:.1f} MB, last third {last / MB:.1f} MB "
            f"({growth:+.1%}): {verdict}; trend after the first third {slope:+.2f} MB/min"
        )
    print(
        f"unexpected errors logged: api {error_lines(logs / 'api.log')}, dispatcher "
        f"{error_lines(logs / 'dispatcher.log')}"
    )
    for line in counts.lines():
        print(line)
    print(f"logs: {logs}")


if __name__ == "__main__":
    main()
