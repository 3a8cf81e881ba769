"""The R30x driver against a scripted sensor on a real pseudo-terminal that speaks the
R30x packet protocol (headers, addresses, checksums, data packets)."""

from __future__ import annotations

import base64
import collections
import hashlib
import os
import queue
import sys
import threading
from typing import Any

import pytest
from rm365_bridge import DriverError
from rm365_bridge.drivers import r30x_protocol as p
from rm365_bridge.drivers.r30x import R30xDriver
from rm365_bridge.outbox import Outbox

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


def template_of(finger: str) -> bytes:
    """What the fake sensor extracts from a finger: 512 bytes, the same for the same finger."""
    return hashlib.sha256(finger.encode()).digest() * 16


class FakeSensor:
    """An R30x on the master side of a pty. ``touch(finger, polls)`` puts a finger on it for
    that many image captures; touches are taken in order, each followed by a lifted reading."""

    CAPACITY = 200

    def __init__(self, password: int = 0) -> None:
        import tty

        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        self.port = os.ttyname(self.slave)
        self.password = password
        self.touches: collections.deque[list[Any]] = collections.deque()
        self.gap = False
        self.image: str | None = None
        self.buffers: dict[int, bytes] = {}
        self.library: dict[int, bytes] = {}
        self.commands: list[int] = []
        self._stop = False
        self._incoming = b""
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def touch(self, finger: str, polls: int = 2) -> None:
        self.touches.append([finger, polls])

    def close(self) -> None:
        self._stop = True
        os.close(self.master)
        os.close(self.slave)

    # ---------------------------------------------------------------- wire
    def _read(self, n: int) -> bytes:
        while not self._incoming:
            if self._stop:
                raise OSError("closed")
            import select

            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                self._incoming += os.read(self.master, 4096)
        data, self._incoming = self._incoming[:n], self._incoming[n:]
        return data

    def _reply(self, code: int, rest: bytes = b"") -> None:
        os.write(self.master, p.encode(p.PID_ACK, bytes([code]) + rest))

    def _serve(self) -> None:
        while not self._stop:
            try:
                pid, payload = p.read_packet(self._read, timeout=3600)
            except (OSError, p.SensorError):
                return
            if pid == p.PID_COMMAND and payload:
                self.commands.append(payload[0])
                self._command(payload[0], payload[1:])

    def _gen_img(self) -> int:
        if self.gap:  # the finger was lifted between two touches
            self.gap = False
            return p.NO_FINGER
        if self.touches:
            touch = self.touches[0]
            touch[1] -= 1
            if touch[1] <= 0:
                self.touches.popleft()
                self.gap = True
            self.image = touch[0]
            return p.OK
        return p.NO_FINGER

    def _command(self, code: int, args: bytes) -> None:
        if code == p.VERIFY_PASSWORD:
            self._reply(p.OK if int.from_bytes(args[:4], "big") == self.password else 0x13)
        elif code == p.READ_SYS_PARA:
            params = (0).to_bytes(2, "big") * 2 + self.CAPACITY.to_bytes(2, "big") + (3).to_bytes(2, "big")
            params += (0xFFFFFFFF).to_bytes(4, "big") + (2).to_bytes(2, "big") + (6).to_bytes(2, "big")
            self._reply(p.OK, params)
        elif code == p.GEN_IMG:
            self._reply(self._gen_img())
        elif code == p.IMG2TZ:
            if self.image is None:
                self._reply(0x15)
            elif self.image == "smudge":
                self._reply(0x06)
            else:
                self.buffers[args[0]] = template_of(self.image)
                self._reply(p.OK)
        elif code == p.MATCH:
            same = self.buffers.get(1) == self.buffers.get(2)
            self._reply(p.OK, (180).to_bytes(2, "big")) if same else self._reply(0x08)
        elif code == p.REG_MODEL:
            self._reply(p.OK if self.buffers.get(1) == self.buffers.get(2) else 0x0A)
        elif code == p.STORE:
            slot = int.from_bytes(args[1:3], "big")
            if slot >= self.CAPACITY:
                self._reply(0x0B)
            else:
                self.library[slot] = self.buffers[args[0]]
                self._reply(p.OK)
        elif code == p.SEARCH:
            wanted = self.buffers.get(args[0])
            slot = next((s for s, t in sorted(self.library.items()) if t == wanted), None)
            if slot is None:
                self._reply(p.NOT_FOUND)
            else:
                self._reply(p.OK, slot.to_bytes(2, "big") + (150).to_bytes(2, "big"))
        elif code == p.EMPTY:
            self.library.clear()
            self._reply(p.OK)
        elif code == p.TEMPLATE_NUM:
            self._reply(p.OK, len(self.library).to_bytes(2, "big"))
        elif code == p.UP_CHAR:
            self._reply(p.OK)
            data = self.buffers[args[0]]
            chunks = [data[i : i + 128] for i in range(0, len(data), 128)]
            for i, chunk in enumerate(chunks):
                os.write(self.master, p.encode(p.PID_END if i == len(chunks) - 1 else p.PID_DATA, chunk))
        elif code == p.DOWN_CHAR:
            self._reply(p.OK)
            data = b""
            while True:
                pid, chunk = p.read_packet(self._read, timeout=5)
                data += chunk
                if pid == p.PID_END:
                    break
            self.buffers[args[0]] = data
        else:
            self._reply(0x01)


