"""The enrollment and attendance pages in Chromium against a real server, as a new user
tries them: enrol a person and give them a card, clock them at the manual page and watch it
on the kiosk (a user holding only the kiosk tab), correct a mistake with a reason, and
export the month's hours."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def expect(locator):  # noqa: ANN001, ANN201
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_tab(page, tab: str) -> None:  # noqa: ANN001
    page.evaluate("hash => { location.hash = hash }", f"#/{tab}")


def test_enrol_card_clock_kiosk_correct_and_export(new_page, live_server, unique, shot) -> None:  # noqa: ANN001
    clerk, screen = unique("clerk"), unique("kiosk")
    live_server.create_user(clerk, PASSWORD, tabs=["enrollment", "attendance"])
    live_server.create_user(screen, PASSWORD, tabs=["attendance.kiosk"])
    name = f"Zed {secrets.token_hex(3)}"
    uid = secrets.token_hex(4).upper()

    page = new_page(clerk, PASSWORD)
    open_tab(page, "enrollment.management")
    expect(page.get_by_test_id("enrollment-management")).to_be_visible()
    page.get_by_test_id("emp-new").click()
    page.get_by_test_id("form-name").fill(name)
    page.get_by_test_id("form-location").fill("Warehouse")
    page.get_by_test_id("emp-dialog-submit").click()
    page.get_by_test_id("emp-search").fill(name)
    expect(page.get_by_test_id("emp-table").locator("tbody tr", has_text=name)).to_be_visible()

    open_tab(page, "enrollment.card")
    page.get_by_test_id("person-search").fill(name)
    page.get_by_test_id("person-results").get_by_role("button", name=name).click()
    expect(page.get_by_test_id("card-current")).to_have_text("No card yet")
    page.get_by_test_id("card-uid").fill(":".join(uid[i : i + 2].lower() for i in range(0, 8, 2)))
    page.get_by_test_id("card-save").click()
    expect(page.get_by_test_id("card-current")).to_have_text(f"Card {uid}")
    shot(page, "enrollment-card")

    open_tab(page, "enrollment.fingerprint")
    expect(page.get_by_test_id("fp-hand").locator("button")).to_have_count(10)

    kiosk = new_page(screen, PASSWORD)
    open_tab(kiosk, "attendance.kiosk")
    expect(kiosk.get_by_test_id("attendance-kiosk")).to_be_visible()
    kiosk.wait_for_timeout(500)  # joined the kiosk room

    open_tab(page, "attendance.manual")
    page.get_by_test_id("manual-search").fill(name)
    page.get_by_test_id("manual-results").get_by_role("button", name=name).click()
    page.get_by_test_id("manual-clock").click()
    expect(page.get_by_test_id("manual-answer")).to_contain_text("IN")
    expect(kiosk.get_by_test_id("kiosk-flash")).to_contain_text(f"{name} — IN")

    # The reader types the card at the kiosk: out (after the duplicate window would be
    # a new event; inside it, the kiosk says it is already recorded).
    kiosk.get_by_test_id("kiosk-card").fill(uid)
    kiosk.get_by_test_id("kiosk-card").press("Enter")
    expect(kiosk.get_by_test_id("kiosk-flash")).to_contain_text("already recorded")
    shot(kiosk, "attendance-kiosk")

    # Correct: add the missing check-out with a reason.
    page.get_by_test_id("corr-add").click()
    page.get_by_test_id("corr-direction").select_option("out")
    page.get_by_test_id("corr-at").fill("2030-01-01T17:00")
    page.get_by_test_id("corr-reason").fill("forgot to clock out")
    page.get_by_test_id("corr-dialog-submit").click()
    expect(page.get_by_test_id("corr-dialog-error")).to_be_visible()  # in the future: refused
    earlier = (datetime.now() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")  # the browser's zone
    page.get_by_test_id("corr-at").fill(earlier)
    page.get_by_test_id("corr-dialog-submit").click()
    expect(page.get_by_test_id("manual-audit").locator("tbody tr").first).to_contain_text("forgot to clock out")

    open_tab(page, "attendance.logs")
    expect(page.get_by_test_id("attendance-logs")).to_be_visible()
    page.get_by_test_id("logs-view").select_option("logs")
    page.get_by_test_id("logs-q").fill(name)
    expect(page.get_by_test_id("logs-table").locator("tbody tr")).to_have_count(2)
    with page.expect_download() as download:
        page.get_by_test_id("logs-csv").click()
    assert download.value.suggested_filename.endswith(".csv")
    page.get_by_test_id("logs-view").select_option("hours")
    with page.expect_download() as pdf:
        page.get_by_test_id("logs-pdf").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    shot(page, "attendance-logs")

    open_tab(page, "attendance.overview")
    expect(page.get_by_test_id("att-status").locator("tbody tr", has_text=name)).to_be_visible()
    shot(page, "attendance-overview")
