"""Access on an open realtime connection: it lasts as long as the token and the user's tabs
allow, and one user cannot flood the hub. The hub on its own, with tokens it is told about."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import jwt
import pytest

from rm365_core import DomainError, Hub, Principal
from rm365_core._realtime_access import RealtimeSettings
from rm365_core.testing import RealtimeConnectionRefused, RealtimeTestClient, live_server

SECRET = "test-secret-of-a-sensible-length-0123456789"


class Tokens:
    """The principals the test's ``authenticate`` knows, by token; tests change them."""

    def __init__(self) -> None:
        self.known: dict[str, Principal] = {}

    def add(self, token: str, principal: Principal) -> str:
        self.known[token] = principal
        return token

    def jwt_for(self, principal: Principal, seconds: float) -> str:
        token = jwt.encode({"sub": principal.username, "exp": int(time.time() + seconds)}, SECRET, algorithm="HS256")
        return self.add(token, principal)

    async def authenticate(self, token: str) -> Principal | None:
        principal = self.known.get(token)
        if principal is None:
            return None
        try:
            jwt.decode(token, SECRET, algorithms=["HS256"])
        except jwt.ExpiredSignatureError:
            return None
        except jwt.PyJWTError:
            pass  # a plain test token, not a JWT
        return principal


ALICE = Principal(1, "alice", "staff", frozenset({"inventory", "labels"}))


def build_app(hub: Hub) -> Any:
    from fastapi import FastAPI

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await hub.startup()
        try:
            yield
        finally:
            await hub.shutdown()

    app = FastAPI(lifespan=lifespan)

    @app.post("/recheck")
    async def recheck() -> dict[str, Any]:
        await hub.recheck_access({1})
        return {"ok": True}

    @app.post("/emit/{room}")
    async def emit(room: str) -> dict[str, Any]:
        await hub.emit_async("thing.changed", {"room": room}, room=room)
        return {"ok": True}

    return hub.wrap(app)


@pytest.fixture
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture
def serve(tokens: Tokens) -> Iterator[Callable[..., tuple[Hub, str]]]:
    with ExitStack() as stack:

        def start(redis_url: str | None = None, redis_prefix: str = "rm365", **limits: Any) -> tuple[Hub, str]:
            hub = Hub(
                authenticate=tokens.authenticate,
                limits=RealtimeSettings(**limits),
                redis_url=redis_url,
                redis_prefix=redis_prefix,
            )
            return hub, stack.enter_context(live_server(build_app(hub)))

        yield start


@pytest.fixture
def connect() -> Iterator[Callable[[str, str], RealtimeTestClient]]:
    opened: list[RealtimeTestClient] = []

    def open_one(url: str, token: str) -> RealtimeTestClient:
        client = RealtimeTestClient()
        opened.append(client)
        client.connect(url, token)
        return client

    yield open_one
    for client in opened:
        client.close()


def test_a_tab_taken_away_takes_its_rooms_from_open_connections(serve, connect, tokens):
    hub, url = serve()
    token = tokens.add("alice", ALICE)
    alice = connect(url, token)
    assert alice.join("inventory") == {"ok": True}
    assert alice.join("labels") == {"ok": True}

    tokens.known[token] = replace(ALICE, tabs=frozenset({"labels"}))
    httpx.post(f"{url}/recheck").raise_for_status()

    assert alice.wait_for("room:left") == {"room": "inventory", "reason": "forbidden"}
    httpx.post(f"{url}/emit/inventory").raise_for_status()
    httpx.post(f"{url}/emit/labels").raise_for_status()
    assert alice.wait_for("thing.changed") == {"room": "labels"}
    alice.assert_no_event("thing.changed", within=0.3)
    assert alice.join("inventory") == {"ok": False, "error": "forbidden"}
    assert alice.connected


def test_a_revoked_token_closes_its_connection_at_the_next_check(serve, connect, tokens):
    _, url = serve()
    token = tokens.add("alice", ALICE)
    alice = connect(url, token)

    del tokens.known[token]
    httpx.post(f"{url}/recheck").raise_for_status()

    alice.wait_for("disconnect")
    assert not alice.connected


def test_a_connection_closes_when_its_token_expires(serve, connect, tokens):
    _, url = serve()
    short = connect(url, tokens.jwt_for(ALICE, seconds=1.5))
    long = connect(url, tokens.jwt_for(ALICE, seconds=600))
    assert short.join("inventory") == {"ok": True}

    short.wait_for("disconnect", timeout=5)

    assert not short.connected
    assert long.connected


