"""The System page's devices in Chromium against a real server: pair a bridge from the
dialog, see it come online live, revoke it."""

from __future__ import annotations

import re

import httpx
import pytest

from rm365_core.testing import FakeBridge

pytestmark = pytest.mark.browser


def expect(locator):  # noqa: ANN001, ANN201
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_an_admin_pairs_a_bridge_sees_it_online_and_revokes_it(new_page, live_server, unique, shot) -> None:
    name = unique("Desk ")
    page = new_page("admin", live_server.admin_password)
    page.get_by_test_id("nav-system").click()
    page.get_by_test_id("pair-device").click()
    page.get_by_test_id("device-name").fill(name)
    page.get_by_test_id("device-site").fill("Leeds")
    page.get_by_test_id("pair-form-submit").click()

    code = page.get_by_test_id("pair-code-value").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    expect(page.get_by_test_id("pair-command")).to_contain_text(f"--code {code}")
    shot(page, "system-pairing-code")
    page.get_by_test_id("pair-code-submit").click()

    paired = httpx.post(f"{live_server.base_url}/api/v1/devices/pair", json={"code": code, "drivers": ["simulated"]})
    assert paired.status_code == 201, paired.text
    device_id = paired.json()["device_id"]
    with FakeBridge() as bridge:
        bridge.connect(live_server.base_url, paired.json()["token"])
        status = page.get_by_test_id(f"device-status-{device_id}")
        expect(status).to_have_text("Online")
        [refused] = bridge.send([bridge.event("device.online", {})])  # the server's own event: refused
        assert refused["status"] == "rejected"
        page.get_by_test_id(f"dead-letters-{device_id}").click()
        expect(page.get_by_test_id("dead-letters")).to_contain_text("sent by the server itself")
        page.get_by_test_id("dead-letters-submit").click()
        shot(page, "system-devices")

        page.get_by_test_id(f"revoke-device-{device_id}").click()
        page.get_by_test_id("confirm-ok").click()
        expect(status).to_have_text("Revoked")
        assert bridge.disconnected.wait(5)
