"""``secugen``: SecuGen Hamster sensors through the vendor's FDx SDK Pro library
(``sgfplib.dll`` on Windows, ``libsgfplib.so`` on Linux) with ctypes.

Captures an image, makes an ANSI-378 template, and matches on the bridge against the
templates the server syncs to this bridge (kept in the bridge's queue database so it still
identifies people while offline), with one threshold for the whole site (the server's, or
the ``threshold`` setting until the server sends one).

Settings: ``library`` (path to the SDK library), ``device`` (0x3BD: the first USB device),
``threshold`` (0-199, default 80), ``presses`` (2), ``capture_ms`` (capture wait, 1000),
``cooldown`` (seconds before the same finger counts again, 2).
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import json
import logging
import sys
import threading
import time
from typing import Any

from ..driver import Driver, DriverError, hookimpl

log = logging.getLogger("rm365.bridge.secugen")

SG_DEV_AUTO = 0xFF
USB_AUTO_DETECT = 0x3BD
TEMPLATE_FORMAT_ANSI378 = 0x0100
ERROR_TIME_OUT = 54
TEMPLATES_KEY = "secugen.templates"

ERRORS = {
    1: "the SDK could not be created",
    2: "the SDK function failed",
    3: "invalid parameter",
    5: "the SDK could not load a component",
    51: "a system file could not be loaded",
    52: "the sensor could not be initialised",
    53: "the sensor was unplugged",
    54: "no finger on the sensor (time out)",
    55: "no SecuGen device found",
    56: "the device driver could not be loaded",
    57: "poor image: try again",
    58: "USB bandwidth too low",
    59: "the device is already open by another program",
    61: "unsupported device",
    101: "poor image: too few features, press the finger flat and try again",
    102: "invalid template type",
    103: "invalid first template",
    104: "invalid second template",
    105: "poor image: the features could not be extracted",
    106: "matching failed",
}


def default_library() -> str:
    return "sgfplib.dll" if sys.platform == "win32" else "libsgfplib.so"


class DeviceInfo(ctypes.Structure):
    _fields_ = [
        ("DeviceID", ctypes.c_uint32),
        ("DeviceSN", ctypes.c_ubyte * 16),
        ("ComPort", ctypes.c_uint32),
        ("ComSpeed", ctypes.c_uint32),
        ("ImageWidth", ctypes.c_uint32),
        ("ImageHeight", ctypes.c_uint32),
        ("Contrast", ctypes.c_uint32),
        ("Brightness", ctypes.c_uint32),
        ("Gain", ctypes.c_uint32),
        ("ImageDPI", ctypes.c_uint32),
        ("FWVersion", ctypes.c_uint32),
    ]


class FingerInfo(ctypes.Structure):
    _fields_ = [
        ("FingerNumber", ctypes.c_uint16),
        ("ViewNumber", ctypes.c_uint16),
        ("ImpressionType", ctypes.c_uint16),
        ("ImageQuality", ctypes.c_uint16),
    ]


class SecuGenError(Exception):
    def __init__(self, function: str, code: int) -> None:
        self.code = code
        super().__init__(ERRORS.get(code, f"{function} failed with SecuGen error {code}"))


class FDxSDK:
    """The few SDK calls the driver needs, on one device handle."""

    def __init__(self, library: str) -> None:
        self.lib = ctypes.CDLL(library)  # OSError when absent
        self.handle = ctypes.c_void_p()
        self.width = self.height = 0

    def _call(self, name: str, *args: Any) -> None:
        function = getattr(self.lib, name)
        function.restype = ctypes.c_uint32
        code = int(function(*args))
        if code != 0:
            raise SecuGenError(name, code)

    def open(self, device: int) -> None:
        self._call("SGFPM_Create", ctypes.byref(self.handle))
        self._call("SGFPM_Init", self.handle, ctypes.c_uint32(SG_DEV_AUTO))
        self._call("SGFPM_OpenDevice", self.handle, ctypes.c_uint32(device))
        self._call("SGFPM_SetTemplateFormat", self.handle, ctypes.c_uint16(TEMPLATE_FORMAT_ANSI378))
        info = DeviceInfo()
        self._call("SGFPM_GetDeviceInfo", self.handle, ctypes.byref(info))
        self.width, self.height = int(info.ImageWidth), int(info.ImageHeight)

    def close(self) -> None:
        if self.handle:
            for name in ("SGFPM_CloseDevice", "SGFPM_Terminate"):
                with contextlib.suppress(SecuGenError):
                    self._call(name, self.handle)
            self.handle = ctypes.c_void_p()

    def capture(self, timeout_ms: int) -> tuple[bytes, int] | None:
        """(image, quality 0-100), or None when no finger came within ``timeout_ms``."""
        image = (ctypes.c_ubyte * (self.width * self.height))()
        try:
            self._call("SGFPM_GetImageEx", self.handle, image, ctypes.c_uint32(timeout_ms), None, ctypes.c_uint32(50))
        except SecuGenError as exc:
            if exc.code == ERROR_TIME_OUT:
                return None
            raise
        quality = ctypes.c_uint32()
        self._call(
            "SGFPM_GetImageQuality",
            self.handle,
            ctypes.c_uint32(self.width),
            ctypes.c_uint32(self.height),
            image,
            ctypes.byref(quality),
        )
        return bytes(image), int(quality.value)

    def template(self, image: bytes, quality: int) -> bytes:
        size = ctypes.c_uint32()
        self._call("SGFPM_GetMaxTemplateSize", self.handle, ctypes.byref(size))
        buffer = (ctypes.c_ubyte * size.value)()
        raw = (ctypes.c_ubyte * len(image)).from_buffer_copy(image)
        finger = FingerInfo(0, 0, 0, quality)
        self._call("SGFPM_CreateTemplate", self.handle, ctypes.byref(finger), raw, buffer)
        used = ctypes.c_uint32()
        self._call("SGFPM_GetTemplateSize", self.handle, buffer, ctypes.byref(used))
        return bytes(buffer)[: used.value]

    def score(self, first: bytes, second: bytes) -> int:
        a = (ctypes.c_ubyte * len(first)).from_buffer_copy(first)
        b = (ctypes.c_ubyte * len(second)).from_buffer_copy(second)
        value = ctypes.c_uint32()
        self._call("SGFPM_GetMatchingScore", self.handle, a, b, ctypes.byref(value))
        return int(value.value)


class SecuGenDriver(Driver):
    name = "secugen"
    commands = frozenset({"fingerprint.enroll", "fingerprint.sync"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sdk: FDxSDK | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.templates: list[tuple[str, str, bytes]] = []
        self.threshold = int(self.settings.get("threshold", 80))
        self.enrolling = threading.Event()

    @classmethod
    def probe(cls, settings: dict[str, Any]) -> str:
        library = str(settings.get("library") or default_library())
        try:
            sdk = FDxSDK(library)
        except OSError:
            return f"not found (no SecuGen library at {library}; install the FDx SDK Pro or set library)"
        try:
            sdk.open(int(settings.get("device", USB_AUTO_DETECT)))
            return f"SecuGen sensor found ({sdk.width}x{sdk.height})"
        except SecuGenError as exc:
            return f"SecuGen library loaded, no sensor: {exc}"
        finally:
            sdk.close()

    def open(self) -> None:
        library = str(self.settings.get("library") or default_library())
        try:
            sdk = FDxSDK(library)
        except OSError as exc:
            raise DriverError(f"secugen: the SDK library {library} was not found ({exc}); set library = PATH") from None
        try:
            sdk.open(int(self.settings.get("device", USB_AUTO_DETECT)))
        except SecuGenError as exc:
            sdk.close()
            raise DriverError(f"secugen: {exc}") from None
        self.sdk = sdk
        self._load_templates()
        self._thread = threading.Thread(target=self._loop, name="driver-secugen", daemon=True)
        self._thread.start()
        log.info("SecuGen sensor ready (%dx%d), %d templates", sdk.width, sdk.height, len(self.templates))

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            if self.sdk is not None:
                self.sdk.close()
                self.sdk = None

    def health(self) -> dict[str, Any]:
        return {"ok": self.sdk is not None, "detail": f"{len(self.templates)} templates, threshold {self.threshold}"}

    # ------------------------------------------------------------------ templates
    def _load_templates(self) -> None:
        raw = self.state.get(TEMPLATES_KEY) if self.state is not None else None
        if raw:
            saved = json.loads(raw)
            self.threshold = int(saved.get("threshold", self.threshold))
            self.templates = [(t[0], t[1], base64.b64decode(t[2])) for t in saved.get("templates", [])]

    def _save_templates(self) -> None:
        if self.state is not None:
            items = [[code, finger, base64.b64encode(data).decode()] for code, finger, data in self.templates]
            self.state.set(TEMPLATES_KEY, json.dumps({"threshold": self.threshold, "templates": items}))

    # ------------------------------------------------------------------ identifying
    def _loop(self) -> None:
        capture_ms = int(self.settings.get("capture_ms", 1000))
        cooldown = float(self.settings.get("cooldown", 2.0))
        while not self._stop.is_set():
            try:
                with self._lock:
                    if self.sdk is None:
                        return
                    captured = self.sdk.capture(capture_ms)
                    if captured is None:
                        continue
                    matched = self._identify(self.sdk, *captured)
            except SecuGenError as exc:
                log.warning("SecuGen sensor: %s", exc)
                self._stop.wait(1.0)
                continue
            if matched is not None:
                code, finger, score = matched
                self.emit("fingerprint.matched", {"employee_code": code, "finger": finger, "score": score})
            else:
                log.info("finger not recognised")
                if self.settings.get("report_unknown"):  # `rm365-bridge test`: show every finger
                    self.emit("fingerprint.unknown", {})
            self._stop.wait(cooldown)

    def _identify(self, sdk: FDxSDK, image: bytes, quality: int) -> tuple[str, str, int] | None:
        probe = sdk.template(image, quality)
        best: tuple[str, str, int] | None = None
        for code, finger, template in self.templates:
            score = sdk.score(probe, template)
            if score >= self.threshold and (best is None or score > best[2]):
                best = (code, finger, score)
        return best

    # ------------------------------------------------------------------ commands
    def command(self, name: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        if name == "fingerprint.sync":
            return self._sync(payload)
        if name != "fingerprint.enroll":
            return super().command(name, payload, timeout)
        with self._lock:
            if self.sdk is None:
                raise DriverError("no SecuGen sensor is attached")
            self.enrolling.set()
            try:
                return self._enroll(self.sdk, payload, timeout)
            except SecuGenError as exc:
                raise DriverError(str(exc)) from None
            finally:
                self.enrolling.clear()

    def _enroll(self, sdk: FDxSDK, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        if not payload.get("employee_code") or not payload.get("finger"):
            raise DriverError("fingerprint.enroll needs employee_code and finger")
        presses = max(2, int(self.settings.get("presses", 2)))
        deadline = time.monotonic() + max(timeout - 2, 1)
        captures: list[tuple[bytes, int]] = []
        while len(captures) < presses:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DriverError("no finger on the sensor: the time to press ran out")
            captured = sdk.capture(int(min(left, 5) * 1000))
            if captured is not None:
                captures.append(captured)
                time.sleep(float(self.settings.get("lift_wait", 0.5)))
        templates = [sdk.template(image, quality) for image, quality in captures]
        for other in templates[1:]:
            if sdk.score(templates[0], other) < self.threshold:
                raise DriverError("the presses do not match: use the same finger each time")
        quality = min(q for _image, q in captures)
        return {"template": base64.b64encode(templates[0]).decode(), "quality": quality}

    def _sync(self, payload: dict[str, Any]) -> dict[str, Any]:
        items = payload.get("templates") or []
        if not isinstance(items, list):
            raise DriverError("fingerprint.sync needs a list of templates")
        loaded: list[tuple[str, str, bytes]] = []
        for item in items:
            try:
                loaded.append(
                    (str(item["employee_code"]), str(item.get("finger", "")), base64.b64decode(item["template"]))
                )
            except (KeyError, TypeError, ValueError) as exc:
                log.warning(
                    "template of %s skipped: %s", item.get("employee_code") if isinstance(item, dict) else "?", exc
                )
        with self._lock:
            self.templates = loaded
            if payload.get("threshold") is not None:
                self.threshold = int(payload["threshold"])
            self._save_templates()
        log.info("%d fingerprint templates loaded, threshold %d", len(loaded), self.threshold)
        return {"count": len(loaded)}


@hookimpl
def bridge_driver() -> type[Driver]:
    return SecuGenDriver