def test_one_user_may_hold_only_so_many_connections(serve, connect, tokens):
    _, url = serve(max_connections_per_user=2)
    token = tokens.add("alice", ALICE)
    first, second = connect(url, token), connect(url, token)

    with pytest.raises(RealtimeConnectionRefused) as refused:
        connect(url, token)

    assert refused.value.reason == "too many connections"
    bob = connect(url, tokens.add("bob", Principal(2, "bob", "staff", frozenset({"inventory"}))))
    assert bob.connected
    first.close()
    assert connect_when_allowed(connect, url, token).connected and second.connected


def connect_when_allowed(connect: Callable[[str, str], RealtimeTestClient], url: str, token: str) -> RealtimeTestClient:
    """Connect once the server has seen an earlier connection of the user go (it may lag)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            return connect(url, token)
        except RealtimeConnectionRefused:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_events_past_the_users_burst_are_refused_then_allowed_again(serve, connect, tokens):
    # One event back every 2 s: the ten joins below take far less than that.
    _, url = serve(events_per_second=0.5, event_burst=10)
    token = tokens.add("alice", ALICE)
    alice, other_tab = connect(url, token), connect(url, token)

    answers = [alice.join("inventory") for _ in range(10)]
    assert answers == [{"ok": True}] * 10
    assert alice.join("inventory") == {"ok": False, "error": "too many events"}
    assert other_tab.ping_presence() == {"ok": False, "error": "too many events"}  # per user
    time.sleep(2.5)
    assert alice.join("inventory") == {"ok": True}


def test_a_domain_error_from_an_intent_is_acked_like_the_http_answer(serve, connect, tokens):
    hub, url = serve()

    def reserve(principal: Principal, data: Any, sid: str) -> None:
        raise DomainError(409, "item SKU1 is locked by bob", sku="SKU1", holder="bob")

    hub.on("inventory.reserve", reserve, tab="inventory")
    alice = connect(url, tokens.add("alice", ALICE))

    ack = alice.emit("inventory.reserve", {"sku": "SKU1"})

    assert ack == {"ok": False, "error": "item SKU1 is locked by bob", "sku": "SKU1", "holder": "bob"}


def test_an_intent_answers_forbidden_to_a_caller_without_its_tab(serve, connect, tokens):
    hub, url = serve()
    calls: list[str] = []
    hub.on("labels.print", lambda principal, data, sid: calls.append(principal.username), tab="labels")
    carol = connect(url, tokens.add("carol", Principal(3, "carol", "staff", frozenset({"inventory"}))))

    assert carol.emit("labels.print", {}) == {"ok": False, "error": "forbidden"}
    assert calls == []


def test_job_progress_rooms_need_only_the_tab_whatever_the_plugins_room_policy(serve, connect, tokens):
    hub, url = serve()
    hub.add_room_policy("inventory", lambda principal, room: ":" not in room)  # like inventory's
    alice = connect(url, tokens.add("alice", ALICE))
    carol = connect(url, tokens.add("carol", Principal(3, "carol", "staff", frozenset({"labels"}))))

    assert alice.join("inventory:job:0f3a9c") == {"ok": True}
    assert alice.join("inventory:item:SKU1") == {"ok": False, "error": "forbidden"}
    assert carol.join("inventory:job:0f3a9c") == {"ok": False, "error": "forbidden"}


@pytest.mark.redis
def test_the_connection_limit_holds_across_workers_sharing_redis(serve, connect, tokens):
    from rm365_core.testing import redis_url, require_service

    url = require_service("Redis", redis_url(), "RM365_TEST_REDIS_URL")
    prefix = f"rm365test-{uuid.uuid4().hex[:12]}"
    _, url_a = serve(redis_url=url, redis_prefix=prefix, max_connections_per_user=2)
    _, url_b = serve(redis_url=url, redis_prefix=prefix, max_connections_per_user=2)
    token = tokens.add("alice", ALICE)
    on_a, on_b = connect(url_a, token), connect(url_b, token)

    with pytest.raises(RealtimeConnectionRefused) as refused:
        connect(url_a, token)

    assert refused.value.reason == "too many connections"
    on_b.close()
    assert connect_when_allowed(connect, url_a, token).connected and on_a.connected
