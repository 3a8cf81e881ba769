"""Fixtures of the browser tests: a real server in a subprocess and Playwright on Chromium."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("RM365_CHROMIUM", "/usr/bin/chromium")
# Quiet, deterministic Chromium: no sandbox (containers), no background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN = "admin"
START_TIMEOUT = 60.0


def _unavailable(reason: str) -> None:
    """Skip locally; in CI a browser test that cannot run is a failure, not a skip."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """A running ``rm365 serve`` with an admin; users and roles are made through its API."""

    base_url: str
    admin_password: str
    log_path: Path
    _tokens: dict[str, str] = field(default_factory=dict)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=15)

    def login(self, username: str, password: str) -> dict[str, Any]:
        with self.client() as client:
            response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        response.raise_for_status()
        return response.json()

    def admin_token(self) -> str:
        if "admin" not in self._tokens:
            self._tokens["admin"] = self.login(ADMIN, self.admin_password)["access_token"]
        return self._tokens["admin"]

    def admin(self) -> httpx.Client:
        return self.client(self.admin_token())

    def create_user(self, username: str, password: str, role: str = "user", tabs: list[str] | None = None) -> None:
        with self.admin() as client:
            response = client.post(
                "/api/v1/users",
                json={
                    "username": username,
                    "password": password,
                    "role": role,
                    "allowed_tabs": tabs or [],
                    "active": True,
                },
            )
        assert response.status_code == 201, response.text

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _server_env(data_dir: Path) -> dict[str, str]:
    # Only this test's settings: no database/Redis URL leaking in from the outer environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RM365_")}
    env["RM365_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the whole browser session: fresh SQLite data folder, admin created by CLI."""
    root = tmp_path_factory.mktemp("rm365-browser")
    data_dir = root / "data"
    env = _server_env(data_dir)
    password = secrets.token_urlsafe(16)
    created = subprocess.run(
        [sys.executable, "-m", "rm365_core.cli", "users", "create-admin", ADMIN, "--password-stdin"],
        input=password + "\n",
        env=env,
        cwd=root,  # away from the repository's .env
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, f"create-admin failed:\n{created.stdout}\n{created.stderr}"

    port = _free_port()
    log_path = root / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "rm365_core.cli", "serve", "--port", str(port), "--log-level", "warning"],
            env=env,
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", password, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{server.base_url}/api/health", timeout=2).status_code in (200, 503):
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /api/health in {START_TIMEOUT}s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (Playwright's own browsers are never installed)."""
    if not (Path(CHROMIUM).exists() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set RM365_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (uv sync --group dev)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def new_page(chromium: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """Opens pages in fresh browser contexts (own storage = own session); closes them after.

    ``new_page()`` gives a page at the login screen; ``new_page(user, password)`` one that
    is signed in through the login form and shows the landing page.
    """
    contexts: list[Any] = []
    errors: list[str] = []

    def open_page(username: str | None = None, password: str | None = None, **context_args: Any) -> Any:
        context_args.setdefault("viewport", {"width": 1280, "height": 800})
        context = chromium.new_context(base_url=live_server.base_url, **context_args)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{username or 'anonymous'}: {exc}"))
        page.goto("/")
        page.get_by_test_id("login-username").wait_for()
        if username is not None:
            login(page, username, password or "")
            page.get_by_test_id("landing").wait_for()
        return page

    yield open_page
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()
    assert not errors, "uncaught errors in the page:\n" + "\n".join(errors)


def login(page: Any, username: str, password: str) -> None:
    """Fills and sends the login form."""
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


@pytest.fixture
def shot(screenshot_dir: Path) -> Callable[..., None]:
    """``shot(page, name)`` saves ``test-artifacts/screenshots/<name>.png``."""

    def take(page: Any, name: str, *, full_page: bool = True) -> None:
        page.wait_for_timeout(250)  # let fonts and the last presence broadcast settle
        page.screenshot(path=str(screenshot_dir / f"{name}.png"), full_page=full_page, animations="disabled")

    return take


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Names that do not collide across tests sharing the session's server."""
    return lambda prefix: f"{prefix}{secrets.token_hex(3)}"
