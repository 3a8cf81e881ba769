"""Shared set-up for the inventory tests: a site with the plugin, logged-in clients, helpers."""

from __future__ import annotations

from typing import Any

import pytest

BASE = "/api/v1/inventory"


class Inventory:
    """A logged-in client with short-hands for the inventory API (responses are asserted)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def create(self, sku: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
        response = self.client.post(f"{BASE}/items", json={"sku": sku, "name": name or f"Item {sku}", **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def item(self, sku: str) -> dict[str, Any]:
        response = self.client.get(f"{BASE}/items/{sku}")
        assert response.status_code == 200, response.text
        return response.json()

    def adjust(self, code: str, quantity: int, reason: str, location: str = "auto", **extra: Any) -> Any:
        return self.client.post(
            f"{BASE}/adjustments",
            json={"code": code, "quantity": quantity, "reason": reason, "location": location, **extra},
        )

    def items(self, **params: Any) -> dict[str, Any]:
        response = self.client.get(f"{BASE}/items", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def history(self, **params: Any) -> dict[str, Any]:
        response = self.client.get(f"{BASE}/adjustments", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def batch(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = self.client.post(f"{BASE}/update/batch", json=entries)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def site(rm365_site: Any) -> Any:
    return rm365_site(plugins=["inventory"])


@pytest.fixture
def inv(site: Any) -> Inventory:
    """A user holding the whole inventory tab (management and adjustments)."""
    return Inventory(site.client_with_tabs("inventory"))


@pytest.fixture
def as_user() -> Any:
    return Inventory
