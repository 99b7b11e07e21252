"""Drill: api processes killed with SIGKILL under load while portals retry with their
Idempotency-Key. First one uvicorn worker is killed (its supervisor starts another), then the
whole api (supervisor and workers, as when a container dies); the drill, acting as the
supervisor, starts it again on the same port. Ends with the audit: accepted requests, stored
requests, stream entries, duplicates and lost, which must be 0. Usage:

    .venv/bin/python bench/drill_api_kill.py [--seconds 30] [--concurrency 16]

Scratch PostgreSQL database, a redis-server of its own, loopback only.
"""

import argparse
import os
import signal
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
    load_average,
    outcome_summary,
    own_redis,
    prepare_database,
    scratch_database,
    service_env,
    trained_model,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    print(f"start: {load_average()}")
    model = trained_model()
    logs = Path(tempfile.mkdtemp(prefix="triage-drill-api-kill-"))
    events: list[str] = []
    with scratch_database("triage_drill") as url, own_redis() as redis_server:
        env = service_env(url, redis_server.url, model)
        key = prepare_database(env, model)
        # A directory of the drill's own, which `serve` empties each time it starts again.
        (logs / "metrics").mkdir()
        api_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(logs / "metrics")}
        api = Api(api_env, logs / "api.log", workers=2)
        dispatcher = Process(["dispatcher"], env, logs / "dispatcher.log")
        api.start()
        dispatcher.start()

        def faults(traffic: Traffic) -> None:
            def at() -> float:
                return time.monotonic() - traffic.started

            time.sleep(args.seconds / 4)
            victim = api.children()[0]
            os.kill(victim, signal.SIGKILL)
            events.append(f"{at():5.1f} s  SIGKILL to api worker {victim}")
            deadline = time.monotonic() + 60
            while victim in api.children() or len(api.children()) < 2:
                if time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not replace the killed worker")
                time.sleep(0.05)
            events.append(f"{at():5.1f} s  uvicorn's supervisor runs workers {api.children()}")
            time.sleep(args.seconds / 4)
            events.append(
                f"{at():5.1f} s  SIGKILL to the whole api (supervisor {api.pid} "
                f"and workers {api.children()})"
            )
            api.kill(signal.SIGKILL)
            time.sleep(1.0)
            api.start()
            events.append(f"{at():5.1f} s  api started again (supervisor {api.pid})")
            api.wait_ready()
            events.append(f"{at():5.1f} s  api ready again")

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

    replayed = sum(1 for s in traffic.submissions if s.replayed)
    retried = sum(1 for s in traffic.submissions if s.attempts > 1)
    print(f"end:   {load_average()}")
    print(f"{args.seconds:.0f} s of load from {args.concurrency} connections; api with 2 workers")
    for event in events:
        print(f"  {event}")
    print(f"answers: {outcome_summary(traffic)}")
    print(
        f"submissions retried with their Idempotency-Key: {retried}; answered as replays "
        f"(stored before the kill, answer lost with it): {replayed}"
    )
    print(f"unexpected errors logged by the api: {error_lines(logs / 'api.log')}")
    for line in counts.lines():
        print(line)
    print(f"logs: {logs}")


if __name__ == "__main__":
    main()
