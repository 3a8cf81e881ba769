"""Items: creation, barcodes derived from the SKU, the list (search, filters, sort, paging in
SQL), edits guarded by If-Match, deletion."""

from __future__ import annotations

import re

import pytest
from rm365_inventory.codes import derive_item_id

BASE = "/api/v1/inventory"


def test_creating_an_item_answers_201_with_zero_stock_everywhere(inv):
    response = inv.client.post(f"{BASE}/items", json={"sku": "VITC-60", "name": "Vitamin C 1000mg, 60 tablets"})

    assert response.status_code == 201
    item = response.json()
    assert item["sku"] == "VITC-60"
    assert item["status"] == "Active"
    assert item["stock"] == {"shelf_lt1": 0, "shelf_gt1": 0, "top_floor": 0}
    assert item["total"] == 0
    assert item["version"] == 1
    assert item["expiry"] == {"top_floor": None}
    assert response.headers["etag"] == '"1"'


def test_item_id_is_derived_from_the_sku_exactly_as_stored_like_the_printed_labels(inv):
    first = inv.create("ZINC-120")["item_id"]

    # 700000000000000000 + int(sha256(sku.encode("utf-8")).hexdigest(), 16) % 10**17
    assert first == "755657731878449775"
    assert derive_item_id("ZINC-120") == first
    assert derive_item_id("zinc-120") == "754066890377308358"  # the SKU as stored, case included
    assert re.fullmatch(r"7\d{17}", derive_item_id("ZINC-365"))


def test_item_id_can_be_given_and_edited(inv):
    created = inv.create("B12-60", item_id="5012345678900")
    assert created["item_id"] == "5012345678900"

    response = inv.client.patch(
        f"{BASE}/items/B12-60", json={"item_id": "700000000000000001"}, headers={"If-Match": '"1"'}
    )

    assert response.status_code == 200, response.text
    assert response.json()["item_id"] == "700000000000000001"
    assert inv.client.get(f"{BASE}/items/lookup", params={"code": "700000000000000001"}).json()["sku"] == "B12-60"


def test_a_duplicate_sku_or_barcode_is_refused_with_409(inv):
    inv.create("MAG-90", item_id="123")

    same_sku = inv.client.post(f"{BASE}/items", json={"sku": "MAG-90", "name": "Again"})
    same_barcode = inv.client.post(f"{BASE}/items", json={"sku": "MAG-180", "name": "Other", "item_id": "123"})

    assert same_sku.status_code == 409
    assert "MAG-90" in same_sku.json()["detail"]
    assert same_barcode.status_code == 409
    assert same_barcode.json()["field"] == "item_id"


def test_editing_a_barcode_or_sku_into_another_items_is_409_naming_the_field(inv):
    inv.create("A-1", item_id="111")
    inv.create("B-1", item_id="222")

    barcode = inv.client.patch(f"{BASE}/items/B-1", json={"item_id": "111", "version": 1})
    sku = inv.client.patch(f"{BASE}/items/B-1", json={"sku": "A-1", "version": 1})

    assert barcode.status_code == 409 and barcode.json()["field"] == "item_id"
    assert sku.status_code == 409 and sku.json()["field"] == "sku"
    assert inv.item("B-1")["version"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sku": "A B", "name": "x"}, "sku"),
        ({"sku": "OK-1", "name": "x", "status": "Sold out"}, "status"),
        ({"sku": "OK-1", "name": "x", "stock": {"basement": 3}}, "stock"),
        ({"sku": "OK-1", "name": "x", "stock": {"shelf_lt1": -1}}, "stock"),
        ({"sku": "OK-1", "name": "x", "item_id": "has space"}, "item_id"),
    ],
)
def test_invalid_items_are_refused_with_422_naming_the_field(inv, body, field):
    response = inv.client.post(f"{BASE}/items", json=body)

    assert response.status_code == 422
    assert response.json()["field"] == field


def test_status_is_one_of_the_configured_statuses_whatever_the_case(inv):
    item = inv.create("EPO-90", status="discontinued (supplier)")

    assert item["status"] == "Discontinued (Supplier)"


def test_get_unknown_item_is_404(inv):
    response = inv.client.get(f"{BASE}/items/NOPE")

    assert response.status_code == 404
    assert "NOPE" in response.json()["detail"]