@pytest.fixture
def sensor():
    fake = FakeSensor()
    yield fake
    fake.close()


@pytest.fixture
def driver(sensor, tmp_path, wait_until):
    got: queue.Queue = queue.Queue()
    outbox = Outbox(tmp_path / "q.sqlite3")

    def emit(type: str, data: dict[str, Any], *, cursor: Any = None) -> None:
        got.put((type, data))

    instance = R30xDriver({"port": sensor.port, "finger_timeout": 3}, emit, state=outbox)
    instance.POLL = 0.05
    instance.open()
    instance.events = got  # type: ignore[attr-defined]
    wait_until(lambda: instance.sensor is not None, what="sensor ready")
    yield instance
    instance.close()
    outbox.close()


def test_packets_carry_the_header_address_length_and_checksum():
    packet = p.encode(p.PID_COMMAND, bytes([p.GEN_IMG]))

    assert packet.hex() == "ef01ffffffff010003010005"
    chunks = iter([packet[i : i + 1] for i in range(len(packet))])
    assert p.read_packet(lambda n: next(chunks)) == (1, b"\x01")


def test_a_corrupted_packet_is_refused():
    packet = bytearray(p.encode(p.PID_ACK, b"\x00"))
    packet[-1] ^= 0xFF
    data = iter([bytes([b]) for b in packet])

    with pytest.raises(p.SensorError, match="checksum"):
        p.read_packet(lambda n: next(data))


def test_enrolment_takes_two_presses_stores_a_slot_and_returns_the_template(driver, sensor, wait_until):
    answer: dict = {}
    worker = threading.Thread(
        target=lambda: answer.update(
            driver.command("fingerprint.enroll", {"employee_code": "EMP001", "finger": "right_index"}, 20)
        )
    )
    worker.start()
    wait_until(driver.enrolling.is_set, what="enrolment started")
    sensor.touch("alice", 2)
    sensor.touch("alice", 2)
    worker.join(15)

    assert base64.b64decode(answer["template"]) == template_of("alice")
    assert 0 <= answer["quality"] <= 100
    assert sensor.library == {0: template_of("alice")}

    sensor.touch("alice", 1)
    assert driver.events.get(timeout=15) == (
        "fingerprint.matched",
        {"employee_code": "EMP001", "finger": "right_index", "score": 150},
    )


def test_synced_templates_identify_people_enrolled_at_another_station(driver, sensor):
    templates = [
        {"employee_code": code, "finger": "left_thumb", "template": base64.b64encode(template_of(name)).decode()}
        for code, name in (("EMP002", "bob"), ("EMP003", "carol"))
    ]

    assert driver.command("fingerprint.sync", {"templates": templates, "threshold": 40}, 10) == {"count": 2}
    assert sensor.library == {0: template_of("bob"), 1: template_of("carol")}

    sensor.touch("carol", 1)
    assert driver.events.get(timeout=15) == (
        "fingerprint.matched",
        {"employee_code": "EMP003", "finger": "left_thumb", "score": 150},
    )


def test_an_unknown_finger_is_not_reported(driver, sensor, wait_until):
    sensor.touch("mallory", 1)
    wait_until(lambda: p.SEARCH in sensor.commands, what="a search")

    assert driver.events.empty()


@pytest.mark.parametrize(
    ("touches", "message"),
    [
        ([], "no finger on the sensor"),
        ([("smudge", 1)], "poor image: too messy"),
        ([("alice", 1), ("bob", 1)], "does not match"),
    ],
)
def test_sensor_errors_are_answered_in_words(driver, sensor, touches, message, wait_until):
    failure: list[Exception] = []

    def enroll() -> None:
        try:
            driver.command("fingerprint.enroll", {"employee_code": "EMP001", "finger": "right_index"}, 8)
        except DriverError as exc:
            failure.append(exc)

    worker = threading.Thread(target=enroll)
    worker.start()
    wait_until(driver.enrolling.is_set, what="enrolment started")
    for finger, polls in touches:
        sensor.touch(finger, polls)
    worker.join(15)

    assert failure and message in str(failure[0])


def test_in_test_mode_an_unknown_finger_is_shown(sensor, wait_until):
    got: queue.Queue = queue.Queue()
    driver = R30xDriver({"port": sensor.port, "report_unknown": True}, lambda t, d, **k: got.put((t, d)))
    driver.POLL = 0.05
    driver.open()
    try:
        wait_until(lambda: driver.sensor is not None, what="sensor ready")
        sensor.touch("stranger", 1)
        assert got.get(timeout=5) == ("fingerprint.unknown", {})
    finally:
        driver.close()


def test_without_a_sensor_commands_say_so(tmp_path):
    driver = R30xDriver({"port": str(tmp_path / "nothing")}, lambda *a, **k: None)
    driver.open()
    try:
        with pytest.raises(DriverError, match="no fingerprint sensor is attached"):
            driver.command("fingerprint.enroll", {"employee_code": "E", "finger": "f"}, 5)
    finally:
        driver.close()
