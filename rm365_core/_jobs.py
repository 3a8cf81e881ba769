"""Background jobs: one-off runs with progress and periodic jobs, on a Huey queue.

A run's state lives in the core database (``core_job_runs``), so every web worker answers
``GET /api/v1/jobs/{id}`` alike; the queue (SQLite file by default, Redis when scaled out)
carries only run ids. See ``docs/jobs.md``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool

from ._errors import DomainError
from ._jobs_runs import JobRun, RunStore

log = logging.getLogger("rm365.jobs")

__all__ = ["Job", "JobRun", "JobRunner", "Progress"]

#: Progress is written and broadcast at most this often per run (seconds); the last always.
PROGRESS_INTERVAL = 0.2
#: How often the clock thread looks for a new period of a periodic job (seconds).
CLOCK_TICK = 0.2
#: Finished runs are kept this long, then deleted (a periodic job leaves one row a period).
KEEP_FINISHED_SECONDS = 14 * 24 * 3600.0
PRUNE_EVERY_SECONDS = 600.0


@dataclass
class Job:
    """A unit of background work. ``func(kernel, progress, **kwargs)`` runs in a job worker
    thread (in the web process by default, or in ``rm365 worker`` processes);
    ``progress(done, total=None, message="")`` records progress and reports it over the
    realtime hub, in room ``<tab>:job:<run id>`` (``tab`` defaults to ``system``), which
    holders of the tab may join; ``GET /api/v1/jobs/{id}`` needs the same tab.

    ``every``: run once per period, site-wide, however many workers run. ``retries``: run a
    failed (or lost) run again up to this many times, after ``retry_delay`` seconds,
    multiplied by ``retry_backoff`` for each further attempt."""

    name: str
    func: Callable[..., Any]
    every: timedelta | None = None
    tab: str | None = None  # who may watch its progress
    retries: int = 0
    retry_delay: float = 1.0
    retry_backoff: float = 2.0
    owner: str = ""

    def __post_init__(self) -> None:
        if self.every is not None and self.every.total_seconds() < 1:
            raise ValueError(f"job {self.name!r}: every must be at least one second")
        if self.retries < 0 or self.retry_delay < 0 or self.retry_backoff < 1:
            raise ValueError(f"job {self.name!r}: retries and retry_delay must be >= 0, retry_backoff >= 1")

    @property
    def key(self) -> str:
        return f"{self.owner}.{self.name}"


class Progress:
    """The ``progress`` callable a job receives: ``progress(done, total=None, message="")``.
    ``progress.run_id`` and ``progress.attempt`` tell the job which run it is."""

    def __init__(self, runner: JobRunner, run: JobRun) -> None:
        self._runner = runner
        self.run = run
        self._last = 0.0

    @property
    def run_id(self) -> str:
        return self.run.id

    @property
    def attempt(self) -> int:
        return self.run.attempt

    def __call__(self, done: int, total: int | None = None, message: str = "") -> None:
        self.run.done, self.run.message = int(done), str(message)
        if total is not None:
            self.run.total = int(total)
        now = time.monotonic()
        last = self.run.total is not None and self.run.done >= self.run.total
        if last or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self._runner._store.progress(self.run)
            self._runner._announce(self.run)


class JobRunner:
    """The kernel's jobs (``kernel.jobs``): registered jobs, starting runs, the consumer."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel
        self.jobs: dict[str, Job] = {}
        self._store = RunStore(kernel.databases)
        self._huey: Any = None
        self._task: Any = None
        self._huey_lock = threading.Lock()
        self._wake = threading.Event()
        self._running: dict[str, JobRun] = {}  # executing in this process
        self._consumer: Any = None
        self._clock: threading.Thread | None = None
        self._stop = threading.Event()
        self._periods: dict[str, int] = {}

    # -- registry ---------------------------------------------------------------------
    def add(self, job: Job, owner: str) -> None:
        key = f"{owner}.{job.name}"
        if key in self.jobs:
            raise ValueError(f"job {key!r} is already registered")
        job.owner = owner
        self.jobs[key] = job

    def get(self, name: str) -> Job:
        """The registered job ``"<plugin>.<job name>"``; LookupError when there is none."""
        job = self.jobs.get(name)
        if job is None:
            raise LookupError(f"no job {name!r} is registered (is its plugin enabled?)")
        return job

    def tabs(self) -> set[str]:
        """The tabs that registered jobs report to (``system`` for those that name none)."""
        return {job.tab or "system" for job in self.jobs.values()} | {"system"}

    def _resolve(self, job: Job | str) -> Job:
        if isinstance(job, str):
            return self.get(job)
        if not job.owner or self.jobs.get(job.key) is not job:
            raise LookupError(f"job {job.name!r} is not registered: return it from register_jobs")
        return job

    # -- the queue --------------------------------------------------------------------
    @property
    def huey(self) -> Any:
        """The site's Huey instance (created on first use)."""
        if self._huey is None:
            with self._huey_lock:
                if self._huey is None:
                    from ._jobs_queue import make_huey

                    huey = make_huey(self.kernel.settings, self.kernel.settings.resolve_secret())
                    self._task = huey.task(name="run_job")(self._execute)
                    self._huey = huey
        return self._huey

    def _enqueue(self, run_id: str, delay: float = 0.0) -> None:
        huey = self.huey
        if delay > 0:
            self._task.schedule(args=(run_id,), delay=delay)
        else:
            huey.enqueue(self._task.s(run_id))
            self._wake.set()

    # -- starting runs ----------------------------------------------------------------
    def start(self, job: Job | str, **kwargs: Any) -> JobRun:
        """Queue a run of a job (``"plugin.job"`` or the ``Job``) and return its record at once.
        ``kwargs`` must be JSON-serialisable: they travel to whichever worker runs the job."""
        job = self._resolve(job)
        try:
            kwargs = json.loads(json.dumps(kwargs))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"job {job.key!r}: arguments must be JSON values ({exc})") from None
        run = self._store.create(uuid.uuid4().hex, job.key, job.tab or "system", kwargs, job.retries + 1)
        assert run is not None
        try:
            self._enqueue(run.id)
        except Exception as exc:  # noqa: BLE001 - answered as 503, recorded on the run
            log.exception("could not queue a run of %s", job.key)
            self._store.fail_unqueued(run.id, f"could not queue the run: {exc}")
            raise DomainError(503, f"the job queue is unreachable, {job.key} was not started", run_id=run.id) from None
        return run

    def run_now(self, job: Job | str, **kwargs: Any) -> JobRun:
        """Run a job in this thread (CLI, tests), retries included, and return its finished
        run record; the run is recorded like any other."""
        job = self._resolve(job)
        kwargs = json.loads(json.dumps(kwargs))
        run = self._store.create(uuid.uuid4().hex, job.key, job.tab or "system", kwargs, job.retries + 1)
        assert run is not None
        while True:
            retry_in = self._execute(run.id, inline=True)
            if retry_in is None:
                break
            time.sleep(retry_in)
        final = self._store.get(run.id)
        assert final is not None
        return final

    def get_run(self, run_id: str) -> JobRun | None:
        """A run as every worker sees it, or None."""
        return self._store.get(run_id)

    # -- executing (in whichever process took the run from the queue) ----------------
    def _announce(self, run: JobRun) -> None:
        self.kernel.emit("job.progress", run.as_dict(), room=run.room)

    def _execute(self, run_id: str, inline: bool = False) -> float | None:
        """Run one attempt of a queued run. Returns the delay before a retry (``inline``)."""
        claimed = self._store.claim(run_id)
        if claimed is None:
            log.info("job run %s is no longer queued; skipped", run_id)
            return None
        run, kwargs = claimed
        job = self.jobs.get(run.name)
        if job is None:
            run.state, run.error = "failed", f"no job {run.name!r} is registered here (is its plugin enabled?)"
            self._store.finish(run)
            self._announce(run)
            return None
        self._running[run.id] = run
        self._announce(run)
        progress = Progress(self, run)
        try:
            run.result = job.func(self.kernel, progress, **kwargs)
            run.state, run.error = "done", None
        except Exception as exc:  # noqa: BLE001 - a job failure is recorded, not raised
            log.exception("job %s failed (attempt %s of %s)", run.name, run.attempt, run.max_attempts)
            run.error = f"{type(exc).__name__}: {exc}"
            run.state = "queued" if run.attempt < run.max_attempts else "failed"
        finally:
            self._running.pop(run.id, None)
        if not self._store.finish(run):
            log.warning("job run %s was taken over by another worker; its result is dropped", run.id)
            return None
        self._announce(run)
        if run.state != "queued":
            return None
        delay = job.retry_delay * job.retry_backoff ** (run.attempt - 1)
        if not inline:
            self._requeue(run, delay)
        return delay

    def _requeue(self, run: JobRun, delay: float) -> None:
        """Put a run that is queued again (retry, lost worker) back on the queue; if the queue
        cannot take it, the run fails rather than waiting for a message that never comes."""
        try:
            self._enqueue(run.id, delay)
        except Exception as exc:  # noqa: BLE001 - recorded on the run
            log.exception("could not queue job run %s again", run.id)
            self._store.fail_unqueued(run.id, f"could not queue the run again: {exc}")

    # -- the consumer, the clock ------------------------------------------------------
    def start_background(self, *, consume: bool | None = None, threads: int | None = None) -> None:
        """Start this web process's job threads: a Huey consumer when ``consume`` (default:
        RM365_JOBS_IN_WEB), and the clock (periodic runs, heartbeats, lost runs)."""
        settings = self.kernel.settings
        if settings.jobs_in_web if consume is None else consume:
            self.consumer(threads or settings.jobs_threads, own_signals=False).start()
        self._start_clock()

    def serve_forever(self, threads: int | None = None) -> None:
        """Be a job worker process (``rm365 worker``) until SIGTERM or SIGINT: the consumer
        stops taking runs and waits for the running ones (up to its shutdown timeout)."""
        consumer = self.consumer(threads or self.kernel.settings.jobs_threads, own_signals=True)
        self._start_clock()
        try:
            consumer.run()
        finally:
            self.stop_sync()

    def consumer(self, threads: int, *, own_signals: bool) -> Any:
        from ._jobs_queue import JobConsumer

        self._consumer = JobConsumer(self.huey, threads, own_signals=own_signals, wake=self._wake)
        return self._consumer

    def _start_clock(self) -> None:
        self._stop.clear()
        self._clock = threading.Thread(target=self._tick_forever, name="rm365-jobs-clock", daemon=True)
        self._clock.start()

    def _tick_forever(self) -> None:
        settings = self.kernel.settings
        next_beat = next_prune = 0.0
        while not self._stop.wait(CLOCK_TICK):
            try:
                if self._consumer is not None:
                    self.start_due_periodic(time.time())
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + settings.jobs_heartbeat_seconds
                    self._store.heartbeat({run.id: run.attempt for run in list(self._running.values())})
                    self.reap()
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
                    self._store.prune(KEEP_FINISHED_SECONDS)
            except Exception:  # noqa: BLE001 - the clock must survive a database hiccup
                log.exception("job clock failed; trying again")
                self._stop.wait(1.0)

    def start_due_periodic(self, now: float) -> list[JobRun]:
        """Start this period's run of every periodic job that has none yet. Each period's run
        is a unique (job, period) row: of all the processes that try, one inserts it."""
        started: list[JobRun] = []
        for key, job in list(self.jobs.items()):
            if job.every is None:
                continue
            period = int(now // job.every.total_seconds())
            if self._periods.get(key) == period:
                continue
            run = self._store.create(uuid.uuid4().hex, key, job.tab or "system", {}, job.retries + 1, period=period)
            self._periods[key] = period
            if run is not None:
                self._enqueue(run.id)
                started.append(run)
        return started

    def reap(self) -> list[JobRun]:
        """Runs whose worker died (no heartbeat for RM365_JOBS_STALE_SECONDS): queued again
        when they have attempts left, else failed."""
        changed = self._store.reap(self.kernel.settings.jobs_stale_seconds)
        for run in changed:
            log.warning("job run %s (%s) lost its worker: %s", run.id, run.name, run.state)
            if run.state == "queued":
                job = self.jobs.get(run.name)
                delay = job.retry_delay * job.retry_backoff ** (run.attempt - 1) if job else 0.0
                self._requeue(run, delay)
            self._announce(run)
        return changed

    def stop_sync(self, timeout: float = 5.0) -> None:
        """Stop the job threads. A run still executing after ``timeout`` is given up at once
        (queued again when it has attempts left, else failed) rather than waiting for a reaper."""
        self._stop.set()
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                self._consumer.stop_threads(timeout)
            self._consumer = None
        if self._clock is not None:
            self._clock.join(timeout=2)
            self._clock = None
        for run in list(self._running.values()):
            with contextlib.suppress(Exception):
                lost = self._store.lose(run, "the worker running it was stopped before the run ended")
                if lost is not None:
                    if lost.state == "queued":
                        self._requeue(lost, 0.0)
                    self._announce(lost)
        if self._huey is not None:
            with contextlib.suppress(Exception):
                self._huey.storage.close()

    async def stop(self) -> None:
        await run_in_threadpool(self.stop_sync)
