"""The plugin as the kernel sees it: migrations match the models, every route needs a tab,
tabs split management from adjustments, demo data and settings."""

from __future__ import annotations

import pytest
from rm365_inventory.demo import seed
from rm365_inventory.settings import InventorySettings

from rm365_core.testing import migration_drift

BASE = "/api/v1/inventory"


def test_migrations_match_the_models(site):
    assert migration_drift(site.kernel, "inventory") == []


def inventory_routes(site):
    for path, operations in site.app.openapi()["paths"].items():
        if path.startswith(BASE):
            for method in operations:
                yield method.upper(), path.replace("{sku}", "X")


def test_every_route_answers_401_without_a_token_and_403_without_a_tab(site):
    outsider = site.client_with_tabs()
    routes = list(inventory_routes(site))
    assert len(routes) >= 12

    for method, path in routes:
        anonymous = site.client.request(method, path, json={})
        refused = outsider.request(method, path, json={})
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        assert refused.status_code == 403, (method, path, refused.text)


def test_adjusters_read_and_adjust_but_do_not_edit_items(site):
    manager = site.client_with_tabs("inventory.management")
    adjuster = site.client_with_tabs("inventory.adjustments")
    assert manager.post(f"{BASE}/items", json={"sku": "A-1", "name": "A", "stock": {"shelf_lt1": 2}}).status_code == 201

    assert adjuster.get(f"{BASE}/items").status_code == 200
    assert adjuster.get(f"{BASE}/items/lookup", params={"code": "A-1"}).status_code == 200
    assert (
        adjuster.post(f"{BASE}/adjustments", json={"code": "A-1", "quantity": 1, "reason": "Pick/Pack"}).status_code
        == 201
    )
    assert adjuster.patch(f"{BASE}/items/A-1", json={"name": "B", "version": 1}).status_code == 403
    assert adjuster.post(f"{BASE}/items", json={"sku": "B-1", "name": "B"}).status_code == 403
    assert (
        manager.post(f"{BASE}/adjustments", json={"code": "A-1", "quantity": 1, "reason": "Pick/Pack"}).status_code
        == 403
    )
    assert manager.get(f"{BASE}/adjustments").status_code == 200


def test_tabs_are_registered_with_their_pages(site):
    tabs = {t.id: t for t in site.kernel.tabs if t.plugin == "inventory"}

    assert set(tabs) == {"inventory", "inventory.management", "inventory.adjustments"}
    assert tabs["inventory.management"].module == "/plugins/inventory/management.js"
    page = site.client.get("/plugins/inventory/adjustments.js")
    assert page.status_code == 200 and "export async function mount" in page.text


def test_demo_data_seeds_a_few_hundred_consistent_items_once(site, inv):
    created = seed(site.kernel)

    assert 200 <= created <= 600
    assert seed(site.kernel) == 0
    page = inv.items(size=200, sort="-total")
    assert page["total"] == created
    item = page["items"][0]
    moves = inv.history(sku=item["sku"], size=500)["items"]
    assert sum(m["delta"] for m in moves) == item["total"]  # the history adds up to the stock
    assert inv.items(stock_status="out")["total"] > 0


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(
        "RM365_INVENTORY_LOCATIONS", '[{"id": "front", "label": "Front"}, {"id": "back", "label": "Back"}]'
    )
    monkeypatch.setenv("RM365_INVENTORY_IMPORT_EXCLUDED_CATEGORIES", '["AW365", "Clearance"]')

    settings = InventorySettings()

    assert settings.location_ids == ["front", "back"]
    assert settings.import_excluded_categories == ["AW365", "Clearance"]


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ("RM365_INVENTORY_LOCATIONS", '[{"id": "auto", "label": "x"}]'),
        ("RM365_INVENTORY_DEFAULT_STATUS", "Nope"),
        ("RM365_INVENTORY_CORRECTION_REASON", "Lost"),
        ("RM365_INVENTORY_OVER_FACTOR", "0.5"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(monkeypatch, env, value):
    monkeypatch.setenv(env, value)

    with pytest.raises(ValueError) as error:
        InventorySettings()

    assert env.removeprefix("RM365_INVENTORY_").lower() in str(error.value)


def test_a_bad_setting_stops_start_up_naming_the_variable(rm365_site, monkeypatch):
    from rm365_core import SettingsError

    monkeypatch.setenv("RM365_INVENTORY_OVER_FACTOR", "0.5")

    with pytest.raises(SettingsError) as error:
        rm365_site(plugins=["inventory"])

    assert "RM365_INVENTORY_OVER_FACTOR" in str(error.value)


def test_configured_locations_drive_the_api(rm365_site, monkeypatch):
    monkeypatch.setenv(
        "RM365_INVENTORY_LOCATIONS", '[{"id": "front", "label": "Front"}, {"id": "back", "label": "Back"}]'
    )
    site = rm365_site(plugins=["inventory"])
    client = site.client_with_tabs("inventory")

    created = client.post(f"{BASE}/items", json={"sku": "A-1", "name": "A", "stock": {"back": 3}}).json()
    removed = client.post(f"{BASE}/adjustments", json={"code": "A-1", "quantity": 2, "reason": "Lost"}).json()

    assert created["stock"] == {"front": 0, "back": 3} and created["expiry"] == {}
    assert removed["movements"] == [{"location": "back", "delta": -2, "quantity_after": 1}]
