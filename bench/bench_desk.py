"""Desk page times with 100,000 requests in PostgreSQL, as ratios to a trivial page.

Fills a scratch database with realistic rows (COPY: requests over three years in six
languages from every region, their triage, labels, assignments and audit events), serves the
app with one uvicorn worker, signs in through the login form, and times, one request at a
time over a kept-alive connection: `/healthz` (the trivial page), the sign-in page, the queue
(default, filtered, second page) and request pages. Every request page view writes its audit
event, as in production. Usage:

    .venv/bin/python bench/bench_desk.py [--requests 100000] [--samples 60]
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.catalogue.loader import Catalogue, get_catalogue
from bench.support import scratch_database, server

PASSWORD = "bench password 1234"
TARGETS_MS = {"queue": 150.0, "request": 100.0}
TEXTS = {
    "en": [
        "The Ministry of Justice requests UNODC support to train {n} prosecutors on the "
        "prosecution of returning foreign terrorist fighters and the use of battlefield "
        "evidence, in line with Security Council resolution 2396 (2017).",
        "The Financial Intelligence Unit asks for a workshop on the terrorist-financing risk "
        "assessment of the non-profit sector following the {n}th plenary of the regional body.",
        "The prison administration requests assistance to manage {n} violent extremist "
        "prisoners and to prevent radicalization to violence in prisons.",
        "Our border police need training on advance passenger information and passenger name "
        "records for {n} officers at the international airport.",
    ],
    "fr": [
        "Le ministère de la Justice sollicite l'appui de l'ONUDC pour former {n} magistrats "
        "aux poursuites contre les combattants terroristes étrangers de retour.",
        "La cellule de renseignement financier demande un atelier sur l'évaluation des "
        "risques de financement du terrorisme dans le secteur des organismes à but non lucratif.",
    ],
    "es": [
        "Se solicita asistencia técnica para revisar el proyecto de ley de adhesión al "
        "Convenio internacional para la represión de los actos de terrorismo nuclear ({n}).",
        "La Fiscalía solicita capacitación para {n} fiscales sobre pruebas electrónicas y la "
        "cooperación con proveedores de servicios en el extranjero.",
    ],
    "ru": [
        "Просим оказать содействие в подготовке {n} сотрудников пенитенциарной системы по "
        "вопросам предотвращения радикализации заключенных, осужденных за терроризм.",
    ],
    "zh": [
        "请求毒品和犯罪问题办公室协助培训{n}名边境管理人员使用预报旅客信息和旅客姓名记录数据。",
    ],
    "ar": [
        "تطلب وزارة العدل المساعدة التقنية لتدريب {n} من القضاة على التعامل مع الأطفال المجندين "
        "من قبل الجماعات الإرهابية وفقا لمعايير قضاء الأحداث.",
    ],
}
OPEN = ["needs_review", "triaged", "dispatched", "acknowledged", "in_progress"]
RECENT_STATUSES = (
    ["needs_review"] * 25
    + ["triaged"] * 10
    + ["dispatched"] * 25
    + ["acknowledged"] * 15
    + ["in_progress"] * 15
    + ["out_of_scope"] * 8
    + ["duplicate"] * 2
)
OLD_STATUSES = (
    ["completed"] * 70
    + ["declined"] * 10
    + ["out_of_scope"] * 8
    + ["duplicate"] * 2
    + ["in_progress"] * 5
    + ["acknowledged"] * 3
    + ["needs_review"] * 2
)


def _copy(
    conn: psycopg.Connection[Any], table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _scores(rng: random.Random, size: int, top: int) -> list[float]:
    values = [rng.random() * 0.08 for _ in range(size)]
    values[top] = 0.55 + rng.random() * 0.45
    return values


def fill(url: str, count: int, catalogue: Catalogue, seed: int = 7) -> None:
    """Bulk-insert `count` requests with triage, labels, assignments and audit events."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    areas = list(catalogue.areas)
    area_ids = [a.id for a in areas]
    numbers = [p.number for p in catalogue.paragraphs]
    states = [s.iso3 for s in catalogue.states]
    languages = list(TEXTS)
    Rows = list[tuple[Any, ...]]
    requests: Rows = []
    triage: Rows = []
    labels: Rows = []
    paragraphs: Rows = []
    audit: Rows = []
    assignments: Rows = []
    for index in range(count):
        rid, tid = uuid.uuid4(), uuid.uuid4()
        age = timedelta(seconds=rng.random() * 3 * 365 * 86400)
        received = now - age
        status = rng.choice(RECENT_STATUSES if age < timedelta(days=45) else OLD_STATUSES)
        language = rng.choice(languages)
        body = rng.choice(TEXTS[language]).format(n=rng.randint(5, 200))
        body += f"\n\nRef. {rng.randint(1000, 99999)}/{received.year}"
        top = rng.randrange(len(areas))
        area = areas[top]
        scope = status != "out_of_scope"
        group = area.working_group if scope else None
        confidence = 0.5 + rng.random() * 0.5
        reference = f"TA-{received.year}-{index + 1:06d}"
        requests.append(
            (
                rid,
                reference,
                rng.choice(states),
                None,
                None,
                body,
                None,
                language,
                None,
                status,
                "model confidence below the auto-routing threshold"
                if status == "needs_review"
                else None,
                received,
                received,
                received,
                "auto_routed" if scope else "out_of_scope",
                confidence,
                area.id if scope else None,
                group,
                tid,
                None,
                None,
                None,
                2,
            )
        )
        area_scores = _scores(rng, len(areas), top)
        paragraph_top = numbers.index(area.core_paragraph)
        paragraph_scores = _scores(rng, len(numbers), paragraph_top)
        triage.append(
            (
                tid,
                rid,
                "bench-model",
                "auto_routed" if scope else "out_of_scope",
                confidence,
                0.02,
                language,
                json.dumps(
                    [
                        {"id": a, "name": a, "score": s}
                        for a, s in sorted(
                            zip(area_ids, area_scores, strict=True), key=lambda x: -x[1]
                        )
                    ]
                ),
                json.dumps(
                    [
                        {"number": n, "score": s}
                        for n, s in sorted(
                            zip(numbers, paragraph_scores, strict=True), key=lambda x: -x[1]
                        )
                    ]
                ),
                group,
                json.dumps(
                    {
                        "area": area.id,
                        "terms": [{"term": "terrorist", "weight": 0.1}],
                        "paragraph": area.core_paragraph,
                        "paragraph_summary": "",
                        "notes": [],
                    }
                ),
                received,
            )
        )
        if scope:
            labels.append((rid, area.id, 0))
            second = rng.choice(area_ids)
            if second != area.id and rng.random() < 0.4:
                labels.append((rid, second, 1))
            for rank, number in enumerate(area.paragraphs[:2]):
                paragraphs.append((rid, number, rank))
        audit.append((received, "portal", None, "bench portal", "request.received", rid, "{}"))
        audit.append((received, "model", "bench-model", None, "request.triaged", rid, "{}"))
        if scope and status not in ("needs_review", "duplicate"):
            assignment_status = {
                "triaged": "pending",
                "dispatched": "dispatched",
                "acknowledged": "acknowledged",
                "in_progress": "in_progress",
                "completed": "completed",
                "declined": "declined",
            }.get(status, "dispatched")
            assignments.append(
                (
                    uuid.uuid4(),
                    rid,
                    group,
                    True,
                    assignment_status,
                    received,
                    None if assignment_status == "pending" else received + timedelta(minutes=5),
                    0,
                )
            )
    sa_url = make_url(url)
    dsn = sa_url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        _copy(
            conn,
            "assistance_requests",
            [
                "id",
                "reference",
                "requesting_state",
                "portal_client_id",
                "title",
                "body",
                "contact",
                "language",
                "language_hint",
                "status",
                "review_reason",
                "received_at",
                "updated_at",
                "triaged_at",
                "decision",
                "confidence",
                "primary_area",
                "working_group_id",
                "current_triage_id",
                "duplicate_of_id",
                "idempotency_key",
                "idempotency_fingerprint",
                "version",
            ],
            requests,
        )
        _copy(
            conn,
            "triage_results",
            [
                "id",
                "request_id",
                "model_version",
                "decision",
                "confidence",
                "scope_score",
                "language",
                "areas",
                "paragraphs",
                "working_group_id",
                "explanation",
                "created_at",
            ],
            triage,
        )
        _copy(conn, "request_areas", ["request_id", "area_id", "rank"], labels)
        _copy(conn, "request_paragraphs", ["request_id", "number", "rank"], paragraphs)
        _copy(
            conn,
            "audit_events",
            [
                "occurred_at",
                "actor_type",
                "actor_id",
                "actor_label",
                "action",
                "request_id",
                "details",
            ],
            audit,
        )
        _copy(
            conn,
            "assignments",
            [
                "id",
                "request_id",
                "working_group_id",
                "is_primary",
                "status",
                "created_at",
                "dispatched_at",
                "delivery_count",
            ],
            assignments,
        )
        conn.commit()
    # What autovacuum does in production: statistics and a visibility map (index-only scans).
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _timed(client: httpx.Client, paths: Iterator[str], samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        path = next(paths)
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        times.append(elapsed)
    return times


def _cycle(items: list[str]) -> Iterator[str]:
    while True:
        yield from items


def _sign_in(client: httpx.Client) -> None:
    page = client.get("/desk/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    response = client.post(
        "/desk/login",
        data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    if response.status_code != 200 or "/desk/queue" not in str(response.url):
        raise RuntimeError(f"sign-in failed: {response.status_code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    catalogue = get_catalogue()
    with scratch_database("triage_bench_desk") as url, tempfile.TemporaryDirectory() as models:
        env = {
            "TRIAGE_DATABASE_URL": url,
            "TRIAGE_MODEL_DIR": models,
            "TRIAGE_RATE_LIMIT": "off",
            "TRIAGE_LOG_LEVEL": "WARNING",
        }
        full_env = {**os.environ, **env}
        triage = [sys.executable, "-m", "app.cli"]
        subprocess.run([*triage, "migrate"], env=full_env, check=True, capture_output=True)
        subprocess.run(
            [
                *triage,
                "create-user",
                "--username",
                "bench",
                "--role",
                "admin",
                "--password",
                PASSWORD,
            ],
            env=full_env,
            check=True,
            capture_output=True,
        )
        began = time.perf_counter()
        fill(url, args.requests, catalogue)
        loaded = time.perf_counter() - began
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn:
            ids = [
                str(r[0])
                for r in conn.execute(
                    "SELECT id FROM assistance_requests ORDER BY random() LIMIT %s", (args.samples,)
                )
            ]
            open_count = conn.execute(
                "SELECT count(*) FROM assistance_requests WHERE status = ANY(%s)", (OPEN,)
            ).fetchone()
        with (
            server("app.main:create_app", env) as base,
            httpx.Client(base_url=base, follow_redirects=True, timeout=30) as client,
        ):
            _sign_in(client)
            second = re.search(
                r'href="/desk/queue\?([^"]*cursor=[^"]+)"', client.get("/desk/queue").text
            )
            assert second
            pages = {
                "trivial (/healthz)": ["/healthz"],
                "sign-in page": ["/desk/login"],
                "queue (default)": ["/desk/queue"],
                "queue (filtered)": [
                    "/desk/queue?status=all&area=ftf&region=Western+Africa",
                    "/desk/queue?language=ar&paragraph=13",
                    "/desk/queue?status=needs_review&group=cj-cft",
                    "/desk/queue?from=2025-01-01&to=2025-03-31&status=all",
                ],
                "queue (next page)": ["/desk/queue?" + second.group(1).replace("&amp;", "&")],
                "request page": [f"/desk/requests/{i}" for i in ids],
            }
            for paths in pages.values():  # warm up every route, the pool and the caches
                _timed(client, _cycle(paths), 5)
            results = {
                name: _timed(client, _cycle(paths), args.samples) for name, paths in pages.items()
            }

    print(
        f"PostgreSQL, {args.requests:,} requests ({open_count[0] if open_count else '?':,} open), "
        f"loaded in {loaded:.1f} s; one uvicorn worker, sequential, {args.samples} samples each"
    )
    print(f"{'':24s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'p50 / trivial':>14s}")
    base_p50 = statistics.median(results["trivial (/healthz)"])
    for name, times in results.items():
        ordered = sorted(times)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(
            f"{name:24s} {statistics.median(times):8.1f} {p95:8.1f} {max(times):8.1f} "
            f"{statistics.median(times) / base_p50:14.1f}"
        )
    for name, target in (
        ("queue (default)", TARGETS_MS["queue"]),
        ("queue (filtered)", TARGETS_MS["queue"]),
        ("request page", TARGETS_MS["request"]),
    ):
        p50 = statistics.median(results[name])
        verdict = "yes" if p50 <= target else "NO"
        print(f"target {name}: p50 {p50:.1f} ms <= {target:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
