"""Monthly dashboard data on PostgreSQL at growing volumes, against a trivial endpoint.

One scratch database is filled by `triage seed-demo` in steps (by default 100,000 then
1,000,000 requests over 36 months, the same spread each time); after each step one uvicorn
worker serves the app and a single signed-in client asks, one call after another, for the
monthly JSON of a closed month, of the current month and of the month a year back, and for
/healthz (no database, no session: the floor of an HTTP round trip in this run). Usage:

    .venv/bin/python bench/bench_dashboards.py [--steps 100000,1000000] [--months 36]
                                               [--calls 40]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import scratch_database, server

PASSWORD = "bench-password-long-enough"
LIMIT_MS, GOAL_MS = 300.0, 100.0


def _month(shift: int) -> str:
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 + shift
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _sign_in(client: httpx.Client) -> None:
    page = client.get("/desk/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF field on the sign-in page"
    response = client.post(
        "/desk/login",
        data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code in (200, 303), response.text[:300]


def _timed(client: httpx.Client, path: str, calls: int) -> tuple[float, list[float]]:
    """The first call's time, then `calls` more (ms)."""
    started = time.perf_counter()
    response = client.get(path)
    first = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return first, times


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", default="100000,1000000", help="total requests after each step")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    targets = {
        "closed month": _month(-1),
        "current month": _month(0),
        "a year back": _month(-12),
    }
    lines = []
    with scratch_database("triage_bench_dash") as url:
        env = {**os.environ, "TRIAGE_DATABASE_URL": url, "TRIAGE_RATE_LIMIT": "off",
               "TRIAGE_LOG_LEVEL": "WARNING", "TRIAGE_LOG_JSON": "false"}  # fmt: skip
        triage = [sys.executable, "-m", "app.cli"]
        subprocess.run([*triage, "migrate"], env=env, check=True, capture_output=True)
        subprocess.run(
            [*triage, "create-user", "--username", "bench", "--role", "officer",
             "--password", PASSWORD],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        loaded = 0
        for seed, total in enumerate(steps, start=1):
            started = time.perf_counter()
            subprocess.run(
                [*triage, "seed-demo", "--requests", str(total - loaded),
                 "--months", str(args.months), "--seed", str(seed)],
                env=env, check=True,
            )  # fmt: skip
            seeded = time.perf_counter() - started
            subprocess.run(["psql", url.replace("+psycopg", ""), "-qc", "VACUUM ANALYZE"],
                           check=True)  # fmt: skip
            print(f"seeded {total - loaded:,} requests in {seeded:.0f} s", flush=True)
            loaded = total
            with (
                server("app.main:create_app", env) as base,
                httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client,
            ):
                _sign_in(client)
                _timed(client, "/healthz", 20)
                results = {"/healthz (trivial)": _timed(client, "/healthz", args.calls)}
                for name, month in targets.items():
                    path = f"/api/v1/stats/monthly?month={month}"
                    results[f"{name} ({month})"] = _timed(client, path, args.calls)
            floor = statistics.median(results["/healthz (trivial)"][1])
            lines.append(f"\n{total:,} requests over {args.months} months ({seeded:.0f} s to seed)")
            lines.append(
                f"{'':34s} {'first':>8s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} "
                f"{'p50/trivial':>12s}"
            )
            for name, (first, times) in results.items():
                p50 = statistics.median(times)
                lines.append(
                    f"{name:34s} {first:8.1f} {p50:8.1f} {_percentile(times, 95):8.1f} "
                    f"{max(times):8.1f} {p50 / floor:12.1f}"
                )
                if "month" in name or "back" in name:
                    verdict = "ok" if p50 <= LIMIT_MS else "OVER THE LIMIT"
                    goal = "meets" if p50 <= GOAL_MS else "misses"
                    lines.append(
                        f"{'':34s} {verdict} (limit {LIMIT_MS:.0f} ms), {goal} the "
                        f"{GOAL_MS:.0f} ms goal"
                    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
