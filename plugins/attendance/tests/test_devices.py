"""The device side through the kernel: card reads and fingerprint matches clock people at
the time they happened, refused events are dead-lettered with the reason, a retry after a
crash records nothing twice, a bridge coming online gets the templates and the one
threshold, enrolment asks a station for a card or a finger, the kiosk sees each scan live."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from rm365_attendance.devices import on_card_read

from rm365_core import DeviceEvent, DeviceInfo
from rm365_core.testing import FakeBridge

BASE = "/api/v1/attendance"
PEOPLE = "/api/v1/enrollment"


def deliver(site, device_id, *events):
    return site.kernel.devices.deliver(device_id, list(events))


def test_a_card_read_clocks_the_holder_at_the_time_it_happened(site, desk):
    ada = desk.person(card="04A1B2C3")
    device_id, _token = site.pair_device("Front door")
    when = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    result = deliver(site, device_id, FakeBridge.event("card.read", {"uid": "04 a1 b2 c3"}, occurred_at=when))
    assert result[0]["status"] == "accepted", result
    row = desk.get("/logs", employee_id=ada["id"])["items"][0]
    assert (row["at"], row["direction"], row["source"], row["device"]) == (
        "2026-03-02T08:00:00Z",
        "in",
        "card",
        "Front door",
    )


def test_the_same_event_twice_is_applied_once(site, desk):
    ada = desk.person(card="AB12")
    device_id, _ = site.pair_device("Front door")
    event = FakeBridge.event("card.read", {"uid": "AB12"}, occurred_at=datetime(2026, 3, 2, 8, tzinfo=UTC))
    deliver(site, device_id, event)
    assert deliver(site, device_id, event)[0]["status"] == "duplicate"
    # A retry after a crash between our commit and the kernel's: our own key stops it.
    device = DeviceInfo(id=device_id, name="Front door", site="", drivers=["simulated"])
    on_card_read(
        site.kernel,
        device,
        DeviceEvent(
            id=event["id"], type="card.read", occurred_at=datetime(2026, 3, 2, 8, tzinfo=UTC), data={"uid": "AB12"}
        ),
    )
    assert desk.get("/logs", employee_id=ada["id"])["total"] == 1


def test_an_unknown_card_is_refused_with_the_reason(site, desk):
    device_id, _ = site.pair_device("Front door")
    result = deliver(site, device_id, FakeBridge.event("card.read", {"uid": "DEADBEEF"}))
    assert result[0]["status"] == "rejected" and "DEADBEEF" in result[0]["error"]


def test_late_events_from_an_offline_bridge_fall_in_time_order(site, desk):
    ada = desk.person(card="AB12")
    device_id, _ = site.pair_device("Front door")
    desk.clocked(ada["id"], "2026-03-02T08:00:00Z")
    desk.clocked(ada["id"], "2026-03-02T17:00:00Z")
    late = [
        FakeBridge.event("card.read", {"uid": "AB12"}, occurred_at=datetime(2026, 3, 2, h, m, tzinfo=UTC))
        for h, m in ((12, 0), (12, 45))
    ]
    assert [r["status"] for r in deliver(site, device_id, *late)] == ["accepted", "accepted"]
    day = desk.get("/work-hours", employee_id=ada["id"])["items"][0]
    assert (day["worked_hours"], day["break_hours"], day["sessions"]) == (8.25, 0.75, 2)


def test_a_fingerprint_match_clocks_by_employee_code(site, desk):
    ada = desk.person()
    device_id, _ = site.pair_device("Back door")
    event = FakeBridge.event("fingerprint.matched", {"employee_code": "EMP001", "finger": "right_index", "score": 87})
    assert deliver(site, device_id, event)[0]["status"] == "accepted"
    row = desk.get("/logs", employee_id=ada["id"])["items"][0]
    assert row["source"] == "fingerprint" and row["device"] == "Back door"


def test_a_match_below_the_site_threshold_is_refused(site, desk):
    desk.person()
    device_id, _ = site.pair_device("Back door")
    event = FakeBridge.event("fingerprint.matched", {"employee_code": "EMP001", "finger": "right_index", "score": 12})
    result = deliver(site, device_id, event)
    assert result[0]["status"] == "rejected" and "threshold" in result[0]["error"]


def synced(bridge: FakeBridge, timeout: float = 10) -> None:
    """Wait until the bridge has answered the fingerprint sync sent when it came online."""
    deadline = time.monotonic() + timeout
    while not any(c == "fingerprint.sync" for c, _ in bridge.received) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # its answer travels back


@pytest.fixture
def live(rm365_site, monkeypatch):
    monkeypatch.setenv("RM365_ATTENDANCE_OPEN_CHECKIN_CHECK_MINUTES", "0")
    monkeypatch.setenv("RM365_ATTENDANCE_FINGERPRINT_THRESHOLD", "70")
    return rm365_site(plugins=["enrollment", "attendance"], live=True)


def test_a_bridge_coming_online_gets_the_templates_and_the_threshold(live):
    client = live.client_with_tabs("enrollment")
    ada = client.post(f"{PEOPLE}/employees", json={"name": "Ada"}).json()
    template = base64.b64encode(b"ADA-RIGHT-INDEX").decode()
    client.put(f"{PEOPLE}/employees/{ada['id']}/fingerprints/right_index", json={"template": template})
    device_id, token = live.pair_device("Front door")
    with FakeBridge(commands={"fingerprint.sync": lambda payload: {"count": len(payload["templates"])}}) as bridge:
        bridge.connect(live.url, token)
        synced(bridge)
    command, payload = bridge.received[0]
    assert command == "fingerprint.sync"
    assert payload == {
        "templates": [{"employee_code": "EMP001", "finger": "right_index", "template": template}],
        "threshold": 70,
    }


def test_card_enrolment_through_a_station(live):
    client = live.client_with_tabs("enrollment")
    ada = client.post(f"{PEOPLE}/employees", json={"name": "Ada"}).json()
    bob = client.post(f"{PEOPLE}/employees", json={"name": "Bob", "card_uid": "CAFE01"}).json()
    device_id, token = live.pair_device("Desk reader")
    offline = client.post(f"{PEOPLE}/employees/{ada['id']}/card/scan", json={"device_id": device_id})
    assert offline.status_code == 409 and "offline" in offline.json()["detail"]
    replies = iter([{"uid": "04:a1:b2:c3"}, {"uid": "cafe01"}])
    commands = {
        "card.read_next": lambda payload: next(replies),
        "fingerprint.sync": lambda payload: {"count": 0},
        "fingerprint.enroll": lambda payload: {"template": base64.b64encode(b"T").decode(), "quality": 80},
    }
    with FakeBridge(commands=commands) as bridge:
        bridge.connect(live.url, token)
        synced(bridge)  # the station is busy with the sync the kernel starts on connect
        response = client.post(f"{PEOPLE}/employees/{ada['id']}/card/scan", json={"device_id": device_id})
        assert response.status_code == 200, response.text
        assert response.json()["card_uid"] == "04A1B2C3"
        taken = client.post(f"{PEOPLE}/employees/{ada['id']}/card/scan", json={"device_id": device_id})
        assert taken.status_code == 409 and "Bob" in taken.json()["detail"] and taken.json()["holder_id"] == bob["id"]
        finger = client.post(
            f"{PEOPLE}/employees/{ada['id']}/fingerprints/left_index/scan", json={"device_id": device_id}
        )
        assert finger.status_code == 200, finger.text
        assert [f["finger"] for f in finger.json()["fingerprints"]] == ["left_index"]
        assert "template" not in finger.text


def test_the_kiosk_sees_each_clock_live(live):
    desk = live.client_with_tabs("enrollment", "attendance")
    desk.post(f"{PEOPLE}/employees", json={"name": "Ada", "card_uid": "AB12"})
    username, token = live.token_for("attendance.kiosk")
    screen = live.realtime(token)
    assert screen.join("attendance.kiosk") == {"ok": True}
    kiosk = live.client_with_tabs("attendance.kiosk")
    assert kiosk.post(f"{BASE}/clock", json={"card_uid": "ab12"}).status_code == 200
    seen = screen.wait_for("attendance.clock")
    assert seen["name"] == "Ada" and seen["direction"] == "in" and seen["source"] == "kiosk"
