"""Login throttling: guessing slows down without giving anyone a button that locks others out."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient


def _from(site, address: str) -> TestClient:
    client = TestClient(site.app, raise_server_exceptions=False, client=(address, 40000))
    site._clients.append(client)
    return client


def _login(client, username: str, password: str) -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


@pytest.fixture
def site(rm365_site):
    return rm365_site(plugins=[], discover=False)


def test_typos_for_made_up_names_do_not_lock_out_others_at_the_same_address(site):
    site.create_user("admin1", password="correct horse", role="admin")
    shop = _from(site, "10.0.0.1")
    for i in range(8):
        assert _login(shop, f"guess{i}", "wrong-pass").status_code == 401
    assert _login(shop, "admin1", "correct horse").status_code == 200


def test_failures_from_other_addresses_do_not_lock_the_account(site):
    site.create_user("admin1", password="correct horse", role="admin")
    for n in range(6):
        assert _login(_from(site, f"10.0.1.{n}"), "admin1", "wrong-pass").status_code == 401
    assert _login(_from(site, "10.0.2.1"), "admin1", "correct horse").status_code == 200


def test_an_account_guessed_from_one_address_waits_longer_each_time(rm365_site):
    site = rm365_site(plugins=[], discover=False, login_max_failures=3, login_delay_seconds=1)
    site.create_user("bob", password="correct horse")
    client = _from(site, "10.0.0.9")
    for _ in range(3):
        assert _login(client, "bob", "wrong-pass").status_code == 401
    first = _login(client, "bob", "correct horse")
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    assert first.json()["retry_after"] == 1
    time.sleep(1.1)
    assert _login(client, "bob", "wrong-pass").status_code == 401
    second = _login(client, "bob", "wrong-pass")
    assert second.status_code == 429 and second.headers["Retry-After"] == "2"
    # Other people at the same address are not held up.
    site.create_user("carol", password="correct horse")
    assert _login(client, "carol", "correct horse").status_code == 200


def test_a_differently_cased_username_is_the_same_account_for_throttling(rm365_site):
    site = rm365_site(plugins=[], discover=False, login_max_failures=2, login_delay_seconds=60)
    site.create_user("bob", password="correct horse")
    client = _from(site, "10.0.0.7")
    assert _login(client, "BOB", "wrong-pass").status_code == 401
    assert _login(client, "Bob", "wrong-pass").status_code == 401
    assert _login(client, "bob", "correct horse").status_code == 429


def test_an_address_that_keeps_guessing_reaches_its_ceiling(rm365_site):
    site = rm365_site(plugins=[], discover=False, login_address_max_failures=6)
    site.create_user("bob", password="correct horse")
    guesser = _from(site, "10.0.0.66")
    for i in range(6):
        assert _login(guesser, f"user{i}", "wrong-pass").status_code == 401
    stopped = _login(guesser, "bob", "correct horse")
    assert stopped.status_code == 429 and int(stopped.headers["Retry-After"]) > 0
    assert _login(_from(site, "10.0.0.67"), "bob", "correct horse").status_code == 200


def test_successful_logins_do_not_use_up_the_address_ceiling(rm365_site):
    site = rm365_site(plugins=[], discover=False, login_address_max_failures=3)
    site.create_user("bob", password="correct horse")
    shop = _from(site, "10.0.0.5")
    for _ in range(6):
        assert _login(shop, "bob", "correct horse").status_code == 200


@pytest.mark.postgres
def test_parallel_wrong_passwords_are_counted_atomically(rm365_site):
    from rm365_core.testing import PG_ENV, postgres_url, require_service

    require_service("PostgreSQL", postgres_url(), PG_ENV)
    site = rm365_site(plugins=[], discover=False, live=True, login_delay_seconds=120)
    site.create_user("bob", password="correct horse")
    statuses: list[int] = []
    lock = threading.Lock()

    def guess() -> None:
        with httpx.Client(base_url=site.url, timeout=60) as client:
            status = _login(client, "bob", "wrong-pass").status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(statuses)) == [401, 429], statuses
    assert statuses.count(401) == site.kernel.settings.login_max_failures
