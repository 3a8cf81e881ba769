"""Devices with several workers sharing Redis: a bridge connected to one worker is reached
from another (commands, busy, revoke), as behind a load balancer."""

from __future__ import annotations

import secrets
import threading
import time

import pytest

from rm365_core import DomainError
from rm365_core.testing import FakeBridge, redis_url, require_service

pytestmark = pytest.mark.redis


@pytest.fixture
def workers(rm365_site):
    url = require_service("Redis", redis_url(), "RM365_TEST_REDIS_URL")
    first = rm365_site(plugins=[], discover=False, live=True)
    settings = first.kernel.settings
    shared = {
        "data_dir": settings.data_dir,
        "database_url": settings.database_url,
        "secret_key": settings.secret_key,
        "redis_url": url,
        "redis_prefix": f"rm365test-{secrets.token_hex(6)}",
    }
    return rm365_site(plugins=[], discover=False, live=True, **shared), rm365_site(
        plugins=[], discover=False, live=True, **shared
    )


def test_a_command_reaches_a_bridge_connected_to_another_worker(workers):
    worker_a, worker_b = workers
    device_id, token = worker_a.pair_device("Far away")
    release = threading.Event()

    def slow_read(payload):
        release.wait(5)
        return {"uid": "0FAR"}

    with FakeBridge(commands={"card.read_next": slow_read}) as bridge:
        bridge.connect(worker_a.url, token)
        answers: list = []
        first = threading.Thread(
            target=lambda: answers.append(worker_b.kernel.devices.command(device_id, "card.read_next", timeout=8))
        )
        first.start()
        time.sleep(0.5)
        with pytest.raises(DomainError) as busy:
            worker_a.kernel.devices.command(device_id, "card.read_next", timeout=2)
        release.set()
        first.join(10)

        assert answers == [{"uid": "0FAR"}]
        assert busy.value.status == 409 and "busy" in busy.value.message

        worker_b.client_with_tabs("system").post(f"/api/v1/devices/{device_id}/revoke")
        assert bridge.disconnected.wait(5)
