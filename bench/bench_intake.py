"""Intake throughput and latency on PostgreSQL, as a ratio to a one-INSERT baseline app.

Both servers run in this benchmark, on the same database server, one uvicorn worker each,
driven by the same load generator: the ratio is what the service costs over the least a
FastAPI endpoint that stores a request can cost. Usage:

    .venv/bin/python bench/bench_intake.py [--seconds 10] [--concurrency 16]
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import ROOT, post_load, scratch_database, server

TEXTS = [
    "The Ministry of Justice requests UNODC support to train 35 prosecutors on the prosecution "
    "of returning foreign terrorist fighters and the use of battlefield evidence (SCR 2396).",
    "La Cellule de renseignement financier sollicite un atelier sur l'évaluation des risques de "
    "financement du terrorisme dans le secteur des organismes à but non lucratif.",
    "Se solicita asistencia técnica para revisar el proyecto de ley de adhesión al Convenio "
    "internacional para la represión de los actos de terrorismo nuclear.",
    "Просим оказать содействие в подготовке сотрудников пенитенциарной системы по вопросам "
    "предотвращения радикализации заключенных, осужденных за терроризм.",
    "请求毒品和犯罪问题办公室协助培训边境管理人员使用预报旅客信息和旅客姓名记录数据。",
    "تطلب وزارة العدل المساعدة التقنية لتدريب القضاة على التعامل مع الأطفال المجندين من قبل "
    "الجماعات الإرهابية وفقا لمعايير قضاء الأحداث.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    from app.catalogue.loader import get_catalogue
    from app.triage.training import cached_model

    model = cached_model(ROOT / "var" / "test-cache", get_catalogue())
    with scratch_database() as url:
        env = {
            "TRIAGE_DATABASE_URL": url,
            "TRIAGE_MODEL_DIR": str(model.parent),
            "TRIAGE_RATE_LIMIT": "off",
            "TRIAGE_LOG_LEVEL": "WARNING",
        }
        triage = [sys.executable, "-m", "app.cli"]
        subprocess.run(
            [*triage, "migrate"], env={**os.environ, **env}, check=True, capture_output=True
        )
        subprocess.run(
            [*triage, "register", str(model), "--activate"],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        key = (
            subprocess.run(
                [*triage, "create-api-key", "--state", "NGA"],
                env={**os.environ, **env},
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        bodies: list[dict[str, object]] = [{"body": t, "requesting_state": "NGA"} for t in TEXTS]
        headers = {"Authorization": f"Bearer {key}"}
        results = {}
        with server("bench.baseline_app:create_app", env, workers=args.workers) as base:
            post_load(f"{base}/baseline", bodies, {}, concurrency=args.concurrency, seconds=2)
            results["baseline (one INSERT)"] = post_load(
                f"{base}/baseline", bodies, {}, concurrency=args.concurrency, seconds=args.seconds
            )
        with server("app.main:create_app", env, workers=args.workers) as app:
            post_load(
                f"{app}/api/v1/requests", bodies, headers, concurrency=args.concurrency, seconds=2
            )
            results["intake (POST /api/v1/requests)"] = post_load(
                f"{app}/api/v1/requests",
                bodies,
                headers,
                concurrency=args.concurrency,
                seconds=args.seconds,
            )

    print(
        f"PostgreSQL, {args.workers} worker(s), {args.concurrency} connections, "
        f"{args.seconds:.0f} s each"
    )
    print(f"{'':34s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>7s}")
    for name, result in results.items():
        print(
            f"{name:34s} {result.throughput:8.1f} {result.p50:8.1f} {result.p99:8.1f} "
            f"{result.errors:7d}"
        )
    base_r, app_r = results.values()
    print(f"ratio intake/baseline throughput: {app_r.throughput / base_r.throughput:.2f}")
    print(f"ratio intake/baseline p99:        {app_r.p99 / base_r.p99:.2f}")


if __name__ == "__main__":
    main()
