"""What one intake batch costs the api process on PostgreSQL, in CPU, wall time and
statements, for batches of 1 and 8, against a one-INSERT transaction per request in the same
process, on the same database.

No HTTP and no other process competes: this isolates the batch's own work (reading keys,
Idempotency-Keys and routes, reserving references, classifying, writing every row), which
`bench_load.py` measures only inside everything else. Usage:

    .venv/bin/python bench/bench_batch.py [--rounds 300]
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, text

from bench.bench_load import create_baseline_table
from bench.support import (
    SAMPLE_TEXTS,
    prepare_database,
    scratch_database,
    service_env,
    trained_model,
)

SIZES = (1, 8)


def measure(run: Callable[[int], None], rounds: int) -> tuple[float, float]:
    """Mean CPU and median wall milliseconds of `run(round)`."""
    cpu, walls = 0.0, []
    for n in range(rounds):
        began_cpu, began = time.process_time(), time.perf_counter()
        run(n)
        cpu += time.process_time() - began_cpu
        walls.append(time.perf_counter() - began)
    return cpu / rounds * 1000, statistics.median(walls) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300, help="batches of each size")
    args = parser.parse_args()

    model = trained_model()
    with scratch_database() as url:
        env = service_env(url, "", model)
        key = prepare_database(env, model)
        os.environ.update({k: v for k, v in env.items() if k.startswith("TRIAGE_")})

        from app.auth import service as auth_service
        from app.catalogue.loader import get_catalogue
        from app.db import make_engine, make_sessionmaker
        from app.intake import batching
        from app.intake.schemas import AssistanceRequestCreate
        from app.intake.service import Intake
        from app.settings import get_settings
        from app.triage.provider import ClassifierProvider

        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            portal = auth_service.authenticate_portal(session, key)
        classifiers = ClassifierProvider(sessions, get_settings().model_dir)
        classifiers.refresh()
        # What the api does with a batch (`app/main.py`).
        process = batching.storing(
            batching.batch_sessions(engine, sessions),
            classifiers,
            get_catalogue(),
            reference_prefix="TA",
        )
        statements = 0

        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine, "before_cursor_execute", count)

        def intakes(size: int, n: int) -> list[Intake]:
            return [
                Intake(
                    body=AssistanceRequestCreate.model_validate(
                        {
                            "body": f"{SAMPLE_TEXTS[(n + i) % len(SAMPLE_TEXTS)]} ({n}.{i})",
                            "requesting_state": "NGA",
                        }
                    ),
                    portal=portal,
                    idempotency_key=str(uuid.uuid4()),
                )
                for i in range(size)
            ]

        create_baseline_table(url)

        def one_insert(n: int) -> None:
            with engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO baseline_requests VALUES (:id, :s, :b, :t)"),
                    {
                        "id": uuid.uuid4(),
                        "s": "NGA",
                        "b": SAMPLE_TEXTS[n % len(SAMPLE_TEXTS)],
                        "t": datetime.now(UTC),
                    },
                )

        measure(one_insert, 50)
        base_cpu, base_wall = measure(one_insert, args.rounds)
        rows = []
        for size in SIZES:
            prepared = [intakes(size, n) for n in range(args.rounds + 30)]
            measure(lambda n, p=prepared: process(p[args.rounds + n]), 30)
            statements = 0
            cpu, wall = measure(lambda n, p=prepared: process(p[n]), args.rounds)
            rows.append((size, cpu, wall, statements / args.rounds))

    print(f"PostgreSQL, in one process, {args.rounds} batches of each size")
    print(f"{'':26s} {'CPU ms':>8s} {'wall ms':>8s} {'CPU/request':>12s} {'statements':>11s}")
    print(
        f"{'one INSERT (baseline)':26s} {base_cpu:8.2f} {base_wall:8.2f} {base_cpu:12.2f} {1:11d}"
    )
    for size, cpu, wall, per_batch in rows:
        print(
            f"{f'intake batch of {size}':26s} {cpu:8.2f} {wall:8.2f} {cpu / size:12.2f} "
            f"{per_batch:11.1f}"
        )
    for size, cpu, _, _ in rows:
        print(f"CPU per request, batch of {size}, over the baseline's: {cpu / size / base_cpu:.2f}")


if __name__ == "__main__":
    main()
