"""The realtime hub inside the real application: kernel events reach connected clients, and
taking a tab away, logging out or revoking a user reaches open sockets (on two workers too)."""

from __future__ import annotations

import secrets

import pytest


@pytest.fixture
def site(rm365_site):
    return rm365_site(plugins=[], discover=False, live=True)


def test_user_changes_reach_open_usermanagement_screens(site):
    admin = site.admin_client()
    _, watcher_token = site.token_for("usermanagement")
    watcher = site.realtime(watcher_token)
    assert watcher.join("usermanagement") == {"ok": True}
    created = admin.post("/api/v1/users", json={"username": "dana", "password": "long enough"})
    assert created.status_code == 201
    event = watcher.wait_for("users.changed", lambda d: d["username"] == "dana")
    assert event["action"] == "created"
    assert admin.patch("/api/v1/users/dana", json={"role": "manager"}).status_code == 200
    assert watcher.wait_for("users.changed", lambda d: d["username"] == "dana")["action"] == "updated"
    assert admin.post("/api/v1/roles", json={"name": "packer"}).status_code == 201
    assert watcher.wait_for("roles.changed", lambda d: d["name"] == "packer")["action"] == "created"


def test_a_user_without_the_tab_cannot_listen(site):
    _, token = site.token_for("system")
    client = site.realtime(token)
    assert client.join("usermanagement")["ok"] is False


def test_revoking_a_user_closes_their_realtime_connection(site):
    admin = site.admin_client()
    username, token = site.token_for("system")
    client = site.realtime(token)
    assert client.join("system") == {"ok": True}
    assert admin.patch(f"/api/v1/users/{username}", json={"active": False}).status_code == 200
    client.wait_for("disconnect", timeout=5)
    assert not client.connected


def _packer(site, admin, tabs):
    """A user of a new role ``packer`` holding ``tabs``; returns their access token."""
    assert admin.post("/api/v1/roles", json={"name": "packer", "allowed_tabs": tabs}).status_code == 201
    username, password = site.create_user(role="packer")
    return site.login(username, password)["access_token"]


def test_a_tab_taken_from_a_role_takes_its_room_from_open_sockets(site):
    admin = site.admin_client()
    token = _packer(site, admin, ["system", "usermanagement"])
    client = site.realtime(token)
    assert client.join("usermanagement") == {"ok": True}
    assert client.join("system") == {"ok": True}

    assert admin.patch("/api/v1/roles/packer", json={"allowed_tabs": ["system"]}).status_code == 200

    assert client.wait_for("room:left") == {"room": "usermanagement", "reason": "forbidden"}
    assert admin.post("/api/v1/users", json={"username": "erin", "password": "long enough"}).status_code == 201
    client.assert_no_event("users.changed", within=0.5)
    assert client.join("usermanagement") == {"ok": False, "error": "forbidden"}
    assert client.connected


def test_logout_closes_the_sockets_of_that_login_only(site):
    username, password = site.create_user(tabs=["system"])
    first = site.login(username, password)["access_token"]
    second = site.login(username, password)["access_token"]
    kiosk, office = site.realtime(first), site.realtime(second)

    answer = site.client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {first}"})

    assert answer.status_code == 204
    kiosk.wait_for("disconnect")
    assert not kiosk.connected
    office.assert_no_event("disconnect", within=0.5)
    assert office.join("system") == {"ok": True}


@pytest.mark.redis
def test_tab_changes_and_logout_reach_sockets_on_another_worker(rm365_site, site):
    from rm365_core.testing import redis_url, require_service

    url = require_service("Redis", redis_url(), "RM365_TEST_REDIS_URL")
    prefix = f"rm365test-{secrets.token_hex(6)}"
    settings = site.kernel.settings
    shared = {
        "data_dir": settings.data_dir,
        "database_url": settings.database_url,
        "secret_key": settings.secret_key,
        "redis_url": url,
        "redis_prefix": prefix,
    }
    worker_a = rm365_site(plugins=[], discover=False, live=True, **shared)
    worker_b = rm365_site(plugins=[], discover=False, live=True, **shared)
    admin = worker_a.admin_client()
    token = _packer(worker_a, admin, ["system", "usermanagement"])
    on_b = worker_b.realtime(token)
    assert on_b.join("usermanagement") == {"ok": True}

    assert admin.patch("/api/v1/roles/packer", json={"allowed_tabs": ["system"]}).status_code == 200
    assert on_b.wait_for("room:left") == {"room": "usermanagement", "reason": "forbidden"}

    answer = worker_a.client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 204
    on_b.wait_for("disconnect")
    assert not on_b.connected


def test_a_bad_realtime_limit_stops_start_up_naming_the_variable(rm365_site, monkeypatch):
    from rm365_core import SettingsError

    monkeypatch.setenv("RM365_REALTIME_MAX_CONNECTIONS_PER_USER", "0")

    with pytest.raises(SettingsError, match="RM365_REALTIME_MAX_CONNECTIONS_PER_USER"):
        rm365_site(plugins=[], discover=False)
