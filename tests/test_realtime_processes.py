"""Two real server processes on PostgreSQL and Redis: ``rm365 serve`` twice, one site.

A change made through worker A (an inventory item created over HTTP) reaches a client
connected to worker B, and presence in a room lists the users of both workers.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import httpx
import pytest

from rm365_core._realtime_testing import RealtimeTestClient

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def _service(env: str, example: str) -> str:
    value = os.environ.get(env)
    if value:
        return value
    if os.environ.get("CI"):
        pytest.fail(f"{env} is not set: CI must run this test (e.g. {example})")
    pytest.skip(f"{env} is not set (e.g. {example})")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Worker:
    """``python -m rm365_core.cli serve --port P`` with its output kept in a file."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"worker-{name}.log"
        self._log_file = self.log.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rm365_core.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def wait_ready(self, timeout: float = 180) -> None:
        # Two servers importing everything at once on a busy 2-core machine take a while.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited ({self.proc.returncode}):\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"worker did not start in {timeout}s:\n{self.output()}")

    def output(self) -> str:
        self._log_file.flush()
        return self.log.read_text()[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log_file.close()


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rm365_core.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, f"rm365 {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def site_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment of one site on a fresh PostgreSQL schema and the test Redis."""
    pg_url = _service("RM365_TEST_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    redis_url = _service("RM365_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    if "inventory" not in {ep.name for ep in entry_points(group="rm365.plugins")}:
        message = "the rm365-inventory plugin is not installed (uv sync installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from rm365_core.testing import FreshSchema

    schema = FreshSchema(pg_url)
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("RM365_") or key.startswith("RM365_TEST_")
    }
    env.update(
        {
            "RM365_ENV": "test",
            "RM365_DATABASE_URL": schema.url,
            "RM365_REDIS_URL": redis_url,
            "RM365_SECRET_KEY": secrets.token_urlsafe(48),  # one secret: tokens work on both
            "RM365_DATA_DIR": str(tmp_path / "data"),
            "RM365_PLUGINS": "inventory",
            "RM365_AUTO_UPGRADE": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    try:
        yield env
    finally:
        schema.drop()


def _login(url: str, username: str, password: str) -> str:
    response = httpx.post(f"{url}/api/v1/auth/login", json={"username": username, "password": password}, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _names(data: dict[str, Any]) -> set[str]:
    return {user["username"] for user in data["users"]}


def test_two_worker_processes_share_changes_and_presence(site_env, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    admin, admin_password = f"admin_{suffix}", secrets.token_urlsafe(16)
    clerk, clerk_password = f"clerk_{suffix}", secrets.token_urlsafe(16)
    _cli(site_env, "db", "upgrade")
    _cli(site_env, "users", "create-admin", admin, "--password-stdin", stdin=admin_password + "\n")

    workers = [Worker("a", site_env, tmp_path), Worker("b", site_env, tmp_path)]
    clients: list[RealtimeTestClient] = []
    try:
        for worker in workers:
            worker.wait_ready()
        a, b = workers

        admin_token = _login(a.url, admin, admin_password)
        created = httpx.post(
            f"{a.url}/api/v1/users",
            json={"username": clerk, "password": clerk_password, "role": "user", "allowed_tabs": ["inventory"]},
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=30,
        )
        assert created.status_code == 201, created.text
        clerk_token = _login(b.url, clerk, clerk_password)

        on_a = RealtimeTestClient(timeout=10)
        on_b = RealtimeTestClient(timeout=10)
        clients += [on_a, on_b]
        on_a.connect(a.url, admin_token)
        on_b.connect(b.url, clerk_token)
        room = "inventory"
        assert on_a.join(room) == {"ok": True}
        assert on_b.join(room) == {"ok": True}

        # Presence lists the users of both workers, seen from either worker.
        both = {admin, clerk}
        on_a.wait_for("presence", lambda d: d["room"] == room and both <= _names(d))
        on_b.wait_for("presence", lambda d: d["room"] == room and both <= _names(d))
        assert on_b.update_presence(room, {"viewing": "items"}) == {"ok": True}
        on_a.wait_for(
            "presence", lambda d: any(u["username"] == clerk and u["state"] == {"viewing": "items"} for u in d["users"])
        )

        # A change made through worker A reaches the client on worker B.
        sku = f"SKU-{suffix}".upper()
        response = httpx.post(
            f"{a.url}/api/v1/inventory/items",
            json={"sku": sku, "name": "Two-worker test item"},
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        event = on_b.wait_for("inventory.item", lambda d: d.get("sku") == sku)
        assert event["action"] == "created" and event["by"] == admin

        # What a client sends is never relayed: the server alone broadcasts changes.
        assert on_b.emit("inventory.item", {"sku": "FAKE", "action": "deleted"})["ok"] is False
        on_a.assert_no_event("inventory.item", within=0.5, predicate=lambda d: d.get("sku") == "FAKE")

        # Leaving on B is seen on A.
        on_b.close()
        on_a.wait_for("presence", lambda d: d["room"] == room and clerk not in _names(d))
    except BaseException:
        for worker in workers:
            print(f"--- {worker.log.name}\n{worker.output()}")
        raise
    finally:
        for client in clients:
            client.close()
        for worker in workers:
            worker.stop()
