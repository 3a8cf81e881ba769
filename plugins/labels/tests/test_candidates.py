"""Candidates and prices, without the salesdata plugin and with a stand-in registered through
the kernel's service registry (the interface salesdata offers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from rm365_core import hookimpl

BASE = "/api/v1/labels"


class FakeSales:
    """Six-month demand per region and the latest price per SKU and region."""

    def __init__(self, demand: dict[str, dict[str, int]], prices: dict[tuple[str, str], Any]) -> None:
        self.demand, self.prices = demand, prices

    def demand_for(self, skus: list[str] | None) -> dict[str, dict[str, int]]:
        return {sku: self.demand[sku] for sku in (skus or self.demand) if sku in self.demand}

    def latest_price(self, sku: str, region: str) -> Any:
        return self.prices.get((sku, region))


class SalesPlugin:
    def __init__(self, service: Any) -> None:
        self.service = service

    @hookimpl
    def register_services(self) -> dict[str, Any]:
        return {"salesdata.demand": self.service}


class BrokenSales:
    def demand_for(self, skus: list[str] | None) -> dict[str, dict[str, int]]:
        raise RuntimeError("sales database is down")

    def latest_price(self, sku: str, region: str) -> Any:
        raise RuntimeError("sales database is down")


SALES = FakeSales(
    demand={"VITC-1": {"uk": 40, "fr": 7, "nl": 5}, "ZINC-1": {"uk": 3}},
    prices={
        ("VITC-1", "uk"): Decimal("9.99"),
        ("VITC-1", "fr"): {"price": "12.50", "currency": "EUR"},
        ("ZINC-1", "uk"): 4.5,
        ("ZINC-1", "fr"): 0,  # not a positive price: FR falls back to the UK price, converted
    },
)


@pytest.fixture
def sales_labels(make_labels: Any) -> Any:
    return make_labels(extra={"salesdata": SalesPlugin(SALES)})


def _make(labels: Any) -> None:
    labels.item("ZINC-1", "Zinc Picolinate 25mg", status="Active")
    labels.item("VITC-1", "Vitamin C 1000mg", status="Active")
    labels.item("OLD-1", "Old stock", status="Discontinued (RM)")


def test_without_salesdata_prices_and_quantities_are_blank(labels: Any) -> None:
    _make(labels)
    page = labels.candidates(region="fr")
    assert [row["sku"] for row in page["items"]] == ["OLD-1", "VITC-1", "ZINC-1"]
    assert page["total"] == 3 and page["page"] == 1
    assert all(r["price"] is None and r["uk_6m"] is None and r["fr_6m"] is None for r in page["items"])
    assert labels.client.get(f"{BASE}/config").json()["sales"] is False


def test_candidates_filter_by_status_and_search_in_sku_order(labels: Any) -> None:
    _make(labels)
    assert [r["sku"] for r in labels.candidates(statuses="active")["items"]] == ["VITC-1", "ZINC-1"]
    assert [r["sku"] for r in labels.candidates(search="zinc")["items"]] == ["ZINC-1"]
    assert labels.candidates(statuses="Active", size=1, page=2)["items"][0]["sku"] == "ZINC-1"
    response = labels.client.get(f"{BASE}/candidates", params={"statuses": "Nope"})
    assert response.status_code == 422 and "unknown status 'Nope'" in response.json()["detail"]
    response = labels.client.get(f"{BASE}/candidates", params={"region": "de"})
    assert response.status_code == 422 and "unknown region" in response.json()["detail"]


def test_candidates_are_the_same_on_every_call(labels: Any) -> None:
    for i in range(30):
        labels.item(f"MAG-{i:02d}-MD", f"Magnesium {i}")
    first = [labels.candidates(size=7, page=p)["items"] for p in range(1, 6)]
    again = [labels.candidates(size=7, page=p)["items"] for p in range(1, 6)]
    assert first == again
    skus = [r["sku"] for page in first for r in page]
    assert skus == sorted(skus) and len(set(skus)) == 30


def test_with_salesdata_prices_are_in_the_region_currency_and_fr_includes_nl(sales_labels: Any) -> None:
    _make(sales_labels)
    uk = {r["sku"]: r for r in sales_labels.candidates(region="uk", statuses="Active")["items"]}
    fr = {r["sku"]: r for r in sales_labels.candidates(region="fr", statuses="Active")["items"]}
    assert (uk["VITC-1"]["price"], uk["VITC-1"]["currency"], uk["VITC-1"]["price_text"]) == ("9.99", "GBP", "£9.99")
    assert (fr["VITC-1"]["price"], fr["VITC-1"]["currency"], fr["VITC-1"]["price_text"]) == (
        "12.50",
        "EUR",
        "12,50\u00a0€",
    )
    assert fr["VITC-1"]["price_converted"] is False
    assert (uk["VITC-1"]["uk_6m"], uk["VITC-1"]["fr_6m"]) == (40, 12)
    # No positive FR price: the UK one converted with the stored rate (1.17) and marked.
    assert (fr["ZINC-1"]["price"], fr["ZINC-1"]["price_converted"]) == ("5.27", True)
    assert (fr["ZINC-1"]["uk_6m"], fr["ZINC-1"]["fr_6m"]) == (3, 0)


def test_a_job_prints_euro_prices_for_fr_and_pounds_for_uk(sales_labels: Any, pdf: Any) -> None:
    _make(sales_labels)
    fr = sales_labels.job(["VITC-1"], region="fr")
    uk = sales_labels.job(["VITC-1"], region="uk")
    assert fr["rows"][0]["price_text"] == "12,50\u00a0€" and fr["rows"][0]["fr_6m"] == 12
    fr_text = pdf.text(sales_labels.pdf(fr["id"]))[0]
    uk_text = pdf.text(sales_labels.pdf(uk["id"]))[0]
    assert "€" in fr_text and "£" not in fr_text
    assert "£9.99" in uk_text and "€" not in uk_text
    assert "UK 6m: 40" in uk_text and "FR 6m: 12" in uk_text


def test_a_failing_sales_service_leaves_labels_blank(make_labels: Any) -> None:
    labels = make_labels(extra={"salesdata": SalesPlugin(BrokenSales())})
    labels.item("E-1")
    row = labels.candidates()["items"][0]
    assert row["price"] is None and row["uk_6m"] is None
    assert labels.job(["E-1"])["rows"][0]["price_text"] == ""
