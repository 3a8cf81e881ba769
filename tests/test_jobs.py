"""Background jobs in one process: runs, progress, the job's own tab, retries, periodic runs
started once per period, and runs whose worker stopped beating."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import types
from collections import Counter
from datetime import timedelta

import pytest
from fastapi import APIRouter, Depends
from sqlalchemy import select

from rm365_core import DomainError, Job, Tab, hookimpl, require_tab, utcnow
from rm365_core._app import build_kernel
from rm365_core._core.models import JobRunRecord
from rm365_core._settings import SettingsError, load_settings

HOUR = 3600


def _plugin(executions: Counter[str], gate: threading.Event | None = None) -> types.ModuleType:
    module = types.ModuleType("jobs_sample")
    router = APIRouter()

    @router.get("/ping", dependencies=[Depends(require_tab("jobs"))])
    def ping() -> dict:
        return {"ok": True}

    def count(kernel, progress, n: int = 3):
        for i in range(n):
            progress(i + 1, n, f"step {i + 1}")
        return {"counted": n}

    def flaky(kernel, progress):
        executions[f"flaky:{progress.attempt}"] += 1
        if progress.attempt == 1:
            raise RuntimeError("the label printer is out of paper")
        return "printed"

    def broken(kernel, progress):
        executions["broken"] += 1
        raise ValueError("no such file: sales.csv")

    def hourly(kernel, progress):
        executions[progress.run_id] += 1

    def waits(kernel, progress):
        progress(0, 1, "waiting")
        assert gate is not None and gate.wait(10)
        progress(1, 1, "finished")

    def register_tabs():
        return [Tab(id="jobs", title="Jobs"), Tab(id="other", title="Other")]

    def register_routes():
        return router

    def register_jobs():
        return [
            Job(name="count", func=count, tab="jobs"),
            Job(name="flaky", func=flaky, tab="jobs", retries=2, retry_delay=0.05),
            Job(name="broken", func=broken, tab="jobs", retries=2, retry_delay=0.1, retry_backoff=2),
            Job(name="hourly", func=hourly, tab="jobs", every=timedelta(hours=1)),
            Job(name="waits", func=waits, tab="jobs"),
        ]

    for fn in (register_tabs, register_routes, register_jobs):
        setattr(module, fn.__name__, hookimpl(fn))
    return module


@pytest.fixture
def executions() -> Counter[str]:
    return Counter()


def _site(rm365_site, executions, **settings):
    return rm365_site(
        plugins=["jobs"], extra={"jobs": _plugin(executions, settings.pop("gate", None))}, discover=False, **settings
    )


def _wait_for_state(client, run_id: str, states: set[str], timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/jobs/{run_id}").json()
        if body.get("state") in states or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def test_a_started_run_is_queued_then_read_back_done_with_its_progress_and_result(rm365_site, executions):
    site = _site(rm365_site, executions)
    run = site.kernel.jobs.start("jobs.count", n=4)
    assert run.state == "queued" and run.room == f"jobs:job:{run.id}"
    body = _wait_for_state(site.client_with_tabs("jobs"), run.id, {"done", "failed"})
    assert body["state"] == "done"
    assert (body["done"], body["total"], body["message"]) == (4, 4, "step 4")
    assert body["result"] == {"counted": 4}
    assert body["attempt"] == 1 and body["finished_at"] is not None


def test_reading_a_run_needs_the_jobs_own_tab_and_system_is_not_enough(rm365_site, executions):
    site = _site(rm365_site, executions)
    run = site.kernel.jobs.run_now("jobs.count")
    assert site.client_with_tabs("jobs").get(f"/api/v1/jobs/{run.id}").status_code == 200
    refused = site.client_with_tabs("system").get(f"/api/v1/jobs/{run.id}")
    assert refused.status_code == 403 and refused.json()["detail"] == "you do not have the tab 'jobs'"
    assert site.client_with_tabs("other").get(f"/api/v1/jobs/{run.id}").status_code == 403
    assert site.client.get(f"/api/v1/jobs/{run.id}").status_code == 401


def test_an_unknown_run_answers_404_and_an_absurd_id_422(rm365_site, executions):
    client = _site(rm365_site, executions).client_with_tabs("jobs")
    missing = client.get("/api/v1/jobs/0123456789abcdef")
    assert missing.status_code == 404 and "not found" in missing.json()["detail"]
    assert client.get("/api/v1/jobs/" + "a" * 65).status_code == 422
    # A NUL byte never reaches the database (PostgreSQL would refuse it with a 500).
    assert client.get("/api/v1/jobs/ab%00cd").status_code in (404, 422)


def test_a_failed_attempt_is_retried_through_the_queue_and_the_run_ends_done(rm365_site, executions):
    site = _site(rm365_site, executions)
    run = site.kernel.jobs.start("jobs.flaky")
    body = _wait_for_state(site.client_with_tabs("jobs"), run.id, {"done", "failed"})
    assert body["state"] == "done" and body["attempt"] == 2 and body["result"] == "printed"
    assert executions["flaky:1"] == 1 and executions["flaky:2"] == 1


def test_a_job_that_keeps_failing_is_tried_retries_plus_one_times_with_growing_delays(rm365_site, executions):
    site = _site(rm365_site, executions)
    began = time.monotonic()
    run = site.kernel.jobs.run_now("jobs.broken")
    assert time.monotonic() - began >= 0.1 + 0.2  # retry_delay, then doubled
    assert executions["broken"] == 3
    assert run.state == "failed" and run.attempt == 3 and run.max_attempts == 3
    assert run.error == "ValueError: no such file: sales.csv"


def test_a_periodic_job_starts_once_per_period_however_many_processes_try(rm365_site, executions):
    site = _site(rm365_site, executions)
    # A second kernel on the same databases and queue stands for another worker process.
    other = build_kernel(site.kernel.settings, extra_plugins=[], discover_installed=False)
    other.jobs.add(site.kernel.jobs.get("jobs.hourly"), owner="jobs")
    start = 1_000 * HOUR  # periods of 1970: the site's own clock never starts them
    started = []
    for now in (start + 1, start + 1, start + 30, start + HOUR - 1, start + HOUR + 5):
        for kernel in (site.kernel, other, site.kernel):
            started += [run for run in kernel.jobs.start_due_periodic(float(now)) if run.name == "jobs.hourly"]
    assert len(started) == 2
    with site.kernel.databases.session("core", readonly=True) as session:
        periods = session.scalars(
            select(JobRunRecord.period).where(JobRunRecord.name == "jobs.hourly", JobRunRecord.period <= 1_001)
        ).all()
    assert sorted(periods) == [1_000, 1_001]
    client = site.client_with_tabs("jobs")
    for run in started:
        assert _wait_for_state(client, run.id, {"done", "failed"})["state"] == "done"
    assert [executions[run.id] for run in started] == [1, 1]
    other.databases.dispose()


def test_a_run_whose_worker_stopped_beating_is_failed_or_queued_again(rm365_site, executions):
    site = _site(rm365_site, executions, jobs_heartbeat_seconds=0.1, jobs_stale_seconds=0.5)
    jobs = site.kernel.jobs
    store = jobs._store
    # Runs taken from the queue by a worker that then died: claimed, never beating again.
    once = store.create("a" * 32, "jobs.count", "jobs", {"n": 2}, max_attempts=1)
    twice = store.create("b" * 32, "jobs.count", "jobs", {"n": 2}, max_attempts=2)
    assert once and twice and store.claim(once.id) and store.claim(twice.id)
    client = site.client_with_tabs("jobs")
    failed = _wait_for_state(client, once.id, {"done", "failed"})
    assert failed["state"] == "failed" and "no heartbeat for 0.5s" in failed["error"]
    retried = _wait_for_state(client, twice.id, {"done", "failed"})
    assert retried["state"] == "done" and retried["attempt"] == 2 and retried["result"] == {"counted": 2}


def test_a_running_job_keeps_beating_and_is_not_taken_for_lost(rm365_site, executions):
    gate = threading.Event()
    site = _site(rm365_site, executions, gate=gate, jobs_heartbeat_seconds=0.1, jobs_stale_seconds=1.0)
    run = site.kernel.jobs.start("jobs.waits")
    client = site.client_with_tabs("jobs")
    assert _wait_for_state(client, run.id, {"running"})["state"] == "running"
    time.sleep(2.5)  # more than twice the stale time
    assert client.get(f"/api/v1/jobs/{run.id}").json()["state"] == "running"
    gate.set()
    body = _wait_for_state(client, run.id, {"done", "failed"})
    assert body["state"] == "done" and body["attempt"] == 1


def test_progress_reaches_a_watcher_in_the_runs_room(rm365_site, executions):
    gate = threading.Event()
    site = _site(rm365_site, executions, gate=gate, live=True)
    _, token = site.token_for("jobs")
    watcher = site.realtime(token)
    run = site.kernel.jobs.start("jobs.waits")
    assert watcher.join(run.room) == {"ok": True}
    gate.set()
    event = watcher.wait_for("job.progress", lambda d: d["id"] == run.id and d["state"] == "done")
    assert (event["done"], event["total"], event["message"]) == (1, 1, "finished")


def test_a_user_without_the_jobs_tab_cannot_watch_its_room(rm365_site, executions):
    site = _site(rm365_site, executions, live=True)
    run = site.kernel.jobs.run_now("jobs.count")
    _, token = site.token_for("other")
    assert site.realtime(token).join(run.room)["ok"] is False


def test_arguments_that_cannot_travel_to_a_worker_are_refused(rm365_site, executions):
    site = _site(rm365_site, executions)
    with pytest.raises(TypeError, match="arguments must be JSON values"):
        site.kernel.jobs.start("jobs.count", n=object())
    with pytest.raises(LookupError, match="no job 'jobs.nope' is registered"):
        site.kernel.jobs.start("jobs.nope")


def test_finished_runs_are_deleted_once_older_than_the_keeping_time(rm365_site, executions):
    site = _site(rm365_site, executions)
    old = site.kernel.jobs.run_now("jobs.count")
    recent = site.kernel.jobs.run_now("jobs.count")
    queued = site.kernel.jobs._store.create("c" * 32, "jobs.count", "jobs", {}, max_attempts=1)
    assert queued is not None
    with site.kernel.databases.session("core") as session:
        session.get(JobRunRecord, old.id).finished_at = utcnow() - timedelta(days=15)
    assert site.kernel.jobs._store.prune(keep_seconds=14 * 24 * 3600) == 1
    assert site.kernel.jobs.get_run(old.id) is None
    assert site.kernel.jobs.get_run(recent.id) is not None
    assert site.kernel.jobs.get_run(queued.id) is not None  # never a run that has not ended


def test_a_run_the_queue_cannot_take_is_refused_with_503_and_recorded_failed(rm365_site, executions):
    site = _site(rm365_site, executions, jobs_url="redis://127.0.0.1:1/0", jobs_in_web=False)
    with pytest.raises(DomainError) as refused:
        site.kernel.jobs.start("jobs.count")
    assert refused.value.status == 503 and "queue is unreachable" in refused.value.message
    run = site.client_with_tabs("jobs").get(f"/api/v1/jobs/{refused.value.fields['run_id']}").json()
    assert run["state"] == "failed" and run["error"].startswith("could not queue the run")


def test_a_job_url_that_is_not_a_queue_stops_start_up_naming_the_setting():
    with pytest.raises(SettingsError, match="RM365_JOBS_URL"):
        load_settings(jobs_url="http://queue.example")


def test_job_settings_out_of_range_name_their_variable():
    with pytest.raises(SettingsError, match="RM365_JOBS_THREADS"):
        load_settings(jobs_threads=0)


def test_a_periodic_job_faster_than_a_second_is_refused():
    with pytest.raises(ValueError, match="at least one second"):
        Job(name="spin", func=lambda kernel, progress: None, every=timedelta(milliseconds=10))


HOLDING_PLUGIN = """
import os, time
from rm365_core import Job, Tab, hookimpl

