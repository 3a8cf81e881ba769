"""The job queue on Huey: its storage (SQLite file or Redis), its consumers, and a publisher
that lets a job worker process reach the realtime hub through Redis."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer, Worker
from huey.serializer import SignedSerializer

log = logging.getLogger("rm365.jobs")

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def queue_url(settings: Any) -> str:
    """Where the queue lives: RM365_JOBS_URL, else RM365_REDIS_URL, else a SQLite file."""
    if settings.jobs_url:
        return str(settings.jobs_url)
    if settings.redis_url:
        return str(settings.redis_url)
    return f"sqlite:///{(Path(settings.data_dir) / 'jobs.sqlite3').resolve()}"


def make_huey(settings: Any, secret: str) -> Huey:
    """The site's Huey. Messages are signed with the site secret: a message that someone
    with write access to the queue forged is refused before it is unpickled."""
    url = queue_url(settings)
    name = f"{settings.redis_prefix}-jobs"
    serializer = SignedSerializer(secret=secret, salt="rm365-jobs")
    if url.startswith(REDIS_SCHEMES):
        return RedisHuey(name, url=url, results=False, serializer=serializer)
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))  # owner-only, like the databases
    return SqliteHuey(name, filename=str(path), results=False, serializer=serializer)


class _Worker(Worker):  # type: ignore[misc]
    """Huey's worker thread, woken at once when this process queues a run (instead of
    waiting for its next poll of a SQLite queue)."""

    wake: threading.Event
    delay: float

    def sleep(self) -> None:
        self.delay = min(self.delay, self.max_delay)
        if self.wake.wait(self.delay):
            self.wake.clear()
            self.delay = self.default_delay
        else:
            self.delay *= self.backoff


class JobConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer with worker threads. In a web process (``own_signals=False``) it leaves
    the process's signals to the web server; in ``rm365 worker`` SIGTERM stops it gracefully."""

    worker_class = _Worker

    def __init__(self, huey: Huey, threads: int, *, own_signals: bool, wake: threading.Event) -> None:
        self.wake = wake
        self.own_signals = own_signals
        super().__init__(
            huey,
            workers=threads,
            periodic=False,  # periodic jobs are started by the kernel: once per period, site-wide
            initial_delay=0.05,
            backoff=1.5,
            max_delay=1.0,
            scheduler_interval=1,  # retries wait in Huey's schedule; checked every second
            worker_type="thread",
            graceful_signal="TERM",
            shutdown_timeout=10.0,
        )

    def _create_worker(self) -> _Worker:
        worker = super()._create_worker()
        worker.wake = self.wake
        return worker  # type: ignore[no-any-return]

    def _set_signal_handlers(self) -> None:
        if self.own_signals:
            super()._set_signal_handlers()

    def stop_threads(self, timeout: float) -> None:
        """Stop taking runs; wait up to ``timeout`` seconds for the running ones."""
        self.stop_flag.set()
        self.wake.set()
        self.shutdown_timeout = timeout
        self.stop(graceful=True)


class RedisPublisher:
    """Sends realtime events from a process that has no hub (``rm365 worker``) to the hub's
    Redis channel, from which every web worker delivers them to its clients."""

    def __init__(self, url: str, prefix: str) -> None:
        import socketio

        self._manager = socketio.RedisManager(url, channel=f"{prefix}:socketio", write_only=True)

    def emit(self, event: str, data: Any, room: str | list[str] | None = None) -> None:
        from fastapi.encoders import jsonable_encoder

        try:
            self._manager.emit(event, jsonable_encoder(data), namespace="/", room=room)
        except Exception:  # noqa: BLE001 - a lost progress event must not fail the job
            log.exception("could not publish %r to the realtime hub", event)
