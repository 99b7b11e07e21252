"""Runs one desk job: `python -m app.desk.jobrunner JOB_ID`.

Started by the model page in a new session of its own, it runs the job's `triage` command as a
child process, reads its output (JSON progress lines from `triage train --progress-json`,
plain text otherwise) and writes progress, a heartbeat and the outcome to the job's row.
"""

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from typing import IO, Any

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.db import make_engine, make_sessionmaker, utcnow
from app.desk import jobs
from app.desk.models import DeskJob, JobStatus
from app.settings import get_settings

TICK = 1.0  # seconds between writes of progress and heartbeat


def _reader(stream: IO[str], lines: "queue.Queue[str | None]") -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _apply(job: DeskJob, line: str) -> None:
    """Fold one line of output into the job's state."""
    event: Any = None
    if line.startswith("{"):
        try:
            event = json.loads(line)
        except ValueError:
            event = None
    if isinstance(event, dict) and "progress" in event:
        job.step = str(event.get("step") or "")[:200]
        job.progress = max(0.0, min(1.0, float(event["progress"])))
        return
    if isinstance(event, dict) and event.get("done"):
        job.result = {"version": event.get("version"), "activated": bool(event.get("activated"))}
        return
    job.output = (job.output + line + "\n")[-jobs.OUTPUT_CHARS :]


def run(session: Session, job_id: uuid.UUID) -> int:
    job = session.get(DeskJob, job_id)
    if job is None or job.status != JobStatus.QUEUED:
        return 1
    job.status = JobStatus.RUNNING.value
    job.started_at = job.heartbeat_at = utcnow()
    job.pid = os.getpid()
    job.host = socket.gethostname()[:200]
    job.step = "starting"
    session.commit()
    try:
        process = subprocess.Popen(
            jobs.command(job),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=dict(os.environ),
        )
    except OSError as exc:
        return _finish(session, job, code=127, extra=f"could not start: {exc}")
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    finished = False
    while not finished:
        deadline = time.monotonic() + TICK
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                finished = True
                break
            _apply(job, line)
        job.heartbeat_at = utcnow()
        session.commit()
    return _finish(session, job, code=process.wait())


def _finish(session: Session, job: DeskJob, *, code: int, extra: str = "") -> int:
    job.exit_code = code
    job.status = (JobStatus.SUCCEEDED if code == 0 else JobStatus.FAILED).value
    if code == 0:
        job.progress = 1.0
        job.step = "done"
    if extra:
        job.output = (job.output + extra + "\n")[-jobs.OUTPUT_CHARS :]
    job.finished_at = job.heartbeat_at = utcnow()
    audit.record(
        session,
        action="model.job_finished",
        actor_type="system",
        actor_label=job.created_by,
        details={"job_id": str(job.id), "kind": job.kind, "status": job.status, **job.args},
    )
    session.commit()
    return 0 if code == 0 else 2


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m app.desk.jobrunner JOB_ID", file=sys.stderr)
        return 2
    engine = make_engine(get_settings().database_url, pool_size=1)
    try:
        with make_sessionmaker(engine)() as session:
            try:
                return run(session, uuid.UUID(argv[0]))
            except Exception as exc:
                session.rollback()
                job = session.get(DeskJob, uuid.UUID(argv[0]))
                if job is not None:
                    _finish(
                        session, job, code=1, extra=f"runner error: {type(exc).__name__}: {exc}"
                    )
                raise
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
