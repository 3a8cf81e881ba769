"""Devices: pairing codes, the device channel, events applied once, commands to a bridge.

Everything goes through a live site (uvicorn, the real hub) and a FakeBridge client on the
``/device`` namespace; a small plugin records what its device handlers receive.
"""

from __future__ import annotations

import threading
import time
import types
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import socketio.exceptions

from rm365_core import DeviceEvent, DeviceInfo, DomainError, hookimpl
from rm365_core.testing import FakeBridge, RealtimeConnectionRefused, RealtimeTestClient


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[DeviceInfo, DeviceEvent]] = []
        self.fail_once: set[str] = set()
        self.online = threading.Event()
        self.lock = threading.Lock()

    def on_card(self, kernel: Any, device: DeviceInfo, event: DeviceEvent) -> None:
        uid = event.data.get("uid")
        if uid == "REFUSED":
            raise DomainError(422, f"card {uid} is not registered")
        if uid in self.fail_once:
            self.fail_once.discard(uid)
            raise RuntimeError("the attendance database is down")
        with self.lock:
            self.calls.append((device, event))

    def on_online(self, kernel: Any, device: DeviceInfo, event: DeviceEvent) -> None:
        self.online.set()

    def uids(self) -> list[str]:
        return [event.data["uid"] for _device, event in self.calls]


def _plugin(recorder: Recorder) -> types.ModuleType:
    module = types.ModuleType("punch_sample")

    @hookimpl
    def register_device_handlers() -> dict[str, Any]:
        return {"card.read": recorder.on_card, "device.online": recorder.on_online}

    module.register_device_handlers = register_device_handlers  # type: ignore[attr-defined]
    return module


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def site(rm365_site, recorder):
    return rm365_site(plugins=[], extra={"punch": _plugin(recorder)}, discover=False, live=True)


@pytest.fixture
def admin(site):
    return site.client_with_tabs("system")


def _bridge(site, token: str, **kwargs: Any) -> FakeBridge:
    bridge = FakeBridge(**kwargs)
    bridge.connect(site.url, token)
    site._clients.append(bridge)
    return bridge


