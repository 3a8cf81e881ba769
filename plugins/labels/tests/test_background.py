"""Big jobs render in a background run with progress; the PDF is kept and served."""

from __future__ import annotations

import time
from typing import Any

import pytest

from rm365_core import hookimpl

BASE = "/api/v1/labels"


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RM365_LABELS_BACKGROUND_OVER", "10")


def _wait(client: Any, job_id: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"{BASE}/jobs/{job_id}").json()
        if body["state"] != "rendering" or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_a_big_job_renders_in_the_background_and_reprints_the_same(
    small_threshold: None, labels: Any, pdf: Any
) -> None:
    labels.item("BIG-1", "Black Elderberry 600mg")
    labels.item("BIG-2", "Echinacea 1000mg")
    job = labels.job([{"sku": "BIG-1", "copies": 8}, {"sku": "BIG-2", "copies": 5}])
    assert job["label_count"] == 13 and job["run_id"] and job["room"] == f"labels.generator:job:{job['run_id']}"
    done = _wait(labels.client, job["id"])
    assert done["state"] == "ready", done
    run = labels.client.get(f"/api/v1/jobs/{job['run_id']}").json()
    assert run["state"] == "done" and run["done"] == 13 and run["total"] == 13
    data = labels.pdf(job["id"])
    assert len(pdf.sizes(data)) == 2
    assert labels.pdf(job["id"]) == data


def test_a_small_job_answers_at_once(labels: Any) -> None:
    labels.item("SMALL-1")
    job = labels.job([{"sku": "SMALL-1", "copies": 5}])
    assert job["state"] == "ready" and job["run_id"] is None


class Prices:
    def demand_for(self, skus: list[str] | None) -> dict[str, dict[str, int]]:
        return {sku: {"uk": 5, "fr": 2} for sku in skus or []}

    def latest_price(self, sku: str, region: str) -> Any:
        return {"price": 3.5, "currency": "EUR"} if region == "fr" else None


class PricesPlugin:
    @hookimpl
    def register_services(self) -> dict[str, Any]:
        return {"salesdata.prices": Prices(), "salesdata.demand": Prices()}


def test_a_big_job_gets_its_prices_in_its_background_run(small_threshold: None, make_labels: Any, pdf: Any) -> None:
    labels = make_labels(extra={"salesdata": PricesPlugin()})
    labels.item("BIGP-1", "Cranberry Extract")
    job = labels.job([{"sku": "BIGP-1", "copies": 12}], region="fr")
    assert job["state"] == "rendering"
    done = _wait(labels.client, job["id"])
    assert done["state"] == "ready", done
    row = done["rows"][0]
    assert (row["price"], row["price_text"], row["uk_6m"], row["fr_6m"]) == ("3.50", "3,50\u00a0€", 5, 2)
    assert "3,50" in pdf.text(labels.pdf(job["id"]))[0]
