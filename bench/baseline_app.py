"""The baseline of the intake benchmark: one authenticated-free JSON POST, one INSERT.

`TRIAGE_BENCH_BASELINE_CPU_MS` makes each call spend that much more CPU first, holding the
interpreter as Python work does: `bench_budget.py` uses it to find how much work per request
the latency target leaves room for.
"""

import os
import time
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import text

from app.db import make_engine


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str
    requesting_state: str
    title: str | None = None
    language: str | None = None


def _spend(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def create_app() -> FastAPI:
    extra_cpu = float(os.environ.get("TRIAGE_BENCH_BASELINE_CPU_MS", "0")) / 1000
    engine = make_engine(os.environ["TRIAGE_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS baseline_requests (id uuid PRIMARY KEY, "
                "state char(3), body text, received_at timestamptz)"
            )
        )
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/baseline", status_code=201)
    def insert(payload: Body) -> dict[str, str]:
        if extra_cpu:
            _spend(extra_cpu)
        ident = uuid.uuid4()
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO baseline_requests VALUES (:id, :s, :b, :t)"),
                {
                    "id": ident,
                    "s": payload.requesting_state,
                    "b": payload.body,
                    "t": datetime.now(UTC),
                },
            )
        return {"id": str(ident)}

    return app