def _wait(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


# -- pairing -------------------------------------------------------------------------


def test_an_admin_creates_a_pairing_code_and_a_bridge_trades_it_for_a_token(site, admin):
    created = admin.post("/api/v1/devices/pairing-codes", json={"name": "Front desk", "site": "Leeds"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert len(body["code"]) == 9 and body["code"][4] == "-"
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10)

    paired = site.client.post("/api/v1/devices/pair", json={"code": body["code"].lower(), "drivers": ["simulated"]})

    assert paired.status_code == 201, paired.text
    assert paired.json()["name"] == "Front desk" and paired.json()["token"].startswith("rmd_")
    devices = admin.get("/api/v1/devices").json()
    assert [(d["name"], d["site"], d["drivers"], d["online"]) for d in devices] == [
        ("Front desk", "Leeds", ["simulated"], False)
    ]


def test_a_pairing_code_works_once(site, admin):
    code = admin.post("/api/v1/devices/pairing-codes", json={"name": "Till 1"}).json()["code"]
    assert site.client.post("/api/v1/devices/pair", json={"code": code}).status_code == 201

    again = site.client.post("/api/v1/devices/pair", json={"code": code})

    assert again.status_code == 400
    assert "unknown, used or expired" in again.json()["detail"]


def test_an_expired_pairing_code_is_refused(site, admin):
    from sqlalchemy import update

    from rm365_core._core.models import DevicePairingCode

    code = admin.post("/api/v1/devices/pairing-codes", json={"name": "Till 2"}).json()["code"]
    with site.kernel.databases.session("core") as session:
        session.execute(update(DevicePairingCode).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))

    assert site.client.post("/api/v1/devices/pair", json={"code": code}).status_code == 400


def test_pairing_codes_need_the_system_tab_and_a_free_name(site, admin):
    other = site.client_with_tabs("usermanagement")
    assert other.post("/api/v1/devices/pairing-codes", json={"name": "X"}).status_code == 403
    assert site.client.post("/api/v1/devices/pairing-codes", json={"name": "X"}).status_code == 401
    site.pair_device("Taken")

    clash = admin.post("/api/v1/devices/pairing-codes", json={"name": "Taken"})

    assert clash.status_code == 409 and "Taken" in clash.json()["detail"]


# -- the device channel ------------------------------------------------------------------


def test_a_paired_bridge_connects_and_shows_online_with_its_drivers_and_clock_offset(site, admin, recorder):
    device_id, token = site.pair_device("Warehouse door")
    bridge = FakeBridge()
    bridge.connect(
        site.url, token, drivers=["serial-card", "simulated"], clock=datetime.now(UTC) - timedelta(seconds=30)
    )
    site._clients.append(bridge)

    assert recorder.online.wait(5), "device.online handlers were not called"
    device = admin.get(f"/api/v1/devices/{device_id}").json()
    assert device["online"] is True and device["drivers"] == ["serial-card", "simulated"]
    assert 29_000 <= device["clock_offset_ms"] <= 35_000

    bridge.close()
    _wait(lambda: admin.get(f"/api/v1/devices/{device_id}").json()["online"] is False)


def test_a_user_token_cannot_open_the_device_channel(site):
    _username, user_token = site.token_for("system", role="admin")
    bridge = FakeBridge()
    site._clients.append(bridge)

    with pytest.raises(socketio.exceptions.ConnectionError):
        bridge.connect(site.url, user_token)
    assert "device token" in (bridge.refusal or "")


def test_a_device_token_cannot_act_as_a_user(site):
    _device_id, token = site.pair_device("Sneaky")

    assert site.client.get("/api/v1/devices", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with pytest.raises(RealtimeConnectionRefused):
        RealtimeTestClient().connect(site.url, token)


def test_revoking_a_device_disconnects_it_and_refuses_its_token(site, admin):
    device_id, token = site.pair_device("Lost laptop")
    bridge = _bridge(site, token)

    revoked = admin.post(f"/api/v1/devices/{device_id}/revoke")

    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert bridge.disconnected.wait(5)
    with pytest.raises(socketio.exceptions.ConnectionError):
        FakeBridge().connect(site.url, token)


def test_an_admin_renames_and_deletes_a_device(site, admin):
    device_id, token = site.pair_device("Old name")
    site.pair_device("Other")

    assert admin.patch(f"/api/v1/devices/{device_id}", json={"name": "New name", "site": "York"}).json()["name"] == (
        "New name"
    )
    assert admin.patch(f"/api/v1/devices/{device_id}", json={"name": "Other"}).status_code == 409
    assert admin.delete(f"/api/v1/devices/{device_id}").status_code == 204
    assert admin.get(f"/api/v1/devices/{device_id}").status_code == 404
    with pytest.raises(socketio.exceptions.ConnectionError):
        FakeBridge().connect(site.url, token)


def test_device_changes_reach_the_system_room(site, admin):
    _username, token = site.token_for("system")
    watcher = site.realtime(token)
    assert watcher.join("system") == {"ok": True}
    device_id, device_token = site.pair_device("Watched")
    watcher.wait_for("devices.changed", lambda d: d == {"id": device_id, "action": "paired"})

    _bridge(site, device_token)

    watcher.wait_for("devices.changed", lambda d: d == {"id": device_id, "action": "online"})


# -- events ----------------------------------------------------------------------------


def test_events_reach_the_handlers_in_order_with_their_original_time(site, recorder):
    device_id, token = site.pair_device("Kiosk", site="Leeds")
    bridge = _bridge(site, token)
    swiped = datetime(2026, 12, 1, 8, 59, 30, tzinfo=UTC)
    events = [
        bridge.event("card.read", {"uid": f"CARD{i}"}, occurred_at=swiped + timedelta(seconds=i)) for i in range(5)
    ]

    results = bridge.send(events)

    assert [r["status"] for r in results] == ["accepted"] * 5
    assert recorder.uids() == [f"CARD{i}" for i in range(5)]
    device, event = recorder.calls[0]
    assert device == DeviceInfo(id=device_id, name="Kiosk", site="Leeds", drivers=["simulated"])
    assert event.occurred_at == swiped and event.id == events[0]["id"] and event.type == "card.read"


def test_an_event_sent_twice_is_applied_once(site, recorder):
    _device_id, token = site.pair_device()
    bridge = _bridge(site, token)
    event = bridge.event("card.read", {"uid": "04A1B2C3"})

    first = bridge.send([event])
    second = bridge.send([event, event])

    assert first[0]["status"] == "accepted"
    assert [r["status"] for r in second] == ["duplicate", "duplicate"]
    assert recorder.uids() == ["04A1B2C3"]


def test_a_refused_event_is_dead_lettered_and_does_not_block_the_rest(site, admin, recorder):
    device_id, token = site.pair_device()
    bridge = _bridge(site, token)
    events = [bridge.event("card.read", {"uid": uid}) for uid in ("A1", "REFUSED", "A2")]
    events.append({"id": "broken-1", "type": "card.read", "occurred_at": "yesterday", "data": {}})

    results = bridge.send(events)

    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted", "rejected"]
    assert results[1]["error"] == "card REFUSED is not registered"
    assert recorder.uids() == ["A1", "A2"]
    dead = admin.get(f"/api/v1/devices/{device_id}/dead-letters").json()
    assert dead["total"] == 2
    assert {d["event_id"]: d["error"] for d in dead["items"]}[events[1]["id"]] == "card REFUSED is not registered"
    assert bridge.send([events[1]])[0]["status"] == "duplicate"


def test_a_handler_failure_stops_the_batch_for_a_retry_in_order(site, recorder):
    _device_id, token = site.pair_device()
    bridge = _bridge(site, token)
    recorder.fail_once.add("B2")
    events = [bridge.event("card.read", {"uid": uid}) for uid in ("B1", "B2", "B3")]

    first = bridge.send(events)
    retried = bridge.send(events)

    assert [r["status"] for r in first] == ["accepted", "retry", "retry"]
    assert [r["status"] for r in retried] == ["duplicate", "accepted", "accepted"]
    assert recorder.uids() == ["B1", "B2", "B3"]


def test_two_devices_may_use_the_same_event_id(site, recorder):
    tokens = [site.pair_device()[1] for _ in range(2)]
    bridges = [_bridge(site, token) for token in tokens]

    results = [bridge.send([bridge.event("card.read", {"uid": "C1"}, id="evt-1")]) for bridge in bridges]

    assert [r[0]["status"] for r in results] == ["accepted", "accepted"]
    assert len(recorder.calls) == 2


def test_a_bridge_cannot_send_the_servers_own_device_events(site, recorder):
    _device_id, token = site.pair_device()
    bridge = _bridge(site, token)
    recorder.online.wait(5)
    recorder.online.clear()

    [result] = bridge.send([bridge.event("device.online", {})])

    assert result["status"] == "rejected" and "sent by the server" in result["error"]
    assert not recorder.online.is_set()


def test_events_without_a_handler_are_recorded_and_accepted(site, recorder):
    _device_id, token = site.pair_device()
    bridge = _bridge(site, token)

    assert bridge.send([bridge.event("door.opened", {})])[0]["status"] == "accepted"


# -- commands --------------------------------------------------------------------------


def test_a_command_round_trips_to_the_bridge(site):
    device_id, token = site.pair_device()
    bridge = _bridge(site, token, commands={"card.read_next": lambda payload: {"uid": "04A1B2C3"}})

    reply = site.kernel.devices.command(device_id, "card.read_next", timeout=5)

    assert reply == {"uid": "04A1B2C3"}
    assert bridge.received == [("card.read_next", {})]


def test_a_driver_error_is_a_422_with_the_bridges_message(site):
    device_id, token = site.pair_device()

    def no_sensor(payload: dict[str, Any]) -> dict[str, Any]:
        raise ValueError("no fingerprint sensor is attached")

    _bridge(site, token, commands={"fingerprint.enroll": no_sensor})

    with pytest.raises(DomainError) as refused:
        site.kernel.devices.command(device_id, "fingerprint.enroll", {"employee_code": "EMP001", "finger": "x"})
    assert refused.value.status == 422 and refused.value.message == "no fingerprint sensor is attached"


def test_a_command_to_an_offline_or_unknown_device_is_refused(site):
    device_id, _token = site.pair_device("Sleeping")

    with pytest.raises(DomainError) as offline:
        site.kernel.devices.command(device_id, "card.read_next")
    with pytest.raises(DomainError) as unknown:
        site.kernel.devices.command(999_999, "card.read_next")

    assert (offline.value.status, offline.value.message) == (409, "device 'Sleeping' is offline")
    assert unknown.value.status == 404


def test_a_silent_bridge_times_out_and_a_busy_one_is_refused(site):
    device_id, token = site.pair_device("Slow")
    _bridge(site, token)  # answers no command
    outcome: list[DomainError] = []

    def first() -> None:
        try:
            site.kernel.devices.command(device_id, "card.read_next", timeout=1.5)
        except DomainError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=first)
    worker.start()
    time.sleep(0.5)
    with pytest.raises(DomainError) as busy:
        site.kernel.devices.command(device_id, "card.read_next")
    worker.join(10)

    assert (busy.value.status, busy.value.message) == (409, "device 'Slow' is busy")
    assert (outcome[0].status, outcome[0].message) == (504, "device 'Slow' did not answer within 1.5 s")


def test_list_devices_gives_plugins_the_stations(site):
    device_id, token = site.pair_device("Picker", site="Leeds")
    _bridge(site, token)
    _wait(lambda: site.kernel.devices.list_devices()[0].online)

    [row] = site.kernel.devices.list_devices()

    assert (row.id, row.name, row.site, row.online) == (device_id, "Picker", "Leeds", True)
    assert row.last_seen is not None


def test_an_online_handler_may_send_a_command_at_once(rm365_site):
    replies: list[dict[str, Any]] = []
    done = threading.Event()

    def on_online(kernel: Any, device: DeviceInfo, event: DeviceEvent) -> None:
        replies.append(kernel.devices.command(device.id, "fingerprint.sync", {"templates": [], "threshold": 40}))
        done.set()

    module = types.ModuleType("sync_on_connect")

    @hookimpl
    def register_device_handlers() -> dict[str, Any]:
        return {"device.online": on_online}

    module.register_device_handlers = register_device_handlers  # type: ignore[attr-defined]
    site = rm365_site(plugins=[], extra={"sync": module}, discover=False, live=True)
    _device_id, token = site.pair_device()

    bridge = _bridge(site, token, commands={"fingerprint.sync": lambda payload: {"count": len(payload["templates"])}})

    assert done.wait(10)
    assert replies == [{"count": 0}]
    assert bridge.received == [("fingerprint.sync", {"templates": [], "threshold": 40})]


def test_device_events_older_than_the_setting_are_forgotten_by_a_daily_job(site, admin, recorder):
    from sqlalchemy import update

    from rm365_core._core.models import DeviceEventRecord

    device_id, token = site.pair_device()
    bridge = _bridge(site, token)
    events = [bridge.event("card.read", {"uid": uid}) for uid in ("A1", "REFUSED", "A2")]
    assert [r["status"] for r in bridge.send(events)] == ["accepted", "rejected", "accepted"]
    assert site.kernel.devices.prune_events() == 0  # received just now

    now = datetime.now(UTC)
    with site.kernel.databases.session("core") as session:
        for event, days in ((events[0], 91), (events[1], 91), (events[2], 89)):
            session.execute(
                update(DeviceEventRecord)
                .where(DeviceEventRecord.event_id == event["id"])
                .values(received_at=now - timedelta(days=days))
            )

    assert site.kernel.devices.prune_events() == 2
    assert admin.get(f"/api/v1/devices/{device_id}/dead-letters").json()["total"] == 0
    assert bridge.send([events[2]])[0]["status"] == "duplicate"  # still remembered
    assert "prune-device-events" in {job.name for job in site.kernel.jobs.jobs.values()}
