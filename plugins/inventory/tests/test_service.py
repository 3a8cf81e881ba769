"""The ``inventory.stock`` service other plugins use, and demand from a (fake) salesdata plugin."""

from __future__ import annotations

from itertools import product

import pytest
from rm365_inventory.demand import classify, classify_sql
from rm365_inventory.errors import InsufficientStock, Invalid, ItemNotFound

from rm365_core import hookimpl

BASE = "/api/v1/inventory"


class FakeDemand:
    """Six-month demand per region, as the salesdata plugin will offer it."""

    def __init__(self, demand):
        self.demand = demand
        self.calls = []

    def demand_for(self, skus):
        self.calls.append(skus)
        if skus is None:
            return dict(self.demand)
        return {sku: self.demand[sku] for sku in skus if sku in self.demand}


class FakeSalesdata:
    def __init__(self, demand):
        self.service = FakeDemand(demand)

    @hookimpl
    def register_services(self):
        return {"salesdata.demand": self.service}


class BrokenDemand:
    def demand_for(self, skus):
        raise RuntimeError("sales database is down")


class BrokenSalesdata:
    @hookimpl
    def register_services(self):
        return {"salesdata.demand": BrokenDemand()}


def test_the_service_finds_reads_and_adjusts_stock(site, inv):
    inv.create("VITC-60", stock={"shelf_lt1": 2, "top_floor": 5})
    stock = site.kernel.services.get("inventory.stock")

    found = stock.find_item(" vitc-60\t")
    result = stock.adjust("VITC-60", 3, "Pick/Pack", user="magento", source="pick", client_id="order-7:line-1")
    again = stock.adjust("VITC-60", 3, "Pick/Pack", user="magento", source="pick", client_id="order-7:line-1")

    assert found["sku"] == "VITC-60" and found["total"] == 7
    assert result["movements"] == [
        {"location": "shelf_lt1", "delta": -2, "quantity_after": 0},
        {"location": "top_floor", "delta": -1, "quantity_after": 4},
    ]
    assert again["duplicate"] is True
    assert stock.stock("VITC-60") == {
        "sku": "VITC-60",
        "item_id": found["item_id"],
        "stock": {"shelf_lt1": 0, "shelf_gt1": 0, "top_floor": 4},
        "total": 4,
    }
    assert inv.history(source="pick")["items"][0]["by"] == "magento"


def test_the_service_raises_clear_errors(site, inv):
    inv.create("VITC-60", stock={"shelf_lt1": 1})
    stock = site.kernel.services.get("inventory.stock")

    assert stock.find_item("NOPE") is None
    with pytest.raises(ItemNotFound):
        stock.stock("NOPE")
    with pytest.raises(InsufficientStock) as short:
        stock.adjust("VITC-60", 2, "Pick/Pack", user="magento")
    with pytest.raises(Invalid):
        stock.adjust("VITC-60", 1, "Pick/Pack", user="magento", source="carrier-pigeon")
    assert short.value.fields["stock"]["shelf_lt1"] == 1


def test_returns_go_back_through_the_service(site, inv):
    inv.create("VITC-60")
    stock = site.kernel.services.get("inventory.stock")

    result = stock.adjust("VITC-60", 2, "Returned", location="shelf_gt1", user="magento", source="returns")

    assert result["total_after"] == 2
    assert inv.item("VITC-60")["stock"]["shelf_gt1"] == 2


def test_without_salesdata_items_have_no_demand_column(inv):
    inv.create("VITC-60")

    item = inv.item("VITC-60")

    assert "demand" not in item and "stock_status" not in item
    assert inv.items()["demand"] is False


def test_with_salesdata_items_show_demand_per_region_and_a_stock_status(rm365_site):
    salesdata = FakeSalesdata({"LOW-1": {"uk": 8, "fr": 4}, "NORM-1": {"uk": 10}, "OVER-1": {"nl": 2}})
    site = rm365_site(plugins=["inventory"], extra={"salesdata": salesdata})
    client = site.client_with_tabs("inventory")
    for sku, qty in [("LOW-1", 11), ("NORM-1", 20), ("OVER-1", 6), ("IDLE-1", 0), ("DEAD-1", 3)]:
        assert (
            client.post(f"{BASE}/items", json={"sku": sku, "name": sku, "stock": {"shelf_lt1": qty}}).status_code == 201
        )

    page = client.get(f"{BASE}/items").json()

    by_sku = {i["sku"]: i for i in page["items"]}
    assert page["demand"] is True
    assert by_sku["LOW-1"]["demand"] == {"uk": 8, "fr": 4} and by_sku["LOW-1"]["demand_total"] == 12
    assert {sku: i["stock_status"] for sku, i in by_sku.items()} == {
        "LOW-1": "low",
        "NORM-1": "normal",
        "OVER-1": "over",
        "IDLE-1": "normal",
        "DEAD-1": "over",
    }
    assert client.get(f"{BASE}/config").json()["demand"] is True


