"""Request latency on a web worker while a CPU-heavy job runs, next to the same with no job.

PostgreSQL, one uvicorn worker, wrk -c4 on loopback against ``GET /api/v1/jobs/{id}`` (token,
tab, one read). Two set-ups, each measured idle and with a pure-Python CPU job running:
the job in a thread of the web process (the embedded default, RM365_JOBS_IN_WEB=1), and
the job in an ``rm365 worker`` process (RM365_JOBS_IN_WEB=0, Redis queue). Prints p50/p99
and the ratio busy/idle. This file is also the plugin that provides the job.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Depends, Request

from rm365_core import Job, Tab, hookimpl, require_tab

router = APIRouter(dependencies=[Depends(require_tab("benchjobs"))])


@router.post("/burn")
def start_burn(request: Request, seconds: float = 10.0) -> dict[str, Any]:
    return dict(request.app.state.kernel.jobs.start("benchjobs.burn", seconds=seconds).as_dict())


def burn(kernel: Any, progress: Any, seconds: float) -> int:
    """Pure-Python arithmetic (holds the GIL) for ``seconds``, like a large import."""
    end = time.monotonic() + seconds
    loops = 0
    while time.monotonic() < end:
        total = 0
        for i in range(20_000):
            total += i * i % 7
        loops += 1
        if loops % 50 == 0:
            progress(int(seconds - (end - time.monotonic())), int(seconds), "burning")
    return loops


@hookimpl
def register_tabs() -> list[Tab]:
    return [Tab(id="benchjobs", title="Bench jobs")]


@hookimpl
def register_routes() -> APIRouter:
    return router


@hookimpl
def register_jobs() -> list[Job]:
    return [Job(name="burn", func=burn, tab="benchjobs")]


REDIS = os.environ.get("RM365_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def job_worker(env: dict[str, str]) -> Iterator[None]:
    from _harness import ROOT

    process = subprocess.Popen(
        [sys.executable, "-m", "rm365_core.cli", "worker", "--log-level", "warning"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        if "ready" not in line:
            raise RuntimeError(f"rm365 worker did not start: {line}{process.stdout.read().decode()}")
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def measure(label: str, env: dict[str, str], seconds: int, with_worker: bool) -> tuple[Any, Any]:
    import httpx
    from _harness import lua_get, serve, wrk

    worker = job_worker(env) if with_worker else contextmanager(lambda: iter([None]))()
    with serve(env, workers=1) as server, worker:
        login = httpx.post(f"{server.url}/api/v1/auth/login",
                           json={"username": "benchadmin", "password": env["BENCH_ADMIN_PASSWORD"]})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

        def start(burn_seconds: float) -> str:
            response = httpx.post(f"{server.url}/api/v1/benchjobs/burn", params={"seconds": burn_seconds},
                                  headers=headers, timeout=30)
            response.raise_for_status()
            return str(response.json()["id"])

        def wait(run_id: str, states: set[str]) -> None:
            deadline = time.monotonic() + 60
            while httpx.get(f"{server.url}/api/v1/jobs/{run_id}", headers=headers,
                            timeout=30).json()["state"] not in states:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"job run {run_id} never reached {states}")
                time.sleep(0.1)

        probe = start(0.01)
        wait(probe, {"done"})
        lua = lua_get(f'"/api/v1/jobs/{probe}"', login.json()["access_token"])
        wrk("warm-up", server.url, lua, seconds=2, connections=4)
        idle = wrk(f"{label}, no job", server.url, lua, seconds=seconds, connections=4)
        heavy = start(seconds + 4)
        wait(heavy, {"running"})
        busy = wrk(f"{label}, CPU-heavy job running", server.url, lua, seconds=seconds, connections=4)
        wait(heavy, {"done", "failed"})
    return idle, busy


def main() -> None:
    from _harness import base_env, cli, fresh_postgres_database

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8, help="duration of each wrk run")
    parser.add_argument("--quick", action="store_true", help="3-second runs")
    args = parser.parse_args()
    seconds = 3 if args.quick else args.seconds

    with fresh_postgres_database("bench_jobs") as url:
        password = secrets.token_urlsafe(12)
        common = {"RM365_PLUGIN_PATHS": "benchjobs=bench_jobs", "RM365_PLUGINS": "benchjobs",
                  "RM365_AUTO_UPGRADE": "0", "BENCH_ADMIN_PASSWORD": password}
        setup = base_env(url, **common)
        cli(setup, "db", "upgrade")
        cli(setup, "users", "create-admin", "benchadmin", "--password-stdin", stdin=password + "\n")
        in_web = base_env(url, **common, RM365_JOBS_IN_WEB="1")
        in_worker = base_env(url, **common, RM365_JOBS_IN_WEB="0", RM365_REDIS_URL=REDIS,
                             RM365_REDIS_PREFIX=f"bench{secrets.token_hex(4)}")
        rows = [
            measure("job in the web process", in_web, seconds, with_worker=False),
            measure("job in an rm365 worker", in_worker, seconds, with_worker=True),
        ]

    print(f"\nRequest latency while a CPU-heavy job runs, PostgreSQL, 1 web worker, wrk -c4, {seconds}s each")
    print(f"{'run':48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for idle, busy in rows:
        for result in (idle, busy):
            print(f"{result.label:48} {result.rps:8.0f} {result.p50_ms:8.2f} {result.p99_ms:8.2f} {result.errors:7d}")
        print(f"{'  ratio busy / idle':48} {busy.rps / idle.rps:8.2f} {busy.p50_ms / idle.p50_ms:8.2f} "
              f"{busy.p99_ms / idle.p99_ms:8.2f}")


if __name__ == "__main__":
    main()
