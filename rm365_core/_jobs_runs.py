"""The run table (``core_job_runs``): every state change of a job run, readable by any worker.

Each write of the process running a run is conditional on the run's ``attempt``: once a run
was taken over (its heartbeat was lost and a reaper queued it again), the old execution's
writes match no row and change nothing.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ._core.models import JobRunRecord
from ._types import utcnow

#: Longest progress message and error kept (characters).
MAX_MESSAGE = 1000
MAX_ERROR = 4000


def worker_id() -> str:
    """This process, as the runs it executes name it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def jsonable(value: Any) -> Any:
    """``value`` if JSON can hold it, else its text (a job's result is shown, not reused)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)[:MAX_ERROR]
    return value


@dataclass
class JobRun:
    """What a run looks like from outside: its state, progress and outcome."""

    id: str
    name: str
    tab: str
    state: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int | None = None
    message: str = ""
    result: Any = None
    error: str | None = None
    attempt: int = 0
    max_attempts: int = 1
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def room(self) -> str:
        """The realtime room its ``job.progress`` events go to; holders of ``tab`` may join."""
        return f"{self.tab}:job:{self.id}"

    @classmethod
    def from_record(cls, record: JobRunRecord) -> JobRun:
        return cls(
            id=record.id,
            name=record.name,
            tab=record.tab,
            state=record.state,
            done=record.done,
            total=record.total,
            message=record.message,
            result=record.result,
            error=record.error,
            attempt=record.attempt,
            max_attempts=record.max_attempts,
            created_at=record.created_at,
            started_at=record.started_at,
            finished_at=record.finished_at,
        )

    def as_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "message": self.message,
            "result": self.result,
            "error": self.error,
            "attempt": self.attempt,
            "max_attempts": self.max_attempts,
            "room": self.room,
            "created_at": iso(self.created_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
        }


class JobRunOut(BaseModel):
    """A job run as ``GET /api/v1/jobs/{id}`` answers it and ``job.progress`` sends it."""

    id: str
    name: str
    state: str
    done: int
    total: int | None
    message: str
    result: Any = None
    error: str | None
    attempt: int
    max_attempts: int
    room: str
    created_at: str | None
    started_at: str | None
    finished_at: str | None


class RunStore:
    """Reads and writes runs in the core database."""

    def __init__(self, databases: Any) -> None:
        self.databases = databases

    def create(
        self,
        run_id: str,
        name: str,
        tab: str,
        kwargs: dict[str, Any],
        max_attempts: int,
        period: int | None = None,
    ) -> JobRun | None:
        """Insert a queued run; for a periodic run, None when that period already has one."""
        record = JobRunRecord(
            id=run_id,
            name=name,
            tab=tab,
            state="queued",
            period=period,
            kwargs=kwargs,
            done=0,
            message="",
            attempt=0,
            max_attempts=max_attempts,
            created_at=utcnow(),
        )
        try:
            with self.databases.session("core") as session:
                session.add(record)
        except IntegrityError:
            if period is None:
                raise
            return None  # another process started this period's run first
        return JobRun.from_record(record)

    def get(self, run_id: str) -> JobRun | None:
        with self.databases.session("core", readonly=True) as session:
            record = session.get(JobRunRecord, run_id)
            return JobRun.from_record(record) if record is not None else None

    def claim(self, run_id: str) -> tuple[JobRun, dict[str, Any]] | None:
        """Move a queued run to running in this process; None when it is not queued
        (done, failed, or already taken by another worker)."""
        now = utcnow()
        with self.databases.session("core") as session:
            claimed = session.execute(
                update(JobRunRecord)
                .where(JobRunRecord.id == run_id, JobRunRecord.state == "queued")
                .values(
                    state="running",
                    attempt=JobRunRecord.attempt + 1,
                    worker=worker_id(),
                    started_at=now,
                    heartbeat_at=now,
                    finished_at=None,
                )
            ).rowcount
            if not claimed:
                return None
            record = session.get(JobRunRecord, run_id)
            assert record is not None
            session.refresh(record)
            return JobRun.from_record(record), dict(record.kwargs or {})

    def _write(self, run_id: str, attempt: int, **values: Any) -> bool:
        with self.databases.session("core") as session:
            changed = session.execute(
                update(JobRunRecord)
                .where(JobRunRecord.id == run_id, JobRunRecord.attempt == attempt, JobRunRecord.state == "running")
                .values(**values)
            ).rowcount
        return bool(changed)

    def progress(self, run: JobRun) -> bool:
        return self._write(
            run.id,
            run.attempt,
            done=run.done,
            total=run.total,
            message=run.message[:MAX_MESSAGE],
            heartbeat_at=utcnow(),
        )

    def finish(self, run: JobRun) -> bool:
        """Record the end of the attempt ``run.attempt``: done, failed, or queued for a retry."""
        values: dict[str, Any] = {
            "state": run.state,
            "done": run.done,
            "total": run.total,
            "message": run.message[:MAX_MESSAGE],
            "error": run.error[:MAX_ERROR] if run.error else None,
            "result": jsonable(run.result),
        }
        if run.state in ("done", "failed"):
            values["finished_at"] = run.finished_at = utcnow()
        else:
            values["worker"] = None
        return self._write(run.id, run.attempt, **values)

    def fail_unqueued(self, run_id: str, error: str) -> None:
        """A run that never reached the queue (the queue was unreachable)."""
        with self.databases.session("core") as session:
            session.execute(
                update(JobRunRecord)
                .where(JobRunRecord.id == run_id, JobRunRecord.state == "queued")
                .values(state="failed", error=error[:MAX_ERROR], finished_at=utcnow())
            )

    def heartbeat(self, running: dict[str, int]) -> None:
        """Tell every worker that this process still runs these runs (``{id: attempt}``)."""
        if not running:
            return
        now = utcnow()
        with self.databases.session("core") as session:
            for run_id, attempt in running.items():
                session.execute(
                    update(JobRunRecord)
                    .where(
                        JobRunRecord.id == run_id,
                        JobRunRecord.attempt == attempt,
                        JobRunRecord.state == "running",
                    )
                    .values(heartbeat_at=now)
                )

    def prune(self, keep_seconds: float) -> int:
        """Delete runs that ended more than ``keep_seconds`` ago; returns how many."""
        cutoff = utcnow() - timedelta(seconds=keep_seconds)
        with self.databases.session("core") as session:
            return int(
                session.execute(
                    delete(JobRunRecord).where(
                        JobRunRecord.state.in_(("done", "failed")), JobRunRecord.finished_at < cutoff
                    )
                ).rowcount
            )

    def reap(self, stale_seconds: float) -> list[JobRun]:
        """Runs whose worker stopped beating for ``stale_seconds``: queued again when attempts
        remain (state ``queued``), else failed. Returns the runs this call changed."""
        cutoff = utcnow() - timedelta(seconds=stale_seconds)
        with self.databases.session("core", readonly=True) as session:
            stale = list(
                session.scalars(
                    select(JobRunRecord)
                    .where(JobRunRecord.state == "running", JobRunRecord.heartbeat_at < cutoff)
                    .limit(100)
                )
            )
        changed: list[JobRun] = []
        for record in stale:
            reason = f"the worker running it ({record.worker}) stopped: no heartbeat for {stale_seconds:g}s"
            run = self.lose(JobRun.from_record(record), reason, cutoff=cutoff)
            if run is not None:  # several reapers may see the same run; one changes it
                changed.append(run)
        return changed

    def lose(self, run: JobRun, reason: str, cutoff: datetime | None = None) -> JobRun | None:
        """End the attempt ``run.attempt`` of a running run that its worker can no longer
        finish: queued again when attempts remain, else failed. None if it was not running
        that attempt (any more), or, with ``cutoff``, beat since."""
        if run.attempt < run.max_attempts:
            run.state, run.error = "queued", reason
            values: dict[str, Any] = {"state": "queued", "error": reason, "worker": None}
        else:
            run.state, run.error, run.finished_at = "failed", reason, utcnow()
            values = {"state": "failed", "error": reason, "finished_at": run.finished_at}
        conditions = [
            JobRunRecord.id == run.id,
            JobRunRecord.attempt == run.attempt,
            JobRunRecord.state == "running",
        ]
        if cutoff is not None:
            conditions.append(JobRunRecord.heartbeat_at < cutoff)
        with self.databases.session("core") as session:
            won = session.execute(update(JobRunRecord).where(*conditions).values(**values)).rowcount
        return run if won else None
