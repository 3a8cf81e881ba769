"""``rm365 worker``: a process that runs background jobs and nothing else."""

from __future__ import annotations

import logging
from typing import Any

from ._jobs_queue import RedisPublisher, queue_url

log = logging.getLogger("rm365.jobs")


def _safe(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def run_worker(kernel: Any, threads: int | None = None) -> None:
    """Run jobs from the site's queue until SIGTERM/SIGINT. Progress reaches the realtime hub
    through Redis (RM365_REDIS_URL); plugins' ``startup`` and ``shutdown`` hooks run as in
    the web server, so the services jobs use are ready."""
    from . import _migrations

    settings = kernel.settings
    upgrade = settings.auto_upgrade if settings.auto_upgrade is not None else settings.embedded
    if upgrade:
        _migrations.upgrade(kernel)
    if settings.redis_url:
        # No hub here: events (job progress, emit_on_commit of the jobs' own changes) go
        # straight to the hub's Redis channel, from which every web worker delivers them.
        publisher = RedisPublisher(settings.redis_url, settings.redis_prefix)
        kernel.emit = kernel.databases.emit = publisher.emit
    else:
        log.warning("RM365_REDIS_URL is not set: job progress from this worker reaches no browser")
    kernel.plugins.call_each("startup", kernel=kernel, isolate=True)
    count = threads or settings.jobs_threads
    periodic = sorted(key for key, job in kernel.jobs.jobs.items() if job.every is not None)
    # One line that says the worker is ready and what it serves (the process tests wait for it).
    print(
        f"rm365 worker ready: {count} thread(s), queue {_safe(queue_url(settings))}, "
        f"{len(kernel.jobs.jobs)} job(s), periodic: {', '.join(periodic) or 'none'}",
        flush=True,
    )
    try:
        kernel.jobs.serve_forever(count)
    finally:
        kernel.plugins.call_each("shutdown", kernel=kernel, reverse=True, isolate=True)
        kernel.databases.dispose()
