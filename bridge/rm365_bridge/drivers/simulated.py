"""``simulated``: a card reader and a fingerprint sensor fed from a text file it follows
(``input = PATH``) or from standard input (``input = "-"``), for demos and tests.

Each line is ``card <UID>`` or ``finger <employee code> [finger]``. The file position is
stored with each queued event, so a restart neither repeats nor skips a line. While the
server waits for ``card.read_next``, the next card answers it instead of clocking in.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import queue
import sys
import threading
from pathlib import Path
from typing import Any

from ..driver import Driver, DriverError, hookimpl

log = logging.getLogger("rm365.bridge.simulated")


class SimulatedDriver(Driver):
    name = "simulated"
    commands = frozenset({"card.read_next", "fingerprint.enroll", "fingerprint.sync"})
    POLL = 0.1

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._waiting: queue.Queue[str] | None = None
        self._lock = threading.Lock()
        self.templates: dict[str, tuple[str, str]] | None = None  # employee code -> (finger, template)
        self.threshold = 0

    @classmethod
    def probe(cls, settings: dict[str, Any]) -> str:
        source = settings.get("input")
        if source is None:
            return "available (no input set)"
        return "reads standard input" if source == "-" else f"follows {source}"

    def open(self) -> None:
        source = self.settings.get("input")
        if not isinstance(source, str) or not source:
            raise DriverError('simulated: set input = "/path/to/file" (or "-" for standard input) in bridge.toml')
        self.source = source
        target = self._follow_stdin if source == "-" else self._follow_file
        self._thread = threading.Thread(target=target, name="driver-simulated", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self.source != "-":
            self._thread.join(2)

    def health(self) -> dict[str, Any]:
        return {"ok": self._thread is not None and self._thread.is_alive(), "detail": self.probe(self.settings)}

    # ------------------------------------------------------------------ reading
    def _key(self) -> str:
        return f"simulated.offset:{Path(self.source).resolve()}"

    def _follow_file(self) -> None:
        path = Path(self.source)
        stored = self.state.get(self._key()) if self.state is not None else None
        if stored is not None:
            offset = int(stored)
        else:
            # Without a stored position (``rm365-bridge test``) only new lines count.
            offset = 0 if self.state is not None else (path.stat().st_size if path.exists() else 0)
        pending = b""
        while not self._stop.is_set():
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                self._stop.wait(self.POLL)
                continue
            if size < offset:  # the file was replaced or truncated: start again
                offset, pending = 0, b""
            if size == offset:
                self._stop.wait(self.POLL)
                continue
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read(size - offset)
            data = pending + chunk
            consumed = offset - len(pending)
            *lines, pending = data.split(b"\n")
            for raw in lines:
                consumed += len(raw) + 1
                self._line(raw.decode("utf-8", "replace"), str(consumed))
            offset = size

    def _follow_stdin(self) -> None:
        for line in sys.stdin:
            if self._stop.is_set():
                return
            self._line(line, None)

    def _line(self, line: str, position: str | None) -> None:
        cursor = (self._key(), position) if position is not None and self.state is not None else None
        words = line.split()
        if len(words) >= 2 and words[0].lower() == "card":
            uid = "".join(ch for ch in words[1].upper() if ch.isalnum())
            with self._lock:
                waiting = self._waiting
            if waiting is not None:
                waiting.put(uid)
                self._save(cursor)
                return
            self.emit("card.read", {"uid": uid}, cursor=cursor)
        elif len(words) >= 2 and words[0].lower() == "finger":
            code = words[1]
            finger = words[2] if len(words) > 2 else "right_index"
            if self.templates is not None and code not in self.templates:
                log.warning("finger of %s not recognised (no template synced for it)", code)
                self._save(cursor)
                return
            if self.templates is not None:
                finger = self.templates[code][0]
            self.emit("fingerprint.matched", {"employee_code": code, "finger": finger, "score": 100}, cursor=cursor)
        else:
            if line.strip():
                log.warning("simulated: ignored line %r (expected `card <UID>` or `finger <code>`)", line.strip())
            self._save(cursor)

    def _save(self, cursor: tuple[str, str] | None) -> None:
        if cursor is not None and self.state is not None:
            self.state.set(*cursor)

    # ------------------------------------------------------------------ commands
    def command(self, name: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        if name == "card.read_next":
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
        if name == "fingerprint.enroll":
            code = str(payload.get("employee_code") or "")
            finger = str(payload.get("finger") or "right_index")
            if not code:
                raise DriverError("fingerprint.enroll needs an employee_code")
            template = hashlib.sha256(f"simulated:{code}:{finger}".encode()).digest() * 8
            return {"template": base64.b64encode(template).decode(), "quality": 90}
        if name == "fingerprint.sync":
            templates = payload.get("templates") or []
            if not isinstance(templates, list):
                raise DriverError("fingerprint.sync needs a list of templates")
            self.templates = {
                str(t.get("employee_code")): (str(t.get("finger", "")), str(t.get("template", "")))
                for t in templates
                if isinstance(t, dict) and t.get("employee_code")
            }
            self.threshold = int(payload.get("threshold") or 0)
            log.info("simulated: %d fingerprint templates loaded", len(self.templates))
            return {"count": len(self.templates)}
        return super().command(name, payload, timeout)


@hookimpl
def bridge_driver() -> type[Driver]:
    return SimulatedDriver
