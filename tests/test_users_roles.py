"""Users, roles and the permission tab tree."""

from __future__ import annotations

import types

import pytest
from fastapi import APIRouter, Depends

from rm365_core import Tab, hookimpl, require_tab


def _stock_plugin() -> types.ModuleType:
    module = types.ModuleType("stock_sample")
    router = APIRouter()

    @router.get("/count", dependencies=[Depends(require_tab("stock.count"))])
    def count() -> dict:
        return {"count": 3}

    @hookimpl
    def register_tabs():
        return [
            Tab(id="stock", title="Stock"),
            Tab(id="stock.count", title="Count", order=1),
            Tab(id="stock.audit", title="Audit", order=2),
        ]

    @hookimpl
    def register_routes():
        return router

    module.register_tabs = register_tabs
    module.register_routes = register_routes
    return module


@pytest.fixture
def site(rm365_site):
    return rm365_site(plugins=["stock"], extra={"stock": _stock_plugin()}, discover=False)


def test_user_crud_through_the_api(site):
    admin = site.admin_client()
    created = admin.post(
        "/api/v1/users",
        json={"username": "bob", "password": "long enough", "role": "user", "allowed_tabs": ["stock.count"]},
    )
    assert created.status_code == 201
    assert created.json()["allowed_tabs"] == ["stock.count"]
    assert "password" not in created.json() and "password_hash" not in created.json()
    assert [u["username"] for u in admin.get("/api/v1/users").json()].count("bob") == 1
    assert admin.get("/api/v1/users/bob").json()["role"] == "user"
    assert admin.patch("/api/v1/users/bob", json={"role": "manager"}).json()["role"] == "manager"
    assert admin.delete("/api/v1/users/bob").status_code == 204
    assert admin.get("/api/v1/users/bob").status_code == 404


def test_duplicate_user_unknown_role_unknown_tab_and_short_password_are_refused(site):
    admin = site.admin_client()
    admin.post("/api/v1/users", json={"username": "bob", "password": "long enough"})
    assert admin.post("/api/v1/users", json={"username": "bob", "password": "long enough"}).status_code == 409
    bad_role = admin.post("/api/v1/users", json={"username": "carl", "password": "long enough", "role": "pirate"})
    assert bad_role.status_code == 422 and "pirate" in bad_role.json()["detail"]
    bad_tab = admin.post(
        "/api/v1/users", json={"username": "carl", "password": "long enough", "allowed_tabs": ["nope"]}
    )
    assert bad_tab.status_code == 422 and "nope" in bad_tab.json()["detail"]
    short = admin.post("/api/v1/users", json={"username": "carl", "password": "short"})
    assert short.status_code == 422
    assert admin.get("/api/v1/users/carl").status_code == 404


def test_users_and_roles_need_usermanagement(site):
    outsider = site.client_with_tabs("stock")
    assert outsider.get("/api/v1/users").status_code == 403
    assert outsider.post("/api/v1/roles", json={"name": "x"}).status_code == 403
    assert site.client.get("/api/v1/users").status_code == 401
    manager = site.client_with_tabs("usermanagement")
    assert manager.get("/api/v1/users").status_code == 200


def test_seed_roles_exist(site):
    admin = site.admin_client()
    names = {r["name"] for r in admin.get("/api/v1/roles").json()}
    assert {"admin", "manager", "user"} <= names


def test_editing_a_role_changes_what_its_users_hold(site):
    admin = site.admin_client()
    assert admin.post("/api/v1/roles", json={"name": "counter", "allowed_tabs": []}).status_code == 201
    admin.post("/api/v1/users", json={"username": "bob", "password": "long enough", "role": "counter"})
    bob = site._client(site.login("bob", "long enough")["access_token"])
    assert bob.get("/api/v1/stock/count").status_code == 403
    assert admin.patch("/api/v1/roles/counter", json={"allowed_tabs": ["stock.count"]}).status_code == 200
    assert bob.get("/api/v1/stock/count").json() == {"count": 3}
    assert bob.get("/api/v1/auth/me").json()["allowed_tabs"] == ["stock.count"]


def test_effective_tabs_are_role_union_user(site):
    admin = site.admin_client()
    admin.post("/api/v1/roles", json={"name": "auditor", "allowed_tabs": ["stock.audit"]})
    admin.post(
        "/api/v1/users",
        json={"username": "bob", "password": "long enough", "role": "auditor", "allowed_tabs": ["stock.count"]},
    )
    body = site.login("bob", "long enough")
    assert body["allowed_tabs"] == ["stock.audit", "stock.count"]


def test_parent_tab_grants_children(site):
    client = site.client_with_tabs("stock")
    assert client.get("/api/v1/stock/count").status_code == 200
    tree = client.get("/api/v1/tabs").json()
    assert [t["id"] for t in tree] == ["stock"]
    assert [c["id"] for c in tree[0]["children"]] == ["stock.count", "stock.audit"]


