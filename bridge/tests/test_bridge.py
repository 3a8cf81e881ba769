"""A bridge in this process against a live site: pairing, delivery once, in order, with the
time of the swipe; the backlog after an outage; dead letters; commands."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rm365_bridge.bridge import Bridge
from rm365_bridge.cli import app
from rm365_bridge.config import BridgeConfig
from rm365_bridge.drivers.simulated import SimulatedDriver
from typer.testing import CliRunner

DRIVERS = {"simulated": SimulatedDriver}


def _bridge(config: BridgeConfig, input_file: Path, server: str | None = None) -> Bridge:
    input_file.touch()
    config.write_drivers({"simulated": {"input": str(input_file)}})
    bridge = Bridge(config, drivers=DRIVERS, min_backoff=0.2)
    if server is not None:
        bridge.credentials.server = server
    bridge.start()
    return bridge


def _swipe(path: Path, *lines: str) -> None:
    with path.open("a") as handle:
        handle.writelines(f"{line}\n" for line in lines)


def test_pair_keeps_the_token_apart_from_bridge_toml_readable_by_the_owner_only(site, tmp_path):
    admin = site.client_with_tabs("system")
    code = admin.post("/api/v1/devices/pairing-codes", json={"name": "Front desk"}).json()["code"]
    folder = tmp_path / "cfg"

    result = CliRunner().invoke(app, ["pair", "--server", site.url, "--code", code, "--config-dir", str(folder)])

    assert result.exit_code == 0, result.output
    assert "Paired as 'Front desk'" in result.output
    credentials = json.loads((folder / "credentials.json").read_text())
    assert credentials["token"].startswith("rmd_") and credentials["server"] == site.url
    assert "rmd_" not in (folder / "bridge.toml").read_text()
    if os.name != "nt":
        assert stat.S_IMODE((folder / "credentials.json").stat().st_mode) == 0o600
    again = CliRunner().invoke(app, ["pair", "--server", site.url, "--code", code, "--config-dir", str(folder)])
    assert again.exit_code == 1 and "unknown, used or expired" in again.output


def test_swipes_arrive_once_in_order_with_the_time_of_the_swipe(site, paired, punches, tmp_path, wait_until):
    feed = tmp_path / "events.txt"
    bridge = _bridge(paired, feed)
    try:
        before = datetime.now(UTC)
        _swipe(feed, "card 04:a1:b2:c3", "finger EMP001", "card 0A0B")
        wait_until(lambda: len(punches.uids()) == 3, what="three punches")
        wait_until(lambda: len(bridge.outbox) == 0, what="an empty queue")
    finally:
        bridge.stop()

    assert punches.uids() == ["04A1B2C3", "EMP001", "0A0B"]
    device, first = punches.events[0]
    assert device.name == "Station 1" and device.drivers == ["simulated"]
    assert before <= first.occurred_at <= datetime.now(UTC)
    assert punches.events[1][1].data == {"employee_code": "EMP001", "finger": "right_index", "score": 100}


def test_a_backlog_queued_while_the_server_was_unreachable_arrives_once_in_order(
    site, paired, punches, tmp_path, wait_until
):
    feed = tmp_path / "events.txt"
    real_server = paired.credentials().server
    bridge = _bridge(paired, feed, server="http://127.0.0.1:9")  # nothing listens there: the server is "down"
    try:
        _swipe(feed, *(f"card CAFE000{i}" for i in range(5)))
        wait_until(lambda: len(bridge.outbox) == 5, what="five queued")
        times = [e["occurred_at"] for e in bridge.outbox.batch()]
        assert punches.uids() == []

        bridge.credentials.server = real_server  # the server is back
        wait_until(lambda: len(punches.uids()) == 5, timeout=30, what="the backlog")
        wait_until(lambda: len(bridge.outbox) == 0, what="an empty queue")
    finally:
        bridge.stop()

    assert punches.uids() == [f"CAFE000{i}" for i in range(5)]
    assert [e.occurred_at.isoformat() for _d, e in punches.events] == times


def test_a_restart_neither_repeats_nor_skips_a_line(site, paired, punches, tmp_path, wait_until):
    feed = tmp_path / "events.txt"
    bridge = _bridge(paired, feed)
    _swipe(feed, "card 01")
    wait_until(lambda: punches.uids() == ["01"], what="first punch")
    bridge.stop()
    _swipe(feed, "card 02")  # swiped while the bridge was stopped

    bridge = _bridge(paired, feed)
    try:
        _swipe(feed, "card 03")
        wait_until(lambda: len(punches.uids()) >= 3, what="three punches")
    finally:
        bridge.stop()

    assert punches.uids() == ["01", "02", "03"]


def test_a_rejected_event_is_dead_lettered_and_shown_by_status(site, paired, punches, tmp_path, wait_until):
    feed = tmp_path / "events.txt"
    bridge = _bridge(paired, feed)
    try:
        _swipe(feed, "card REFUSED", "card 0B")
        wait_until(lambda: punches.uids() == ["0B"], what="the good punch")
        wait_until(lambda: bridge.outbox.dead_letter_count() == 1, what="a dead letter")
        # The server applies the good punch before its answer reaches the bridge (the two
        # swipes may go in two batches): the queue empties only once that answer is settled.
        wait_until(lambda: len(bridge.outbox) == 0, what="the queue settled")
    finally:
        bridge.stop()

    result = CliRunner().invoke(app, ["status", "--config-dir", str(paired.folder)])
    assert result.exit_code == 0, result.output
    assert "Queued events: 0" in result.output
    assert "Dead letters: 1" in result.output and "card REFUSED is not registered" in result.output


def test_the_server_reads_the_next_card_at_a_station(site, paired, punches, tmp_path, wait_until):
    import threading

    feed = tmp_path / "events.txt"
    bridge = _bridge(paired, feed)
    device_id = paired.credentials().device_id
    try:
        wait_until(bridge.connected.is_set, what="connected")
        wait_until(lambda: site.kernel.devices.list_devices()[0].online, what="online")
        answer: dict = {}
        worker = threading.Thread(
            target=lambda: answer.update(site.kernel.devices.command(device_id, "card.read_next", timeout=10))
        )
        worker.start()
        wait_until(lambda: bridge.drivers["simulated"]._waiting is not None, what="waiting for a card")
        _swipe(feed, "card 5EED")
        worker.join(15)
        synced = site.kernel.devices.command(
            device_id,
            "fingerprint.sync",
            {"templates": [{"employee_code": "EMP9", "finger": "left_thumb", "template": "AA=="}], "threshold": 40},
        )
    finally:
        bridge.stop()

    assert answer == {"uid": "5EED"}
    assert punches.uids() == []  # an enrolment read is not a clock event
    assert synced == {"count": 1}


def test_a_revoked_bridge_stops_and_says_so(site, paired, tmp_path, wait_until):
    bridge = _bridge(paired, tmp_path / "events.txt")
    try:
        wait_until(bridge.connected.is_set, what="connected")
        admin = site.client_with_tabs("system")
        assert admin.post(f"/api/v1/devices/{paired.credentials().device_id}/revoke").status_code == 200
        wait_until(bridge.stopping.is_set, what="the bridge stopping")
    finally:
        bridge.stop()

    assert "token" in (bridge.refused or "")


@pytest.mark.parametrize("line", ["card", "hello world", ""])
def test_lines_that_are_not_swipes_are_skipped(site, paired, punches, tmp_path, line, wait_until):
    feed = tmp_path / "events.txt"
    bridge = _bridge(paired, feed)
    try:
        _swipe(feed, line, "card 0C")
        wait_until(lambda: punches.uids() == ["0C"], what="the good punch")
    finally:
        bridge.stop()
