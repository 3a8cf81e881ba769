"""The sales data pages in Chromium, tried as a new user would: upload last month's UK export,
see the bad row explained by line and column, upload it again and see that nothing doubles,
then find the six-month demand on the region's page and on the inventory page equal to a hand
count of the file."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import date, timedelta

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
HEADER = [
    "Order number", "Created At", "Product SKU", "Product Name", "Product Qty", "Product Price", "Status",
    "Currency", "Grand Total", "Customer Email", "Customer Full Name", "Billing Address", "Shipping Address",
    "Customer Group Code",
]  # fmt: skip


def expect(locator):  # noqa: ANN001, ANN201 - a thin alias keeps the tests readable
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_tab(page, tab: str) -> None:  # noqa: ANN001
    page.evaluate("hash => { location.hash = hash }", f"#/{tab}")


def export(sku: str) -> tuple[bytes, int]:
    """Last month's export for one new SKU (and a variant of it), one bad row, one cancelled
    order; and the hand count of the units that count."""
    day = (date.today().replace(day=1) - timedelta(days=10)).isoformat()
    rows = [
        ["A1", f"{day} 09:00", sku, "Omega 3", "2", "9.99", "complete", "GBP", "19.98"],
        ["A1", f"{day} 09:00", f"{sku}-MD", "Omega 3 (multi-deal)", "3", "8.00", "complete", "GBP", "43.98"],
        ["A2", f"{day} 10:30", sku, "Omega 3", "two", "9.99", "complete", "GBP", "19.98"],  # line 4: bad qty
        ["A3", f"{day} 11:00", sku, "Omega 3", "4", "9.99", "canceled", "GBP", "39.96"],  # does not count
        ["A4", f"{day} 12:00", sku, "Omega 3", "1", "9.99", "processing", "GBP", "9.99"],
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for order, *rest in rows:
        writer.writerow([f"{order}-{sku}", *rest, "a@example.com", "A Customer", "1 High St", "1 High St", "General"])
    return out.getvalue().encode(), 2 + 3 + 1


def upload(page, data: bytes) -> None:  # noqa: ANN001
    page.get_by_test_id("sd-upload-region").select_option("uk")
    page.get_by_test_id("sd-upload-file").set_input_files(
        {"name": "uk-last-month.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_test_id("sd-upload-submit").click()


def test_upload_explains_bad_rows_never_doubles_and_demand_matches_a_hand_count(new_page, live_server, shot) -> None:
    sku = f"OMEGA-{secrets.token_hex(3).upper()}"
    data, hand_count = export(sku)
    user = f"sales{secrets.token_hex(3)}"
    live_server.create_user(user, PASSWORD, tabs=["salesdata", "inventory"])
    with live_server.admin() as client:
        assert client.post("/api/v1/inventory/items", json={"sku": sku, "name": "Omega 3"}).status_code == 201
    page = new_page(user, PASSWORD)

    open_tab(page, "salesdata.upload")
    upload(page, data)
    result = page.get_by_test_id("sd-upload-result")
    expect(result).to_contain_text("Imported")
    counts = result.locator(".sd-counts")
    expect(counts).to_contain_text("4New")
    expect(counts).to_contain_text("1With errors")
    bad = page.get_by_test_id("sd-upload-errors").locator("tbody tr")
    expect(bad).to_have_count(1)
    expect(bad.first).to_contain_text("4")
    expect(bad.first).to_contain_text("Product Qty")
    expect(bad.first).to_contain_text("two")

    upload(page, data)
    expect(counts).to_contain_text("0New")
    expect(counts).to_contain_text("4Already there")
    expect(counts).to_contain_text("1With errors")

    open_tab(page, "salesdata.uk")
    condensed = page.get_by_test_id("sd-condensed")
    line = condensed.locator("tbody tr", has_text=sku)
    expect(line).to_have_count(1)  # the -MD variant is folded into its base SKU
    expect(line.locator("td").nth(2)).to_have_text(str(hand_count))

    page.get_by_test_id("sd-view-charts").click()
    canvases = page.get_by_test_id("sd-charts").locator("canvas")
    expect(canvases).to_have_count(2)
    drawn = canvases.first.evaluate("c => Chart.getChart(c).data.datasets[0].data.reduce((a, b) => a + b, 0)")
    with live_server.admin() as client:
        weeks = client.get("/api/v1/salesdata/uk/charts", params={"months": 6}).json()["weeks"]
    assert drawn == sum(w["qty"] for w in weeks) > 0
    shot(page, "salesdata-charts")

    open_tab(page, "inventory.management")
    page.get_by_test_id("inv-search").fill(sku)
    demand = page.locator(f'tr[data-sku="{sku}"] td[data-col="demand_total"]')
    expect(demand).to_have_text(str(hand_count))
    with live_server.admin() as client:
        lines = client.get("/api/v1/salesdata/uk", params={"search": sku, "size": 50}).json()
    assert lines["total"] == 4
