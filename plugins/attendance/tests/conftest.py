"""Shared set-up for the attendance tests: a site with enrollment and attendance, a person
helper and a clocking helper."""

from __future__ import annotations

from typing import Any

import pytest

PEOPLE = "/api/v1/enrollment"
BASE = "/api/v1/attendance"


class Desk:
    """A user holding enrollment and attendance: creates people and clocks them."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def person(self, name: str = "Ada Lovelace", card: str | None = None, **fields: Any) -> dict[str, Any]:
        response = self.client.post(f"{PEOPLE}/employees", json={"name": name, "card_uid": card, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def clock(self, employee_id: int | None = None, at: str | None = None, **body: Any) -> Any:
        if employee_id is not None:
            body["employee_id"] = employee_id
        if at is not None:
            body["at"] = at
        return self.client.post(f"{BASE}/clock", json=body)

    def clocked(self, employee_id: int, at: str, **body: Any) -> dict[str, Any]:
        response = self.clock(employee_id, at, **body)
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(f"{BASE}{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def site(rm365_site: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    # The periodic job would close the fixtures' check-ins in the past while a test runs;
    # the job's own test runs it on purpose.
    monkeypatch.setenv("RM365_ATTENDANCE_OPEN_CHECKIN_CHECK_MINUTES", "0")
    return rm365_site(plugins=["enrollment", "attendance"])


@pytest.fixture
def desk(site: Any) -> Desk:
    return Desk(site.client_with_tabs("enrollment", "attendance"))
