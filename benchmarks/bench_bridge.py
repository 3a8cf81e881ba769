"""A bridge's backlog: 10,000 punches queued while offline (three days at a busy site) drain
to the server; the aim is under 60 s with none lost and none doubled.

Real processes: ``rm365 serve`` (one worker; the embedded SQLite default, or PostgreSQL with
``--pg``) with this file as a plugin whose handler keeps each punch once by (device, event
id) and counts every call, and ``rm365-bridge run``. Baseline in the same run: single
punches, each sent and acknowledged on its own as a bridge does when punches come one at a
time (the same device channel, batch size 1). Prints punches per second of both and the
ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from rm365_core import hookimpl

ROOT = Path(__file__).resolve().parent.parent
_local = threading.local()


def _db() -> sqlite3.Connection:
    connection = getattr(_local, "db", None)
    if connection is None:
        connection = sqlite3.connect(os.environ["BENCH_PUNCH_DB"], timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS punches (device_id INT, event_id TEXT, uid TEXT, occurred_at TEXT,"
            " UNIQUE (device_id, event_id))"
        )
        connection.execute("CREATE TABLE IF NOT EXISTS calls (event_id TEXT)")
        _local.db = connection
    return connection


def on_card(kernel: Any, device: Any, event: Any) -> None:
    """What an attendance handler does: one row per (device, event id), kept once."""
    db = _db()
    with db:
        db.execute("INSERT INTO calls VALUES (?)", (event.id,))
        db.execute(
            "INSERT OR IGNORE INTO punches VALUES (?, ?, ?, ?)",
            (device.id, event.id, event.data["uid"], event.occurred_at.isoformat()),
        )


@hookimpl
def register_device_handlers() -> dict[str, Any]:
    return {"card.read": on_card}


# ----------------------------------------------------------------------------- the run


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Run:
    def __init__(self, database_url: str | None) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="rm365-bench-bridge-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.punch_db = self.tmp / "punches.sqlite3"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("RM365_")}
        self.env.update(
            RM365_DATA_DIR=str(self.tmp / "data"),
            RM365_SECRET_KEY=secrets.token_urlsafe(48),
            RM365_PLUGINS="benchbridge",
            RM365_PLUGIN_PATHS="benchbridge=bench_bridge",
            PYTHONPATH=os.pathsep.join([str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH", "")]),
            BENCH_PUNCH_DB=str(self.punch_db),
        )
        if database_url:
            self.env["RM365_DATABASE_URL"] = database_url
            self.env["RM365_AUTO_UPGRADE"] = "1"
        self.bridge_dir = self.tmp / "bridge"
        self.processes: list[subprocess.Popen[bytes]] = []

    def run(self, module: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", module, *args],
            env=self.env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{module} {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout.strip()

    def spawn(self, module: str, *args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env=self.env,
            cwd=self.tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def start_server(self) -> None:
        if "RM365_DATABASE_URL" in self.env:
            self.run("rm365_core.cli", "db", "upgrade")
        self.spawn("rm365_core.cli", "serve", "--port", str(self.port), "--log-level", "warning")
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)

    def pair(self) -> None:
        code = self.run("rm365_core.cli", "devices", "pairing-code", "Bench station")
        self.run("rm365_bridge.cli", "pair", "--server", self.url, "--code", code, "--config-dir", str(self.bridge_dir))

    def configure(self, batch: int, swipes: Path) -> None:
        (self.bridge_dir / "bridge.toml").write_text(
            f'[bridge]\nbatch = {batch}\n\n[drivers.simulated]\ninput = "{swipes}"\n'
        )

    def queued(self) -> int:
        db = sqlite3.connect(self.bridge_dir / "queue.sqlite3")
        try:
            return int(db.execute("SELECT count(*) FROM events").fetchone()[0])
        except sqlite3.OperationalError:
            return -1
        finally:
            db.close()

    def punches(self) -> tuple[int, int]:
        """(distinct punches kept, handler calls)."""
        if not self.punch_db.exists():
            return 0, 0
        db = sqlite3.connect(self.punch_db, timeout=30)
        try:
            return (
                int(db.execute("SELECT count(*) FROM punches").fetchone()[0]),
                int(db.execute("SELECT count(*) FROM calls").fetchone()[0]),
            )
        except sqlite3.OperationalError:
            return 0, 0
        finally:
            db.close()

    def fill_queue(self, count: int) -> list[str]:
        """``count`` punches as the bridge queues them while offline, three days of swipes."""
        start = datetime.now(UTC) - timedelta(days=3)
        step = timedelta(days=3) / count
        rows = [
            (uuid.uuid4().hex, "card.read", (start + step * i).isoformat(), json.dumps({"uid": f"{i:08X}"}))
            for i in range(count)
        ]
        from rm365_bridge.outbox import Outbox

        Outbox(self.bridge_dir / "queue.sqlite3").close()  # the schema
        db = sqlite3.connect(self.bridge_dir / "queue.sqlite3")
        with db:
            db.executemany("INSERT INTO events (id, type, occurred_at, data) VALUES (?, ?, ?, ?)", rows)
        db.close()
        return [row[0] for row in rows]

    def wait(self, predicate: Any, timeout: float, what: str) -> float:
        start = time.perf_counter()
        while not predicate():
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"timed out waiting for {what} (queued {self.queued()}, punches {self.punches()})")
            time.sleep(0.05)
        return time.perf_counter() - start

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(10)


@contextlib.contextmanager
def database(pg: bool) -> Iterator[str | None]:
    if not pg:
        yield None
        return
    from _harness import fresh_postgres_database

    with fresh_postgres_database("bench_bridge") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--punches", type=int, default=10_000, help="the backlog (default 10,000)")
    parser.add_argument("--singles", type=int, default=300, help="single punches for the baseline")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of the embedded SQLite")
    args = parser.parse_args()

    with database(args.pg) as url:
        run = Run(url)
        try:
            run.start_server()
            run.pair()
            swipes = run.tmp / "swipes.txt"
            swipes.touch()

            # Baseline: punches one at a time, each its own message and acknowledgement.
            run.configure(1, swipes)
            bridge = run.spawn("rm365_bridge.cli", "run", "--config-dir", str(run.bridge_dir))
            run.wait(lambda: run.queued() == 0, 30, "the bridge to start")
            with swipes.open("a") as handle:
                handle.writelines(f"card S{i:06d}\n" for i in range(args.singles))
            single_seconds = run.wait(lambda: run.punches()[0] >= args.singles, 120, "single punches")
            bridge.terminate()
            bridge.wait(10)

            # The backlog: queued while offline, sent in batches once the bridge is back.
            run.configure(100, swipes)
            run.fill_queue(args.punches)
            run.spawn("rm365_bridge.cli", "run", "--config-dir", str(run.bridge_dir))
            drain_seconds = run.wait(
                lambda: run.queued() == 0 and run.punches()[0] >= args.singles + args.punches, 300, "the backlog"
            )
            kept, calls = run.punches()
        finally:
            run.close()

    expected = args.singles + args.punches
    single_rate = args.singles / single_seconds
    drain_rate = args.punches / drain_seconds
    print(f"database: {'PostgreSQL' if args.pg else 'SQLite (embedded default)'}")
    print(f"single punches (baseline): {args.singles} in {single_seconds:.2f} s = {single_rate:,.0f} punches/s")
    print(
        f"backlog of {args.punches:,}: drained in {drain_seconds:.2f} s = {drain_rate:,.0f} punches/s "
        f"({drain_rate / single_rate:.1f}x the single-punch rate); aim < 60 s: "
        f"{'met' if drain_seconds < 60 else 'MISSED'}"
    )
    print(f"kept {kept:,} of {expected:,} (lost {expected - kept}), handler calls {calls:,} (doubled {calls - kept})")
    if kept != expected or calls != kept:
        raise SystemExit("punches were lost or doubled")


if __name__ == "__main__":
    main()
