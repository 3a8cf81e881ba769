"""Shared set-up for the Magento tests: a fake Magento served over HTTP, a site with inventory
and magento pointed at it, stocked demo items, and logged-in packers and supervisors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rm365_magento.fake import FakeMagento

BASE = "/api/v1/magento"
INV = "/api/v1/inventory"
TOKEN = "integration-token"


@pytest.fixture
def magento() -> Iterator[FakeMagento]:
    with FakeMagento(token=TOKEN) as fake:
        fake.add_order("1000001", [("VIT-D3", "Vitamin D3", 2), ("OMEGA-3", "Omega 3", 1)])
        yield fake


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, magento: FakeMagento) -> Any:
    def apply(**values: Any) -> None:
        env = {"BASE_URL": magento.url, "TOKEN": TOKEN, "RETRIES": "2", "BACKOFF": "0", "TIMEOUT": "5", **values}
        for key, value in env.items():
            monkeypatch.setenv(f"RM365_MAGENTO_{key.upper()}", str(value))

    apply()
    return apply


@pytest.fixture
def site(rm365_site: Any, configure: Any) -> Any:
    site = rm365_site(plugins=["inventory", "magento"])
    stock_items(site)
    return site


def stock_items(site: Any, items: dict[str, int] | None = None) -> None:
    admin = site.admin_client()
    for sku, quantity in (items or {"VIT-D3": 10, "OMEGA-3": 5}).items():
        response = admin.post(f"{INV}/items", json={"sku": sku, "name": sku, "stock": {"shelf_lt1": quantity}})
        assert response.status_code == 201, response.text


def total(site: Any, sku: str) -> int:
    stock = site.kernel.services.get("inventory.stock")
    return int(stock.stock(sku)["total"])


@pytest.fixture
def packer(site: Any) -> Any:
    return site.client_with_tabs("magento.pickpack")


@pytest.fixture
def other_packer(site: Any) -> Any:
    return site.client_with_tabs("magento.pickpack")


@pytest.fixture
def supervisor(site: Any) -> Any:
    return site.client_with_tabs("magento", "magento.dashboard.admin")


def start(client: Any, order: str = "1000001", type_: str = "pick") -> dict[str, Any]:
    response = client.post(f"{BASE}/sessions", json={"order_number": order, "type": type_})
    assert response.status_code == 201, response.text
    return response.json()


def scan(client: Any, session_id: int, code: str, **extra: Any) -> Any:
    return client.post(f"{BASE}/sessions/{session_id}/scan", json={"code": code, **extra})


class Helpers:
    """Short-hands the tests share (pytest's importlib mode cannot import conftest)."""

    BASE = BASE
    INV = INV
    start = staticmethod(start)
    scan = staticmethod(scan)
    total = staticmethod(total)
    stock_items = staticmethod(stock_items)


@pytest.fixture
def h() -> type[Helpers]:
    return Helpers
