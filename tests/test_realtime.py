"""The realtime hub on its own: a tiny FastAPI app, fixed tokens, a live uvicorn server.

The Redis tests run two hubs (two live servers in this process) on one Redis with a key
namespace of their own; they need RM365_TEST_REDIS_URL (skipped without it, failed in CI).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
import socketio

from rm365_core import Hub, Principal, RealtimeError
from rm365_core._realtime_presence import presence_color
from rm365_core.testing import RealtimeConnectionRefused, RealtimeTestClient, live_server

PRINCIPALS = {
    "alice-token": Principal(1, "alice", "staff", frozenset({"inventory"})),
    "bob-token": Principal(2, "bob", "staff", frozenset({"inventory", "labels"})),
    "carol-token": Principal(3, "carol", "labels", frozenset({"labels"})),
    "admin-token": Principal(4, "admin", "admin", frozenset({"*"})),
    "adjuster-token": Principal(5, "dave", "adjuster", frozenset({"inventory.adjustments"})),
}


async def authenticate(token: str) -> Principal | None:
    return PRINCIPALS.get(token)


def build_app(hub: Hub) -> Any:
    """A FastAPI app with the hub's lifespan and routes that emit like a plugin would."""
    from fastapi import FastAPI

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await hub.startup()
        try:
            yield
        finally:
            await hub.shutdown()

    app = FastAPI(lifespan=lifespan)

    @app.post("/sync-emit/{room}")
    def sync_emit(room: str, payload: dict[str, Any]) -> dict[str, Any]:
        # A sync route: FastAPI runs it in its threadpool, not on the event loop.
        hub.emit("item.changed", {**payload, "thread": threading.current_thread().name}, room=room)
        return {"ok": True}

    @app.post("/async-emit/{room}")
    async def async_emit(room: str, payload: dict[str, Any]) -> dict[str, Any]:
        hub.emit("item.changed", payload, room=room)
        return {"ok": True}

    @app.post("/burst/{room}/{count}")
    async def burst(room: str, count: int) -> dict[str, Any]:
        # Many emits scheduled from async code at once (each one a task).
        for i in range(count):
            hub.emit("burst", {"i": i}, room=room)
        return {"ok": True}

    @app.get("/presence-burst/{room}/{count}")
    async def presence_burst(room: str, count: int) -> dict[str, Any]:
        # As many concurrent presence reads as a crowd joining at once causes.
        results = await asyncio.gather(*(hub.presence(room) for _ in range(count)))
        return {"sizes": sorted({len(r) for r in results})}

    @app.post("/disconnect/{username}")
    async def disconnect(username: str) -> dict[str, Any]:
        await hub.disconnect_user(username)
        return {"ok": True}

    @app.get("/presence/{room}")
    async def presence(room: str) -> list[dict[str, Any]]:
        return await hub.presence(room)

    return hub.wrap(app)


def register_inventory_intent(hub: Hub) -> None:
    """A plugin-style intent: the client asks, the server validates and broadcasts."""

    def adjust(principal: Principal, data: Any, sid: str) -> dict[str, Any]:
        if not principal.has_tab("inventory"):
            raise PermissionError
        if not isinstance(data, dict) or not isinstance(data.get("sku"), str):
            raise RealtimeError("sku is required")
        delta = data.get("delta")
        if not isinstance(delta, int) or delta == 0:
            raise ValueError("delta must be a non-zero integer")
        # ... the plugin commits here, then the server broadcasts the change:
        hub.emit(
            "inventory.stock_changed",
            {"sku": data["sku"], "delta": delta, "by": principal.username},
            room=f"inventory:item:{data['sku']}",
        )
        return {"ok": True, "applied": delta}

    hub.on("inventory:adjust", adjust, tab="inventory")


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[Hub, str]]]:
    """Start hubs on live servers: ``serve(**hub_kwargs) -> (hub, base_url)``."""
    with ExitStack() as stack:

        def start(**kwargs: Any) -> tuple[Hub, str]:
            hub = Hub(authenticate=authenticate, **kwargs)
            register_inventory_intent(hub)
            hub.add_room_policy("inventory:item", lambda p, room: not room.endswith(":LOCKED") or p.role == "admin")
            url = stack.enter_context(live_server(build_app(hub)))
            return hub, url

        yield start


