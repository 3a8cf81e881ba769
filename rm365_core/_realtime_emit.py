"""Sending server events from anywhere: the hub's event loop, a sync route's worker thread,
a job thread or another thread's loop, without blocking a loop or losing an error."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("rm365.realtime")


class Emitter:
    """Runs work on the hub's loop (captured at start-up) from any thread."""

    #: Longest wait of a sync ``emit`` from a worker thread (seconds).
    SYNC_EMIT_TIMEOUT = 10.0

    def __init__(self, sio: Any) -> None:
        self.sio = sio
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: set[asyncio.Task[Any]] = set()

    async def emit_async(
        self, event: str, data: Any, room: str | list[str] | None = None, skip_sid: str | None = None
    ) -> None:
        from fastapi.encoders import jsonable_encoder

        await self.sio.emit(event, jsonable_encoder(data), room=room, skip_sid=skip_sid)

    def emit(self, event: str, data: Any, room: str | list[str] | None = None) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and (self.loop is None or running is self.loop):
            self.spawn(self.emit_async(event, data, room))
            return
        future = self.submit(self.emit_async(event, data, room))
        if future is None:
            log.warning("realtime hub is not running: dropped event %r for room %r", event, room)
            return
        if running is not None:
            return  # another thread's event loop: never block it
        try:
            future.result(timeout=self.SYNC_EMIT_TIMEOUT)
        except concurrent.futures.TimeoutError:
            log.warning("realtime emit of %r took longer than %ss", event, self.SYNC_EMIT_TIMEOUT)
        except Exception:
            log.exception("realtime emit of %r failed", event)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run ``coroutine`` as a task of the running loop; its failure is logged."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def submit(self, coroutine: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any] | None:
        """Run ``coroutine`` on the hub's loop from any thread; None when the hub is not running."""
        loop = self.loop
        if loop is None or loop.is_closed() or not loop.is_running():
            coroutine.close()
            return None
        try:
            future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        except RuntimeError:
            coroutine.close()
            return None
        future.add_done_callback(self._future_done)
        return future

    @staticmethod
    def _future_done(future: concurrent.futures.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.error("realtime work failed", exc_info=future.exception())

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("realtime task failed", exc_info=task.exception())
