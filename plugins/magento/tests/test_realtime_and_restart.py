"""Live updates after commit, notifications to owners and requesters, and a restart that
loses nothing."""

from __future__ import annotations

from typing import Any

import pytest

BASE = "/api/v1/magento"


@pytest.fixture
def live(rm365_site: Any, configure: Any, h: Any) -> Any:
    site = rm365_site(plugins=["inventory", "magento"], live=True)
    h.stock_items(site)
    return site


def test_the_dashboard_sees_scans_live(h: Any, live: Any) -> None:
    _, watcher_token = live.token_for("magento.dashboard")
    packer = live.client_with_tabs("magento.pickpack")
    dashboard = live.realtime(watcher_token)
    assert dashboard.join("magento.dashboard") == {"ok": True}
    session = h.start(packer)
    started = dashboard.wait_for("magento.session", lambda d: d["action"] == "started")
    assert started["session"]["id"] == session["id"] and started["by"] == packer.username
    assert h.scan(packer, session["id"], "VIT-D3").status_code == 200
    scanned = dashboard.wait_for("magento.session", lambda d: d["action"] == "scanned")
    assert scanned["session"]["progress"]["scanned"] == 1
    assert "lines" not in scanned["session"]  # the page fetches the lines it shows


def test_a_refused_scan_sends_nothing(h: Any, live: Any) -> None:
    _, watcher_token = live.token_for("magento.dashboard")
    packer = live.client_with_tabs("magento.pickpack")
    dashboard = live.realtime(watcher_token)
    dashboard.join("magento.dashboard")
    session = h.start(packer)
    dashboard.wait_for("magento.session", lambda d: d["action"] == "started")
    assert h.scan(packer, session["id"], "NOPE").status_code == 422
    assert h.scan(packer, session["id"], "OMEGA-3").status_code == 200
    event = dashboard.wait_for("magento.session", lambda d: d["action"] != "started")
    assert event["action"] == "scanned" and event["session"]["progress"]["scanned"] == 1


def test_owner_and_requester_are_notified_of_a_takeover(h: Any, live: Any) -> None:
    owner_name, owner_token = live.token_for("magento.pickpack")
    requester_name, requester_token = live.token_for("magento.pickpack")
    owner_http = live._client(owner_token)
    requester_http = live._client(requester_token)
    owner_rt, requester_rt = live.realtime(owner_token), live.realtime(requester_token)
    assert owner_rt.join(f"magento.pickpack:user:{owner_name}") == {"ok": True}
    assert requester_rt.join(f"magento.pickpack:user:{requester_name}") == {"ok": True}
    assert requester_rt.join(f"magento.pickpack:user:{owner_name}")["ok"] is False

    session = h.start(owner_http)
    rid = requester_http.post(f"{BASE}/sessions/{session['id']}/takeover-requests").json()["id"]
    asked = owner_rt.wait_for("magento.notice", lambda d: d["action"] == "takeover-requested")
    assert asked["by"] == requester_name and asked["request_id"] == rid
    owner_http.post(f"{BASE}/sessions/{session['id']}/takeover-requests/{rid}/accept")
    answer = requester_rt.wait_for("magento.notice", lambda d: d["action"] == "takeover-accepted")
    assert answer["by"] == owner_name and answer["session_id"] == session["id"]


def test_a_server_restart_mid_session_loses_nothing(h: Any, rm365_site: Any, configure: Any) -> None:
    first = rm365_site(plugins=["inventory", "magento"])
    h.stock_items(first)
    name, password = first.create_user(tabs=["magento.pickpack"])
    packer = first._client(first.login(name, password)["access_token"])
    session = h.start(packer)
    assert h.scan(packer, session["id"], "VIT-D3", client_id="c-1").status_code == 200

    settings = first.kernel.settings
    second = rm365_site(
        plugins=["inventory", "magento"],
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        secret_key=settings.secret_key,
    )
    again = second._client(second.login(name, password)["access_token"])
    kept = again.get(f"{BASE}/sessions/{session['id']}").json()
    assert kept["owner"] == name and kept["lines"][0]["qty_scanned"] == 1
    assert h.scan(again, session["id"], "VIT-D3", client_id="c-1").json()["duplicate"] is True
    assert h.scan(again, session["id"], "VIT-D3").status_code == 200
    assert h.scan(again, session["id"], "OMEGA-3").status_code == 200
    assert again.post(f"{BASE}/sessions/{session['id']}/complete").status_code == 200
    assert h.total(second, "VIT-D3") == 8