def seed_list(inv):
    inv.create("OMEGA3-90", "Omega-3 Fish Oil 1000mg, 90 softgels", stock={"shelf_lt1": 5})
    inv.create("OMEGA3-180", "Omega-3 Fish Oil 1000mg, 180 softgels", stock={"shelf_gt1": 40})
    inv.create("KRILL-60", "Antarctic Krill Oil, 60 softgels", status="Pre Order")
    inv.create("ZINC-120", "Zinc Picolinate 25mg, 120 tablets", stock={"top_floor": 12}, status="Temporarily OOS")
    inv.create(
        "VITD3-365",
        "Vitamin D3 1000 IU, 365 tablets",
        item_id="700000000000000042",
        stock={"shelf_lt1": 2, "top_floor": 1},
    )


def test_list_searches_sku_name_and_barcode_case_insensitively(inv):
    seed_list(inv)

    assert [i["sku"] for i in inv.items(search="omega")["items"]] == ["OMEGA3-180", "OMEGA3-90"]
    assert [i["sku"] for i in inv.items(search="krill oil")["items"]] == ["KRILL-60"]
    assert [i["sku"] for i in inv.items(search="0000042")["items"]] == ["VITD3-365"]
    assert inv.items(search="zz-nothing")["total"] == 0


def test_search_treats_like_wildcards_as_plain_text(inv):
    seed_list(inv)
    inv.create("PCT-1", "100% Pure Aloe")

    assert [i["sku"] for i in inv.items(search="100%")["items"]] == ["PCT-1"]
    assert inv.items(search="_")["total"] == 0


def test_list_filters_by_status_and_stock_status(inv):
    seed_list(inv)

    assert [i["sku"] for i in inv.items(status="Pre Order")["items"]] == ["KRILL-60"]
    assert {i["sku"] for i in inv.items(status="Pre Order,temporarily oos")["items"]} == {"KRILL-60", "ZINC-120"}
    assert [i["sku"] for i in inv.items(stock_status="out")["items"]] == ["KRILL-60"]
    assert inv.items(stock_status="in_stock")["total"] == 4


def test_list_without_demand_refuses_demand_statuses(inv):
    response = inv.client.get(f"{BASE}/items", params={"stock_status": "low"})

    assert response.status_code == 422
    assert "salesdata" in response.json()["detail"]


def test_list_sorts_by_total_and_by_location_both_ways(inv):
    seed_list(inv)

    assert [i["sku"] for i in inv.items(sort="-total")["items"]] == [
        "OMEGA3-180",
        "ZINC-120",
        "OMEGA3-90",
        "VITD3-365",
        "KRILL-60",
    ]
    assert [i["sku"] for i in inv.items(sort="top_floor")["items"]][-2:] == ["VITD3-365", "ZINC-120"]
    assert [i["sku"] for i in inv.items(sort="-name")["items"]][0] == "ZINC-120"


def test_list_pages_in_sql_and_reports_the_total(inv):
    for n in range(23):
        inv.create(f"SKU-{n:02d}")

    first = inv.items(size=10, page=1)
    last = inv.items(size=10, page=3)

    assert first["total"] == 23 and first["pages"] == 3
    assert [i["sku"] for i in first["items"]] == [f"SKU-{n:02d}" for n in range(10)]
    assert [i["sku"] for i in last["items"]] == ["SKU-20", "SKU-21", "SKU-22"]
    assert inv.items(size=10, page=4)["items"] == []


def test_list_refuses_unknown_sort_and_oversized_pages(inv):
    assert inv.client.get(f"{BASE}/items", params={"sort": "price"}).status_code == 422
    assert inv.client.get(f"{BASE}/items", params={"size": 5000}).status_code == 422


def test_patch_without_version_is_428(inv):
    inv.create("COQ10-60")

    response = inv.client.patch(f"{BASE}/items/COQ10-60", json={"name": "CoQ10 100mg"})

    assert response.status_code == 428


