"""Drill: Redis restarted under load, twice: a clean restart (SIGTERM; the append-only file is
flushed), then a crash (SIGKILL; every write was fsynced). Intake does not depend on Redis,
so portals keep getting 201s; the dispatcher's publishes fail during the outage and are
retried from the outbox, and the idempotent publish keeps every request once per stream.
Ends with the audit: accepted requests, stored requests, stream entries, duplicates and lost,
which must be 0. Usage:

    .venv/bin/python bench/drill_redis_restart.py [--seconds 30] [--concurrency 16]
                                                   [--outage 3]

The redis-server is the drill's own, on a free loopback port (never the shared one), with
the rate limiter counting in it so that its outage is exercised too; a scratch PostgreSQL
database.
"""

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx

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
)


def readiness(base: str) -> str:
    try:
        checks = httpx.get(f"{base}/readyz", timeout=5).json()["checks"]
    except (httpx.HTTPError, ValueError, KeyError):
        return "no answer"
    return "queue ready" if checks["queue"]["ok"] else "queue NOT ready"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--outage", type=float, default=3.0, help="seconds Redis stays down")
    args = parser.parse_args()

    print(f"start: {load_average()}")
    model = trained_model()
    logs = Path(tempfile.mkdtemp(prefix="triage-drill-redis-"))
    events: list[str] = []
    with scratch_database("triage_drill") as url, own_redis() as redis_server:
        env = service_env(url, redis_server.url, model, TRIAGE_RATE_LIMIT="100000/minute")
        key = prepare_database(env, model)
        api = Api(env, logs / "api.log", workers=2)
        dispatcher = Process(["dispatcher"], env, logs / "dispatcher.log")
        api.start()
        dispatcher.start()

        def faults(traffic: Traffic) -> None:
            def at() -> float:
                return time.monotonic() - traffic.started

            for sig, kind in ((signal.SIGTERM, "clean restart"), (signal.SIGKILL, "crash")):
                time.sleep(args.seconds / 3)
                redis_server.stop(sig)
                events.append(f"{at():5.1f} s  Redis stopped ({kind}, {sig.name})")
                time.sleep(args.outage / 2)
                events.append(f"{at():5.1f} s  /readyz during the outage: {readiness(api.base)}")
                time.sleep(args.outage / 2)
                redis_server.start()
                events.append(
                    f"{at():5.1f} s  Redis started again (append-only file reloaded);"
                    f" /readyz: {readiness(api.base)}"
                )

        try:
            api.wait_ready()
            traffic = drive(
                api.base, key, seconds=args.seconds, concurrency=args.concurrency, during=faults
            )
            client = redis_server.client()
            counts = audit(url, client, traffic)
            client.close()
        finally:
            api.stop()
            dispatcher.stop()

    print(f"end:   {load_average()}")
    print(
        f"{args.seconds:.0f} s of load from {args.concurrency} connections; api with 2 "
        "workers, 1 dispatcher"
    )
    for event in events:
        print(f"  {event}")
    print(f"answers: {outcome_summary(traffic)}")
    p50, p99 = traffic.percentile(50), traffic.percentile(99)
    print(f"latency of the 201s: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    dispatcher_log = (logs / "dispatcher.log").read_text(errors="replace")
    print(
        f"dispatcher batches that found the queue down and were retried: "
        f"{dispatcher_log.count('queue unavailable')}"
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
