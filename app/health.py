"""Liveness and readiness probes."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Database, queue and model are ready",
    responses={503: {"description": "a dependency is not ready"}},
)
def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks: dict[str, dict[str, Any]] = {}
    try:
        with state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"ok": True, "backend": state.engine.dialect.name}
    except Exception as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    if state.redis is None:
        checks["queue"] = {"ok": True, "backend": "embedded"}
    else:
        try:
            state.redis.ping()
            checks["queue"] = {"ok": True, "backend": "redis"}
        except Exception as exc:
            checks["queue"] = {"ok": False, "backend": "redis", "error": type(exc).__name__}
    provider = state.classifiers
    if provider.loaded is None:
        provider.refresh()
    model = provider.loaded
    checks["model"] = {"ok": model is not None, "version": model.version if model else None}
    ready = all(c["ok"] for c in checks.values())
    if state.dashboard_sessions is not None:
        # Reported, never required: the dashboards read the primary while it is away.
        checks["dashboard_replica"] = _replica_check(state.dashboard_sessions)
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )


def _replica_check(sessions: "sessionmaker[Session]") -> dict[str, Any]:
    try:
        with sessions() as session:
            lag = session.execute(
                text(
                    "SELECT CASE WHEN pg_is_in_recovery() THEN "
                    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
                )
            ).scalar_one()
    except Exception as exc:
        return {"ok": False, "required": False, "error": type(exc).__name__}
    # The time since the last transaction replayed: lag under writes, idle time without them.
    return {
        "ok": True,
        "required": False,
        "replay_age_seconds": None if lag is None else round(float(lag), 3),
    }