def test_patch_with_stale_version_is_412_with_the_current_item(inv):
    inv.create("COQ10-60", "CoQ10")
    ok = inv.client.patch(f"{BASE}/items/COQ10-60", json={"name": "CoQ10 100mg"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json()["version"] == 2

    stale = inv.client.patch(f"{BASE}/items/COQ10-60", json={"name": "CoQ10 200mg"}, headers={"If-Match": '"1"'})

    assert stale.status_code == 412
    current = stale.json()["item"]
    assert current["name"] == "CoQ10 100mg" and current["version"] == 2
    assert inv.item("COQ10-60")["name"] == "CoQ10 100mg"


def test_patch_accepts_the_version_in_the_body_and_weak_etags(inv):
    inv.create("ACV-60")

    body = inv.client.patch(f"{BASE}/items/ACV-60", json={"notes": "bottom shelf", "version": 1})
    weak = inv.client.patch(f"{BASE}/items/ACV-60", json={"status": "Special Offer"}, headers={"If-Match": 'W/"2"'})

    assert body.status_code == 200 and weak.status_code == 200
    assert weak.json()["notes"] == "bottom shelf" and weak.json()["status"] == "Special Offer"
    assert weak.headers["etag"] == '"3"'


def test_a_stock_change_makes_an_open_edit_stale(inv):
    inv.create("MSM-120", stock={"shelf_lt1": 10})
    assert inv.adjust("MSM-120", 1, "Pick/Pack").status_code == 201

    response = inv.client.patch(f"{BASE}/items/MSM-120", json={"stock": {"shelf_lt1": 20}}, headers={"If-Match": '"1"'})

    assert response.status_code == 412
    assert response.json()["item"]["stock"]["shelf_lt1"] == 9


def test_setting_a_quantity_records_the_difference_as_a_correction(inv):
    inv.create("MSM-120", stock={"shelf_lt1": 10})

    response = inv.client.patch(
        f"{BASE}/items/MSM-120",
        json={"stock": {"shelf_lt1": 7, "top_floor": 4}, "expiry": {"top_floor": "2027-05-31"}},
        headers={"If-Match": '"1"'},
    )

    assert response.status_code == 200, response.text
    assert response.json()["stock"] == {"shelf_lt1": 7, "shelf_gt1": 0, "top_floor": 4}
    assert response.json()["expiry"] == {"top_floor": "2027-05-31"}
    moves = inv.history(sku="MSM-120")["items"]
    assert [(m["location"], m["delta"], m["quantity_after"], m["reason"]) for m in moves[:2]] == [
        ("top_floor", 4, 4, "Correction"),
        ("shelf_lt1", -3, 7, "Correction"),
    ]


def test_renaming_a_sku_keeps_its_history(inv):
    inv.create("OLD-1", stock={"shelf_lt1": 3})

    response = inv.client.patch(f"{BASE}/items/OLD-1", json={"sku": "NEW-1"}, headers={"If-Match": '"1"'})

    assert response.status_code == 200
    assert inv.client.get(f"{BASE}/items/OLD-1").status_code == 404
    assert inv.history(sku="NEW-1")["total"] == 1


def test_an_item_holding_stock_is_not_deleted_without_force(inv):
    inv.create("GONE-1", stock={"shelf_gt1": 2})

    refused = inv.client.delete(f"{BASE}/items/GONE-1")
    forced = inv.client.delete(f"{BASE}/items/GONE-1", params={"force": "true"})

    assert refused.status_code == 409
    assert forced.status_code == 204
    assert inv.client.get(f"{BASE}/items/GONE-1").status_code == 404
    assert inv.history(sku="GONE-1")["total"] == 1  # the history stays


def test_delete_with_a_stale_if_match_is_412(inv):
    inv.create("GONE-2")
    inv.client.patch(f"{BASE}/items/GONE-2", json={"name": "x"}, headers={"If-Match": '"1"'})

    assert inv.client.delete(f"{BASE}/items/GONE-2", headers={"If-Match": '"1"'}).status_code == 412
    assert inv.client.delete(f"{BASE}/items/GONE-2", headers={"If-Match": '"2"'}).status_code == 204


def test_config_lists_locations_statuses_and_reasons(inv):
    config = inv.client.get(f"{BASE}/config").json()

    assert [loc["id"] for loc in config["locations"]] == ["shelf_lt1", "shelf_gt1", "top_floor"]
    assert config["locations"][2]["expiry"] is True
    assert {"name": "Pick/Pack", "sign": "out"} in config["reasons"]
    assert config["demand"] is False and "low" not in config["stock_statuses"]
