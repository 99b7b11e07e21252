"""Drill: PostgreSQL restarted under load (`pg_ctlcluster --skip-systemctl-redirect 15 main
restart`, this machine's own server). Portals get 503 with Retry-After while it is down and
retry with their Idempotency-Key; the api and the dispatcher reconnect by themselves. Prints
the outage as the clients saw it and ends with the audit: accepted requests, stored requests,
stream entries, duplicates and lost, which must be 0. The server is left running. Usage:

    .venv/bin/python bench/drill_postgres_restart.py [--seconds 30] [--concurrency 16]

Restarts the shared server: other work on it loses its connections for a few seconds.
Scratch database, a redis-server of its own, loopback only.
"""

import argparse
import subprocess
import sys
import tempfile
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
    first_and_last,
    load_average,
    outcome_summary,
    own_redis,
    prepare_database,
    scratch_database,
    service_env,
    trained_model,
)

RESTART = ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    print(f"start: {load_average()}")
    model = trained_model()
    logs = Path(tempfile.mkdtemp(prefix="triage-drill-postgres-"))
    window: list[float] = []
    with scratch_database("triage_drill") as url, own_redis() as redis_server:
        env = service_env(url, redis_server.url, model)
        key = prepare_database(env, model)
        api = Api(env, logs / "api.log", workers=2)
        dispatcher = Process(["dispatcher"], env, logs / "dispatcher.log")
        api.start()
        dispatcher.start()

        def restart(traffic: Traffic) -> None:
            time.sleep(args.seconds / 3)
            window.append(time.monotonic() - traffic.started)
            subprocess.run(RESTART, check=True, capture_output=True)
            window.append(time.monotonic() - traffic.started)

        try:
            api.wait_ready()
            traffic = drive(
                api.base, key, seconds=args.seconds, concurrency=args.concurrency, during=restart
            )
            client = redis_server.client()
            counts = audit(url, client, traffic)
            client.close()
        finally:
            api.stop()
            dispatcher.stop()

    began, ended = window
    refused = first_and_last(traffic, lambda outcome: outcome != "201")
    recovered = next((t for t, outcome in traffic.timeline if t > ended and outcome == "201"), None)
    unavailable = traffic.statuses.get("503", 0)
    print(f"end:   {load_average()}")
    print(
        f"{args.seconds:.0f} s of load from {args.concurrency} connections; api with 2 "
        "workers, 1 dispatcher"
    )
    print(f"  {began:5.1f} s  `{' '.join(RESTART)}` began")
    print(f"  {ended:5.1f} s  it returned (the server is up again)")
    if refused:
        print(f"  {refused[0]:5.1f} s  first answer other than 201; last at {refused[1]:.1f} s")
    if recovered is not None:
        print(
            f"  {recovered:5.1f} s  first 201 after the restart returned "
            f"({recovered - ended:.1f} s later)"
        )
    print(f"answers: {outcome_summary(traffic)}")
    print(
        f"503s during the outage: {unavailable}; other errors: "
        f"{sum(n for s, n in traffic.statuses.items() if s not in ('201', '503'))}"
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