def test_tab_tree_shows_only_held_tabs(site):
    client = site.client_with_tabs("stock.audit")
    tree = client.get("/api/v1/tabs").json()
    assert [t["id"] for t in tree] == ["stock.audit"]
    assert client.get("/api/v1/tabs?all=true").status_code == 403


def test_all_tabs_for_usermanagement(site):
    client = site.client_with_tabs("usermanagement")
    tree = client.get("/api/v1/tabs?all=true").json()
    ids = {t["id"] for t in tree} | {c["id"] for t in tree for c in t["children"]}
    assert {"stock", "stock.count", "stock.audit", "usermanagement", "system"} <= ids


def test_admin_holds_every_tab_including_later_plugins(site):
    admin = site.admin_client()
    me = admin.get("/api/v1/auth/me").json()
    assert {"stock", "stock.count", "system", "usermanagement"} <= set(me["allowed_tabs"])
    assert admin.get("/api/v1/stock/count").status_code == 200


def test_role_in_use_cannot_be_deleted_and_builtins_stay(site):
    admin = site.admin_client()
    admin.post("/api/v1/roles", json={"name": "counter"})
    admin.post("/api/v1/users", json={"username": "bob", "password": "long enough", "role": "counter"})
    assert admin.delete("/api/v1/roles/counter").status_code == 409
    assert admin.delete("/api/v1/roles/user").status_code == 409
    admin.delete("/api/v1/users/bob")
    assert admin.delete("/api/v1/roles/counter").status_code == 204


def test_last_admin_cannot_be_removed_or_demoted(site):
    admin = site.admin_client()
    me = admin.get("/api/v1/auth/me").json()["username"]
    assert admin.patch(f"/api/v1/users/{me}", json={"role": "user"}).status_code == 409
    assert admin.patch(f"/api/v1/users/{me}", json={"active": False}).status_code == 409
    assert admin.delete(f"/api/v1/users/{me}").status_code == 409


def test_unknown_body_fields_are_rejected_with_their_name(site):
    admin = site.admin_client()
    response = admin.post("/api/v1/users", json={"username": "bob", "password": "long enough", "is_admin": True})
    assert response.status_code == 422
    assert "is_admin" in str(response.json())


# -- who may grant what ---------------------------------------------------------------
def test_usermanagement_alone_cannot_grant_every_tab_or_the_admin_role(site):
    manager = site.client_with_tabs("usermanagement")
    me = manager.username
    assert manager.patch(f"/api/v1/users/{me}", json={"allowed_tabs": ["*"]}).status_code == 403
    assert manager.patch(f"/api/v1/users/{me}", json={"role": "admin"}).status_code == 403
    made = manager.post("/api/v1/users", json={"username": "mate", "password": "long enough", "role": "admin"})
    assert made.status_code == 403 and made.json()["field"] == "role"
    assert manager.get("/api/v1/auth/me").json()["role"] == "user"


def test_a_user_may_grant_only_tabs_they_hold(site):
    manager = site.client_with_tabs("usermanagement", "stock.count")
    ok = manager.post(
        "/api/v1/users", json={"username": "bob", "password": "long enough", "allowed_tabs": ["stock.count"]}
    )
    assert ok.status_code == 201
    refused = manager.patch("/api/v1/users/bob", json={"allowed_tabs": ["stock.count", "stock.audit"]})
    assert refused.status_code == 403 and "stock.audit" in refused.json()["detail"]
    assert manager.post("/api/v1/roles", json={"name": "auditors", "allowed_tabs": ["stock.audit"]}).status_code == 403
    assert manager.patch("/api/v1/roles/user", json={"allowed_tabs": ["system"]}).status_code == 403


def test_only_an_admin_may_change_or_delete_an_admin(site):
    admin = site.admin_client()
    manager = site.client_with_tabs("usermanagement")
    boss = admin.get("/api/v1/auth/me").json()["username"]
    assert manager.patch(f"/api/v1/users/{boss}", json={"password": "taken over!"}).status_code == 403
    assert manager.delete(f"/api/v1/users/{boss}").status_code == 403
    second = {"username": "boss2", "password": "long enough", "role": "admin"}
    assert admin.post("/api/v1/users", json=second).status_code == 201


def test_request_fields_take_json_types_as_they_are(site):
    admin = site.admin_client()
    response = admin.post("/api/v1/users", json={"username": "bob", "password": "long enough", "active": 0})
    assert response.status_code == 422 and response.json()["field"] == "active"
    assert admin.get("/api/v1/users/bob").status_code == 404


@pytest.mark.parametrize("tabs", [[""], ["stock..count"], ["x" * 151]])
def test_malformed_tab_ids_are_refused_naming_the_field(site, tabs):
    response = site.admin_client().post("/api/v1/roles", json={"name": "counter", "allowed_tabs": tabs})
    assert response.status_code == 422 and response.json()["field"] == "allowed_tabs.0"
