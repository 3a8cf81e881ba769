"""The realtime hub inside the real application: kernel events reach connected clients."""

from __future__ import annotations

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
