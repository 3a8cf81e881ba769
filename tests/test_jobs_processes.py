"""Jobs on a real scaled-out site: two web workers (``rm365 serve``, no jobs in them) and two
job workers (``rm365 worker``) on PostgreSQL and Redis.

A periodic job runs once per period; a run started through web worker A is read through
web worker B, and its progress reaches a browser on B from the job worker; a job worker
killed with SIGKILL mid-run leaves its run retried (or failed), never "running".
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from rm365_core._core.models import JobRunRecord
from rm365_core.testing import FreshSchema, RealtimeTestClient, postgres_url, redis_url, require_service

#: Four cold starts on a loaded 2-core machine can take minutes; the first test pays for them.
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(480)]

STALE_SECONDS = 3.0

PLUGIN = '''
"""Jobs that the process tests drive."""
import os
import time
from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from rm365_core import Job, Tab, hookimpl, require_tab

router = APIRouter(dependencies=[Depends(require_tab("jobsample"))])


class StartBody(BaseModel):
    job: str
    kwargs: dict = {}


@router.post("/start")
def start(request: Request, body: StartBody) -> dict:
    return request.app.state.kernel.jobs.start(f"jobsample.{body.job}", **body.kwargs).as_dict()


def tick(kernel, progress):
    with open(os.environ["JOBSAMPLE_TICKS"], "a") as log:
        log.write(f"{progress.run_id} {time.time()}\\n")


def hold(kernel, progress, hold_file):
    progress(0, 1, "holding")
    while os.path.exists(hold_file):
        time.sleep(0.05)
        progress(0, 1, "holding")
    progress(1, 1, "released")
    return {"pid": os.getpid(), "attempt": progress.attempt}


@hookimpl
def register_tabs():
    return [Tab(id="jobsample", title="Job sample")]


@hookimpl
def register_routes():
    return router


@hookimpl
def register_jobs():
    return [
        Job(name="tick", func=tick, every=timedelta(seconds=1), tab="jobsample"),
        Job(name="hold", func=hold, tab="jobsample", retries=1, retry_delay=0.1),
        Job(name="hold_once", func=hold, tab="jobsample"),
    ]
'''


class Process:
    """An ``rm365`` command running in the background, its output kept in a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        self._log_file = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rm365_core.cli", *args],
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def output(self) -> str:
        self._log_file.flush()
        return self.log.read_text()[-4000:]

    def wait_for_line(self, text: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text():
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}):\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not print {text!r} in {timeout}s:\n{self.output()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log_file.close()


class Web(Process):
    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(name, ["serve", "--port", str(self.port), "--log-level", "warning"], env, log_dir)

    def wait_ready(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}):\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not start in {timeout}s:\n{self.output()}")


