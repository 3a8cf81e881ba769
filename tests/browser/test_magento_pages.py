"""Both Magento pages in Chromium against a real ``rm365 serve`` and the fake Magento: a packer
scans an order to completion while a supervisor watches the dashboard move live; a wrong item
and an over-scan are refused on screen. Chromium is the session's one browser (conftest)."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rm365_magento.fake import FakeMagento

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def store() -> Iterator[FakeMagento]:
    with FakeMagento(token=secrets.token_urlsafe(12)) as fake:
        fake.add_order("2000001", [("BRW-A", "Browser item A", 2), ("BRW-B", "Browser item B", 1)])
        yield fake


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, store: FakeMagento) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("magento-browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RM365_")}
    env.update(
        RM365_DATA_DIR=str(root / "data"),
        RM365_MAGENTO_BASE_URL=store.url,
        RM365_MAGENTO_TOKEN=store.token,
        PYTHONUNBUFFERED="1",
    )
    admin = secrets.token_urlsafe(12)
    cli = [sys.executable, "-m", "rm365_core.cli"]
    done = subprocess.run(
        [*cli, "users", "create-admin", "admin", "--password-stdin"],
        input=admin + "\n",
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    port = _free_port()
    log = (root / "server.log").open("w")
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            assert process.poll() is None, Path(root / "server.log").read_text()
            time.sleep(0.2)
        token = httpx.post(f"{url}/api/v1/auth/login", json={"username": "admin", "password": admin}).json()[
            "access_token"
        ]
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
            for sku in ("BRW-A", "BRW-B"):
                assert (
                    client.post(
                        "/api/v1/inventory/items", json={"sku": sku, "name": sku, "stock": {"shelf_lt1": 5}}
                    ).status_code
                    == 201
                )
            for name, tabs in (
                ("packer", ["magento.pickpack"]),
                ("packer2", ["magento.pickpack"]),
                ("boss", ["magento", "magento.dashboard.admin"]),
            ):
                response = client.post(
                    "/api/v1/users",
                    json={"username": name, "password": PASSWORD, "role": "user", "allowed_tabs": tabs, "active": True},
                )
                assert response.status_code == 201, response.text
        yield url, token
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def signed_in(chromium: Any, url: str, username: str, errors: list[str]) -> Any:
    context = chromium.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"{username}: {exc}"))
    page.goto("/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("landing").wait_for()
    return page


def test_a_packer_scans_an_order_while_a_supervisor_watches(chromium: Any, server: tuple[str, str]) -> None:
    url, admin_token = server
    errors: list[str] = []
    boss = signed_in(chromium, url, "boss", errors)
    boss.evaluate("() => { location.hash = '#/magento.dashboard' }")
    boss.get_by_test_id("magento-dashboard").wait_for()

    packer = signed_in(chromium, url, "packer", errors)
    packer.evaluate("() => { location.hash = '#/magento.pickpack' }")
    packer.get_by_test_id("mg-order").fill("2000001")
    packer.get_by_test_id("mg-order").press("Enter")
    scan = packer.get_by_test_id("mg-scan")
    expect(scan).to_be_focused()

    row = boss.locator("[data-testid=mg-dash-row]", has_text="2000001")
    expect(row.get_by_test_id("mg-dash-owner")).to_have_text("packer")
    expect(row.get_by_test_id("mg-dash-progress")).to_contain_text("0 / 3")

    scan.fill("brw-a")
    scan.press("Enter")
    expect(packer.get_by_test_id("mg-result")).to_have_attribute("data-outcome", "ok")
    expect(row.get_by_test_id("mg-dash-progress")).to_contain_text("1 / 3")  # live, no reload

    scan.fill("NOT-ON-IT")
    scan.press("Enter")
    expect(packer.get_by_test_id("mg-result")).to_have_attribute("data-outcome", "wrong_item")
    expect(scan).to_be_focused()

    for code, outcome in (("BRW-A", "line_complete"), ("BRW-B", "session_complete")):
        scan.fill(code)
        scan.press("Enter")
        expect(packer.get_by_test_id("mg-result")).to_have_attribute("data-outcome", outcome)
    scan.fill("BRW-B")
    scan.press("Enter")
    expect(packer.get_by_test_id("mg-result")).to_have_attribute("data-outcome", "over_scan")
    expect(row.get_by_test_id("mg-dash-progress")).to_contain_text("3 / 3")

    row.click()
    expect(boss.get_by_test_id("mg-dash-audit")).to_contain_text("scanned")
    packer.get_by_test_id("mg-complete").click()
    expect(packer.get_by_test_id("mg-status")).to_have_text("completed")

    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin_token}"}) as client:
        stock = client.get("/api/v1/inventory/items/BRW-A").json()
    assert sum(stock["stock"].values()) == 3
    assert not errors, errors


def test_a_supervisor_takes_over_after_confirming(chromium: Any, server: tuple[str, str], store: FakeMagento) -> None:
    url, _ = server
    store.add_order("2000002", [("BRW-A", "Browser item A", 1)])
    errors: list[str] = []
    packer = signed_in(chromium, url, "packer2", errors)
    packer.evaluate("() => { location.hash = '#/magento.pickpack' }")
    packer.get_by_test_id("mg-order").fill("2000002")
    packer.get_by_test_id("mg-order").press("Enter")
    packer.get_by_test_id("mg-scan").wait_for()

    boss = signed_in(chromium, url, "boss", errors)
    boss.evaluate("() => { location.hash = '#/magento.dashboard' }")
    boss.locator("[data-testid=mg-dash-row]", has_text="2000002").click()
    boss.get_by_test_id("mg-dash-take-over").click()
    boss.get_by_test_id("confirm-ok").click()
    row = boss.locator("[data-testid=mg-dash-row]", has_text="2000002")
    expect(row.get_by_test_id("mg-dash-owner")).to_have_text("boss")
    expect(boss.get_by_test_id("mg-dash-audit")).to_contain_text("taken-over")
    expect(packer.get_by_test_id("mg-scan-form")).to_be_hidden()  # the packer's page follows live
    assert not errors, errors
