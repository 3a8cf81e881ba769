"""The plugins that use each other's services, installed together as a site runs them: sales
imported into salesdata show up as demand in inventory's item list and as prices and 6-month
quantities on labels."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

HEADER = [
    "Order number", "Created At", "Product SKU", "Product Name", "Product Qty", "Product Price", "Status",
    "Currency", "Grand Total", "Customer Email", "Customer Full Name", "Billing Address", "Shipping Address",
    "Customer Group Code",
]  # fmt: skip


def export(rows: list[tuple[str, str, int, str, str]], days_ago: int = 10) -> bytes:
    """``rows``: (order, sku, qty, price, currency), all placed ``days_ago`` days ago."""
    when = (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for order, sku, qty, price, currency in rows:
        writer.writerow([order, when, sku, f"Item {sku}", qty, price, "complete", currency, price,
                         "a@example.com", "A Customer", "1 High St", "1 High St", "General"])  # fmt: skip
    return out.getvalue().encode()


@pytest.fixture
def client(rm365_site: Any) -> Any:
    site = rm365_site(plugins=["inventory", "salesdata", "labels"])
    return site.client_with_tabs("inventory", "salesdata", "labels")


def upload(client: Any, region: str, data: bytes) -> dict[str, Any]:
    response = client.post(f"/api/v1/salesdata/{region}/upload", files={"file": ("export.csv", data, "text/csv")})
    assert response.status_code == 200, response.text
    return response.json()


def test_sales_feed_inventory_demand_and_label_prices(client: Any) -> None:
    for sku in ("VITC-1", "ZINC-1"):
        assert client.post("/api/v1/inventory/items", json={"sku": sku, "name": f"Item {sku}"}).status_code == 201
    assert upload(client, "uk", export([("UK1", "VITC-1", 30, "9.99", "GBP"), ("UK2", "VITC-1", 10, "9.49", "GBP"),
                                        ("UK3", "ZINC-1", 3, "4.50", "GBP")]))["rows_imported"] == 3  # fmt: skip
    # The older UK price is not the latest one.
    upload(client, "uk", export([("UK0", "VITC-1", 5, "8.00", "GBP")], days_ago=40))
    upload(client, "fr", export([("FR1", "VITC-1", 7, "12.50", "EUR")]))
    upload(client, "nl", export([("NL1", "VITC-1", 5, "12.00", "EUR")]))

    items = client.get("/api/v1/inventory/items", params={"search": "VITC-1"}).json()["items"]
    assert items[0]["demand"]["uk"] == 45

    uk = {r["sku"]: r for r in client.get("/api/v1/labels/candidates", params={"region": "uk"}).json()["items"]}
    assert (uk["VITC-1"]["uk_6m"], uk["VITC-1"]["fr_6m"]) == (45, 12)  # FR counts NL too
    assert uk["VITC-1"]["currency"] == "GBP" and uk["VITC-1"]["price"] in ("9.99", "9.49")
    fr = {r["sku"]: r for r in client.get("/api/v1/labels/candidates", params={"region": "fr"}).json()["items"]}
    assert fr["VITC-1"]["currency"] == "EUR" and fr["VITC-1"]["price_converted"] is False
    assert fr["ZINC-1"]["price_converted"] is True  # only a UK price: converted and marked


def test_label_prices_convert_with_the_rate_stored_in_sales_data(client: Any) -> None:
    assert client.post("/api/v1/inventory/items", json={"sku": "ZINC-1", "name": "Zinc"}).status_code == 201
    upload(client, "uk", export([("UK3", "ZINC-1", 3, "4.00", "GBP")]))
    fr = {r["sku"]: r for r in client.get("/api/v1/labels/candidates", params={"region": "fr"}).json()["items"]}
    assert fr["ZINC-1"]["price"] == "4.68"  # no stored rate yet: the labels setting (1 GBP = 1.17 EUR)

    rate = [{"base": "EUR", "quote": "GBP", "rate": 0.8, "as_of": "2026-01-01"}]  # 1 GBP = 1.25 EUR
    assert client.put("/api/v1/salesdata/rates", json=rate).status_code == 200

    fr = {r["sku"]: r for r in client.get("/api/v1/labels/candidates", params={"region": "fr"}).json()["items"]}
    assert (fr["ZINC-1"]["price"], fr["ZINC-1"]["price_converted"]) == ("5.00", True)
