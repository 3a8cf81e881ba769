"""Real processes: `rm365 serve` and `rm365-bridge run`. The server is killed in the middle of
a backlog and the bridge is killed (-9) between queueing and sending; after restarts every
punch has arrived once, in order, with the time the bridge read it."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")]

#: A server plugin that keeps each punch once, by (device, event id), in its own SQLite file.
PUNCH_PLUGIN = """
import sqlite3, os
from rm365_core import hookimpl

PATH = os.environ["PUNCH_DB"]

def on_card(kernel, device, event):
    db = sqlite3.connect(PATH)
    with db:
        db.execute("CREATE TABLE IF NOT EXISTS punches (device_id INT, event_id TEXT, uid TEXT, occurred_at TEXT,"
                   " UNIQUE (device_id, event_id))")
        db.execute("INSERT OR IGNORE INTO punches VALUES (?, ?, ?, ?)",
                   (device.id, event.id, event.data["uid"], event.occurred_at.isoformat()))
    db.close()

@hookimpl
def register_device_handlers():
    return {"card.read": on_card}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (tmp / "plugin").mkdir()
        (tmp / "plugin" / "punch_store.py").write_text(textwrap.dedent(PUNCH_PLUGIN))
        self.punch_db = tmp / "punches.sqlite3"
        self.env = {
            **os.environ,
            "RM365_DATA_DIR": str(tmp / "data"),
            "RM365_PLUGINS": "punch",
            "RM365_PLUGIN_PATHS": "punch=punch_store",
            "PYTHONPATH": os.pathsep.join([str(tmp / "plugin"), os.environ.get("PYTHONPATH", "")]),
            "PUNCH_DB": str(self.punch_db),
        }
        self.env.pop("RM365_DATABASE_URL", None)
        self.bridge_dir = tmp / "bridge"
        self.swipes = tmp / "swipes.txt"
        self.swipes.touch()
        self.server: subprocess.Popen | None = None
        self.bridge: subprocess.Popen | None = None
        self.fds: list[int] = []

    def rm365(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "rm365_core.cli", *args],
            env=self.env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def start_server(self) -> None:
        self.server = subprocess.Popen(
            [sys.executable, "-m", "rm365_core.cli", "serve", "--port", str(self.port), "--log-level", "warning"],
            env=self.env,
            cwd=self.tmp,
            stdout=subprocess.DEVNULL,
            stderr=self._log("server.log"),
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.server.poll() is None, (self.tmp / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)

    def start_bridge(self) -> None:
        self.bridge = subprocess.Popen(
            [sys.executable, "-m", "rm365_bridge.cli", "run", "--config-dir", str(self.bridge_dir)],
            env=self.env,
            cwd=self.tmp,
            stdout=subprocess.DEVNULL,
            stderr=self._log("bridge.log"),
        )

    def _log(self, name: str) -> int:
        fd = os.open(self.tmp / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.fds.append(fd)
        return fd

    def close(self) -> None:
        self.kill(self.bridge)
        self.kill(self.server)
        for fd in self.fds:
            os.close(fd)

    @staticmethod
    def kill(process: subprocess.Popen | None) -> None:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(10)

    def swipe(self, *uids: str) -> None:
        with self.swipes.open("a") as handle:
            handle.writelines(f"card {uid}\n" for uid in uids)

    def punches(self) -> list[tuple[str, str, str]]:
        if not self.punch_db.exists():
            return []
        db = sqlite3.connect(self.punch_db)
        try:
            return db.execute("SELECT event_id, uid, occurred_at FROM punches ORDER BY rowid").fetchall()
        except sqlite3.OperationalError:
            return []
        finally:
            db.close()

    def queued(self) -> list[tuple[str, str]]:
        db = sqlite3.connect(self.bridge_dir / "queue.sqlite3")
        try:
            return db.execute("SELECT id, occurred_at FROM events ORDER BY seq").fetchall()
        finally:
            db.close()

    def wait(self, predicate, timeout: float = 60, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, (
                f"timed out waiting for {what}; bridge log:\n" + ((self.tmp / "bridge.log").read_text()[-3000:])
            )
            time.sleep(0.1)


@pytest.fixture
def procs(tmp_path):
    p = Processes(tmp_path)
    yield p
    p.close()


def test_every_punch_arrives_once_in_order_with_its_time_through_kills_and_restarts(procs):
    code = procs.rm365("devices", "pairing-code", "Station A")
    procs.start_server()
    paired = subprocess.run(
        [
            sys.executable,
            "-m",
            "rm365_bridge.cli",
            "pair",
            "--server",
            procs.url,
            "--code",
            code,
            "--config-dir",
            str(procs.bridge_dir),
        ],
        env=procs.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert paired.returncode == 0, paired.stderr
    (procs.bridge_dir / "bridge.toml").write_text(
        f'[bridge]\nbatch = 10\n\n[drivers.simulated]\ninput = "{procs.swipes}"\n'
    )
    procs.start_bridge()
    procs.swipe("A0", "A1")
    procs.wait(lambda: len(procs.punches()) == 2, what="the first punches")

    # The server goes away; the bridge keeps queuing.
    procs.kill(procs.server)
    backlog = [f"B{i:03d}" for i in range(300)]
    procs.swipe(*backlog)
    procs.wait(lambda: len(procs.queued()) >= 300, what="the backlog queued")
    times = dict(procs.queued())

    # Killed between queueing and sending; two more swipes while it is down.
    procs.kill(procs.bridge)
    procs.swipe("C0", "C1")

    # Both back; the server is killed again in the middle of the backlog, and restarted.
    procs.start_server()
    procs.start_bridge()
    procs.wait(lambda: len(procs.punches()) > 20, what="part of the backlog")
    procs.kill(procs.server)
    arrived_before_kill = len(procs.punches())
    procs.start_server()
    procs.wait(lambda: len(procs.punches()) == 2 + 300 + 2, timeout=120, what="every punch")
    procs.wait(lambda: len(procs.queued()) == 0, what="an empty queue")

    punches = procs.punches()
    assert arrived_before_kill < 304, "the server should have been killed mid-backlog"
    assert [uid for _id, uid, _at in punches] == ["A0", "A1", *backlog, "C0", "C1"]
    assert len({event_id for event_id, _uid, _at in punches}) == len(punches)
    for event_id, uid, occurred_at in punches:
        if uid.startswith("B"):
            assert occurred_at == times[event_id], f"{uid} lost its time"
