"""Whose address the kernel sees: the peer, unless it is a proxy named in RM365_TRUSTED_PROXIES."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from rm365_core._settings import SettingsError, load_settings


def _client(site, peer: str) -> TestClient:
    client = TestClient(site.app, raise_server_exceptions=False, client=(peer, 40000))
    site._clients.append(client)
    return client


def _guess(client, forwarded_for: str) -> int:
    return client.post(
        "/api/v1/auth/login",
        json={"username": "nobody", "password": "wrong-pass"},
        headers={"X-Forwarded-For": forwarded_for},
    ).status_code


def test_no_proxy_is_trusted_by_default_not_even_localhost(rm365_site):
    site = rm365_site(plugins=[], discover=False, login_address_max_failures=2)
    local = _client(site, "127.0.0.1")
    assert [_guess(local, f"198.51.100.{n}") for n in range(3)] == [401, 401, 429]


def test_a_trusted_proxy_reports_the_client_address(rm365_site):
    site = rm365_site(plugins=[], discover=False, login_address_max_failures=2, trusted_proxies=["10.9.0.0/24"])
    proxy = _client(site, "10.9.0.5")
    assert [_guess(proxy, "203.0.113.7") for _ in range(3)] == [401, 401, 429]
    assert _guess(proxy, "203.0.113.8") == 401
    # A client cannot pick its address by sending its own header through the proxy.
    assert _guess(proxy, "203.0.113.8, 203.0.113.7") == 429


@pytest.mark.parametrize("value", ["*", "not-an-address"])
def test_trusted_proxies_must_be_addresses(monkeypatch, value):
    monkeypatch.setenv("RM365_TRUSTED_PROXIES", value)
    with pytest.raises(SettingsError, match="RM365_TRUSTED_PROXIES"):
        load_settings()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_believes_no_forwarded_header_unless_told(tmp_path):
    import os
    import subprocess
    import sys
    import time

    import httpx

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RM365_")}
    env.update(RM365_DATA_DIR=str(tmp_path / "data"), RM365_LOGIN_ADDRESS_MAX_FAILURES="2", RM365_PLUGINS="core")
    server = subprocess.Popen(
        [sys.executable, "-m", "rm365_core.cli", "serve", "--port", str(port), "--log-level", "warning"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/api/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        with httpx.Client(base_url=url, timeout=30) as client:
            assert [_guess(client, f"198.51.100.{n}") for n in range(3)] == [401, 401, 429]
    finally:
        server.terminate()
        server.wait(timeout=30)