def hold(kernel, progress, hold_file):
    progress(0, 1, "holding")
    while os.path.exists(hold_file):
        time.sleep(0.05)
    progress(1, 1, "released")
    return os.getpid()

@hookimpl
def register_tabs():
    return [Tab(id="holding", title="Holding")]

@hookimpl
def register_jobs():
    return [Job(name="hold", func=hold, tab="holding")]
"""


@pytest.mark.slow
def test_a_worker_stopped_with_sigterm_finishes_its_run_before_it_exits(rm365_site, tmp_path, monkeypatch):
    (tmp_path / "rm365_holding.py").write_text(HOLDING_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    site = rm365_site(plugins=["holding"], discover=False, plugin_paths=["holding=rm365_holding"], jobs_in_web=False)
    settings = site.kernel.settings
    env = {key: value for key, value in os.environ.items() if not key.startswith("RM365_")}
    env.update(
        {
            "RM365_ENV": "test",
            "RM365_DATA_DIR": str(settings.data_dir),  # the embedded SQLite queue of the site
            "RM365_SECRET_KEY": settings.secret_key,
            "RM365_PLUGINS": "holding",
            "RM365_PLUGIN_PATHS": "holding=rm365_holding",
            "RM365_AUTO_UPGRADE": "0",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if settings.database_url:
        env["RM365_DATABASE_URL"] = settings.database_url
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "rm365_core.cli", "worker", "--threads", "1"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 120
        while "rm365 worker ready" not in log.read_text():
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        hold = tmp_path / "hold"
        hold.touch()
        run = site.kernel.jobs.start("holding.hold", hold_file=str(hold))
        while (current := site.kernel.jobs.get_run(run.id)) and current.state != "running":
            assert time.monotonic() < deadline, current
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert worker.poll() is None, "the worker left before its run ended"
        hold.unlink()
        assert worker.wait(timeout=30) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    final = site.kernel.jobs.get_run(run.id)
    assert final is not None and final.state == "done" and final.result == worker.pid
