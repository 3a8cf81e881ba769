"""Shared set-up for the salesdata tests: a site with the plugin, clients, an export builder."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

BASE = "/api/v1/salesdata"
HEADER = [
    "Order number",
    "Created At",
    "Product SKU",
    "Product Name",
    "Product Qty",
    "Product Price",
    "Status",
    "Currency",
    "Grand Total",
    "Customer Email",
    "Customer Full Name",
    "Billing Address",
    "Shipping Address",
    "Customer Group Code",
]


def line(
    order: str,
    created: str,
    sku: str,
    qty: Any = 1,
    price: Any = "10.00",
    status: str = "complete",
    currency: str = "GBP",
    total: Any = "20.00",
    email: str = "a@example.com",
    group: str = "General",
    name: str | None = None,
) -> list[str]:
    return [
        order,
        created,
        sku,
        name or f"Item {sku}",
        str(qty),
        str(price),
        status,
        currency,
        str(total),
        email,
        "A Customer",
        "1 High St, Town",
        "1 High St, Town",
        group,
    ]


def export(rows: list[list[str]], header: list[str] | None = None, delimiter: str = ",", bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    data = out.getvalue().encode()
    return b"\xef\xbb\xbf" + data if bom else data


class Sales:
    """A client with short-hands for the salesdata API."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def upload(self, region: str, data: bytes, *, dry_run: bool = False, expect: int = 200, **params: Any) -> Any:
        response = self.client.post(
            f"{BASE}/{region}/upload",
            params={"dry_run": dry_run, **params},
            files={"file": ("export.csv", data, "text/csv")},
        )
        assert response.status_code == expect, response.text
        return response.json()

    def get(self, path: str, expect: int = 200, **params: Any) -> Any:
        response = self.client.get(f"{BASE}{path}", params=params)
        assert response.status_code == expect, response.text
        return response.json()

    def condensed(self, region: str, **params: Any) -> dict[str, int]:
        body = self.get(f"/{region}/condensed", size=500, **params)
        return {item["sku"]: item["total_qty"] for item in body["items"]}


@pytest.fixture
def site(rm365_site: Any) -> Any:
    return rm365_site(plugins=["salesdata"])


@pytest.fixture
def sales(site: Any) -> Sales:
    return Sales(site.client_with_tabs("salesdata"))


@pytest.fixture(name="line")
def line_fixture() -> Any:
    """``line(order, created, sku, qty=1, ...)``: one export row."""
    return line


@pytest.fixture(name="export")
def export_fixture() -> Any:
    """``export(rows, header=None, delimiter=",", bom=False)``: the export file's bytes."""
    return export


@pytest.fixture(name="header")
def header_fixture() -> list[str]:
    return list(HEADER)


@pytest.fixture
def make_sales() -> Any:
    """``make_sales(client)``: the short-hands around another client."""
    return Sales
