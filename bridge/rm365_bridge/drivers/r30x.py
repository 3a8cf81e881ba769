"""``r30x-fingerprint``: R30x / ZhianTec sensors (R307, R503...) on a serial port.

The sensor matches on its own: templates live in its slots. Enrolment takes ``presses``
presses (2 by default), combines them, stores the model in a free slot and sends the
template to the server; ``fingerprint.sync`` clears the sensor and loads the server's
templates into slots, so any paired station identifies anyone enrolled. Which employee
each slot holds is kept in the bridge's queue database. Between commands the driver polls
for a finger, searches the library and reports ``fingerprint.matched``.

Settings: ``port`` (required), ``baudrate`` (57600), ``address`` (0xFFFFFFFF),
``password`` (0), ``presses`` (2), ``finger_timeout`` (15 s).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from typing import Any

import serial

from ..driver import Driver, DriverError, hookimpl
from .r30x_protocol import DEFAULT_ADDRESS, R30x, SensorError

log = logging.getLogger("rm365.bridge.r30x")

SLOTS_KEY = "r30x.slots"


class R30xDriver(Driver):
    name = "r30x-fingerprint"
    commands = frozenset({"fingerprint.enroll", "fingerprint.sync"})
    POLL = 0.25
    RETRY = 2.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one conversation with the sensor at a time
        self._thread: threading.Thread | None = None
        self.sensor: R30x | None = None
        self._serial: serial.Serial | None = None
        self.state_text = "not started"
        self._slots: dict[int, tuple[str, str]] = {}
        #: Set while an enrolment waits for presses (the identify loop is paused).
        self.enrolling = threading.Event()

    @classmethod
    def probe(cls, settings: dict[str, Any]) -> str:
        port = settings.get("port")
        if not port:
            return "no port set"
        try:
            with serial.Serial(port, baudrate=int(settings.get("baudrate", 57600)), timeout=1) as handle:
                sensor = R30x(handle, int(settings.get("address", DEFAULT_ADDRESS)), int(settings.get("password", 0)))
                sensor.verify_password()
                params = sensor.read_parameters()
                return f"sensor on {port}: {params['capacity']} slots, {sensor.template_count()} used"
        except (serial.SerialException, OSError, SensorError, ValueError) as exc:
            return f"no sensor answering on {port} ({exc})"

    def open(self) -> None:
        if not self.settings.get("port"):
            raise DriverError('r30x-fingerprint: set port = "COM4" (or a device path) in bridge.toml')
        self._load_slots()
        self._thread = threading.Thread(target=self._loop, name="driver-r30x", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def health(self) -> dict[str, Any]:
        return {"ok": self.sensor is not None, "detail": self.state_text}

    # ------------------------------------------------------------------ slots
    def _load_slots(self) -> None:
        raw = self.state.get(SLOTS_KEY) if self.state is not None else None
        if raw:
            self._slots = {int(k): (v[0], v[1]) for k, v in json.loads(raw).items()}

    def _save_slots(self) -> None:
        if self.state is not None:
            self.state.set(SLOTS_KEY, json.dumps({str(k): list(v) for k, v in self._slots.items()}))

    # ------------------------------------------------------------------ connection and polling
    def _connect(self) -> None:
        port = str(self.settings["port"])
        handle = serial.Serial(port, baudrate=int(self.settings.get("baudrate", 57600)), timeout=0.5)
        sensor = R30x(handle, int(self.settings.get("address", DEFAULT_ADDRESS)), int(self.settings.get("password", 0)))
        try:
            sensor.verify_password()
            params = sensor.read_parameters()
        except BaseException:
            handle.close()
            raise
        self._serial, self.sensor = handle, sensor
        self.state_text = f"sensor on {port}, {params['capacity']} slots"
        log.info("fingerprint sensor ready on %s (%d slots)", port, params["capacity"])

    def _disconnect(self) -> None:
        handle, self._serial, self.sensor = self._serial, None, None
        if handle is not None:
            try:
                handle.close()
            except Exception:  # noqa: BLE001
                log.debug("close failed", exc_info=True)

    def _loop(self) -> None:
        said = False
        while not self._stop.is_set():
            if self.sensor is None:
                try:
                    with self._lock:
                        self._connect()
                    said = False
                except (serial.SerialException, OSError, SensorError, ValueError) as exc:
                    if not said:
                        log.warning("fingerprint sensor not available (%s); trying again every %g s", exc, self.RETRY)
                        said = True
                    self.state_text = f"not available: {exc}"
                    self._stop.wait(self.RETRY)
                    continue
            try:
                with self._lock:
                    self._identify_once()
            except SensorError as exc:
                log.warning("fingerprint sensor: %s", exc)
            except (serial.SerialException, OSError) as exc:
                log.warning("fingerprint sensor went away (%s)", exc)
                self._disconnect()
            self._stop.wait(self.POLL)

    def _identify_once(self) -> None:
        sensor = self.sensor
        if sensor is None or not sensor.finger_present():
            return
        try:
            sensor.image_to_buffer(1)
            found = sensor.search(1)
        finally:
            self._wait_lift(sensor, timeout=5.0)
        if found is None:
            log.info("finger not recognised (not found on the sensor)")
            if self.settings.get("report_unknown"):  # `rm365-bridge test`: show every finger
                self.emit("fingerprint.unknown", {})
            return
        slot, score = found
        holder = self._slots.get(slot)
        if holder is None:
            log.warning("finger matched sensor slot %d, which no synced employee holds", slot)
            return
        code, finger = holder
        self.emit("fingerprint.matched", {"employee_code": code, "finger": finger, "score": score})

    def _wait_finger(self, sensor: R30x, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not sensor.finger_present():
            if time.monotonic() > deadline:
                raise DriverError("no finger on the sensor: the time to press ran out")
            time.sleep(0.1)

    def _wait_lift(self, sensor: R30x, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while sensor.finger_present() and time.monotonic() < deadline:
            time.sleep(0.1)

    # ------------------------------------------------------------------ commands
    def command(self, name: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        with self._lock:
            sensor = self.sensor
            if sensor is None:
                raise DriverError(f"no fingerprint sensor is attached ({self.state_text})")
            try:
                if name == "fingerprint.enroll":
                    self.enrolling.set()
                    try:
                        return self._enroll(sensor, payload, timeout)
                    finally:
                        self.enrolling.clear()
                if name == "fingerprint.sync":
                    return self._sync(sensor, payload)
            except SensorError as exc:
                raise DriverError(str(exc)) from None
            except (serial.SerialException, OSError) as exc:
                self._disconnect()
                raise DriverError(f"the fingerprint sensor went away ({exc})") from None
        return super().command(name, payload, timeout)

    def _enroll(self, sensor: R30x, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        code = str(payload.get("employee_code") or "")
        finger = str(payload.get("finger") or "")
        if not code or not finger:
            raise DriverError("fingerprint.enroll needs employee_code and finger")
        presses = max(2, int(self.settings.get("presses", 2)))
        per_press = min(float(self.settings.get("finger_timeout", 15)), max(timeout - 2, 1) / presses)
        score = 0
        for press in range(presses):
            self._wait_finger(sensor, per_press)
            sensor.image_to_buffer(1 if press == 0 else 2)
            self._wait_lift(sensor, timeout=5.0)
            if press > 0:
                score = sensor.match()
                sensor.combine()  # the model is left in buffer 1 (and 2)
        slot = next((s for s in range(sensor.capacity) if s not in self._slots), None)
        if slot is None:
            raise DriverError("the sensor's library is full")
        sensor.store(1, slot)
        template = sensor.upload(1)
        self._slots[slot] = (code, finger)
        self._save_slots()
        log.info("enrolled %s %s in sensor slot %d", code, finger, slot)
        return {"template": base64.b64encode(template).decode(), "quality": max(0, min(100, score // 2))}

    def _sync(self, sensor: R30x, payload: dict[str, Any]) -> dict[str, Any]:
        templates = payload.get("templates") or []
        if not isinstance(templates, list):
            raise DriverError("fingerprint.sync needs a list of templates")
        sensor.empty()
        self._slots = {}
        skipped = 0
        for item in templates:
            if len(self._slots) >= sensor.capacity:
                skipped += 1
                continue
            try:
                data = base64.b64decode(str(item["template"]), validate=True)
                slot = len(self._slots)
                sensor.download(data, 1)
                sensor.store(1, slot)
            except (KeyError, TypeError, ValueError, SensorError) as exc:
                skipped += 1
                log.warning("template of %s not loaded into the sensor: %s", item.get("employee_code"), exc)
                continue
            self._slots[slot] = (str(item["employee_code"]), str(item.get("finger", "")))
        self._save_slots()
        log.info("fingerprint sensor holds %d templates (%d skipped)", len(self._slots), skipped)
        return {"count": len(self._slots)}


@hookimpl
def bridge_driver() -> type[Driver]:
    return R30xDriver
