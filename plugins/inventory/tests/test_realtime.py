"""Live collaboration: committed changes reach connected screens; clients cannot fake them."""

from __future__ import annotations

import httpx
import pytest

from rm365_core.testing import RealtimeTestClient, asgi_app, live_server

BASE = "/api/v1/inventory"


@pytest.fixture
def live(site):
    with live_server(asgi_app(site.app)) as url:
        yield url


def test_an_adjustment_reaches_a_connected_screen(site, live):
    _, token = site.token_for("inventory")
    actor, actor_token = site.token_for("inventory.adjustments", "inventory.management")
    headers = {"Authorization": f"Bearer {actor_token}"}
    with httpx.Client(base_url=live, headers=headers) as http, RealtimeTestClient() as screen:
        http.post(f"{BASE}/items", json={"sku": "A-1", "name": "A", "stock": {"shelf_lt1": 2, "top_floor": 5}})
        screen.connect(live, token)
        assert screen.join("inventory") == {"ok": True}

        response = http.post(f"{BASE}/adjustments", json={"code": "A-1", "quantity": 3, "reason": "Pick/Pack"})
        assert response.status_code == 201

        first = screen.wait_for("inventory.changed", lambda d: d["location"] == "shelf_lt1")
        second = screen.wait_for("inventory.changed", lambda d: d["location"] == "top_floor")
    version = response.json()["version"]
    assert first == {
        "sku": "A-1",
        "location": "shelf_lt1",
        "quantity": 0,
        "delta": -2,
        "total": 4,
        "stock": {"shelf_lt1": 0, "shelf_gt1": 0, "top_floor": 4},
        "version": version,
        "by": actor,
        "reason": "Pick/Pack",
        "source": "ui",
        "adjustment_id": response.json()["id"],
    }
    assert second["quantity"] == 4 and second["total"] == 4


def test_grid_edits_batches_and_item_changes_are_broadcast(site, live):
    _, token = site.token_for("inventory.management")
    _, actor_token = site.token_for("inventory")
    headers = {"Authorization": f"Bearer {actor_token}"}
    with httpx.Client(base_url=live, headers=headers) as http, RealtimeTestClient() as screen:
        screen.connect(live, token)
        assert screen.join("inventory.management") == {"ok": True}
        http.post(f"{BASE}/items", json={"sku": "A-1", "name": "A"})
        created = screen.wait_for("inventory.item", lambda d: d["action"] == "created")

        http.patch(f"{BASE}/items/A-1", json={"stock": {"shelf_gt1": 9}}, headers={"If-Match": '"1"'})
        edited = screen.wait_for("inventory.changed", lambda d: d["location"] == "shelf_gt1")
        updated = screen.wait_for("inventory.item", lambda d: d["action"] == "updated")

        http.post(f"{BASE}/update/batch", json=[{"client_id": "s-1", "code": "A-1", "quantity": 2}])
        scanned = screen.wait_for("inventory.changed", lambda d: d["source"] == "scanner")

    assert created["item"]["sku"] == "A-1"
    assert edited["quantity"] == 9 and edited["reason"] == "Correction" and edited["version"] == 2
    assert updated["item"]["version"] == 2
    assert scanned["quantity"] == 7 and scanned["version"] == 3


def test_changes_a_client_sends_are_not_relayed(site, live):
    _, token = site.token_for("inventory")
    with RealtimeTestClient() as faker, RealtimeTestClient() as screen:
        faker.connect(live, token)
        screen.connect(live, token)
        assert faker.join("inventory")["ok"] and screen.join("inventory")["ok"]

        ack = faker.emit("inventory.changed", {"sku": "A-1", "location": "shelf_lt1", "quantity": 999})

        assert ack["ok"] is False
        screen.assert_no_event("inventory.changed", within=0.5)


def test_rooms_follow_the_tabs(site, live):
    _, adjuster = site.token_for("inventory.adjustments")
    _, outsider = site.token_for()
    with RealtimeTestClient() as scanner, RealtimeTestClient() as stranger:
        scanner.connect(live, adjuster)
        stranger.connect(live, outsider)

        assert scanner.join("inventory.adjustments") == {"ok": True}
        assert scanner.join("inventory.management")["ok"] is False
        assert scanner.join("inventory.adjustments:anything")["ok"] is False
        assert stranger.join("inventory")["ok"] is False


def test_presence_shows_who_edits_which_cell(site, live):
    anna, token_a = site.token_for("inventory")
    _, token_b = site.token_for("inventory")
    with RealtimeTestClient() as a, RealtimeTestClient() as b:
        a.connect(live, token_a)
        b.connect(live, token_b)
        assert a.join("inventory.management")["ok"] and b.join("inventory.management")["ok"]

        assert a.update_presence(
            "inventory.management", {"viewing": "inventory.management", "editing": "A-1:shelf_lt1"}
        )["ok"]

        seen = b.wait_for("presence", lambda d: any(u["state"].get("editing") == "A-1:shelf_lt1" for u in d["users"]))
    editor = next(u for u in seen["users"] if u["username"] == anna)
    assert editor["color"].startswith("#")


@pytest.mark.redis
def test_with_redis_a_screen_in_several_inventory_rooms_gets_each_change_once(rm365_site):
    from rm365_core.testing import REDIS_ENV, redis_url, require_service

    site = rm365_site(plugins=["inventory"], redis_url=require_service("Redis", redis_url(), REDIS_ENV))
    _, token = site.token_for("inventory")
    headers = {"Authorization": f"Bearer {token}"}
    with (
        live_server(asgi_app(site.app)) as url,
        RealtimeTestClient() as screen,
        httpx.Client(base_url=url, headers=headers) as http,
    ):
        screen.connect(url, token)
        assert screen.join("inventory")["ok"] and screen.join("inventory.management")["ok"]
        http.post(f"{BASE}/items", json={"sku": "R-1", "name": "R", "stock": {"shelf_lt1": 3}})

        http.post(f"{BASE}/adjustments", json={"code": "R-1", "quantity": 1, "reason": "Lost"})

        assert screen.wait_for("inventory.changed")["quantity"] == 2
        screen.assert_no_event("inventory.changed", within=0.7)