def test_with_salesdata_the_list_filters_by_stock_status_in_sql(rm365_site):
    salesdata = FakeSalesdata({"LOW-1": {"uk": 8, "fr": 4}, "NORM-1": {"uk": 10}, "OVER-1": {"nl": 2}})
    site = rm365_site(plugins=["inventory"], extra={"salesdata": salesdata})
    client = site.client_with_tabs("inventory")
    for sku, qty in [("LOW-1", 11), ("NORM-1", 20), ("OVER-1", 6), ("IDLE-1", 0), ("DEAD-1", 3)]:
        client.post(f"{BASE}/items", json={"sku": sku, "name": sku, "stock": {"shelf_lt1": qty}})

    def skus(**params):
        response = client.get(f"{BASE}/items", params=params)
        assert response.status_code == 200, response.text
        return [i["sku"] for i in response.json()["items"]]

    assert skus(stock_status="low") == ["LOW-1"]
    assert skus(stock_status="over") == ["DEAD-1", "OVER-1"]
    assert skus(stock_status="normal,out") == ["IDLE-1", "NORM-1"]
    assert skus(stock_status="over", search="dead") == ["DEAD-1"]
    assert skus(stock_status="low") == ["LOW-1"]  # the per-request demand table is gone again
    assert None in salesdata.service.calls


def test_a_failing_demand_service_does_not_break_the_list(rm365_site):
    site = rm365_site(plugins=["inventory"], extra={"salesdata": BrokenSalesdata()})
    client = site.client_with_tabs("inventory")
    client.post(f"{BASE}/items", json={"sku": "A-1", "name": "A"})

    page = client.get(f"{BASE}/items")
    filtered = client.get(f"{BASE}/items", params={"stock_status": "low"})

    assert page.status_code == 200 and page.json()["items"][0]["sku"] == "A-1"
    assert "demand" not in page.json()["items"][0]
    assert filtered.status_code == 422


def test_the_python_and_sql_stock_status_rules_agree(site):
    from sqlalchemy import literal, select

    cases = list(product([0, 1, 5, 11, 12, 35, 36, 100], [0, 1, 4, 12]))
    with site.kernel.databases.session("inventory", readonly=True) as session:
        for total, demand in cases:
            sql = session.scalar(select(classify_sql(literal(total), literal(demand), 1.0, 3.0)))
            assert sql == classify(total, demand, 1.0, 3.0), (total, demand)


def test_the_service_lists_items_in_sku_order_with_filters(site, inv):
    inv.create("ZINC-15", name="Zinc 15mg", status="Active")
    inv.create("BIOTIN-5", name="Biotin 5000mcg", status="Active")
    inv.create("OLD-1", name="Old zinc", status="Discontinued (RM)")
    stock = site.kernel.services.get("inventory.stock")

    everything = stock.list_items()
    active = stock.list_items(statuses=["active"])
    zinc = stock.list_items(search="ZINC", size=1, page=2)
    chosen = stock.list_items(skus=["OLD-1", "BIOTIN-5", "NOPE"])

    assert [i["sku"] for i in everything["items"]] == ["BIOTIN-5", "OLD-1", "ZINC-15"]
    assert everything["items"][0] == {"sku": "BIOTIN-5", "name": "Biotin 5000mcg",
                                      "item_id": everything["items"][0]["item_id"], "status": "Active"}
    assert [i["sku"] for i in active["items"]] == ["BIOTIN-5", "ZINC-15"] and active["total"] == 2
    assert (zinc["total"], [i["sku"] for i in zinc["items"]]) == (2, ["ZINC-15"])
    assert [i["sku"] for i in chosen["items"]] == ["BIOTIN-5", "OLD-1"]
    assert stock.statuses()[0] == "Active"
    with pytest.raises(Invalid) as refused:
        stock.list_items(statuses=["Nope"])
    assert refused.value.fields["field"] == "status"
    with pytest.raises(Invalid):
        stock.list_items(size=0)