@pytest.fixture
def clients() -> Iterator[Callable[[str, str], RealtimeTestClient]]:
    """Connected test clients, closed after the test: ``client(url, token)``."""
    opened: list[RealtimeTestClient] = []

    def connect(url: str, token: str) -> RealtimeTestClient:
        client = RealtimeTestClient()
        opened.append(client)
        client.connect(url, token)
        return client

    yield connect
    for client in opened:
        client.close()


def usernames(data: dict[str, Any]) -> list[str]:
    return sorted(user["username"] for user in data["users"])


def presence_of(room: str, *names: str) -> Callable[[Any], bool]:
    return lambda d: d["room"] == room and usernames(d) == sorted(names)


@contextmanager
def heartbeat(client: RealtimeTestClient, every: float = 0.25) -> Iterator[None]:
    """Keep ``client``'s presence alive (presence:ping) while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            client.ping_presence()

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


# ------------------------------------------------------------------------------ connect


def test_connect_refused_without_or_with_bad_token(serve):
    _, url = serve()
    for token in (None, "", "not-a-token"):
        client = RealtimeTestClient()
        with pytest.raises(RealtimeConnectionRefused) as refused:
            client.connect(url, token)
        client.close()
        assert "token" in refused.value.reason or "authentication" in refused.value.reason
        assert not client.connected


def test_connect_with_a_valid_token(serve, clients):
    _, url = serve()
    client = clients(url, "alice-token")
    assert client.connected and client.sid


def test_connect_refused_when_authenticate_fails():
    async def broken(token: str) -> Principal | None:
        raise RuntimeError("database down")

    hub = Hub(authenticate=broken)
    with live_server(build_app(hub)) as url:
        client = RealtimeTestClient()
        with pytest.raises(RealtimeConnectionRefused):
            client.connect(url, "alice-token")
        client.close()


def test_foreign_origin_refused_same_origin_and_listed_origin_allowed():
    hub = Hub(authenticate=authenticate, cors_origins=["http://kiosk.example"])

    def client_with_origin(origin: str) -> socketio.Client:
        return socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})

    with live_server(build_app(hub)) as url:
        evil = client_with_origin("http://evil.example")
        with pytest.raises(socketio.exceptions.ConnectionError):
            evil.connect(
                url,
                auth={"token": "alice-token"},
                transports=["websocket"],
                socketio_path="/ws/socket.io",
                wait_timeout=3,
            )
        for origin in (url, "http://kiosk.example"):
            ok = client_with_origin(origin)
            ok.connect(
                url,
                auth={"token": "alice-token"},
                transports=["websocket"],
                socketio_path="/ws/socket.io",
                wait_timeout=3,
            )
            assert ok.connected
            ok.disconnect()


def test_long_polling_is_not_offered(serve):
    _, url = serve()
    response = httpx.get(f"{url}/ws/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert response.status_code == 400


# ------------------------------------------------------------------------------ rooms


def test_join_needs_the_rooms_tab(serve, clients):
    _, url = serve()
    alice = clients(url, "alice-token")
    carol = clients(url, "carol-token")
    admin = clients(url, "admin-token")
    assert alice.join("inventory") == {"ok": True}
    assert carol.join("inventory") == {"ok": False, "error": "forbidden"}
    assert carol.join("labels") == {"ok": True}
    assert alice.join("labels") == {"ok": False, "error": "forbidden"}
    assert admin.join("labels") == {"ok": True}
    assert admin.join("inventory:item:SKU1") == {"ok": True}


def test_tab_tree_applies_to_rooms(serve, clients):
    _, url = serve()
    alice = clients(url, "alice-token")  # holds "inventory": the parent grants the child
    dave = clients(url, "adjuster-token")  # holds only "inventory.adjustments"
    assert alice.join("inventory.adjustments:batch:7") == {"ok": True}
    assert dave.join("inventory.adjustments") == {"ok": True}
    assert dave.join("inventory.adjustments:batch:7") == {"ok": True}
    assert dave.join("inventory") == {"ok": False, "error": "forbidden"}
    assert dave.join("inventory:item:SKU1") == {"ok": False, "error": "forbidden"}


def test_per_resource_rooms(serve, clients):
    _, url = serve()
    alice = clients(url, "alice-token")
    bob = clients(url, "bob-token")
    carol = clients(url, "carol-token")
    assert alice.join("inventory:item:SKU1") == {"ok": True}
    assert bob.join("inventory:item:SKU2") == {"ok": True}
    assert carol.join("inventory:item:SKU1") == {"ok": False, "error": "forbidden"}
    httpx.post(f"{url}/async-emit/inventory:item:SKU1", json={"sku": "SKU1"}).raise_for_status()
    assert alice.wait_for("item.changed") == {"sku": "SKU1"}
    bob.assert_no_event("item.changed")
    carol.assert_no_event("item.changed", within=0.1)


def test_room_policies(serve, clients):
    _, url = serve()
    alice = clients(url, "alice-token")
    admin = clients(url, "admin-token")
    assert alice.join("inventory:item:LOCKED") == {"ok": False, "error": "forbidden"}
    assert admin.join("inventory:item:LOCKED") == {"ok": True}
    # The policy's prefix is matched on ":" boundaries: "inventory:items:..." is not covered.
    assert alice.join("inventory:items:LOCKED") == {"ok": True}


def test_room_policy_errors_refuse(serve, clients):
    hub, url = serve()

    def broken(principal: Principal, room: str) -> bool:
        raise RuntimeError("boom")

    async def async_policy(principal: Principal, room: str) -> bool:
        await asyncio.sleep(0)
        return room != "labels:private"

    hub.add_room_policy("inventory:broken", broken)
    hub.add_room_policy("labels", async_policy)
    bob = clients(url, "bob-token")
    assert bob.join("inventory:broken:1") == {"ok": False, "error": "forbidden"}
    assert bob.join("labels:private") == {"ok": False, "error": "forbidden"}
    assert bob.join("labels:public") == {"ok": True}


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"room": ""},
        {"room": 5},
        "inventory",
        None,
        {"room": "Inventory"},
        {"room": "inventory item"},
        {"room": ":inventory"},
        {"room": "inventory:" + "x" * 300},
        {"room": "abcdefghijklmnopqrst"},  # the shape of a Socket.IO sid
    ],
)
def test_bad_room_names_are_refused(serve, clients, payload):
    _, url = serve()
    admin = clients(url, "admin-token")
    ack = admin.emit("join", payload)
    assert ack["ok"] is False and ack["error"]


def test_no_one_can_join_another_clients_sid_room(serve, clients):
    _, url = serve()
    alice = clients(url, "alice-token")
    admin = clients(url, "admin-token")
    assert admin.join(alice.sid)["ok"] is False


def test_leave_stops_delivery(serve, clients):
    _, url = serve()
    alice = clients(url, "alice-token")
    assert alice.join("inventory") == {"ok": True}
    assert alice.leave("inventory") == {"ok": True}
    assert alice.leave("inventory") == {"ok": True}  # idempotent
    httpx.post(f"{url}/async-emit/inventory", json={"n": 1}).raise_for_status()
    alice.assert_no_event("item.changed")


def test_too_many_rooms(serve, clients):
    hub, url = serve()
    admin = clients(url, "admin-token")
    for i in range(hub.MAX_ROOMS_PER_CONNECTION):
        assert admin.join(f"inventory:item:{i}") == {"ok": True}
    assert admin.join("inventory:item:one-more") == {"ok": False, "error": "too many rooms"}


# ------------------------------------------------------------------------------ presence


def test_presence_lists_both_users_and_updates(serve, clients):
    hub, url = serve()
    room = "inventory:item:SKU1"
    alice = clients(url, "alice-token")
    bob = clients(url, "bob-token")
    assert alice.join(room) == {"ok": True}
    alice.wait_for("presence", presence_of(room, "alice"))
    assert bob.join(room) == {"ok": True}
    seen_by_alice = alice.wait_for("presence", presence_of(room, "alice", "bob"))
    seen_by_bob = bob.wait_for("presence", presence_of(room, "alice", "bob"))
    assert seen_by_alice["users"] == seen_by_bob["users"]
    by_name = {u["username"]: u for u in seen_by_alice["users"]}
    assert by_name["alice"]["color"] == presence_color("alice")
    assert by_name["alice"]["color"] != by_name["bob"]["color"]
    assert by_name["alice"]["sid"] == alice.sid and by_name["bob"]["sid"] == bob.sid
    assert by_name["bob"]["state"] == {}

    assert bob.update_presence(room, {"viewing": "SKU1", "editing": "quantity"}) == {"ok": True}
    update = alice.wait_for(
        "presence",
        lambda d: any(u["username"] == "bob" and u["state"].get("editing") == "quantity" for u in d["users"]),
    )
    assert usernames(update) == ["alice", "bob"]
    assert httpx.get(f"{url}/presence/{room}").json() == update["users"]

    assert bob.leave(room) == {"ok": True}
    alice.wait_for("presence", presence_of(room, "alice"))
    assert bob.join(room) == {"ok": True}
    alice.wait_for("presence", presence_of(room, "alice", "bob"))
    bob.close()
    alice.wait_for("presence", presence_of(room, "alice"))
    assert [u["username"] for u in asyncio.run(_presence_via_http(url, room))] == ["alice"]


async def _presence_via_http(url: str, room: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        return (await http.get(f"{url}/presence/{room}")).json()


def test_presence_is_per_room_and_per_connection(serve, clients):
    _, url = serve()
    alice = clients(url, "alice-token")
    alice2 = clients(url, "alice-token")  # a second tab of the same user
    bob = clients(url, "bob-token")
    assert alice.join("inventory:item:A") == {"ok": True}
    assert alice2.join("inventory:item:A") == {"ok": True}
    assert bob.join("inventory:item:B") == {"ok": True}
    data = alice.wait_for("presence", lambda d: len(d["users"]) == 2)
    assert usernames(data) == ["alice", "alice"]
    assert {u["sid"] for u in data["users"]} == {alice.sid, alice2.sid}
    bob.wait_for("presence", presence_of("inventory:item:B", "bob"))
    assert not [d for d in bob.received("presence") if d["room"] == "inventory:item:A"]


@pytest.mark.parametrize(
    "state",
    [
        "editing",
        ["editing"],
        {"nested": {"a": 1}},
        {"editing": "x" * 1000},
        {f"k{i}": i for i in range(40)},
        {"": 1},
        {"list": list(range(100))},
        {"list": [{"a": 1}]},
    ],
)
def test_presence_state_is_validated(serve, clients, state):
    _, url = serve()
    alice = clients(url, "alice-token")
    assert alice.join("inventory") == {"ok": True}
    ack = alice.update_presence("inventory", state)
    assert ack["ok"] is False and ack["error"]


def test_presence_update_needs_a_joined_room(serve, clients):
    _, url = serve()
    alice = clients(url, "alice-token")
    carol = clients(url, "carol-token")
    assert carol.join("labels") == {"ok": True}
    assert alice.update_presence("labels", {"viewing": "x"}) == {"ok": False, "error": "not in room"}
    carol.assert_no_event("presence", predicate=lambda d: "alice" in usernames(d))
    assert alice.ping_presence("labels") == {"ok": False, "error": "not in room"}


def test_stale_presence_expires_and_comes_back_on_ping(serve, clients):
    _, url = serve(presence_ttl=1.0)
    room = "inventory:item:SKU9"
    alice = clients(url, "alice-token")
    bob = clients(url, "bob-token")
    assert alice.join(room) == {"ok": True}
    assert bob.update_presence(room, {"viewing": room})["ok"] is False  # not joined yet
    assert bob.join(room) == {"ok": True}
    assert bob.update_presence(room, {"viewing": room}) == {"ok": True}
    alice.wait_for("presence", presence_of(room, "alice", "bob"))

    # Alice keeps her heartbeat; Bob goes quiet and drops out after the TTL.
    with heartbeat(alice):
        started = time.monotonic()
        gone = alice.wait_for("presence", presence_of(room, "alice"), timeout=5)
        assert time.monotonic() - started < 4
        assert bob.connected  # still connected and in the room: only presence expired
        # Bob's heartbeat brings him (and his state) back.
        assert bob.ping_presence(room) == {"ok": True}
        back = alice.wait_for("presence", presence_of(room, "alice", "bob"))
        assert [u["state"] for u in back["users"] if u["username"] == "bob"] == [{"viewing": room}]
    assert usernames(gone) == ["alice"]


def test_presence_broadcast_is_capped(serve, clients):
    hub, url = serve()
    hub.presence_state.MAX_USERS = 2
    room = "inventory"
    people = [clients(url, "alice-token") for _ in range(4)]
    for person in people:
        assert person.join(room) == {"ok": True}
    data = people[0].wait_for("presence", lambda d: d["count"] == 4)
    assert len(data["users"]) == 2


# ------------------------------------------------------------------------------ emitting


def test_sync_route_emit_reaches_a_connected_client(serve, clients):
    _, url = serve()
    alice = clients(url, "alice-token")
    assert alice.join("inventory") == {"ok": True}
    response = httpx.post(f"{url}/sync-emit/inventory", json={"sku": "SKU1", "qty": 3})
    assert response.status_code == 200
    data = alice.wait_for("item.changed")
    assert data["sku"] == "SKU1" and data["qty"] == 3
    assert data["thread"] != "MainThread"  # it really ran in a worker thread


def test_emit_from_a_job_thread_and_from_the_loop(serve, clients):
    hub, url = serve()
    alice = clients(url, "alice-token")
    assert alice.join("inventory") == {"ok": True}
    job = threading.Thread(target=hub.emit, args=("job.progress", {"pct": 50}, "inventory"))
    job.start()
    job.join()
    assert alice.wait_for("job.progress") == {"pct": 50}
    httpx.post(f"{url}/async-emit/inventory", json={"from": "loop"}).raise_for_status()
    assert alice.wait_for("item.changed") == {"from": "loop"}


def test_emit_to_several_rooms_reaches_each_member_once(serve, clients):
    hub, url = serve()
    alice = clients(url, "alice-token")
    bob = clients(url, "bob-token")
    assert alice.join("inventory") == {"ok": True}
    assert alice.join("inventory.adjustments") == {"ok": True}
    assert bob.join("labels") == {"ok": True}
    hub.emit("stock", {"n": 1}, room=["inventory", "inventory.adjustments"])
    assert alice.wait_for("stock") == {"n": 1}
    alice.assert_no_event("stock", within=0.3)
    bob.assert_no_event("stock", within=0.05)


def test_emit_encodes_models_and_datetimes(serve, clients):
    import datetime as dt

    from pydantic import BaseModel

    class Item(BaseModel):
        sku: str
        at: dt.datetime

    hub, url = serve()
    alice = clients(url, "alice-token")
    assert alice.join("inventory") == {"ok": True}
    hub.emit("item.saved", Item(sku="A", at=dt.datetime(2024, 1, 2, 3, 4, 5)), room="inventory")
    assert alice.wait_for("item.saved") == {"sku": "A", "at": "2024-01-02T03:04:05"}


def test_emit_without_a_running_hub_is_dropped_not_raised():
    hub = Hub(authenticate=authenticate)
    hub.emit("x", {"a": 1}, room="inventory")  # no loop captured yet: logged and dropped


def test_client_changes_are_never_relayed(serve, clients):
    _, url = serve()
    alice = clients(url, "alice-token")
    bob = clients(url, "bob-token")
    assert alice.join("inventory") == {"ok": True}
    assert bob.join("inventory") == {"ok": True}
    bob.wait_for("presence", presence_of("inventory", "alice", "bob"))
    bob.clear()
    for event in ("change", "item.changed", "inventory.stock_changed", "presence", "broadcast"):
        assert alice.emit(event, {"room": "inventory", "sku": "X", "users": []}) == {
            "ok": False,
            "error": "unknown event",
        }
    alice.send("change", {"room": "inventory", "qty": 99})
    bob.assert_no_event("change", within=0.5)
    for event in ("item.changed", "inventory.stock_changed", "presence", "broadcast"):
        bob.assert_no_event(event, within=0.05)


def test_intents_are_validated_then_broadcast_by_the_server(serve, clients):
    _, url = serve()
    alice = clients(url, "alice-token")
    bob = clients(url, "bob-token")
    carol = clients(url, "carol-token")
    assert bob.join("inventory:item:SKU1") == {"ok": True}
    assert alice.emit("inventory:adjust", {"sku": "SKU1", "delta": 2}) == {"ok": True, "applied": 2}
    assert bob.wait_for("inventory.stock_changed") == {"sku": "SKU1", "delta": 2, "by": "alice"}
    assert alice.emit("inventory:adjust", {"delta": 2}) == {"ok": False, "error": "sku is required"}
    assert alice.emit("inventory:adjust", {"sku": "SKU1", "delta": 0}) == {
        "ok": False,
        "error": "delta must be a non-zero integer",
    }
    assert carol.emit("inventory:adjust", {"sku": "SKU1", "delta": 1}) == {"ok": False, "error": "forbidden"}
    bob.assert_no_event("inventory.stock_changed")


def test_async_and_failing_intents(serve, clients):
    hub, url = serve()

    async def echo(principal: Principal, data: Any, sid: str) -> Any:
        return {"you": principal.username, "sid": sid, "data": data}

    def none(principal: Principal, data: Any, sid: str) -> None:
        return None

    def crash(principal: Principal, data: Any, sid: str) -> None:
        raise KeyError("secret internals")

    def model(principal: Principal, data: Any, sid: str) -> None:
        from pydantic import BaseModel

        class Intent(BaseModel):
            qty: int

        Intent.model_validate(data)

    hub.on("test:echo", echo, tab="inventory")
    hub.on("test:none", none, tab="inventory")
    hub.on("test:crash", crash, tab="inventory")
    hub.on("test:model", model, tab="inventory")
    alice = clients(url, "alice-token")
    assert alice.emit("test:echo", [1, 2]) == {"you": "alice", "sid": alice.sid, "data": [1, 2]}
    assert alice.emit("test:none", None) == {"ok": True}
    assert alice.emit("test:crash", None) == {"ok": False, "error": "internal error"}
    ack = alice.emit("test:model", {"qty": "many"})
    assert ack["ok"] is False and ack["error"] == "invalid data"
    assert ack["details"][0]["loc"] == ["qty"]


def test_on_refuses_reserved_and_duplicate_events():
    hub = Hub(authenticate=authenticate)
    for name in (
        "join",
        "leave",
        "connect",
        "disconnect",
        "presence",
        "presence:update",
        "presence:ping",
        "*",
        "",
        "Bad Name",
    ):
        with pytest.raises(ValueError):
            hub.on(name, lambda p, d, s: None, tab="labels")
    hub.on("labels:print", lambda p, d, s: None, tab="labels")
    with pytest.raises(ValueError):
        hub.on("labels:print", lambda p, d, s: None, tab="labels")


@pytest.mark.parametrize("tab", [None, "", "*", "Not A Tab"])
def test_an_intent_must_declare_the_tab_its_callers_need(tab):
    hub = Hub(authenticate=authenticate)
    with pytest.raises(ValueError, match="must declare the tab"):
        hub.on("labels:print", lambda p, d, s: None, tab=tab)
    with pytest.raises(TypeError):
        hub.on("labels:print", lambda p, d, s: None)  # type: ignore[call-arg]
    assert "labels:print" not in hub.intents


def test_spoofed_connect_and_disconnect_events_are_ignored(serve, clients):
    _, url = serve()
    alice = clients(url, "alice-token")
    bob = clients(url, "bob-token")
    assert alice.join("inventory") == {"ok": True}
    assert bob.join("inventory") == {"ok": True}
    bob.wait_for("presence", presence_of("inventory", "alice", "bob"))
    # A client sending events named like the reserved ones changes neither who it is ...
    alice.emit("connect", {"token": "admin-token"})
    assert alice.join("labels") == {"ok": False, "error": "forbidden"}
    # ... nor its presence.
    alice.emit("disconnect", "client")
    bob.assert_no_event("presence", within=0.4)
    assert alice.update_presence("inventory", {"viewing": "x"}) == {"ok": True}


def test_oversized_messages_close_the_connection(serve, clients):
    hub, url = serve()
    alice = clients(url, "alice-token")
    alice.send("inventory:adjust", {"sku": "x" * (hub.MAX_PAYLOAD_BYTES + 10), "delta": 1})
    alice.wait_for("disconnect")


def test_disconnect_user_closes_every_connection_of_that_user(serve, clients):
    _, url = serve()
    alice1 = clients(url, "alice-token")
    alice2 = clients(url, "alice-token")
    bob = clients(url, "bob-token")
    for client in (alice1, alice2, bob):
        assert client.join("inventory") == {"ok": True}
    bob.wait_for("presence", lambda d: d["count"] == 3)
    httpx.post(f"{url}/disconnect/alice").raise_for_status()
    alice1.wait_for("disconnect")
    alice2.wait_for("disconnect")
    bob.wait_for("presence", presence_of("inventory", "bob"))
    assert bob.connected


# ------------------------------------------------------------------------------ Redis


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("RM365_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI=true but RM365_TEST_REDIS_URL is not set: .ci/run must start Redis")
        pytest.skip("RM365_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/0)")
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key namespace of this test's own; its keys are deleted afterwards."""
    prefix = f"rm365test-{uuid.uuid4().hex[:12]}"
    yield prefix
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.mark.redis
def test_two_hubs_share_rooms_broadcasts_and_presence(serve, clients, redis_url, redis_prefix):
    hub_a, url_a = serve(redis_url=redis_url, redis_prefix=redis_prefix)
    hub_b, url_b = serve(redis_url=redis_url, redis_prefix=redis_prefix)
    room = "inventory:item:SKU1"
    alice = clients(url_a, "alice-token")
    bob = clients(url_b, "bob-token")
    assert alice.join(room) == {"ok": True}
    assert bob.join(room) == {"ok": True}

    # Presence lists users of both workers, on both workers.
    alice.wait_for("presence", presence_of(room, "alice", "bob"))
    bob.wait_for("presence", presence_of(room, "alice", "bob"))
    assert usernames({"users": httpx.get(f"{url_a}/presence/{room}").json()}) == ["alice", "bob"]
    assert bob.update_presence(room, {"editing": "qty"}) == {"ok": True}
    alice.wait_for("presence", lambda d: any(u["state"] == {"editing": "qty"} for u in d["users"]))

    # A sync route on worker A emits; the client on worker B gets it.
    httpx.post(f"{url_a}/sync-emit/{room}", json={"sku": "SKU1"}).raise_for_status()
    assert bob.wait_for("item.changed")["sku"] == "SKU1"
    assert alice.wait_for("item.changed")["sku"] == "SKU1"

    # An intent handled on worker B is broadcast to worker A's client.
    assert bob.emit("inventory:adjust", {"sku": "SKU1", "delta": -1})["ok"] is True
    assert alice.wait_for("inventory.stock_changed") == {"sku": "SKU1", "delta": -1, "by": "bob"}

    # A list of rooms works across workers too.
    hub_a.emit("multi", {"n": 2}, room=["labels", room])
    assert bob.wait_for("multi") == {"n": 2}

    # A burst of emits from async code (more than Redis' default pool allows at once):
    # none is lost.
    httpx.post(f"{url_a}/burst/{room}/300").raise_for_status()
    got = sorted(bob.wait_for("burst")["i"] for _ in range(300))
    assert got == list(range(300))

    # Hundreds of concurrent presence operations wait for a Redis connection, not fail.
    burst = httpx.get(f"{url_b}/presence-burst/{room}/400", timeout=30)
    assert burst.status_code == 200 and burst.json() == {"sizes": [2]}

    # Unknown client events are not relayed across workers either.
    assert bob.emit("change", {"room": room}) == {"ok": False, "error": "unknown event"}
    alice.assert_no_event("change", within=0.3)

    # Leaving on B updates A; revoking bob on A disconnects him on B.
    assert bob.leave(room) == {"ok": True}
    alice.wait_for("presence", presence_of(room, "alice"))
    assert bob.join(room) == {"ok": True}
    alice.wait_for("presence", presence_of(room, "alice", "bob"))
    httpx.post(f"{url_a}/disconnect/bob").raise_for_status()
    bob.wait_for("disconnect")
    alice.wait_for("presence", presence_of(room, "alice"))


