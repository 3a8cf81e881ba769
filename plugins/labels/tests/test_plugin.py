"""The plugin on a site: tables match the migrations, tabs, progress of a big job over the
realtime hub, demo data."""

from __future__ import annotations

import time
from typing import Any

import pytest

from rm365_core.testing import migration_drift

BASE = "/api/v1/labels"


def test_models_and_migrations_agree(site: Any) -> None:
    assert migration_drift(site.kernel, "labels") == []


def test_the_plugin_registers_its_tabs_and_needs_inventory(site: Any) -> None:
    admin = site.admin_client()
    plugins = {p["name"]: p for p in admin.get("/api/v1/plugins").json()}
    assert plugins["labels"]["state"] == "enabled"
    tab_ids = {tab.id for tab in site.kernel.tabs}
    assert {"labels", "labels.generator", "labels.history"} <= tab_ids


def test_without_inventory_the_plugin_does_not_start(rm365_site: Any) -> None:
    site = rm365_site(plugins=["labels"])
    plugins = {p["name"]: p for p in site.admin_client().get("/api/v1/plugins").json()}
    assert plugins["labels"]["state"] == "missing-dependency"


def test_demo_data_makes_one_fr_job_to_reprint(site: Any) -> None:
    _seed(site)
    client = site.client_with_tabs("labels")
    jobs = client.get(f"{BASE}/jobs").json()
    assert jobs["total"] == 1
    job = jobs["items"][0]
    assert (job["region"], job["currency"], job["template"]) == ("fr", "EUR", "roll-69x27")
    assert client.get(f"{BASE}/jobs/{job['id']}/pdf").status_code == 200


def _seed(site: Any) -> None:
    """What ``rm365 serve --demo`` does, twice (demo data is idempotent)."""
    for _ in range(2):
        site.kernel.plugins.call_each("demo_data", kernel=site.kernel)


@pytest.mark.slow
def test_a_big_job_reports_progress_in_its_room(rm365_site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RM365_LABELS_BACKGROUND_OVER", "10")
    site = rm365_site(plugins=["inventory", "labels"], live=True)
    username, token = site.token_for("labels", "inventory")
    client = site.client_with_tabs("labels", "inventory")
    assert client.post("/api/v1/inventory/items", json={"sku": "RT-1", "name": "Realtime"}).status_code == 201
    watcher = site.realtime(token)
    assert watcher.join("labels.history") == {"ok": True}
    response = client.post(
        f"{BASE}/jobs", json={"items": [{"sku": "RT-1", "copies": 40}], "template": "roll-69x27", "region": "uk"}
    )
    assert response.status_code == 201, response.text
    job = response.json()
    assert watcher.join(job["room"]) == {"ok": True}
    event = watcher.wait_for("labels.job", lambda d: d["id"] == job["id"] and d["action"] == "rendered", timeout=60)
    assert event["id"] == job["id"]
    # The run is marked done just after the job function returns (after the event was sent).
    deadline = time.monotonic() + 30
    while (run := client.get(f"/api/v1/jobs/{job['run_id']}").json())["state"] != "done":
        assert time.monotonic() < deadline, run
        time.sleep(0.05)
    assert (run["done"], run["total"]) == (40, 40)
    assert client.get(f"{BASE}/jobs/{job['id']}").json()["state"] == "ready"
