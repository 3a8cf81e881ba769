"""Who a token names: a user never reused, usernames without case, times with a zone."""

from __future__ import annotations

from datetime import datetime

import pytest


@pytest.fixture
def site(rm365_site):
    return rm365_site(plugins=[], discover=False)


def test_a_deleted_users_token_never_becomes_a_later_users_token(site):
    admin = site.admin_client()
    site.create_user("temp1", password="correct horse")
    token = site.login("temp1", "correct horse")["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert admin.delete("/api/v1/users/temp1").status_code == 204
    # On SQLite the next user gets the deleted user's id.
    created = admin.post("/api/v1/users", json={"username": "boss2", "password": "long enough", "role": "admin"})
    assert created.status_code == 201
    me = site.client.get("/api/v1/auth/me", headers=auth)
    assert me.status_code == 401


def test_usernames_are_case_insensitive(site):
    admin = site.admin_client()
    assert admin.post("/api/v1/users", json={"username": "Bob", "password": "long enough"}).status_code == 201
    again = admin.post("/api/v1/users", json={"username": "BOB", "password": "long enough"})
    assert again.status_code == 409
    assert site.login("BOB", "long enough")["role"] == "user"
    assert admin.get("/api/v1/users/bOb").json()["username"] == "bob"


def test_user_times_carry_a_zone_on_every_database(site):
    admin = site.admin_client()
    admin.post("/api/v1/users", json={"username": "bob", "password": "long enough"})
    site.login("bob", "long enough")
    body = admin.get("/api/v1/users/bob").json()
    for field in ("created_at", "last_login_at"):
        assert datetime.fromisoformat(body[field]).tzinfo is not None, field
