"""Login, tokens, refresh rotation, logout, throttling and token invalidation."""

from __future__ import annotations

import time

import jwt
import pytest


@pytest.fixture
def site(rm365_site):
    return rm365_site(plugins=[], discover=False)


def test_login_returns_tokens_role_and_tabs(site):
    site.create_user("alice", tabs=["system"], password="correct horse")
    response = site.client.post("/api/v1/auth/login", json={"username": "alice", "password": "correct horse"})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["role"] == "user"
    assert body["allowed_tabs"] == ["system"]
    assert body["access_token"] and body["refresh_token"]


def test_wrong_password_and_unknown_user_get_the_same_401(site):
    site.create_user("alice", password="correct horse")
    wrong = site.client.post("/api/v1/auth/login", json={"username": "alice", "password": "nope-nope"})
    unknown = site.client.post("/api/v1/auth/login", json={"username": "mallory", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_access_token_has_pinned_algorithm_and_standard_claims(site):
    site.create_user("alice", password="correct horse")
    token = site.login("alice", "correct horse")["access_token"]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert {"exp", "iat", "iss", "aud", "jti", "sub"} <= claims.keys()
    assert claims["exp"] - claims["iat"] == 15 * 60


def test_unsigned_or_foreign_tokens_are_refused(site):
    site.create_user("alice", password="correct horse")
    token = site.login("alice", "correct horse")["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    forged = jwt.encode(claims, "not-the-secret-not-the-secret-123456", algorithm="HS256")
    for bad in (unsigned, forged, token[:-4] + "AAAA"):
        response = site.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401


def test_me_reports_user_role_and_tabs(site):
    client = site.client_with_tabs("system")
    assert client.get("/api/v1/auth/me").json() == {
        "username": client.username,
        "role": "user",
        "allowed_tabs": ["system"],
    }


def test_repeated_failures_are_throttled_with_retry_after(site):
    site.create_user("alice", password="correct horse")
    for _ in range(5):
        assert (
            site.client.post("/api/v1/auth/login", json={"username": "alice", "password": "wrong-pass"}).status_code
            == 401
        )
    locked = site.client.post("/api/v1/auth/login", json={"username": "alice", "password": "correct horse"})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "try again" in locked.json()["detail"]


def test_refresh_rotates_and_old_refresh_token_stops_working(site):
    site.create_user("alice", password="correct horse")
    first = site.login("alice", "correct horse")
    rotated = site.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    again = site.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401


def test_reusing_a_rotated_refresh_token_revokes_the_family(site):
    site.create_user("alice", password="correct horse")
    first = site.login("alice", "correct horse")
    second = site.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
    # The stolen first token comes back: the whole login ends, the newest token too.
    assert site.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).status_code == 401
    assert site.client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 401


def test_logout_without_a_body_ends_the_whole_login(site):
    site.create_user("alice", password="correct horse")
    first = site.login("alice", "correct horse")
    rotated = site.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
    auth = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert site.client.post("/api/v1/auth/logout", headers=auth).status_code == 204
    assert site.client.get("/api/v1/auth/me", headers=auth).status_code == 401
    assert site.client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}).status_code == 401


def test_logout_ends_only_its_own_login(site):
    site.create_user("alice", password="correct horse")
    desk, phone = site.login("alice", "correct horse"), site.login("alice", "correct horse")
    auth = {"Authorization": f"Bearer {desk['access_token']}"}
    assert site.client.post("/api/v1/auth/logout", headers=auth).status_code == 204
    assert site.client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]}).status_code == 200


def test_token_answers_are_never_cached(site):
    site.create_user("alice", password="correct horse")
    login = site.client.post("/api/v1/auth/login", json={"username": "alice", "password": "correct horse"})
    refreshed = site.client.post("/api/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
    for response in (login, refreshed):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"


def test_logout_revokes_access_and_refresh_tokens(site):
    site.create_user("alice", password="correct horse")
    tokens = site.login("alice", "correct horse")
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (
        site.client.post(
            "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=auth
        ).status_code
        == 204
    )
    assert site.client.get("/api/v1/auth/me", headers=auth).status_code == 401
    assert site.client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


@pytest.mark.parametrize(
    "change",
    [{"password": "a-new-password"}, {"role": "manager"}, {"allowed_tabs": ["system"]}, {"active": False}],
)
def test_changing_password_role_tabs_or_status_invalidates_tokens(site, change):
    admin = site.admin_client()
    site.create_user("alice", password="correct horse")
    tokens = site.login("alice", "correct horse")
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert site.client.get("/api/v1/auth/me", headers=auth).status_code == 200
    assert admin.patch("/api/v1/users/alice", json=change).status_code == 200
    assert site.client.get("/api/v1/auth/me", headers=auth).status_code == 401
    assert site.client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_disabled_user_cannot_log_in(site):
    admin = site.admin_client()
    site.create_user("alice", password="correct horse")
    admin.patch("/api/v1/users/alice", json={"active": False})
    response = site.client.post("/api/v1/auth/login", json={"username": "alice", "password": "correct horse"})
    assert response.status_code == 401


def test_expired_access_token_is_refused(rm365_site):
    site = rm365_site(plugins=[], discover=False)
    site.create_user("alice", password="correct horse")
    token = site.login("alice", "correct horse")["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 10
    expired = jwt.encode(claims, site.kernel.settings.secret_key, algorithm="HS256")
    assert site.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_openapi_form_login_works_for_the_docs_page(site):
    site.create_user("alice", password="correct horse")
    response = site.client.post("/api/v1/auth/login", data={"username": "alice", "password": "correct horse"})
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
