"""The R30x / ZhianTec fingerprint sensor packet protocol (R307, R503, AS608 and kin).

A packet is ``EF 01`` | address (4 bytes) | packet id (1) | length (2, payload + 2) |
payload | checksum (2: the sum of packet id, length and payload bytes). The host sends
command packets (id 01); the sensor answers with an acknowledgement (id 07) whose first
payload byte is the confirmation code. Templates travel as data packets (id 02) ended by
an end packet (id 08).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

HEADER = b"\xef\x01"
PID_COMMAND, PID_DATA, PID_ACK, PID_END = 0x01, 0x02, 0x07, 0x08
DEFAULT_ADDRESS = 0xFFFFFFFF

GEN_IMG, IMG2TZ, MATCH, SEARCH, REG_MODEL, STORE = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
UP_CHAR, DOWN_CHAR, DELETE_CHAR, EMPTY, READ_SYS_PARA = 0x08, 0x09, 0x0C, 0x0D, 0x0F
VERIFY_PASSWORD, TEMPLATE_NUM = 0x13, 0x1D

OK, NO_FINGER, NOT_FOUND = 0x00, 0x02, 0x09

#: The sensor's confirmation codes, in words.
CODES = {
    0x01: "the sensor could not read the command",
    0x02: "no finger on the sensor",
    0x03: "the sensor could not take an image of the finger",
    0x06: "poor image: too messy, press the finger flat and try again",
    0x07: "poor image: too few features, press the finger flat and try again",
    0x08: "the finger does not match",
    0x09: "finger not found",
    0x0A: "the presses could not be combined into one template (different fingers?)",
    0x0B: "slot number out of the sensor's range",
    0x0C: "the sensor could not read the template from its library",
    0x0D: "the sensor could not send the template",
    0x0E: "the sensor could not receive the data packets",
    0x0F: "the sensor could not send the image",
    0x10: "the sensor could not delete the template",
    0x11: "the sensor could not clear its library",
    0x13: "wrong sensor password",
    0x15: "poor image: no valid image in the buffer",
    0x18: "the sensor could not write to its flash memory",
    0x1A: "invalid sensor register",
}

PACKET_SIZES = {0: 32, 1: 64, 2: 128, 3: 256}


class SensorError(Exception):
    """The sensor answered a confirmation code other than OK (``code``), or garbage."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = code
        super().__init__(message or CODES.get(code, f"sensor error 0x{code:02X}"))


def encode(pid: int, payload: bytes, address: int = DEFAULT_ADDRESS) -> bytes:
    length = len(payload) + 2
    body = bytes([pid]) + length.to_bytes(2, "big") + payload
    return HEADER + address.to_bytes(4, "big") + body + (sum(body) & 0xFFFF).to_bytes(2, "big")


def read_packet(read: Callable[[int], bytes], timeout: float = 2.0) -> tuple[int, bytes]:
    """One packet from ``read(n)`` (which may return fewer bytes): ``(packet id, payload)``."""
    deadline = time.monotonic() + timeout

    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            if time.monotonic() > deadline:
                raise SensorError(0x01, "the sensor did not answer")
            data += read(n - len(data))
        return data

    window = b""
    while window != HEADER:  # resynchronise on the header
        window = (window + exactly(1))[-2:]
    exactly(4)  # address
    pid = exactly(1)[0]
    length = int.from_bytes(exactly(2), "big")
    if length < 2:
        raise SensorError(0x01, "malformed packet from the sensor")
    payload = exactly(length - 2)
    checksum = int.from_bytes(exactly(2), "big")
    if checksum != (pid + (length >> 8) + (length & 0xFF) + sum(payload)) & 0xFFFF:
        raise SensorError(0x01, "corrupted packet from the sensor (bad checksum)")
    return pid, payload


