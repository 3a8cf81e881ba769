"""Pick & pack sessions through the API, against the fake Magento over HTTP."""

from __future__ import annotations

import threading
from typing import Any

BASE = "/api/v1/magento"
INV = "/api/v1/inventory"


def test_start_answers_the_invoice_lines_owned_by_the_caller(h: Any, site: Any, packer: Any) -> None:
    session = h.start(packer)
    assert session["order_number"] == "1000001"
    assert session["invoice_number"] == "1000001-INV1"
    assert session["type"] == "pick" and session["status"] == "active"
    assert session["owner"] == packer.username
    assert [(li["sku"], li["qty_expected"], li["qty_scanned"]) for li in session["lines"]] == [
        ("VIT-D3", 2, 0),
        ("OMEGA-3", 1, 0),
    ]
    assert session["progress"]["expected"] == 3 and session["progress"]["scanned"] == 0


def test_a_second_start_of_the_same_invoice_names_the_session_and_its_owner(
    h: Any, site: Any, packer: Any, other_packer: Any
) -> None:
    first = h.start(packer)
    response = other_packer.post(f"{BASE}/sessions", json={"order_number": "1000001", "type": "pick"})
    assert response.status_code == 409
    body = response.json()
    assert body["session_id"] == first["id"] and body["owner"] == packer.username
    assert packer.username in body["detail"]
    assert h.start(other_packer, type_="return")["type"] == "return"


