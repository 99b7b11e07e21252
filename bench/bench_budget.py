"""How much work per request the latency target leaves room for on this machine, and how much
intake does.

`bench_load.py` paces intake at half the one-INSERT baseline's capacity and asks for p99 <=
50 ms. This benchmark finds what that asks of a request here. It paces, at that same rate
and over the same 32 connections:
- the baseline itself;
- the baseline made to spend k more milliseconds of CPU per call, holding the interpreter as
  intake's Python work does (k from `--extra`), to find the largest k that keeps p99 <= 50 ms;
- intake (two api workers and a dispatcher, on PostgreSQL and Redis).

For each it prints p50 and p99, and the whole machine's busy CPU per request (every process:
the services, PostgreSQL, Redis and the clients), next to the baseline's. The difference is
what a request adds to one INSERT, measured the same way for the budget and for intake. Usage:

    .venv/bin/python bench/bench_budget.py [--seconds 15] [--extra 0.5,1,1.5,2]
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_load import P99_TARGET_MS, THROUGHPUT_TARGET, create_baseline_table, meets_latency
from bench.support import (
    Api,
    Process,
    Traffic,
    drive,
    load_average,
    own_redis,
    prepare_database,
    scratch_database,
    server,
    service_env,
    trained_model,
)


def machine_busy() -> float:
    """Seconds of CPU the whole machine has spent outside idle and I/O wait, on all cores."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle, iowait = fields[3], fields[4]
    return (sum(fields[:8]) - idle - iowait) / os.sysconf("SC_CLK_TCK")


def paced(run: Callable[[], Traffic]) -> tuple[Traffic, float]:
    """The traffic, and the machine's busy CPU per answered request, in milliseconds."""
    began = machine_busy()
    traffic = run()
    spent = machine_busy() - began
    return traffic, spent / max(1, len(traffic.latencies_ms)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per paced run")
    parser.add_argument("--capacity-seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--extra", default="0.5,1,1.5,2", help="CPU milliseconds to add to the baseline's calls"
    )
    args = parser.parse_args()

    print(f"start: {load_average()}")
    model = trained_model()
    logs = Path(tempfile.mkdtemp(prefix="triage-bench-budget-"))
    rows: list[tuple[str, Traffic, float]] = []
    with scratch_database() as url, own_redis() as redis_server:
        env = service_env(url, redis_server.url, model)
        key = prepare_database(env, model)
        create_baseline_table(url)

        def baseline_run(base: str, rate: float | None, seconds: float) -> Traffic:
            return drive(
                base,
                key,
                seconds=seconds,
                concurrency=args.concurrency,
                rate=rate,
                path="/baseline",
            )

        with server("bench.baseline_app:create_app", env, workers=args.workers) as base:
            baseline_run(base, None, 3.0)
            capacity = baseline_run(base, None, args.capacity_seconds)
            rate = THROUGHPUT_TARGET * capacity.throughput
            traffic, cpu = paced(partial(baseline_run, base, rate, args.seconds))
            rows.append(("baseline (one INSERT)", traffic, cpu))
        for extra in [float(e) for e in args.extra.split(",") if e.strip()]:
            with server(
                "bench.baseline_app:create_app",
                {**env, "TRIAGE_BENCH_BASELINE_CPU_MS": str(extra)},
                workers=args.workers,
            ) as base:
                baseline_run(base, None, 2.0)
                traffic, cpu = paced(partial(baseline_run, base, rate, args.seconds))
                rows.append((f"baseline + {extra:g} ms of CPU per call", traffic, cpu))
        api = Api(env, logs / "api.log", workers=args.workers)
        dispatcher = Process(["dispatcher"], env, logs / "dispatcher.log")
        api.start()
        dispatcher.start()
        try:
            api.wait_ready()
            drive(api.base, key, seconds=3.0, concurrency=args.concurrency)
            time.sleep(1.0)  # the warm-up's dispatching done
            traffic, cpu = paced(
                lambda: drive(
                    api.base, key, seconds=args.seconds, concurrency=args.concurrency, rate=rate
                )
            )
            rows.append(("intake (api, dispatcher)", traffic, cpu))
        finally:
            api.stop()
            dispatcher.stop()

    print(f"end:   {load_average()}")
    print(
        f"baseline capacity {capacity.throughput:.0f} req/s (closed loop); every run below paced "
        f"at {THROUGHPUT_TARGET}x that, {rate:.0f} req/s, over {args.concurrency} connections"
    )
    base_cpu = rows[0][2]
    print(
        f"{'':36s} {'req/s':>7s} {'p50 ms':>7s} {'p99 ms':>8s} {'machine CPU/req':>16s} "
        f"{'added':>7s}  p99 <= {P99_TARGET_MS:.0f} ms"
    )
    for name, traffic, cpu in rows:
        print(
            f"{name:36s} {traffic.throughput:7.0f} {traffic.percentile(50):7.1f} "
            f"{traffic.percentile(99):8.1f} {cpu:13.2f} ms {cpu - base_cpu:7.2f}  "
            f"{'met' if meets_latency(traffic, rate) else 'NOT met'}"
        )
    kept = [cpu for _, t, cpu in rows[:-1] if meets_latency(t, rate)]
    intake_cpu = rows[-1][2]
    if kept:
        budget = max(kept) - base_cpu
        print(
            f"room for work per request at this rate: the most any run that met the target "
            f"added to the baseline's machine CPU is {budget:.2f} ms; intake adds "
            f"{intake_cpu - base_cpu:.2f} ms"
            + (f" ({(intake_cpu - base_cpu) / budget:.1f}x that)" if budget > 0 else "")
        )
    else:
        print("no baseline run met the target at this rate")
    print(f"logs: {logs}")


if __name__ == "__main__":
    main()
