"""Background model jobs started from the model page: `triage train`, `triage evaluate` and
`triage promote`, each run by `python -m app.desk.jobrunner` in a process of its own (never in
a web worker's thread), which records progress in `desk_jobs` for every replica to show."""

import logging
import os
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.sessions import DeskIdentity
from app.db import utcnow
from app.desk.models import DeskJob, JobStatus
from app.errors import Conflict, InvalidInput, NotFound
from app.settings import Settings
from app.triage import registry

log = logging.getLogger(__name__)
KINDS = ("train", "evaluate", "promote")
ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
# A runner writes a heartbeat at least every few seconds; one this old has died.
STALE_AFTER = timedelta(minutes=2)
OUTPUT_CHARS = 20_000
RECENT = 10


class JobRunning(Conflict):
    code = "job_running"


def command(job: DeskJob) -> list[str]:
    """The `triage` command line of the job (run with this interpreter, so in this venv)."""
    base = [sys.executable, "-m", "app.cli"]
    version = str(job.args.get("version") or "")
    if job.kind == "train":
        return [*base, "train", "--progress-json"]
    if job.kind == "evaluate":
        return [*base, "evaluate", "--version", version]
    return [*base, "promote", version, *(["--force"] if job.args.get("force") else [])]


def runner_environment(settings: Settings) -> dict[str, str]:
    """The web process's settings as TRIAGE_* variables, so the job sees the same database and
    model directory even when settings were passed in code (tests) rather than read from env."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        key = f"TRIAGE_{name.upper()}"
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def is_stale(job: DeskJob, *, now: datetime) -> bool:
    if job.status not in ACTIVE:
        return False
    last = job.heartbeat_at or job.started_at or job.created_at
    return now - last > STALE_AFTER


def start(
    session: Session,
    *,
    kind: str,
    version: str,
    force: bool,
    identity: DeskIdentity,
    settings: Settings,
) -> DeskJob:
    """Record the job, commit, then start its runner process; one training at a time."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown job {kind!r}", field="kind")
    args: dict[str, Any] = {}
    if kind != "train":
        args["version"] = registry.get(session, version.strip()).version
        if kind == "promote":
            args["force"] = bool(force)
    now = utcnow()
    running = [
        job
        for job in session.scalars(select(DeskJob).where(DeskJob.status.in_(ACTIVE)))
        if not is_stale(job, now=now)
    ]
    if any(job.kind == "train" for job in running) and kind == "train":
        raise JobRunning("a training job is already running; wait for it to finish")
    job = DeskJob(kind=kind, args=args, created_by=identity.user.username, created_at=now)
    session.add(job)
    session.flush()
    audit.record(
        session,
        action="model.job_started",
        actor_type="user",
        actor_id=str(identity.user.id),
        actor_label=identity.user.username,
        details={"job_id": str(job.id), "kind": kind, **args},
    )
    session.commit()
    try:
        _spawn(job.id, settings)
    except OSError as exc:
        job.status = JobStatus.FAILED.value
        job.output = f"the job runner could not start: {exc}"
        job.finished_at = utcnow()
        session.commit()
    return job


def _spawn(job_id: uuid.UUID, settings: Settings) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "app.desk.jobrunner", str(job_id)],
        env=runner_environment(settings),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )
    # Reap the runner when it exits so it does not linger as a zombie; waiting is all this
    # thread does, the work happens in the runner's own process.
    threading.Thread(target=process.wait, name=f"reap-job-{job_id}", daemon=True).start()


def get(session: Session, job_id: str) -> DeskJob:
    try:
        job = session.get(DeskJob, uuid.UUID(job_id))
    except ValueError:
        job = None
    if job is None:
        raise NotFound("no such job")
    return job


def recent(session: Session) -> list[DeskJob]:
    return list(session.scalars(select(DeskJob).order_by(DeskJob.created_at.desc()).limit(RECENT)))


def as_json(job: DeskJob, *, now: datetime) -> dict[str, Any]:
    return {
        "id": str(job.id),
        "kind": job.kind,
        "args": job.args,
        "status": job.status,
        "stale": is_stale(job, now=now),
        "step": job.step,
        "progress": job.progress,
        "output": job.output[-4000:],
        "result": job.result,
        "exit_code": job.exit_code,
        "created_by": job.created_by,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
