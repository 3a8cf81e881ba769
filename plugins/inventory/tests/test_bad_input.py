"""Hostile and unlucky input answers 4xx naming what is wrong, never 500 and never a
half-applied change: huge numbers, control and invisible characters, SKUs differing only in
case, odd scanner entries, oversized or UTF-16 catalogue files."""

from __future__ import annotations

import pytest

BASE = "/api/v1/inventory"
HUGE = 2**63


def upload(client, data: bytes, **params):
    return client.post(f"{BASE}/items/import", params=params, files={"file": ("export.csv", data, "text/csv")})


@pytest.mark.parametrize(
    "path", [f"{BASE}/items", f"{BASE}/adjustments", f"{BASE}/items/A-1/history"], ids=["items", "moves", "history"]
)
def test_a_page_number_past_any_real_list_is_422_not_500(inv, path):
    inv.create("A-1")

    response = inv.client.get(path, params={"page": 9223372036854775807})

    assert response.status_code == 422, response.text


def test_a_version_of_2_to_the_63_is_refused_with_4xx_in_the_header_or_the_body(inv):
    inv.create("A-1")

    header = inv.client.patch(f"{BASE}/items/A-1", json={"name": "B"}, headers={"If-Match": f'"{HUGE}"'})
    body = inv.client.patch(f"{BASE}/items/A-1", json={"name": "B", "version": HUGE})
    delete = inv.client.delete(f"{BASE}/items/A-1", headers={"If-Match": str(HUGE)})
    unicode_digit = inv.client.patch(f"{BASE}/items/A-1", json={"name": "B"}, headers={"If-Match": b'"\xb2"'})

    assert header.status_code == 400 and header.json()["field"] == "If-Match"
    assert body.status_code == 422
    assert delete.status_code == 400
    assert unicode_digit.status_code == 400
    assert inv.item("A-1")["name"] == "Item A-1"


def test_a_quantity_of_2_to_the_63_is_422(inv):
    inv.create("A-1")

    response = inv.adjust("A-1", HUGE, "Received")

    assert response.status_code == 422


def test_a_batch_entry_whose_reason_or_location_is_not_text_gets_its_own_error_and_the_rest_go_on(inv):
    inv.create("A-1", stock={"shelf_lt1": 10})

    results = inv.batch(
        [
            {"client_id": "b-1", "code": "A-1", "reason": 5},
            {"client_id": "b-2", "code": "A-1", "location": ["shelf_lt1"]},
            {"client_id": "b-3", "code": "A-1", "reason": {"name": "Pick/Pack"}},
            {"client_id": ["b-4"], "code": "A-1"},
            {"client_id": "b-5", "code": "A-1", "quantity": "2"},
            {"client_id": "b-6", "code": "A-1", "quantity": 2},
        ]
    )

    assert [r["status"] for r in results] == ["error"] * 5 + ["applied"]
    assert "reason" in results[0]["message"] and "location" in results[1]["message"]
    assert "reason" in results[2]["message"] and "client_id" in results[3]["message"]
    assert results[3]["client_id"] is None
    assert inv.item("A-1")["total"] == 8


@pytest.mark.parametrize(
    "sku",
    ["AB\u200bC", "\u202eCBA", "A\u200dB", "AB\u00adC", "A\x00B", "A\x07B", "\ufeffABC", "A\u2066B"],
    ids=["zero-width-space", "rtl-override", "zwj", "soft-hyphen", "nul", "bell", "bom", "isolate"],
)
def test_skus_with_invisible_direction_or_control_characters_are_refused(inv, sku):
    created = inv.client.post(f"{BASE}/items", json={"sku": sku, "name": "Lookalike"})
    imported = upload(inv.client, f"sku,name\n{sku},Lookalike\n".encode()).json()

    assert created.status_code == 422 and created.json()["field"] == "sku"
    assert imported["created"] == 0 and imported["errors"][0]["column"] == "sku"
    assert inv.items()["total"] == 0


