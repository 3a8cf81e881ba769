"""The labels pages in Chromium against a real server: choose items in the generator (region,
status filter, copies), see the first page previewed, print a job; find it in the history,
reprint it and download its CSV."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
INV = "/api/v1/inventory"
LABELS = "/api/v1/labels"


def expect(locator):  # noqa: ANN001, ANN201
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_tab(page, tab: str) -> None:  # noqa: ANN001
    page.evaluate("hash => { location.hash = hash }", f"#/{tab}")


def test_generator_prints_a_job_and_history_reprints_it(live_server: Any, new_page: Any, shot: Any) -> None:
    tag = secrets.token_hex(3).upper()
    skus = [f"LB{tag}-{i}" for i in range(3)]
    with live_server.admin() as client:
        for index, sku in enumerate(skus):
            status = "Active" if index < 2 else "Discontinued (RM)"
            response = client.post(f"{INV}/items", json={"sku": sku, "name": f"Label test {index}", "status": status})
            assert response.status_code == 201, response.text
    user = f"labeler-{tag.lower()}"
    live_server.create_user(user, PASSWORD, tabs=["labels"])
    page = new_page(user, PASSWORD)

    open_tab(page, "labels.generator")
    generator = page.get_by_test_id("labels-generator")
    expect(generator).to_be_visible()
    page.get_by_test_id("lbl-region").select_option("fr")
    page.get_by_test_id("lbl-search").fill(f"LB{tag}")
    # Active is ticked by default: the discontinued item is not offered.
    expect(page.locator(f'tr[data-sku="{skus[0]}"]')).to_be_visible()
    expect(page.locator(f'tr[data-sku="{skus[2]}"]')).to_have_count(0)
    page.get_by_test_id(f"lbl-pick-{skus[0]}").check()
    page.get_by_test_id(f"lbl-copies-{skus[1]}").fill("2")
    page.get_by_test_id(f"lbl-copies-{skus[1]}").dispatch_event("change")
    expect(page.get_by_test_id("lbl-summary")).to_have_text("2 items, 3 labels selected")
    page.get_by_test_id("lbl-line-date").fill("2026-12-01")
    page.get_by_test_id("lbl-line-date").dispatch_event("change")
    expect(page.get_by_test_id("lbl-preview")).to_have_attribute("src", re.compile(r"^data:image/png"))
    shot(page, "labels-generator")

    with page.context.expect_page() as opened:
        page.get_by_test_id("lbl-print").click()
    opened.value.close()
    with live_server.client(live_server.admin_token()) as client:
        jobs = client.get(f"{LABELS}/jobs").json()["items"]
        job = next(j for j in jobs if j["created_by"] == user)
        detail = client.get(f"{LABELS}/jobs/{job['id']}").json()
        first_pdf = client.get(f"{LABELS}/jobs/{job['id']}/pdf").content
    assert (job["region"], job["currency"], job["label_count"], job["line_date"]) == ("fr", "EUR", 3, "2026-12-01")
    assert [r["sku"] for r in detail["rows"]] == skus[:2] and [r["copies"] for r in detail["rows"]] == [1, 2]
    assert job["filters"]["region"] == "fr" and job["filters"]["statuses"] == "Active"

    open_tab(page, "labels.history")
    row = page.locator(f'tr[data-job="{job["id"]}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("FR (EUR)")
    shot(page, "labels-history")
    with page.context.expect_page() as reprint:
        page.get_by_test_id(f"lbl-reprint-{job['id']}").click()
    reprint.value.close()
    with page.expect_download() as download:
        page.get_by_test_id(f"lbl-csv-{job['id']}").click()
    assert download.value.suggested_filename == f"labels-{job['id']}.csv"
    with live_server.client(live_server.admin_token()) as client:
        assert client.get(f"{LABELS}/jobs/{job['id']}/pdf").content == first_pdf
