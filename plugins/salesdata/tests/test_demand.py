"""The condensed demand and each of its filters, on a fixture counted by hand, and the
service the inventory and labels plugins call."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

TODAY = date.today()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat() + " 12:00"


@pytest.fixture
def fixture_rows(line):
    """Hand count over the last six months in UK (statuses, variants, customers, outliers):
    VIT-1: 2 (o1) + 3 (o2, VIT-1-MD) + 1 (o3, vit-1-sd-2) = 6 before filters
           + 5 (o4 canceled) + 4 (o5 closed) + 7 (o6 fraud) never count
           + 9 (o7, 8 months ago) outside the window
    OMEGA: 1 (o1) + 50 (o8, one big line) + 2 (o9 by vip@example.com) + 3 (o10 Wholesale)
           + 2 (o11, order total 900.00)
    FISH (alias of OMEGA): 4 (o12)"""
    return [
        line("o1", ago(3), "VIT-1", 2, total="30.00"),
        line("o1", ago(3), "OMEGA", 1, total="30.00"),
        line("o2", ago(10), "VIT-1-MD", 3),
        line("o3", ago(20), "vit-1-sd-2", 1),
        line("o4", ago(5), "VIT-1", 5, status="canceled"),
        line("o5", ago(5), "VIT-1", 4, status="closed"),
        line("o6", ago(5), "VIT-1", 7, status="fraud"),
        line("o7", ago(240), "VIT-1", 9),
        line("o8", ago(15), "OMEGA", 50, total="400.00"),
        line("o9", ago(15), "OMEGA", 2, email="VIP@example.com"),
        line("o10", ago(15), "OMEGA", 3, group="Wholesale"),
        line("o11", ago(40), "OMEGA", 2, total="900.00"),
        line("o12", ago(60), "FISH", 4),
    ]


@pytest.fixture
def loaded(sales, export, fixture_rows):
    result = sales.upload("uk", export(fixture_rows))
    assert result["rows_imported"] == len(fixture_rows), result
    return sales


def test_six_months_by_default_without_cancelled_refunded_or_fraud_orders_with_variants_folded(loaded):
    assert loaded.condensed("uk") == {"VIT-1": 6, "OMEGA": 58, "FISH": 4}


def test_a_manual_alias_counts_into_its_sku(loaded):
    assert loaded.client.post("/api/v1/salesdata/aliases", json={"alias": "FISH", "sku": "OMEGA"}).status_code == 201

    assert loaded.condensed("uk") == {"VIT-1": 6, "OMEGA": 62}


def test_an_excluded_customer_is_left_out(loaded):
    response = loaded.client.post("/api/v1/salesdata/uk/exclusions", json={"kind": "email", "value": "vip@EXAMPLE.com"})
    assert response.status_code == 201

    assert loaded.condensed("uk")["OMEGA"] == 56


def test_an_excluded_customer_group_is_left_out(loaded):
    loaded.client.post("/api/v1/salesdata/uk/exclusions", json={"kind": "group", "value": "Wholesale"})

    assert loaded.condensed("uk")["OMEGA"] == 55


def test_lines_above_the_quantity_threshold_and_orders_above_the_total_threshold_are_left_out(loaded):
    response = loaded.client.put("/api/v1/salesdata/uk/thresholds", json={"max_line_qty": 20})
    assert response.status_code == 200
    assert loaded.condensed("uk")["OMEGA"] == 8

    loaded.client.put("/api/v1/salesdata/uk/thresholds", json={"max_line_qty": 20, "max_order_total": 500})
    assert loaded.condensed("uk")["OMEGA"] == 6


def test_a_line_caught_by_two_filters_is_removed_once(loaded):
    loaded.client.post("/api/v1/salesdata/uk/exclusions", json={"kind": "group", "value": "Wholesale"})
    loaded.client.post("/api/v1/salesdata/uk/exclusions", json={"kind": "email", "value": "a@example.com"})

    # every fixture line but o9 (vip) has a@example.com: OMEGA keeps only o9's 2
    assert loaded.condensed("uk") == {"OMEGA": 2}


def test_filters_set_before_an_import_apply_to_its_lines_and_lifting_them_restores_the_count(
    sales, export, fixture_rows
):
    sales.client.post("/api/v1/salesdata/uk/exclusions", json={"kind": "email", "value": "vip@example.com"})
    sales.client.put("/api/v1/salesdata/uk/thresholds", json={"max_line_qty": 20, "max_order_total": 500})

    sales.upload("uk", export(fixture_rows))
    assert sales.condensed("uk") == {"VIT-1": 6, "OMEGA": 4, "FISH": 4}

    exclusion = sales.get("/uk/exclusions")[0]
    sales.client.delete(f"/api/v1/salesdata/uk/exclusions/{exclusion['id']}")
    assert sales.condensed("uk")["OMEGA"] == 6
    sales.client.put("/api/v1/salesdata/uk/thresholds", json={})
    assert sales.condensed("uk")["OMEGA"] == 58


def test_a_removed_line_whose_order_is_cancelled_later_is_counted_once(sales, export, line):
    sales.client.put("/api/v1/salesdata/uk/thresholds", json={"max_line_qty": 10})
    sales.upload("uk", export([line("1", ago(3), "A", 50, status="processing"), line("2", ago(3), "A", 2)]))
    assert sales.condensed("uk") == {"A": 2}

    result = sales.upload("uk", export([line("1", ago(3), "A", 50, status="canceled")]))
    assert result["rows_updated"] == 1
    assert sales.condensed("uk") == {"A": 2}

    sales.client.put("/api/v1/salesdata/uk/thresholds", json={})
    assert sales.condensed("uk") == {"A": 2}


def test_days_and_since_choose_the_window(loaded):
    assert loaded.condensed("uk", days=12) == {"VIT-1": 5, "OMEGA": 1}
    assert loaded.condensed("uk", since=(TODAY - timedelta(days=300)).isoformat())["VIT-1"] == 15


def test_statuses_that_count_are_a_region_setting(rm365_site, monkeypatch, export, make_sales, fixture_rows):
    monkeypatch.setenv(
        "RM365_SALESDATA_REGIONS",
        '{"uk": {"currency": "GBP", "timezone": "Europe/London", "excluded_statuses": ["canceled"]}}',
    )
    sales = make_sales(rm365_site(plugins=["salesdata"]).client_with_tabs("salesdata"))
    sales.upload("uk", export(fixture_rows))

    assert sales.condensed("uk")["VIT-1"] == 6 + 4 + 7


def test_filter_changes_are_logged_with_who_and_when(site, make_sales):
    editor = make_sales(site.client_with_tabs("salesdata.filters", username="olga"))
    editor.client.post("/api/v1/salesdata/aliases", json={"alias": "X-OLD", "sku": "X"})
    editor.client.put("/api/v1/salesdata/uk/thresholds", json={"max_line_qty": 10})

    log = editor.get("/filters/log")["items"]

    assert [(c["username"], c["kind"]) for c in log] == [("olga", "thresholds"), ("olga", "alias")]
    assert all(c["at"] for c in log)


def test_charts_give_weekly_quantity_and_revenue_in_the_regions_currency(loaded):
    charts = loaded.get("/uk/charts")

    assert charts["currency"] == "GBP"
    assert sum(w["qty"] for w in charts["weeks"]) == 6 + 58 + 4
    assert all(date.fromisoformat(w["week"]).weekday() == 0 for w in charts["weeks"])
    assert charts["top_skus"][0]["sku"] == "OMEGA"


# -- the service other plugins call ---------------------------------------------------------------


def test_demand_for_counts_nl_into_fr_and_keeps_the_callers_spelling(site, sales, export, line):
    sales.upload("uk", export([line("1", ago(2), "VIT-1", 2)]))
    sales.upload("fr", export([line("1", ago(2), "VIT-1-MD", 3, currency="EUR")]))
    sales.upload("nl", export([line("1", ago(2), "vit-1", 4, currency="EUR")]))
    service = site.kernel.services.get("salesdata.demand")

    assert service.demand_for(["vit-1", "NONE"]) == {"vit-1": {"uk": 2, "fr": 7}}
    assert service.demand_for(None) == {"VIT-1": {"uk": 2, "fr": 7}}
    assert service.demand(["VIT-1"]) == {"VIT-1": {"uk": 2, "fr": 3, "nl": 4}}


def test_latest_price_is_the_latest_positive_price_in_the_region(site, sales, export, line):
    sales.upload(
        "uk",
        export(
            [
                line("1", ago(9), "VIT-1", price="9.99", name="Vitamin old"),
                line("2", ago(5), "VIT-1", price="8.49", name="Vitamin new"),
                line("3", ago(1), "VIT-1", price="0.00", name="Vitamin newest"),
            ]
        ),
    )
    service = site.kernel.services.get("salesdata.prices")

    price = service.latest_price("vit-1", "uk")

    assert (price["price"], price["currency"], price["name"]) == (8.49, "GBP", "Vitamin newest")
    assert service.latest_price("VIT-1", "fr") is None


def test_a_later_import_of_older_orders_leaves_the_newer_name_and_price(site, sales, export, line):
    service = site.kernel.services.get("salesdata.prices")
    sales.upload("uk", export([line("5", ago(5), "VIT-1", price="8.49", name="Vitamin new")]))
    sales.upload("uk", export([line("1", ago(20), "VIT-1", price="9.99", name="Vitamin old")]))

    assert (service.latest_price("VIT-1", "uk")["price"], service.latest_price("VIT-1", "uk")["name"]) == (
        8.49,
        "Vitamin new",
    )

    sales.upload("uk", export([line("9", ago(1), "VIT-1", price="0.00", name="Vitamin newest")]))
    price = service.latest_price("VIT-1", "uk")

    assert (price["price"], price["name"]) == (8.49, "Vitamin newest")


def test_the_inventory_pages_show_the_demand_that_matches_a_hand_count(rm365_site, export, fixture_rows, make_sales):
    site = rm365_site(plugins=["salesdata", "inventory"])
    sales = make_sales(site.client_with_tabs("salesdata"))
    sales.upload("uk", export(fixture_rows))
    inventory = site.client_with_tabs("inventory")
    for sku in ("VIT-1", "OMEGA"):
        assert inventory.post("/api/v1/inventory/items", json={"sku": sku, "name": sku}).status_code == 201

    items = {i["sku"]: i for i in inventory.get("/api/v1/inventory/items").json()["items"]}

    assert items["VIT-1"]["demand"] == {"uk": 6}
    assert items["OMEGA"]["demand"] == {"uk": 58}


def test_a_region_tab_reads_only_its_region(site, make_sales):
    fr_only = make_sales(site.client_with_tabs("salesdata.fr"))

    assert fr_only.client.get("/api/v1/salesdata/fr/condensed").status_code == 200
    assert fr_only.client.get("/api/v1/salesdata/uk/condensed").status_code == 403
    assert fr_only.client.get("/api/v1/salesdata/uk").status_code == 403
    assert fr_only.client.post("/api/v1/salesdata/aliases", json={"alias": "a", "sku": "b"}).status_code == 403