@pytest.mark.parametrize("field", ["name", "notes"])
def test_control_characters_in_item_text_are_422_naming_the_field(inv, field):
    body = {"sku": "A-1", "name": "Alpha", field: "bad\x00text"}

    response = inv.client.post(f"{BASE}/items", json=body)

    assert response.status_code == 422 and response.json()["field"] == field


def test_control_characters_in_searches_codes_and_client_ids_never_answer_500(inv):
    inv.create("A-1", stock={"shelf_lt1": 2})

    search = inv.client.get(f"{BASE}/items", params={"search": "a\x00"})
    lookup = inv.client.get(f"{BASE}/items/lookup", params={"code": "A\x00-1"})
    item = inv.client.get(f"{BASE}/items/A%00-1")
    adjust = inv.adjust("A-1", 1, "Pick/Pack", client_id="c\x00")

    assert search.status_code == 422 and search.json()["field"] == "search"
    assert lookup.status_code in (404, 422) and item.status_code in (404, 422)
    assert adjust.status_code == 422 and adjust.json()["field"] == "client_id"


def test_skus_are_unique_whatever_the_case(inv):
    inv.create("VIT-1")
    inv.create("MAG-1")

    created = inv.client.post(f"{BASE}/items", json={"sku": "vit-1", "name": "Again"})
    renamed = inv.client.patch(f"{BASE}/items/MAG-1", json={"sku": "Vit-1", "version": 1})

    assert created.status_code == 409 and created.json()["field"] == "sku"
    assert created.json()["sku"] == "VIT-1"
    assert renamed.status_code == 409 and renamed.json()["field"] == "sku"
    assert [i["sku"] for i in inv.items()["items"]] == ["MAG-1", "VIT-1"]


def test_an_import_row_in_another_case_updates_the_existing_item(inv):
    inv.create("VIT-1", "Old name")

    result = upload(inv.client, b"sku,name\nvit-1,New name\nMAG-1,Magnesium\nmag-1,Magnesium again\n").json()

    assert result["created"] == 1 and result["updated"] == 1
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(4, "sku")]
    assert inv.item("VIT-1")["name"] == "New name"
    assert {i["sku"] for i in inv.items()["items"]} == {"VIT-1", "MAG-1"}


def test_a_scan_in_any_case_resolves_to_one_item_the_same_way_every_time(site, inv):
    inv.create("VIT-1", item_id="ABC-123")
    stock = site.kernel.services.get("inventory.stock")

    assert [stock.resolve(code) for code in ("vit-1", "VIT-1", "abc-123", "ABC-123", "vit-1-MD2")] == ["VIT-1"] * 5
    assert inv.adjust("abc-123", 1, "Received").json()["sku"] == "VIT-1"
    assert stock.resolve("nope") is None


def test_a_csv_cell_over_128_kib_is_refused_naming_its_row_and_column(inv):
    data = b"sku,name,description\nA-1,Alpha,short\nB-1,Beta," + b"x" * (129 * 1024) + b"\n"

    response = upload(inv.client, data)

    assert response.status_code == 422, response.text
    assert response.json()["row"] == 3 and response.json()["column"] == "description"
    assert "row 3" in response.json()["detail"] and "description" in response.json()["detail"]
    assert inv.items()["total"] == 0


def test_a_utf16_file_saved_by_excel_as_unicode_text_is_imported(inv):
    data = "sku\tname\nVIT-\u00e91\tVitamin \u00e9t\u00e9\n".encode("utf-16")  # with its byte order mark

    response = upload(inv.client, data)

    assert response.status_code == 200, response.text
    assert response.json()["created"] == 1
    assert inv.item("VIT-\u00e91")["name"] == "Vitamin \u00e9t\u00e9"


def test_a_utf16_file_without_a_byte_order_mark_is_a_clear_422(inv):
    data = "sku,name\nA-1,Alpha\n".encode("utf-16-le")

    response = upload(inv.client, data)

    assert response.status_code == 422
    assert "UTF-16" in response.json()["detail"]
