"""The README's first command: `rm365 serve --demo` gives a working site and an admin password."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_demo_prints_a_password_that_logs_in_to_a_seeded_site(tmp_path: Path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RM365_")}
    env["RM365_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [sys.executable, "-m", "rm365_core.cli", "serve", "--demo", "--port", str(port), "--log-level", "warning"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        password = None
        deadline = time.monotonic() + 90
        assert process.stdout is not None
        while password is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                pytest.fail("rm365 serve --demo exited before printing the admin password")
            match = re.search(r"Log in as admin with password: (\S+)", line)
            if match:
                password = match.group(1)
        assert password, "no password printed"
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        login = httpx.post(f"{base}/api/v1/auth/login", json={"username": "admin", "password": password})
        assert login.status_code == 200
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        plugins = {p["name"]: p["state"] for p in httpx.get(f"{base}/api/v1/plugins", headers=auth).json()}
        assert set(plugins.values()) == {"enabled"}, plugins
        items = httpx.get(f"{base}/api/v1/inventory/items?size=5", headers=auth).json()
        assert items["total"] >= 200
        assert httpx.get(f"{base}/").status_code == 200
        assert httpx.get(f"{base}/api/docs").status_code == 200
        # No default password: the admin cannot log in with anything else.
        assert (
            httpx.post(f"{base}/api/v1/auth/login", json={"username": "admin", "password": "admin"}).status_code == 401
        )
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_with_two_workers_keeps_both_running(tmp_path: Path):
    """Each worker builds the whole site before it answers the supervisor's health check; a
    check that gave up after a few seconds killed them over and over on a busy machine."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RM365_")}
    env["RM365_DATA_DIR"] = str(tmp_path / "data")
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "rm365_core.cli", "serve", "--demo", "--workers", "2", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        answered = 0
        while answered < 20 and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                answered += httpx.get(f"{base}/api/health", timeout=2).status_code == 200
            time.sleep(0.25)
        assert answered == 20, log.read_text()[-3000:]
        assert process.poll() is None
        assert "died" not in log.read_text(), log.read_text()[-3000:]
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
