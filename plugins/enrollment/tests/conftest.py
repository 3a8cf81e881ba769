"""Shared set-up for the enrollment tests: a site with enrollment and attendance."""

from __future__ import annotations

from typing import Any

import pytest

BASE = "/api/v1/enrollment"


class People:
    """A logged-in client with short-hands for the enrollment API."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def create(self, name: str = "Ada Lovelace", **fields: Any) -> dict[str, Any]:
        response = self.client.post(f"{BASE}/employees", json={"name": name, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def get(self, employee_id: int) -> dict[str, Any]:
        response = self.client.get(f"{BASE}/employees/{employee_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def card(self, employee_id: int, uid: str) -> Any:
        return self.client.put(f"{BASE}/employees/{employee_id}/card", json={"uid": uid})


@pytest.fixture
def site(rm365_site: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("RM365_ATTENDANCE_OPEN_CHECKIN_CHECK_MINUTES", "0")  # no periodic job mid-test
    return rm365_site(plugins=["enrollment", "attendance"])


@pytest.fixture
def people(site: Any) -> People:
    return People(site.client_with_tabs("enrollment"))
