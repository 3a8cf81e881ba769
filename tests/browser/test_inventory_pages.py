"""The inventory pages in Chromium against a real server: the Management grid shared live by
two people (presence, in-place updates, version conflicts) and the scanner-first Adjustments
page (concurrent removals, unknown codes, not enough stock), plus who may open which page.

Items and stock are made through the REST API; what is asserted is what a user sees, then
checked against the API."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
INV = "/api/v1/inventory"


def expect(locator):  # noqa: ANN001, ANN201 - a thin alias keeps the tests readable
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


# -- helpers ------------------------------------------------------------------------------
def new_sku(prefix: str = "BT") -> str:
    """A SKU no other test uses (the server is shared by the whole session)."""
    return f"{prefix}-{secrets.token_hex(4).upper()}"


def create_item(live_server, sku: str, name: str, stock: dict[str, int]) -> dict[str, Any]:  # noqa: ANN001
    with live_server.admin() as client:
        response = client.post(f"{INV}/items", json={"sku": sku, "name": name, "stock": stock})
    assert response.status_code == 201, response.text
    return response.json()


def get_item(live_server, sku: str) -> dict[str, Any]:  # noqa: ANN001
    with live_server.admin() as client:
        response = client.get(f"{INV}/items/{sku}")
    assert response.status_code == 200, response.text
    return response.json()


def movements(live_server, sku: str) -> list[dict[str, Any]]:  # noqa: ANN001
    with live_server.admin() as client:
        response = client.get(f"{INV}/adjustments", params={"sku": sku, "size": 500})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def open_tab(page, tab: str, query: str = "") -> None:  # noqa: ANN001
    """Navigates the signed-in shell to a tab, the way a typed URL or a link does."""
    page.evaluate("hash => { location.hash = hash }", f"#/{tab}{'?' + query if query else ''}")


def avatar(page, username: str):  # noqa: ANN001, ANN201
    return page.locator(f'[data-testid="presence-avatar"][data-username="{username}"]')


def row(page, sku: str):  # noqa: ANN001, ANN201
    return page.get_by_test_id("inv-grid").locator(f'tbody tr[data-sku="{sku}"]')


def cell(page, sku: str, col: str):  # noqa: ANN001, ANN201
    return row(page, sku).locator(f'td[data-col="{col}"]')


def open_management(page, sku: str) -> None:  # noqa: ANN001
    """Management filtered to one SKU (the grid is shared with every other test's items)."""
    open_tab(page, "inventory.management", f"search={sku}")
    expect(page.get_by_test_id("inventory-management")).to_be_visible()
    expect(row(page, sku)).to_be_visible()
    expect(page.get_by_test_id("inv-grid")).not_to_have_attribute("aria-busy", "true")


def open_adjustments(page) -> None:  # noqa: ANN001
    open_tab(page, "inventory.adjustments")
    expect(page.get_by_test_id("inventory-adjustments")).to_be_visible()
    expect(page.get_by_test_id("adj-code")).to_be_focused()


def total_in_card(page):  # noqa: ANN001, ANN201
    """The Total figure of the item card on the Adjustments page."""
    return page.get_by_test_id("adj-item").locator("tr", has_text="Total").locator("td.num")


@pytest.fixture
def stockkeepers(live_server, unique) -> tuple[str, str]:  # noqa: ANN001
    """Two users holding the `inventory` tab (and so both of its pages)."""
    names = (unique("ann"), unique("ben"))
    for name in names:
        live_server.create_user(name, PASSWORD, tabs=["inventory"])
    return names


# -- 1. two people on Management ---------------------------------------------------------
def test_two_people_on_management_see_each_other_and_each_others_edits(
    new_page, live_server, stockkeepers, shot
) -> None:
    ann, ben = stockkeepers
    sku = new_sku()
    create_item(live_server, sku, "Vitamin C 1000 mg, 60 tablets", {"shelf_lt1": 10, "shelf_gt1": 4})
    a = new_page(ann, PASSWORD)
    b = new_page(ben, PASSWORD, color_scheme="dark")
    open_management(a, sku)
    open_management(b, sku)

    # Presence: each sees both avatars in the grid's toolbar.
    for page in (a, b):
        bar = page.get_by_test_id("inventory-management").get_by_test_id("presence")
        expect(bar.locator(f'[data-username="{ann}"]')).to_be_visible()
        expect(bar.locator(f'[data-username="{ben}"]')).to_be_visible()
    expect(cell(b, sku, "stock.shelf_lt1")).to_have_text("10")
    expect(cell(b, sku, "total")).to_have_text("14")

    # Ann opens a stock cell: Ben sees who is editing which cell.
    cell(a, sku, "stock.shelf_lt1").click()
    editor = cell(a, sku, "stock.shelf_lt1").get_by_test_id("inv-cell-input")
    expect(editor).to_be_focused()
    expect(cell(b, sku, "stock.shelf_lt1")).to_have_class(re.compile(r"\bremote-edit\b"))
    expect(cell(b, sku, "stock.shelf_lt1").locator(".editor-tag")).to_have_text(ann)
    expect(avatar(b, ann)).to_have_attribute("title", re.compile(f"editing {sku}:stock.shelf_lt1"))
    shot(a, "inventory-management")
    shot(b, "inventory-management-dark")

    # She saves 7: Ben's grid shows it, and the new total, without a reload.
    editor.fill("7")
    editor.press("Enter")
    expect(cell(a, sku, "stock.shelf_lt1")).to_have_text("7")
    expect(cell(b, sku, "stock.shelf_lt1")).to_have_text("7")
    expect(cell(b, sku, "total")).to_have_text("11")
    expect(cell(b, sku, "stock.shelf_lt1")).not_to_have_class(re.compile(r"\bremote-edit\b"))
    expect(b.get_by_test_id("inv-live")).to_have_text(f"{ann}: {sku} Shelf < 1 year → 7 (Correction)")

    # And renames the item inline: Ben sees the new name in place.
    cell(a, sku, "name").click()
    name_input = cell(a, sku, "name").get_by_test_id("inv-cell-input")
    name_input.fill("Vitamin C 1000 mg, 120 tablets")
    name_input.press("Enter")
    expect(cell(b, sku, "name")).to_have_text("Vitamin C 1000 mg, 120 tablets")
    expect(b.get_by_test_id("inv-live")).to_have_text(f"{ann} edited {sku}: name")

    # Ben edits back: Ann sees his change too (live both ways).
    cell(b, sku, "stock.shelf_gt1").click()
    ben_input = cell(b, sku, "stock.shelf_gt1").get_by_test_id("inv-cell-input")
    ben_input.fill("6")
    ben_input.press("Enter")
    expect(cell(a, sku, "stock.shelf_gt1")).to_have_text("6")
    expect(cell(a, sku, "total")).to_have_text("13")

    item = get_item(live_server, sku)
    assert item["name"] == "Vitamin C 1000 mg, 120 tablets"
    assert item["stock"]["shelf_lt1"] == 7
    assert item["stock"]["shelf_gt1"] == 6
    assert item["total"] == 13
    # Neither edit was a page reload: the pages are the ones first opened.
    assert a.evaluate("performance.getEntriesByType('navigation').length") == 1


# -- 2. conflicting edits ---------------------------------------------------------------
def test_conflicting_edit_shows_the_fresh_value_and_loses_nothing(new_page, live_server, stockkeepers) -> None:
    """Ben opens a cell; the same quantity is changed behind his back; his save is refused
    (412), the fresh value is shown, and the other change is kept."""
    _, ben = stockkeepers
    sku = new_sku()
    created = create_item(live_server, sku, "Magnesium citrate 200 mg", {"shelf_lt1": 10})
    b = new_page(ben, PASSWORD)
    open_management(b, sku)
    expect(b.get_by_test_id("realtime-status")).to_have_attribute("data-status", "online")

    target = cell(b, sku, "stock.shelf_lt1")
    target.click()
    editor = target.get_by_test_id("inv-cell-input")
    expect(editor).to_have_value("10")

    # Someone else sets 15 through the API while Ben's editor is open.
    with live_server.admin() as client:
        response = client.patch(
            f"{INV}/items/{sku}", json={"stock": {"shelf_lt1": 15}}, headers={"If-Match": f'"{created["version"]}"'}
        )
    assert response.status_code == 200, response.text
    # The live event warns Ben in place (his editor keeps what he had), the total moves on.
    expect(target).to_have_class(re.compile(r"\binv-stale\b"))
    expect(target).to_have_attribute("title", re.compile("Changed meanwhile to 15"))
    expect(cell(b, sku, "total")).to_have_text("15")

    editor.fill("8")
    editor.press("Enter")
    toast = b.get_by_test_id("toast").filter(has_text="changed by someone else")
    expect(toast).to_be_visible()
    expect(toast).to_have_attribute("data-kind", "error")
    expect(toast).to_contain_text("your edit (Shelf < 1 year: 8) was not saved")  # named, to enter again
    expect(target).to_have_text("15")
    expect(cell(b, sku, "total")).to_have_text("15")

    item = get_item(live_server, sku)
    assert item["stock"]["shelf_lt1"] == 15  # the other change survived
    assert [m["delta"] for m in movements(live_server, sku)] == [5, 10]  # 412 recorded nothing

    # Now holding the fresh version, his edit goes through.
    target.click()
    editor = target.get_by_test_id("inv-cell-input")
    expect(editor).to_have_value("15")
    editor.fill("8")
    editor.press("Enter")
    expect(target).to_have_text("8")
    expect(target).not_to_have_class(re.compile(r"\binv-stale\b"))
    assert get_item(live_server, sku)["stock"]["shelf_lt1"] == 8
    assert [m["delta"] for m in movements(live_server, sku)] == [-7, 5, 10]


def test_conflict_while_offline_takes_the_412_path(new_page, live_server, stockkeepers) -> None:
    """With the live connection cut, Ben's grid holds a stale version without knowing it:
    the server refuses the save and the page shows the current item."""
    _, ben = stockkeepers
    sku = new_sku()
    created = create_item(live_server, sku, "Zinc 15 mg", {"shelf_lt1": 3, "top_floor": 2})
    b = new_page(ben, PASSWORD)
    open_management(b, sku)
    status = b.get_by_test_id("realtime-status")
    expect(status).to_have_attribute("data-status", "online")
    b.evaluate("window.rm365.realtime.socket.disconnect()")
    expect(status).to_have_attribute("data-status", "offline")

    with live_server.admin() as client:
        response = client.patch(
            f"{INV}/items/{sku}",
            json={"name": "Zinc picolinate 15 mg", "stock": {"top_floor": 9}},
            headers={"If-Match": f'"{created["version"]}"'},
        )
    assert response.status_code == 200, response.text
    expect(cell(b, sku, "total")).to_have_text("5")  # nothing arrived: the grid is stale

    target = cell(b, sku, "stock.top_floor")
    target.click()
    editor = target.get_by_test_id("inv-cell-input")
    editor.fill("4")
    editor.press("Enter")
    expect(b.get_by_test_id("toast").filter(has_text="changed by someone else")).to_be_visible()
    expect(target).to_have_text("9")
    expect(cell(b, sku, "name")).to_have_text("Zinc picolinate 15 mg")
    expect(cell(b, sku, "total")).to_have_text("12")
    item = get_item(live_server, sku)
    assert (item["name"], item["stock"]["top_floor"], item["total"]) == ("Zinc picolinate 15 mg", 9, 12)

    # Back online, the grid reloads what it missed.
    b.evaluate("window.rm365.realtime.socket.connect()")
    expect(status).to_have_attribute("data-status", "online")
    expect(cell(b, sku, "stock.top_floor")).to_have_text("9")


# -- 3. two people adjust the same item at once -------------------------------------------
def _hold_adjustment_posts(pages: list[Any]) -> list[Any]:
    """Holds each page's POST /adjustments until released, to send them at the same moment."""
    held: list[Any] = []

    def hold(route) -> None:  # noqa: ANN001
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    for page in pages:
        page.route(re.compile(r".*/api/v1/inventory/adjustments$"), hold)
    return held


def _release_together(pages: list[Any], held: list[Any]) -> None:
    waiter = pages[0]
    for _ in range(200):
        if len(held) == len(pages):
            break
        waiter.wait_for_timeout(25)  # lets Playwright deliver the route callbacks
    assert len(held) == len(pages), f"only {len(held)} of {len(pages)} requests were sent"
    for route in held:
        route.continue_()
    held.clear()


def _scan(page, code: str, quantity: int) -> None:  # noqa: ANN001
    page.get_by_test_id("adj-quantity").fill(str(quantity))
    page.get_by_test_id("adj-code").fill(code)
    page.get_by_test_id("adj-code").press("Enter")  # submit on scan


def test_two_people_remove_the_same_item_at_the_same_moment(new_page, live_server, stockkeepers, shot) -> None:
    ann, ben = stockkeepers
    sku = new_sku()
    create_item(live_server, sku, "Omega-3 fish oil 1000 mg", {"shelf_lt1": 4, "shelf_gt1": 3})
    before = len(movements(live_server, sku))
    a = new_page(ann, PASSWORD)
    b = new_page(ben, PASSWORD)
    for page in (a, b):
        open_adjustments(page)
        expect(page.get_by_test_id("adj-reason")).to_have_value("Pick/Pack")
    # Both screens are in the room before anyone scans (live updates reach both).
    expect(avatar(a, ben)).to_be_visible()
    expect(avatar(b, ann)).to_be_visible()

    # Round 1: both take 3 of 7 at once: both apply, in some order.
    held = _hold_adjustment_posts([a, b])
    _scan(a, sku, 3)
    _scan(b, sku, 3)
    _release_together([a, b], held)
    for page in (a, b):
        expect(page.get_by_test_id("adj-result")).to_have_class(re.compile(r"\bok\b"))
        expect(page.get_by_test_id("adj-result")).to_contain_text(f"{sku}: -3 (Pick/Pack)")
        expect(total_in_card(page)).to_have_text("1")
        expect(page.get_by_test_id("adj-code")).to_be_focused()
    assert get_item(live_server, sku)["total"] == 1

    # Round 2: both take the last 1 at once: exactly one gets it, the other is refused.
    _scan(a, sku, 1)  # still held: the route stays until released
    _scan(b, sku, 1)
    _release_together([a, b], held)
    outcomes = {}
    for name, page in ((ann, a), (ben, b)):
        result = page.get_by_test_id("adj-result")
        expect(result).to_contain_text(re.compile(rf"{sku}: -1 \(Pick/Pack\)|not enough stock of {sku}"))
        outcomes[name] = "ok" if "ok" in (result.get_attribute("class") or "").split() else "refused"
    assert sorted(outcomes.values()) == ["ok", "refused"], outcomes
    loser = a if outcomes[ann] == "refused" else b
    expect(loser.get_by_test_id("adj-result")).to_contain_text("1 requested, 0 in total; nothing was changed")
    # Both screens agree on the final stock, and with the API.
    for page in (a, b):
        expect(total_in_card(page)).to_have_text("0")
    shot(loser, "inventory-adjustments")

    item = get_item(live_server, sku)
    assert item["total"] == 0 == 7 - 3 - 3 - 1
    assert item["stock"] == {"shelf_lt1": 0, "shelf_gt1": 0, "top_floor": 0}
    log = movements(live_server, sku)
    moves = log[: len(log) - before]  # newest first: the ones made here
    assert sum(m["delta"] for m in moves) == -7
    assert all(m["reason"] == "Pick/Pack" and m["source"] == "ui" for m in moves)
    # 3 from shelf < 1 year; then 1 from it and 2 from shelf > 1 year; then the last 1.
    assert sorted((m["location"], m["delta"]) for m in moves) == sorted(
        [("shelf_lt1", -3), ("shelf_lt1", -1), ("shelf_gt1", -2), ("shelf_gt1", -1)]
    )
    assert {m["by"] for m in moves} <= {ann, ben}
    assert min(m["quantity_after"] for m in moves) == 0  # never below zero
    # The recent-movements lists show the same log on both screens.
    for page in (a, b):
        recent = page.get_by_test_id("adj-recent").locator("tbody tr")
        expect(recent.filter(has=page.get_by_role("button", name=sku, exact=True))).to_have_count(len(log))


# -- 4. scanner-first --------------------------------------------------------------------
def test_adjustments_are_scanner_first(new_page, live_server, stockkeepers, unique) -> None:
    ann, _ = stockkeepers
    sku = new_sku()
    item = create_item(live_server, sku, "Vitamin D3 1000 IU", {"shelf_lt1": 5, "shelf_gt1": 2})
    page = new_page(ann, PASSWORD)
    open_adjustments(page)
    code = page.get_by_test_id("adj-code")
    result = page.get_by_test_id("adj-result")
    expect(page.get_by_test_id("adj-quantity")).to_have_value("1")
    expect(page.get_by_test_id("adj-submit-on-scan")).to_be_checked()
    expect(page.get_by_test_id("adj-sign")).to_have_text("Removes 1 from the locations in order")

    # A scan applies at once (pasted spaces and tabs are cleaned); focus stays for the next.
    code.fill(f" {sku}\t")
    code.press("Enter")
    expect(result).to_have_class(re.compile(r"\bok\b"))
    expect(result).to_contain_text(f"{sku}: -1 (Pick/Pack)")
    expect(code).to_have_value("")
    expect(code).to_be_focused()
    expect(page.get_by_test_id("adj-item-sku")).to_have_text(sku)
    expect(total_in_card(page)).to_have_text("6")

    # The label barcode works the same, typed straight after: the field never lost focus.
    page.keyboard.type(item["item_id"])
    page.keyboard.press("Enter")
    expect(result).to_contain_text(f"{sku}: -1 (Pick/Pack)")
    expect(total_in_card(page)).to_have_text("5")
    expect(code).to_be_focused()

    # The reason sets the sign: Received adds to the first location.
    page.get_by_test_id("adj-reason").select_option("Received")
    expect(page.get_by_test_id("adj-sign")).to_have_text("Adds 1 to Shelf < 1 year")
    expect(code).to_be_focused()
    page.keyboard.type(sku)
    page.keyboard.press("Enter")
    expect(result).to_contain_text(f"{sku}: +1 (Received)")
    expect(total_in_card(page)).to_have_text("6")
    page.get_by_test_id("adj-reason").select_option("Pick/Pack")
    baseline = (get_item(live_server, sku), len(movements(live_server, sku)))
    assert baseline[0]["total"] == 6

    # An unknown code: an error, nothing changes, focus stays, ready for the next scan.
    unknown = unique("NOSUCH").upper()
    page.keyboard.type(unknown)
    page.keyboard.press("Enter")
    expect(result).to_have_class(re.compile(r"\berror\b"))
    expect(result).to_contain_text(f"Unknown code “{unknown}”")
    expect(code).to_be_focused()
    expect(code).to_have_value(unknown)  # selected: the next scan replaces it
    assert page.evaluate("() => { const c = document.activeElement; return c.selectionEnd - c.selectionStart }") == len(
        unknown
    )

    # More than the stock: the 409 breakdown per location, nothing changes.
    page.get_by_test_id("adj-quantity").fill("50")
    code.fill(sku)
    code.press("Enter")
    expect(result).to_have_class(re.compile(r"\berror\b"))
    expect(result).to_contain_text(f"not enough stock of {sku}: 50 requested, 6 in total; nothing was changed")
    breakdown = result.locator("table tr")
    expect(breakdown.filter(has_text="Shelf < 1 year")).to_contain_text("4")
    expect(breakdown.filter(has_text="Shelf > 1 year")).to_contain_text("2")
    expect(breakdown.filter(has_text="Top floor")).to_contain_text("0")
    expect(breakdown.filter(has_text="Total")).to_contain_text("6")
    expect(code).to_be_focused()
    expect(page.get_by_test_id("adj-quantity")).to_have_value("50")  # kept, to fix and retry

    # A specific location must hold enough on its own.
    page.get_by_test_id("adj-location").select_option("shelf_gt1")
    page.get_by_test_id("adj-quantity").fill("3")
    code.fill(sku)
    code.press("Enter")
    expect(result).to_contain_text(f"not enough stock of {sku}: 3 requested, 2 at shelf_gt1")
    expect(result.locator("tr.short")).to_contain_text("Shelf > 1 year")
    expect(code).to_be_focused()

    assert (get_item(live_server, sku), len(movements(live_server, sku))) == baseline


# -- 5. who may open which page ------------------------------------------------------------
def test_adjustments_only_user_cannot_reach_management(new_page, live_server, unique) -> None:
    name = unique("picker")
    live_server.create_user(name, PASSWORD, tabs=["inventory.adjustments"])
    page = new_page(name, PASSWORD)
    sidebar = page.get_by_test_id("sidebar")
    expect(sidebar.get_by_test_id("nav-inventory.adjustments")).to_be_visible()
    expect(sidebar.get_by_test_id("nav-inventory.management")).to_have_count(0)

    sidebar.get_by_test_id("nav-inventory.adjustments").click()
    expect(page.get_by_test_id("inventory-adjustments")).to_be_visible()
    expect(page.get_by_test_id("adj-code")).to_be_focused()

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_tab(page, "inventory.management")
    expect(page.get_by_test_id("access-denied")).to_be_visible()
    expect(page.get_by_test_id("access-denied")).to_contain_text("You do not have access to this tab")
    expect(page.get_by_test_id("inventory-management")).to_have_count(0)
    assert not [u for u in requested if "management.js" in u], requested

    # The server agrees: reading is allowed, editing items is not.
    token = live_server.login(name, PASSWORD)["access_token"]
    with live_server.client(token) as client:
        assert client.get(f"{INV}/items").status_code == 200
        assert client.post(f"{INV}/items", json={"sku": new_sku(), "name": "x"}).status_code == 403


def _hold_next(page, pattern: str) -> Any:  # noqa: ANN001
    """Starts holding requests matching ``pattern``; returns a function giving the first one."""
    held: list[Any] = []
    page.route(re.compile(pattern), lambda route: held.append(route))

    def first() -> Any:
        for _ in range(200):
            if held:
                return held[0]
            page.wait_for_timeout(25)
        raise AssertionError(f"no request matched {pattern}")

    return first


def test_a_late_answer_does_not_put_older_stock_back_on_screen(new_page, live_server, stockkeepers) -> None:
    """The page reads the item after its own adjustment; another change commits while that
    answer is on its way and its live event arrives first. The screen must end on the newer
    stock, not on the older answer."""
    ann, _ = stockkeepers
    sku = new_sku()
    create_item(live_server, sku, "Iron bisglycinate 14 mg", {"shelf_lt1": 10})
    page = new_page(ann, PASSWORD)
    open_adjustments(page)
    expect(page.get_by_test_id("realtime-status")).to_have_attribute("data-status", "online")

    held = _hold_next(page, rf".*/api/v1/inventory/items/{sku}$")
    _scan(page, sku, 1)
    route = held()  # the page reads the item after adjusting it
    stale = route.fetch()  # read now: 9 in stock
    assert stale.json()["total"] == 9
    with live_server.admin() as client:  # then someone else takes 4
        response = client.post(f"{INV}/adjustments", json={"code": sku, "quantity": 4, "reason": "Damaged"})
    assert response.status_code == 201, response.text
    expect(page.get_by_test_id("adj-recent")).to_contain_text("Damaged")  # its event has arrived
    route.fulfill(response=stale)  # and only now the older answer

    expect(page.get_by_test_id("adj-item-sku")).to_have_text(sku)
    expect(total_in_card(page)).to_have_text("5")
    page.wait_for_timeout(300)
    expect(total_in_card(page)).to_have_text("5")

    # The same on Management: a list read before a live change arrives after it.
    page.unroute_all()
    open_management(page, sku)
    expect(cell(page, sku, "total")).to_have_text("5")
    held = _hold_next(page, r".*/api/v1/inventory/items\?.*")
    page.get_by_test_id("inv-grid").locator('th[data-col="total"]').click()  # sort: the list is read again
    route = held()
    stale = route.fetch()
    assert [i["total"] for i in stale.json()["items"]] == [5]
    with live_server.admin() as client:
        response = client.post(f"{INV}/adjustments", json={"code": sku, "quantity": 2, "reason": "Lost"})
    assert response.status_code == 201, response.text
    expect(cell(page, sku, "total")).to_have_text("3")  # the live event
    route.fulfill(response=stale)
    expect(page.get_by_test_id("inv-grid").locator('th[data-col="total"]')).to_have_attribute("aria-sort", "ascending")
    expect(page.get_by_test_id("inv-grid")).not_to_have_attribute("aria-busy", "true")
    expect(cell(page, sku, "total")).to_have_text("3")
    expect(cell(page, sku, "stock.shelf_lt1")).to_have_text("3")
