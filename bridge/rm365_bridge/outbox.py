"""The offline queue: every event is written here (SQLite, WAL, synchronous writes) before
anything else happens, and leaves it only once the server answered for it.

* ``put`` gives the event its id and stores it, with a driver's cursor (e.g. a file
  position) in the same transaction, so a crash never loses or repeats a reading.
* ``batch`` hands out the oldest events; ``settle`` applies the server's answers:
  accepted or duplicate ones are removed, rejected ones move to the dead letters, and
  ``retry`` ones stay where they are (oldest first, so order is kept).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    data TEXT NOT NULL,
    error TEXT NOT NULL,
    rejected_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def now() -> datetime:
    return datetime.now(UTC)


class Outbox:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self.added = threading.Condition()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ writing
    def put(
        self,
        type: str,
        data: dict[str, Any],
        *,
        occurred_at: datetime | None = None,
        cursor: tuple[str, str] | None = None,
        event_id: str | None = None,
    ) -> str:
        """Store an event (and a driver's cursor, atomically); returns its id."""
        event_id = event_id or uuid.uuid4().hex
        when = (occurred_at or now()).astimezone(UTC).isoformat()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO events (id, type, occurred_at, data) VALUES (?, ?, ?, ?)",
                    (event_id, type, when, json.dumps(data)),
                )
                if cursor is not None:
                    self._set(*cursor)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        with self.added:
            self.added.notify_all()
        return event_id

    def _set(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._set(key, value)

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # ------------------------------------------------------------------ sending
    def batch(self, limit: int = 100) -> list[dict[str, Any]]:
        """The oldest queued events, as the server takes them."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, type, occurred_at, data FROM events ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [{"id": r[0], "type": r[1], "occurred_at": r[2], "data": json.loads(r[3])} for r in rows]

    def settle(self, results: list[dict[str, Any]]) -> dict[str, int]:
        """Apply the server's answers; returns how many were delivered, rejected, kept."""
        counts = {"delivered": 0, "rejected": 0, "kept": 0}
        stamp = now().isoformat()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for result in results:
                    event_id, status = result.get("id"), result.get("status")
                    if not isinstance(event_id, str):
                        continue
                    if status in ("accepted", "duplicate"):
                        self._db.execute("DELETE FROM events WHERE id = ?", (event_id,))
                        counts["delivered"] += 1
                    elif status == "rejected":
                        self._db.execute(
                            "INSERT OR REPLACE INTO dead_letters (id, type, occurred_at, data, error, rejected_at) "
                            "SELECT id, type, occurred_at, data, ?, ? FROM events WHERE id = ?",
                            (str(result.get("error") or "rejected"), stamp, event_id),
                        )
                        self._db.execute("DELETE FROM events WHERE id = ?", (event_id,))
                        counts["rejected"] += 1
                    else:
                        counts["kept"] += 1
                if counts["delivered"] or counts["rejected"]:
                    self._set("last_delivery", stamp)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return counts

    # ------------------------------------------------------------------ status
    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])

    def dead_letters(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, type, occurred_at, data, error, rejected_at FROM dead_letters "
                "ORDER BY rejected_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            {
                "id": r[0],
                "type": r[1],
                "occurred_at": r[2],
                "data": json.loads(r[3]),
                "error": r[4],
                "rejected_at": r[5],
            }
            for r in rows
        ]

    def dead_letter_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM dead_letters").fetchone()[0])

    def wait_for_events(self, timeout: float) -> None:
        with self.added:
            self.added.wait(timeout)
