"""Background jobs: periodic jobs that plugins register, and one-off jobs with progress."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool

log = logging.getLogger("rm365.jobs")


@dataclass
class Job:
    """A unit of background work. ``func(kernel, progress)`` runs in a worker thread;
    ``progress(done, total, message="")`` reports over the realtime hub, in room
    ``<tab>:job:<run id>`` (``tab`` defaults to ``system``), which holders of the tab may join.
    With ``every`` set the job runs periodically while the site is up."""

    name: str
    func: Callable[..., Any]
    every: timedelta | None = None
    tab: str | None = None  # who may watch its progress
    owner: str = ""


@dataclass
class JobRun:
    id: str
    name: str
    state: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int | None = None
    message: str = ""
    tab: str = "system"
    result: Any = None
    error: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "message": self.message,
            "error": self.error,
            "room": f"{self.tab}:job:{self.id}",
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


class JobRunner:
    """Keeps registered jobs, runs one-off jobs in threads and periodic ones on a timer."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel
        self.jobs: dict[str, Job] = {}
        self.runs: dict[str, JobRun] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = threading.Lock()

    def add(self, job: Job, owner: str) -> None:
        key = f"{owner}.{job.name}"
        if key in self.jobs:
            raise ValueError(f"job {key!r} is already registered")
        job.owner = owner
        self.jobs[key] = job

    def _room(self, run: JobRun) -> str:
        return f"{run.tab}:job:{run.id}"

    def _progress(self, run: JobRun) -> Callable[..., None]:
        def progress(done: int, total: int | None = None, message: str = "") -> None:
            run.done, run.message = done, message
            if total is not None:
                run.total = total
            self.kernel.emit("job.progress", run.as_dict(), room=self._room(run))

        return progress

    def _execute(self, job: Job, run: JobRun, kwargs: dict[str, Any]) -> None:
        run.state = "running"
        try:
            run.result = job.func(self.kernel, self._progress(run), **kwargs)
            run.state = "done"
        except Exception as exc:  # noqa: BLE001 - a job failure is recorded, not raised
            run.state, run.error = "failed", f"{type(exc).__name__}: {exc}"
            log.exception("job %s failed", job.name)
        finally:
            run.finished_at = datetime.now(UTC)
            self.kernel.emit("job.progress", run.as_dict(), room=self._room(run))

    def get(self, name: str) -> Job:
        """The registered job ``"<plugin>.<job name>"``; LookupError when there is none."""
        job = self.jobs.get(name)
        if job is None:
            raise LookupError(f"no job {name!r} is registered (is its plugin enabled?)")
        return job

    def start(self, job: Job | str, **kwargs: Any) -> JobRun:
        """Queue a run of a job (``"plugin.job"`` or the ``Job``) and return its record at once.
        ``kwargs`` must be JSON-serialisable: they travel to whichever worker runs the job."""
        if isinstance(job, str):
            job = self.get(job)
        run = JobRun(id=uuid.uuid4().hex, name=job.name, tab=job.tab or "system")
        with self._lock:
            self.runs[run.id] = run
        threading.Thread(target=self._execute, args=(job, run, kwargs), daemon=True).start()
        return run

    def run_now(self, job: Job, **kwargs: Any) -> JobRun:
        """Run a job in this thread (CLI, tests) and return its finished run record."""
        run = JobRun(id=uuid.uuid4().hex, name=job.name, tab=job.tab or "system")
        self.runs[run.id] = run
        self._execute(job, run, kwargs)
        return run

    async def _periodic(self, job: Job) -> None:
        assert job.every is not None
        while True:
            await asyncio.sleep(job.every.total_seconds())
            run = JobRun(id=uuid.uuid4().hex, name=job.name, tab=job.tab or "system")
            await run_in_threadpool(self._execute, job, run, {})

    def start_periodic(self) -> None:
        for job in self.jobs.values():
            if job.every is not None:
                self._tasks.append(asyncio.get_running_loop().create_task(self._periodic(job)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
