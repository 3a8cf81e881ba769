"""``serial-card``: RFID/NFC readers that present a serial port (pyserial).

Settings: ``port`` (``COM3``, ``/dev/ttyUSB0``, or ``auto`` to find it by ``vid``/``pid``),
``baudrate`` (9600), ``format``: ``line`` (the reader types the UID as text and a line
end: ``04:A1:B2:C3``, ``04a1b2c3``) or ``raw`` (the UID's bytes, a burst ended by a short
silence). The UID is reported as hex, upper case, without separators. When the reader is
unplugged the driver says so and opens it again once it is back.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import serial
import serial.tools.list_ports

from ..driver import Driver, DriverError, hookimpl

log = logging.getLogger("rm365.bridge.serial-card")

HEX = set("0123456789ABCDEF")


def normalise_uid(text: str) -> str | None:
    """``04:a1:b2:c3`` -> ``04A1B2C3``; text that is not hex (after separators) -> None."""
    cleaned = "".join(ch for ch in text.strip().upper() if ch not in " :-.\t\x02\x03")
    if not cleaned or not set(cleaned) <= HEX:
        return None
    return cleaned


def find_port(vid: int | None, pid: int | None) -> str | None:
    for port in serial.tools.list_ports.comports():
        if (vid is None or port.vid == vid) and (pid is None or port.pid == pid) and (vid or pid):
            return str(port.device)
    return None


class SerialCardDriver(Driver):
    name = "serial-card"
    commands = frozenset({"card.read_next"})
    RETRY = 2.0
    #: Silence that ends a raw UID burst (seconds).
    RAW_GAP = 0.05

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._port: serial.Serial | None = None
        self._waiting: queue.Queue[str] | None = None
        self._lock = threading.Lock()
        self.state_text = "not started"

    @classmethod
    def probe(cls, settings: dict[str, Any]) -> str:
        port = settings.get("port", "auto")
        if port == "auto":
            found = find_port(settings.get("vid"), settings.get("pid"))
            if found:
                return f"reader found on {found}"
            ports = [p.device for p in serial.tools.list_ports.comports()]
            return f"no reader found by vid/pid (serial ports: {', '.join(ports) or 'none'})"
        return f"port {port}"

    def open(self) -> None:
        fmt = self.settings.get("format", "line")
        if fmt not in ("line", "raw"):
            raise DriverError(f'serial-card: format must be "line" or "raw", not {fmt!r}')
        port = self.settings.get("port", "auto")
        if port == "auto" and not (self.settings.get("vid") or self.settings.get("pid")):
            raise DriverError('serial-card: set port = "COM3" (or a device path), or vid and pid to find it')
        self._thread = threading.Thread(target=self._loop, name="driver-serial-card", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        port = self._port
        if port is not None:
            try:
                port.cancel_read()
            except Exception:  # noqa: BLE001
                log.debug("cancel_read failed", exc_info=True)
        if self._thread is not None:
            self._thread.join(3)

    def health(self) -> dict[str, Any]:
        return {"ok": self._port is not None, "detail": self.state_text}

    # ------------------------------------------------------------------ reading
    def _device(self) -> str | None:
        port = self.settings.get("port", "auto")
        if port == "auto":
            return find_port(self.settings.get("vid"), self.settings.get("pid"))
        return str(port)

    def _loop(self) -> None:
        said_missing = False
        while not self._stop.is_set():
            device = self._device()
            try:
                if device is None:
                    raise serial.SerialException("no reader with the configured vid/pid is plugged in")
                self._port = serial.Serial(device, baudrate=int(self.settings.get("baudrate", 9600)), timeout=0.2)
            except (serial.SerialException, OSError, ValueError) as exc:
                if not said_missing:
                    log.warning("card reader not available (%s); trying again every %g s", exc, self.RETRY)
                    said_missing = True
                self.state_text = f"not available: {exc}"
                self._stop.wait(self.RETRY)
                continue
            said_missing = False
            self.state_text = f"reading {device}"
            log.info("card reader open on %s", device)
            try:
                if self.settings.get("format", "line") == "raw":
                    self._read_raw(self._port)
                else:
                    self._read_lines(self._port)
            except (serial.SerialException, OSError) as exc:
                log.warning("card reader on %s went away (%s); waiting for it to come back", device, exc)
            finally:
                port, self._port = self._port, None
                try:
                    port.close()
                except Exception:  # noqa: BLE001
                    log.debug("close failed", exc_info=True)
            self._stop.wait(0.5)

    def _read_lines(self, port: serial.Serial) -> None:
        buffer = b""
        while not self._stop.is_set():
            chunk = port.read(64)
            if not chunk:
                continue
            buffer += chunk
            while b"\n" in buffer or b"\r" in buffer:
                cut = min(i for i in (buffer.find(b"\n"), buffer.find(b"\r")) if i >= 0)
                line, buffer = buffer[:cut], buffer[cut + 1 :]
                text = line.decode("ascii", "replace")
                if text.strip():
                    self._card(text)

    def _read_raw(self, port: serial.Serial) -> None:
        port.timeout = self.RAW_GAP
        burst = b""
        while not self._stop.is_set():
            chunk = port.read(64)
            if chunk:
                burst += chunk
                continue
            if burst:
                self._card(burst.hex())
                burst = b""
            else:
                self._stop.wait(0.05)

    def _card(self, text: str) -> None:
        uid = normalise_uid(text)
        if uid is None:
            log.warning("card reader sent %r, which is not a card number; ignored", text)
            return
        with self._lock:
            waiting = self._waiting
        if waiting is not None:
            waiting.put(uid)
            return
        self.emit("card.read", {"uid": uid})

    # ------------------------------------------------------------------ commands
    def command(self, name: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        if name != "card.read_next":
            return super().command(name, payload, timeout)
        if self._port is None:
            raise DriverError(f"the card reader is not connected ({self.state_text})")
        waiting: queue.Queue[str] = queue.Queue()
        with self._lock:
            if self._waiting is not None:
                raise DriverError("already waiting for a card")
            self._waiting = waiting
        try:
            return {"uid": waiting.get(timeout=max(timeout - 1, 0.5))}
        except queue.Empty:
            raise DriverError("no card was presented") from None
        finally:
            with self._lock:
                self._waiting = None


@hookimpl
def bridge_driver() -> type[Driver]:
    return SerialCardDriver