class R30x:
    """The host side over a serial port (anything with ``read(n)`` and ``write(data)``)."""

    def __init__(self, port: Any, address: int = DEFAULT_ADDRESS, password: int = 0) -> None:
        self.port = port
        self.address = address
        self.password = password
        self.packet_size = 128
        self.capacity = 200

    def _send(self, pid: int, payload: bytes) -> None:
        self.port.write(encode(pid, payload, self.address))

    def _ack(self, timeout: float = 5.0) -> tuple[int, bytes]:
        pid, payload = read_packet(self.port.read, timeout)
        if pid != PID_ACK or not payload:
            raise SensorError(0x01, f"unexpected packet 0x{pid:02X} from the sensor")
        return payload[0], payload[1:]

    def call(self, instruction: int, args: bytes = b"", *, allow: tuple[int, ...] = ()) -> tuple[int, bytes]:
        """Send a command; raise ``SensorError`` unless the code is OK or in ``allow``."""
        self._send(PID_COMMAND, bytes([instruction]) + args)
        code, rest = self._ack()
        if code != OK and code not in allow:
            raise SensorError(code)
        return code, rest

    # ---------------------------------------------------------------- commands
    def verify_password(self) -> None:
        self.call(VERIFY_PASSWORD, self.password.to_bytes(4, "big"))

    def read_parameters(self) -> dict[str, int]:
        _code, data = self.call(READ_SYS_PARA)
        params = {
            "capacity": int.from_bytes(data[4:6], "big"),
            "security_level": int.from_bytes(data[6:8], "big"),
            "packet_size": PACKET_SIZES.get(int.from_bytes(data[12:14], "big"), 128),
        }
        self.capacity, self.packet_size = params["capacity"] or 200, params["packet_size"]
        return params

    def finger_present(self) -> bool:
        """Take an image: True when a finger was on the sensor."""
        code, _ = self.call(GEN_IMG, allow=(NO_FINGER,))
        return code == OK

    def image_to_buffer(self, buffer: int) -> None:
        self.call(IMG2TZ, bytes([buffer]))

    def match(self) -> int:
        """Score of buffer 1 against buffer 2."""
        _code, rest = self.call(MATCH)
        return int.from_bytes(rest[:2], "big")

    def combine(self) -> None:
        self.call(REG_MODEL)

    def store(self, buffer: int, slot: int) -> None:
        self.call(STORE, bytes([buffer]) + slot.to_bytes(2, "big"))

    def search(self, buffer: int = 1) -> tuple[int, int] | None:
        """(slot, score) of the best match of the buffer in the library, or None."""
        code, rest = self.call(
            SEARCH, bytes([buffer]) + (0).to_bytes(2, "big") + self.capacity.to_bytes(2, "big"), allow=(NOT_FOUND,)
        )
        if code == NOT_FOUND:
            return None
        return int.from_bytes(rest[:2], "big"), int.from_bytes(rest[2:4], "big")

    def empty(self) -> None:
        self.call(EMPTY)

    def template_count(self) -> int:
        _code, rest = self.call(TEMPLATE_NUM)
        return int.from_bytes(rest[:2], "big")

    def upload(self, buffer: int = 1) -> bytes:
        """The template in a buffer, as the sensor sends it (data packets)."""
        self.call(UP_CHAR, bytes([buffer]))
        data = b""
        while True:
            pid, payload = read_packet(self.port.read, 5.0)
            if pid not in (PID_DATA, PID_END):
                raise SensorError(0x0D, f"unexpected packet 0x{pid:02X} while receiving a template")
            data += payload
            if pid == PID_END:
                return data

    def download(self, data: bytes, buffer: int = 1) -> None:
        """Load a template into a buffer (then ``store`` it in a slot)."""
        self.call(DOWN_CHAR, bytes([buffer]))
        size = self.packet_size
        chunks = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
        for index, chunk in enumerate(chunks):
            self._send(PID_END if index == len(chunks) - 1 else PID_DATA, chunk)