def test_two_starts_at_the_same_moment_create_one_session(h: Any, site: Any, packer: Any, other_packer: Any) -> None:
    results: list[int] = []
    barrier = threading.Barrier(2)

    def go(client: Any) -> None:
        barrier.wait()
        results.append(client.post(f"{BASE}/sessions", json={"order_number": "1000001"}).status_code)

    threads = [threading.Thread(target=go, args=(c,)) for c in (packer, other_packer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409]
    assert packer.get(f"{BASE}/sessions").json()["total"] == 1


def test_each_pick_scan_takes_stock_and_is_in_the_movement_ledger(h: Any, site: Any, packer: Any) -> None:
    session = h.start(packer)
    response = h.scan(packer, session["id"], "vit-d3")
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "ok"
    assert h.total(site, "VIT-D3") == 9
    history = site.admin_client().get(f"{INV}/adjustments", params={"sku": "VIT-D3", "reason": "Pick/Pack"}).json()
    assert history["total"] == 1
    assert history["items"][0]["source"] == "pick" and history["items"][0]["by"] == packer.username


def test_a_scan_by_barcode_counts_for_its_line(h: Any, site: Any, packer: Any) -> None:
    session = h.start(packer)
    barcode = next(li["item_id"] for li in session["lines"] if li["sku"] == "OMEGA-3")
    response = h.scan(packer, session["id"], barcode)
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "line_complete"


def test_only_the_owner_may_scan(h: Any, site: Any, packer: Any, other_packer: Any) -> None:
    session = h.start(packer)
    response = h.scan(other_packer, session["id"], "VIT-D3")
    assert response.status_code == 403
    assert packer.username in response.json()["detail"]
    assert h.total(site, "VIT-D3") == 10


def test_a_code_not_on_the_invoice_is_refused(h: Any, site: Any, packer: Any) -> None:
    session = h.start(packer)
    response = h.scan(packer, session["id"], "NOT-THERE")
    assert response.status_code == 422
    assert response.json()["outcome"] == "wrong_item"
    assert "NOT-THERE is not on invoice 1000001-INV1" in response.json()["detail"]


def test_an_over_scan_is_refused_until_a_supervisor_allows_it(h: Any, site: Any, packer: Any, supervisor: Any) -> None:
    session = h.start(packer)
    assert h.scan(packer, session["id"], "OMEGA-3").status_code == 200
    refused = h.scan(packer, session["id"], "OMEGA-3")
    assert refused.status_code == 409 and refused.json()["outcome"] == "over_scan"
    assert h.total(site, "OMEGA-3") == 4
    assert packer.post(f"{BASE}/sessions/{session['id']}/overscan", json={"allow": True}).status_code == 403
    assert supervisor.post(f"{BASE}/sessions/{session['id']}/overscan", json={"allow": True}).status_code == 200
    assert h.scan(packer, session["id"], "OMEGA-3").status_code == 200
    assert h.total(site, "OMEGA-3") == 3


def test_a_retried_scan_with_the_same_client_id_applies_once(h: Any, site: Any, packer: Any) -> None:
    session = h.start(packer)
    first = h.scan(packer, session["id"], "VIT-D3", client_id="scan-1")
    again = h.scan(packer, session["id"], "VIT-D3", client_id="scan-1")
    assert first.status_code == again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["scan"]["id"] == first.json()["scan"]["id"]
    assert h.total(site, "VIT-D3") == 9
    assert again.json()["line"]["qty_scanned"] == 1


def test_concurrent_retries_of_one_scan_apply_once(h: Any, site: Any, packer: Any) -> None:
    session = h.start(packer)
    barrier = threading.Barrier(3)
    codes: list[int] = []

    def go() -> None:
        barrier.wait()
        codes.append(h.scan(packer, session["id"], "VIT-D3", client_id="same").status_code)

    threads = [threading.Thread(target=go) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200, 200, 200]
    assert h.total(site, "VIT-D3") == 9
    assert packer.get(f"{BASE}/sessions/{session['id']}").json()["lines"][0]["qty_scanned"] == 1


def test_a_return_puts_the_stock_back(h: Any, site: Any, packer: Any) -> None:
    pick = h.start(packer)
    for code in ("VIT-D3", "VIT-D3", "OMEGA-3"):
        assert h.scan(packer, pick["id"], code).status_code == 200
    assert packer.post(f"{BASE}/sessions/{pick['id']}/complete").status_code == 200
    assert h.total(site, "VIT-D3") == 8
    returned = h.start(packer, type_="return")
    assert h.scan(packer, returned["id"], "VIT-D3", quantity=2).status_code == 200
    assert h.total(site, "VIT-D3") == 10
    history = site.admin_client().get(f"{INV}/adjustments", params={"sku": "VIT-D3", "reason": "Returned"}).json()
    assert history["total"] == 1 and history["items"][0]["source"] == "returns"


def test_cancel_restores_every_unit_the_session_moved(h: Any, site: Any, packer: Any) -> None:
    session = h.start(packer)
    h.scan(packer, session["id"], "VIT-D3", quantity=2)
    h.scan(packer, session["id"], "OMEGA-3")
    assert (h.total(site, "VIT-D3"), h.total(site, "OMEGA-3")) == (8, 4)
    response = packer.post(f"{BASE}/sessions/{session['id']}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert (h.total(site, "VIT-D3"), h.total(site, "OMEGA-3")) == (10, 5)
    again = packer.post(f"{BASE}/sessions/{session['id']}/cancel")
    assert again.status_code == 200 and h.total(site, "VIT-D3") == 10
    assert h.start(packer)["status"] == "active"  # a cancelled session no longer blocks the invoice


def test_complete_needs_every_line_unless_a_supervisor_forces_it(
    h: Any, site: Any, packer: Any, supervisor: Any
) -> None:
    session = h.start(packer)
    h.scan(packer, session["id"], "VIT-D3")
    refused = packer.post(f"{BASE}/sessions/{session['id']}/complete")
    assert refused.status_code == 409
    assert (
        packer.post(f"{BASE}/sessions/{session['id']}/complete", json={"force": True, "reason": "x"}).status_code == 403
    )
    no_reason = supervisor.post(f"{BASE}/sessions/{session['id']}/force-complete", json={"reason": ""})
    assert no_reason.status_code == 422
    forced = supervisor.post(f"{BASE}/sessions/{session['id']}/force-complete", json={"reason": "short shipped"})
    assert forced.status_code == 200 and forced.json()["status"] == "completed"
    assert [a["action"] for a in forced.json()["audit"]] == ["started", "scanned", "forced-complete"]
    again = packer.post(f"{BASE}/sessions", json={"order_number": "1000001"})
    assert again.status_code == 409 and "completed" in again.json()["detail"]


def test_release_claim_and_takeover(h: Any, site: Any, packer: Any, other_packer: Any) -> None:
    session = h.start(packer)
    sid = session["id"]
    assert other_packer.post(f"{BASE}/sessions/{sid}/claim").status_code == 409
    request = other_packer.post(f"{BASE}/sessions/{sid}/takeover-requests")
    assert request.status_code == 201
    rid = request.json()["id"]
    assert other_packer.post(f"{BASE}/sessions/{sid}/takeover-requests/{rid}/accept").status_code == 403
    declined = packer.post(f"{BASE}/sessions/{sid}/takeover-requests/{rid}/decline")
    assert declined.status_code == 200 and declined.json()["owner"] == packer.username
    rid = other_packer.post(f"{BASE}/sessions/{sid}/takeover-requests").json()["id"]
    accepted = packer.post(f"{BASE}/sessions/{sid}/takeover-requests/{rid}/accept")
    assert accepted.json()["owner"] == other_packer.username
    assert h.scan(other_packer, sid, "VIT-D3").status_code == 200
    released = other_packer.post(f"{BASE}/sessions/{sid}/release").json()
    assert released["status"] == "draft" and released["owner"] is None
    assert released["lines"][0]["qty_scanned"] == 1
    claimed = packer.post(f"{BASE}/sessions/{sid}/claim").json()
    assert claimed["owner"] == packer.username and claimed["status"] == "active"
    actions = [a["action"] for a in claimed["audit"]]
    assert actions == [
        "started",
        "takeover-requested",
        "takeover-declined",
        "takeover-requested",
        "takeover-accepted",
        "scanned",
        "released",
        "claimed",
    ]


def test_supervisor_actions_need_the_admin_tab(
    h: Any, site: Any, packer: Any, other_packer: Any, supervisor: Any
) -> None:
    sid = h.start(packer)["id"]
    h.scan(packer, sid, "VIT-D3")
    for path, body in (("force-cancel", None), ("take-over", None), ("assign", {"username": "x"})):
        assert packer.post(f"{BASE}/sessions/{sid}/{path}", json=body).status_code == 403
    viewer = site.client_with_tabs("magento.pickpack")
    assert viewer.post(f"{BASE}/sessions/{sid}/take-over").status_code == 403
    assert viewer.get(f"{BASE}/sessions/{sid}").status_code == 200
    # Watching every session (the dashboard, or the whole magento tab) is not supervising them.
    for watcher in (site.client_with_tabs("magento.dashboard"), site.client_with_tabs("magento")):
        assert watcher.get(f"{BASE}/sessions/{sid}").status_code == 200
        assert watcher.post(f"{BASE}/sessions/{sid}/force-cancel").status_code == 403
        assert "magento.dashboard.admin" not in watcher.get("/api/v1/auth/me").json()["allowed_tabs"]
    assigned = supervisor.post(f"{BASE}/sessions/{sid}/assign", json={"username": other_packer.username})
    assert assigned.json()["owner"] == other_packer.username
    taken = supervisor.post(f"{BASE}/sessions/{sid}/take-over").json()
    assert taken["owner"] == supervisor.username
    cancelled = supervisor.post(f"{BASE}/sessions/{sid}/force-cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert h.total(site, "VIT-D3") == 10


def test_the_owner_cannot_cancel_someone_elses_session(h: Any, site: Any, packer: Any, other_packer: Any) -> None:
    sid = h.start(packer)["id"]
    assert other_packer.post(f"{BASE}/sessions/{sid}/cancel").status_code == 403


def test_list_filters_by_status_and_user(h: Any, site: Any, packer: Any, other_packer: Any, magento: Any) -> None:
    magento.add_order("1000002", [("VIT-D3", "Vitamin D3", 1)])
    h.start(packer)
    mine = h.start(other_packer, "1000002")
    page = packer.get(f"{BASE}/sessions", params={"status": "open", "user": other_packer.username}).json()
    assert page["total"] == 1 and page["items"][0]["id"] == mine["id"]
    assert set(page) >= {"items", "total", "page", "size"}
    assert packer.get(f"{BASE}/sessions", params={"status": "completed"}).json()["total"] == 0


def test_unknown_session_is_404(h: Any, site: Any, packer: Any) -> None:
    assert packer.get(f"{BASE}/sessions/999").status_code == 404
    assert h.scan(packer, 99999999999, "X").status_code == 404


def test_cancelling_a_return_takes_back_what_it_added(h: Any, site: Any, packer: Any) -> None:
    session = h.start(packer, type_="return")
    assert h.scan(packer, session["id"], "OMEGA-3").status_code == 200
    assert h.total(site, "OMEGA-3") == 6
    assert packer.post(f"{BASE}/sessions/{session['id']}/cancel").status_code == 200
    assert h.total(site, "OMEGA-3") == 5
    history = site.admin_client().get(f"{INV}/adjustments", params={"sku": "OMEGA-3", "reason": "Correction"}).json()
    assert history["items"][0]["delta"] == -1 and history["items"][0]["source"] == "pick"


def test_a_scan_of_an_item_out_of_stock_changes_nothing(h: Any, site: Any, packer: Any, magento: Any) -> None:
    magento.add_order("1000005", [("OMEGA-3", "Omega 3", 9)])
    session = h.start(packer, "1000005")
    refused = h.scan(packer, session["id"], "OMEGA-3", quantity=6)
    assert refused.status_code == 409
    assert packer.get(f"{BASE}/sessions/{session['id']}").json()["lines"][0]["qty_scanned"] == 0
    assert h.total(site, "OMEGA-3") == 5


def test_every_action_is_in_the_audit_log_with_who_did_it(h: Any, site: Any, packer: Any, supervisor: Any) -> None:
    sid = h.start(packer)["id"]
    h.scan(packer, sid, "VIT-D3", quantity=2)
    supervisor.post(f"{BASE}/sessions/{sid}/overscan", json={"allow": True})
    packer.post(f"{BASE}/sessions/{sid}/cancel")
    audit = packer.get(f"{BASE}/sessions/{sid}").json()["audit"]
    assert [(a["action"], a["username"]) for a in audit] == [
        ("started", packer.username),
        ("scanned", packer.username),
        ("overscan-allowed", supervisor.username),
        ("cancelled", packer.username),
        ("restored", packer.username),
    ]
    assert audit[1]["detail"]["sku"] == "VIT-D3" and audit[1]["detail"]["quantity"] == 2
