"""The serial card reader against a real pseudo-terminal with a scripted reader on the
other end: text and raw formats, UIDs in hex upper case, unplug and plug back."""

from __future__ import annotations

import os
import queue
import sys
from pathlib import Path
from typing import Any

import pytest
from rm365_bridge.drivers.serial_card import SerialCardDriver, normalise_uid

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


class FakeReader:
    """The reader's side of a pseudo-terminal, reachable through a stable symlink (like
    /dev/serial/by-id/...), so it can be unplugged and plugged back."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master: int | None = None
        self.slave: int | None = None
        self.plug()

    def plug(self) -> None:
        import tty

        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        if self.link.is_symlink():
            self.link.unlink()
        self.link.symlink_to(os.ttyname(self.slave))

    def unplug(self) -> None:
        self.link.unlink()
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None

    def send(self, data: bytes) -> None:
        assert self.master is not None
        os.write(self.master, data)

    def close(self) -> None:
        if self.master is not None:
            self.unplug()


@pytest.fixture
def reader(tmp_path):
    fake = FakeReader(tmp_path / "ttyREADER")
    yield fake
    fake.close()


def _driver(settings: dict[str, Any]) -> tuple[SerialCardDriver, queue.Queue]:
    got: queue.Queue = queue.Queue()

    def emit(type: str, data: dict[str, Any], *, cursor: Any = None) -> None:
        got.put((type, data))

    driver = SerialCardDriver(settings, emit)
    driver.RETRY = 0.2
    driver.open()
    return driver, got


@pytest.mark.parametrize(
    ("text", "uid"),
    [("04:a1:b2:c3", "04A1B2C3"), ("04 A1 B2 C3", "04A1B2C3"), ("0a0b0c0d", "0A0B0C0D"), ("hello", None)],
)
def test_uids_are_normalised_to_hex_upper_case(text, uid):
    assert normalise_uid(text) == uid


def test_a_card_typed_as_a_line_becomes_a_card_read(reader, wait_until):
    driver, got = _driver({"port": str(reader.link)})
    try:
        wait_until(lambda: driver._port is not None, what="port open")
        reader.send(b"04:a1:b2:c3\r\n")
        reader.send(b"garbage!\r\n0a0b\n")

        assert got.get(timeout=5) == ("card.read", {"uid": "04A1B2C3"})
        assert got.get(timeout=5) == ("card.read", {"uid": "0A0B"})
    finally:
        driver.close()


def test_raw_bytes_become_the_hex_uid(reader, wait_until):
    driver, got = _driver({"port": str(reader.link), "format": "raw"})
    try:
        wait_until(lambda: driver._port is not None, what="port open")
        reader.send(bytes([0x04, 0xA1, 0xB2, 0xC3]))

        assert got.get(timeout=5) == ("card.read", {"uid": "04A1B2C3"})
    finally:
        driver.close()


def test_the_reader_is_opened_again_after_being_unplugged(reader, wait_until):
    driver, got = _driver({"port": str(reader.link)})
    try:
        wait_until(lambda: driver._port is not None, what="port open")
        reader.unplug()
        wait_until(lambda: driver._port is None, what="noticed the unplug")
        assert driver.health()["ok"] is False

        reader.plug()
        wait_until(lambda: driver._port is not None, what="port open again")
        reader.send(b"DEADBEEF\n")

        assert got.get(timeout=5) == ("card.read", {"uid": "DEADBEEF"})
    finally:
        driver.close()


def test_read_next_card_answers_the_command_instead_of_clocking_in(reader, wait_until):
    import threading

    driver, got = _driver({"port": str(reader.link)})
    try:
        wait_until(lambda: driver._port is not None, what="port open")
        answer: dict = {}
        worker = threading.Thread(target=lambda: answer.update(driver.command("card.read_next", {}, 5)))
        worker.start()
        wait_until(lambda: driver._waiting is not None, what="waiting")
        reader.send(b"1234ABCD\n")
        worker.join(5)
    finally:
        driver.close()

    assert answer == {"uid": "1234ABCD"}
    assert got.empty()


def test_a_missing_port_setting_is_explained():
    from rm365_bridge import DriverError

    with pytest.raises(DriverError, match="set port"):
        SerialCardDriver({}, lambda *a, **k: None).open()