@pytest.mark.redis
def test_presence_of_a_vanished_worker_expires(serve, clients, redis_url, redis_prefix):
    """Entries another worker left in Redis (it died) are pruned when their time is up."""
    import json

    import redis

    hub, url = serve(redis_url=redis_url, redis_prefix=redis_prefix, presence_ttl=1.0)
    room = "inventory"
    ghost = {
        "username": "ghost",
        "color": presence_color("ghost"),
        "state": {},
        "sid": "ghost-sid",
        "exp": time.time() + 1.0,
    }
    client = redis.Redis.from_url(redis_url)
    try:
        client.hset(f"{redis_prefix}:presence:{room}", "ghost-sid", json.dumps(ghost))
    finally:
        client.close()
    alice = clients(url, "alice-token")
    assert alice.join(room) == {"ok": True}
    alice.wait_for("presence", presence_of(room, "alice", "ghost"))
    with heartbeat(alice):
        alice.wait_for("presence", presence_of(room, "alice"), timeout=5)
    assert [u["username"] for u in httpx.get(f"{url}/presence/{room}").json()] == ["alice"]


def test_hub_startup_fails_clearly_without_redis():
    hub = Hub(authenticate=authenticate, redis_url="redis://:secret@127.0.0.1:1/0")
    with pytest.raises(RuntimeError) as failed:
        asyncio.run(hub.startup())
    assert "RM365_REDIS_URL" in str(failed.value) and "secret" not in str(failed.value)
