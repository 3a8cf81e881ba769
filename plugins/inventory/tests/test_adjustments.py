"""Adjustments: automatic order, refusals that change nothing, signs by reason, cleaned codes,
scanner batches applied once, history and summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

BASE = "/api/v1/inventory"


def stocked(inv, sku="VITD3-120", **stock):
    return inv.create(sku, stock=stock or {"shelf_lt1": 3, "shelf_gt1": 4, "top_floor": 10})


def test_auto_removal_takes_from_the_locations_in_order(inv):
    stocked(inv)

    response = inv.adjust("VITD3-120", 5, "Pick/Pack")

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["movements"] == [
        {"location": "shelf_lt1", "delta": -3, "quantity_after": 0},
        {"location": "shelf_gt1", "delta": -2, "quantity_after": 2},
    ]
    assert body["total_after"] == 12
    assert body["sku"] == "VITD3-120" and isinstance(body["id"], int)
    assert inv.item("VITD3-120")["stock"] == {"shelf_lt1": 0, "shelf_gt1": 2, "top_floor": 10}


def test_removing_more_than_the_total_is_409_with_the_breakdown_and_changes_nothing(inv):
    stocked(inv)
    before = inv.history(sku="VITD3-120")["total"]

    response = inv.adjust("VITD3-120", 18, "Damaged")

    assert response.status_code == 409
    detail = response.json()
    assert detail["stock"] == {"shelf_lt1": 3, "shelf_gt1": 4, "top_floor": 10}
    assert detail["total"] == 17 and detail["requested"] == 18
    assert "nothing was changed" in detail["detail"]
    assert inv.item("VITD3-120")["total"] == 17
    assert inv.history(sku="VITD3-120")["total"] == before


def test_a_specific_location_must_hold_enough_itself(inv):
    stocked(inv)

    short = inv.adjust("VITD3-120", 4, "Pick/Pack", location="shelf_lt1")
    enough = inv.adjust("VITD3-120", 4, "Pick/Pack", location="top_floor")

    assert short.status_code == 409
    assert short.json()["location"] == "shelf_lt1"
    assert enough.status_code == 201
    assert enough.json()["movements"] == [{"location": "top_floor", "delta": -4, "quantity_after": 6}]


def test_auto_addition_goes_to_the_first_location_and_a_named_one_there(inv):
    stocked(inv)

    auto = inv.adjust("VITD3-120", 6, "Received")
    named = inv.adjust("VITD3-120", 2, "Returned", location="top_floor")

    assert auto.json()["movements"] == [{"location": "shelf_lt1", "delta": 6, "quantity_after": 9}]
    assert named.json()["movements"] == [{"location": "top_floor", "delta": 2, "quantity_after": 12}]


@pytest.mark.parametrize(
    ("quantity", "reason", "delta"),
    [
        (2, "Pick/Pack", -2),
        (-2, "Pick/Pack", -2),
        (2, "Lost", -2),
        (3, "Received", 3),
        (3, "Found", 3),
        (-1, "Correction", -1),
        (1, "correction", 1),
    ],
)
def test_the_reason_sets_the_sign(inv, quantity, reason, delta):
    stocked(inv)

    response = inv.adjust("VITD3-120", quantity, reason)

    assert response.status_code == 201, response.text
    assert sum(m["delta"] for m in response.json()["movements"]) == delta


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": -3, "reason": "Received"}, "quantity"),
        ({"quantity": 0, "reason": "Correction"}, "quantity"),
        ({"quantity": 1, "reason": "Stolen"}, "reason"),
        ({"quantity": 1, "reason": "Found", "location": "garage"}, "location"),
    ],
)
def test_contradictory_or_unknown_values_are_422(inv, body, field):
    stocked(inv)

    response = inv.client.post(f"{BASE}/adjustments", json={"code": "VITD3-120", **body})

    assert response.status_code == 422
    assert response.json()["field"] == field


def test_codes_are_cleaned_and_match_sku_barcode_case_and_variants(inv):
    created = stocked(inv)

    assert inv.adjust(" VITD3-120\t\n", 1, "Pick/Pack").status_code == 201
    assert inv.adjust(f"\t{created['item_id']} ", 1, "Pick/Pack").status_code == 201
    assert inv.adjust("vitd3-120", 1, "Pick/Pack").status_code == 201
    assert inv.adjust("VITD3-120-MD60", 1, "Pick/Pack").json()["sku"] == "VITD3-120"
    assert inv.item("VITD3-120")["total"] == 13


def test_an_unknown_code_is_404(inv):
    response = inv.adjust("NOPE-1", 1, "Received")

    assert response.status_code == 404
    assert "NOPE-1" in response.json()["detail"]


def test_each_adjustment_records_who_when_why_and_where_from(inv, site):
    stocked(inv)
    inv.adjust("VITD3-120", 5, "Pick/Pack", client_id="hand-1-0001", note="order 1001")

    moves = inv.history(sku="VITD3-120", reason="Pick/Pack")["items"]

    assert len(moves) == 2
    for move in moves:
        assert move["by"] == inv.client.username
        assert move["reason"] == "Pick/Pack" and move["source"] == "ui"
        assert move["client_id"] == "hand-1-0001" and move["note"] == "order 1001"
        assert datetime.fromisoformat(move["created_at"]) > datetime.now(UTC) - timedelta(minutes=1)


def test_posting_the_same_client_id_again_changes_nothing_and_returns_the_original(inv):
    stocked(inv)
    first = inv.adjust("VITD3-120", 2, "Pick/Pack", client_id="c-1")
    again = inv.adjust("VITD3-120", 2, "Pick/Pack", client_id="c-1")

    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["id"] == first.json()["id"]
    assert again.json()["movements"] == first.json()["movements"]
    assert again.json()["total_after"] == first.json()["total_after"] == 15
    assert inv.item("VITD3-120")["total"] == 15


def test_a_refused_adjustment_does_not_use_up_its_client_id(inv):
    stocked(inv, shelf_lt1=1)
    assert inv.adjust("VITD3-120", 2, "Pick/Pack", client_id="c-2").status_code == 409
    inv.adjust("VITD3-120", 5, "Received")

    assert inv.adjust("VITD3-120", 2, "Pick/Pack", client_id="c-2").status_code == 201


def test_a_scanner_batch_sent_three_times_is_applied_once(inv):
    stocked(inv)
    batch = [
        {"client_id": "scan-1", "code": "VITD3-120"},
        {"client_id": "scan-2", "code": "VITD3-120", "quantity": 2},
        {"client_id": "scan-3", "code": "VITD3-120", "quantity": 4, "reason": "Received", "location": "top_floor"},
    ]

    results = [inv.batch(batch) for _ in range(3)]

    assert [r["status"] for r in results[0]] == ["applied", "applied", "applied"]
    assert [r["status"] for r in results[1]] == ["duplicate"] * 3
    assert [r["status"] for r in results[2]] == ["duplicate"] * 3
    assert inv.item("VITD3-120")["total"] == 17 - 1 - 2 + 4
    assert inv.history(sku="VITD3-120", source="scanner")["total"] == 3
    assert results[2][0]["adjustment"]["id"] == results[0][0]["adjustment"]["id"]


def test_bad_batch_entries_answer_error_without_stopping_the_others(inv):
    stocked(inv, shelf_lt1=1)

    results = inv.batch(
        [
            {"client_id": "e-1", "code": "NOPE"},
            {"code": "VITD3-120"},
            {"client_id": "e-3", "code": "VITD3-120", "quantity": 5},
            {"client_id": "e-4", "code": "VITD3-120", "reason": "Stolen"},
            "not an entry",
            {"client_id": "e-6", "code": "  VITD3-120 "},
        ]
    )

    assert [r["status"] for r in results] == ["error", "error", "error", "error", "error", "applied"]
    assert "NOPE" in results[0]["message"]
    assert "client_id" in results[1]["message"]
    assert results[2]["stock"] == {"shelf_lt1": 1, "shelf_gt1": 0, "top_floor": 0}
    assert inv.item("VITD3-120")["total"] == 0


def test_a_batch_must_be_a_list_and_not_too_long(inv, site):
    assert inv.client.post(f"{BASE}/update/batch", json={"client_id": "x"}).status_code == 422
    too_many = [{"client_id": str(n), "code": "X"} for n in range(501)]
    response = inv.client.post(f"{BASE}/update/batch", json=too_many)
    assert response.status_code == 422
    assert "500" in response.json()["detail"]


def test_history_filters_by_user_reason_and_time_and_pages(inv, site):
    stocked(inv)
    other = site.client_with_tabs("inventory.adjustments")
    other.post(f"{BASE}/adjustments", json={"code": "VITD3-120", "quantity": 1, "reason": "Damaged"})
    inv.adjust("VITD3-120", 1, "Lost")

    by_other = inv.history(user=other.username)["items"]
    lost = inv.history(reason="lost")["items"]
    future = inv.history(**{"from": (datetime.now(UTC) + timedelta(hours=1)).isoformat()})
    paged = inv.history(size=2, page=2)

    assert [m["reason"] for m in by_other] == ["Damaged"]
    assert [m["by"] for m in lost] == [inv.client.username]
    assert future["total"] == 0
    assert paged["total"] == 5 and len(paged["items"]) == 2


def test_item_history_lists_newest_first_and_404s_for_unknown_items(inv):
    stocked(inv)
    inv.adjust("VITD3-120", 1, "Pick/Pack")

    history = inv.client.get(f"{BASE}/items/VITD3-120/history").json()

    assert history["items"][0]["reason"] == "Pick/Pack"
    assert inv.client.get(f"{BASE}/items/NOPE/history").status_code == 404


def test_summary_counts_per_day_and_reason(inv):
    stocked(inv)
    inv.adjust("VITD3-120", 5, "Pick/Pack")
    inv.adjust("VITD3-120", 1, "Pick/Pack")
    inv.adjust("VITD3-120", 2, "Received")

    summary = inv.client.get(f"{BASE}/adjustments/summary").json()

    today = datetime.now(UTC).date().isoformat()
    rows = {(r["day"], r["reason"]): r for r in summary["days"]}
    assert rows[(today, "Pick/Pack")] == {
        "day": today,
        "reason": "Pick/Pack",
        "adjustments": 2,
        "added": 0,
        "removed": 6,
        "net": -6,
    }
    assert rows[(today, "Received")]["added"] == 2
    assert summary["reasons"]["Correction"]["added"] == 17


def test_stock_never_goes_negative_even_when_asked_through_the_service(site, inv):
    stocked(inv, shelf_lt1=2)
    service = site.kernel.services.get("inventory.stock")
    from rm365_inventory.errors import InsufficientStock

    with pytest.raises(InsufficientStock):
        service.adjust("VITD3-120", -3, "Correction", user="tester")
    assert inv.item("VITD3-120")["total"] == 2
