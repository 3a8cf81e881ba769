"""Big uploads as a background job, and ``rm365 salesdata import`` from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def test_a_background_upload_runs_as_a_job_and_lands_in_the_history(sales, export, line):
    rows = [line(str(n), "2026-11-02 10:00", f"SKU-{n % 5}") for n in range(300)] + [line("x", "bad", "A")]

    queued = sales.upload("uk", export(rows), background=True, expect=202)

    assert queued["job"]["id"]
    deadline = time.monotonic() + 60
    while True:
        run = sales.get(f"/history/{queued['import_id']}")
        if run["status"] != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert (run["status"], run["rows_imported"], run["rows_failed"]) == ("done", 300, 1), run
    assert run["job_id"] == queued["job"]["id"]
    job = sales.client.get(f"/api/v1/jobs/{queued['job']['id']}").json()
    assert job["state"] == "done" and job["done"] == job["total"]


def test_cli_import_reports_counts_and_imports_once(tmp_path, site, export, line):
    path = tmp_path / "uk.csv"
    path.write_bytes(export([line("1", "2026-11-02", "A", 2), line("2", "13/11/2026", "B"), line("3", "x", "C")]))
    env = {
        **os.environ,
        "RM365_DATA_DIR": str(site.kernel.settings.data_dir),
        "RM365_PLUGINS": "salesdata",
        "RM365_SECRET_KEY": "x" * 48,
    }
    if site.kernel.settings.database_url:
        env["RM365_DATABASE_URL"] = site.kernel.settings.database_url

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rm365_core.cli", "salesdata", "import", "uk", str(path), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    dry = run("--dry-run")
    first = run("--errors", str(tmp_path / "errors.csv"))
    again = run()

    assert "3 rows: 2 would be imported" in dry.stdout, dry.stdout + dry.stderr
    assert "3 rows: 2 imported, 0 already there, 1 with errors" in first.stdout, first.stdout + first.stderr
    assert "row 4, Created At = 'x'" in first.stdout
    assert first.returncode == 2
    assert (tmp_path / "errors.csv").read_text().splitlines()[1].startswith("4,Created At,x,")
    assert "0 imported, 2 already there" in again.stdout


def test_demo_orders_give_the_demo_catalogue_demand_in_every_region(rm365_site):
    from rm365_salesdata.demo import catalogue, seed

    site = rm365_site(plugins=["salesdata"])
    imported = seed(site.kernel, days=60)

    assert imported > 1000
    assert seed(site.kernel) == 0  # idempotent
    demand = site.kernel.services.get("salesdata.demand").demand_for([sku for sku, _, _ in catalogue()])
    assert len(demand) > 20
    assert {region for per in demand.values() for region in per} == {"uk", "fr"}