class Site:
    """Two web workers and two job workers sharing one PostgreSQL schema and one Redis."""

    def __init__(self, env: dict[str, str], log_dir: Path, database_url: str) -> None:
        self.env, self.log_dir = env, log_dir
        self.engine = create_engine(database_url, poolclass=NullPool)
        self.webs: list[Web] = []
        self.workers: list[Process] = []
        self.token = ""

    def start_worker(self) -> Process:
        worker = Process(f"worker-{len(self.workers) + 1}", ["worker", "--threads", "2"], self.env, self.log_dir)
        self.workers.append(worker)
        return worker

    def call(self, web: Web, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.request(method, f"{web.url}{path}", headers=headers, timeout=30, **kwargs)

    def run(self, web: Web, run_id: str) -> dict[str, Any]:
        response = self.call(web, "GET", f"/api/v1/jobs/{run_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_run(self, web: Web, run_id: str, states: set[str], timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            body = self.run(web, run_id)
            if body["state"] in states:
                return body
            assert time.monotonic() < deadline, f"run stayed {body['state']}: {body}"
            time.sleep(0.1)

    def worker_of(self, run_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(JobRunRecord.worker).where(JobRunRecord.id == run_id))

    def dump(self) -> None:
        for process in [*self.webs, *self.workers]:
            print(f"--- {process.name}\n{process.output()}")

    def stop(self) -> None:
        for process in [*self.webs, *self.workers]:
            process.stop()
        self.engine.dispose()


def _prepare(env: dict[str, str], admin: str, password: str) -> None:
    """What ``rm365 db upgrade`` and ``rm365 users create-admin`` do, in this process (two
    interpreter start-ups fewer on a loaded machine): the job sample plugin has no tables."""
    from rm365_core import _migrations
    from rm365_core._app import build_kernel
    from rm365_core._core.service import UserService
    from rm365_core._settings import Settings

    settings = Settings(
        env="test",
        database_url=env["RM365_DATABASE_URL"],
        secret_key=env["RM365_SECRET_KEY"],
        data_dir=Path(env["RM365_DATA_DIR"]),
        plugins=[],
    )
    kernel = build_kernel(settings, discover_installed=False)
    try:
        _migrations.upgrade(kernel)
        service = UserService(kernel)
        with kernel.databases.session("core") as session:
            service.seed_roles(session)
            service.create_admin(session, admin, password)
    finally:
        kernel.databases.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    pg = require_service("PostgreSQL", postgres_url(), "RM365_TEST_DATABASE_URL")
    redis = require_service("Redis", redis_url(), "RM365_TEST_REDIS_URL")
    tmp = tmp_path_factory.mktemp("jobs-site")
    (tmp / "rm365_jobsample.py").write_text(PLUGIN)
    schema = FreshSchema(pg)
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("RM365_") or key.startswith("RM365_TEST_")
    }
    env.update(
        {
            "RM365_ENV": "test",
            "RM365_DATABASE_URL": schema.url,
            "RM365_REDIS_URL": redis,
            "RM365_REDIS_PREFIX": f"t{uuid.uuid4().hex[:10]}",  # a queue and channels of its own
            "RM365_SECRET_KEY": secrets.token_urlsafe(48),
            "RM365_DATA_DIR": str(tmp / "data"),
            "RM365_PLUGINS": "jobsample",
            "RM365_PLUGIN_PATHS": "jobsample=rm365_jobsample",
            "RM365_AUTO_UPGRADE": "0",
            "RM365_JOBS_IN_WEB": "0",
            "RM365_JOBS_HEARTBEAT_SECONDS": "0.3",
            "RM365_JOBS_STALE_SECONDS": str(STALE_SECONDS),
            "JOBSAMPLE_TICKS": str(tmp / "ticks.log"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }
    )
    admin, password = f"admin_{uuid.uuid4().hex[:6]}", secrets.token_urlsafe(16)
    _prepare(env, admin, password)
    cluster = Site(env, tmp, schema.url)
    try:
        cluster.webs = [Web("web-a", env, tmp), Web("web-b", env, tmp)]
        for _ in range(2):
            cluster.start_worker()
        for web in cluster.webs:
            web.wait_ready()
        for worker in cluster.workers:
            worker.wait_for_line("rm365 worker ready")
        login = httpx.post(
            f"{cluster.webs[0].url}/api/v1/auth/login", json={"username": admin, "password": password}, timeout=30
        )
        assert login.status_code == 200, login.text
        cluster.token = login.json()["access_token"]
        yield cluster
    except BaseException:
        cluster.dump()
        raise
    finally:
        cluster.stop()
        schema.drop()


def test_a_periodic_job_runs_once_per_period_with_two_web_and_two_job_workers(site: Site):
    ticks = Path(site.env["JOBSAMPLE_TICKS"])
    began = time.time()
    time.sleep(4.5)
    ended = time.time()
    with site.engine.connect() as conn:
        rows = conn.execute(
            select(JobRunRecord.id, JobRunRecord.period, JobRunRecord.state).where(
                JobRunRecord.name == "jobsample.tick"
            )
        ).all()
    # Read after the runs: every run done by then has written its line.
    lines = [line.split() for line in ticks.read_text().splitlines()]
    run_ids = [run_id for run_id, _ in lines]
    assert len(run_ids) == len(set(run_ids)), "a run was executed twice"
    periods = [row.period for row in rows]
    assert len(periods) == len(set(periods)), "a period has two runs"
    assert {row.id for row in rows if row.state == "done"} <= set(run_ids)
    # Two job workers look for a new period five times a second: still one run a period,
    # and about one run a second, not two.
    whole_periods = int(ended) - int(began) - 1
    in_window = [p for p in periods if began <= p and p + 1 <= ended]
    assert max(1, whole_periods - 2) <= len(in_window) <= whole_periods, (in_window, began, ended)
    executed = [float(at) for _, at in lines if began <= float(at) <= ended]
    assert len(executed) <= whole_periods + 2, executed


def test_a_run_started_through_one_web_worker_is_read_and_watched_through_the_other(site: Site, tmp_path):
    a, b = site.webs
    hold = tmp_path / "hold"
    hold.touch()
    started = site.call(a, "POST", "/api/v1/jobsample/start", json={"job": "hold", "kwargs": {"hold_file": str(hold)}})
    assert started.status_code == 200, started.text
    run = started.json()
    assert site.run(b, run["id"])["name"] == "jobsample.hold"  # B knows it at once

    watcher = RealtimeTestClient(timeout=20)
    try:
        watcher.connect(b.url, site.token)
        assert watcher.join(run["room"]) == {"ok": True}
        site.wait_run(b, run["id"], {"running"})
        hold.unlink()
        # Sent by the job worker process, delivered by web worker B.
        event = watcher.wait_for("job.progress", lambda d: d["id"] == run["id"] and d["state"] == "done")
    finally:
        watcher.close()
    assert (event["done"], event["total"], event["message"]) == (1, 1, "released")
    assert site.run(a, run["id"]) == site.run(b, run["id"])


def _kill_the_worker_running(site: Site, run_id: str) -> int:
    worker = site.worker_of(run_id)
    assert worker is not None
    pid = int(worker.rsplit(":", 1)[1])
    assert pid in {w.proc.pid for w in site.workers}, (worker, [w.proc.pid for w in site.workers])
    os.kill(pid, signal.SIGKILL)
    return pid


def test_a_job_worker_killed_mid_run_leaves_its_run_retried_or_failed_never_running(site: Site, tmp_path):
    a, b = site.webs
    once, twice = tmp_path / "once", tmp_path / "twice"
    once.touch()
    twice.touch()

    # No retries: the run ends failed, saying why.
    run = site.call(
        a, "POST", "/api/v1/jobsample/start", json={"job": "hold_once", "kwargs": {"hold_file": str(once)}}
    ).json()
    site.wait_run(b, run["id"], {"running"})
    _kill_the_worker_running(site, run["id"])
    site.start_worker().wait_for_line("rm365 worker ready")  # two job workers again
    failed = site.wait_run(b, run["id"], {"done", "failed"}, timeout=STALE_SECONDS + 20)
    assert failed["state"] == "failed" and "no heartbeat" in failed["error"], failed

    # One retry: the other worker runs the second attempt to the end.
    run = site.call(
        a, "POST", "/api/v1/jobsample/start", json={"job": "hold", "kwargs": {"hold_file": str(twice)}}
    ).json()
    site.wait_run(b, run["id"], {"running"})
    killed = _kill_the_worker_running(site, run["id"])
    twice.unlink()
    done = site.wait_run(b, run["id"], {"done", "failed"}, timeout=STALE_SECONDS + 20)
    assert done["state"] == "done" and done["attempt"] == 2, done
    assert done["result"]["pid"] != killed and done["result"]["attempt"] == 2
