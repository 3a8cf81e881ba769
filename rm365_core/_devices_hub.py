"""The bridges' realtime channel: the Socket.IO namespace ``/device`` of the hub.

* A bridge connects with ``auth={"token": <device token>, "drivers": [...], "clock": <ISO
  time of its clock>}``. Only a device token opens this namespace (a user's access token is
  refused), and a device token opens nothing else: the user namespace ``/`` checks user
  tokens. The hub measures the bridge's clock offset and records it with the device.
* One connection per device: a new one closes the older (a bridge that reconnected before
  the server noticed the old socket was gone).
* ``events`` ``{events: [{id, type, occurred_at, data}]}`` is acknowledged with
  ``{ok: true, results: [{id, status, error?}]}`` once every event was applied (see
  :mod:`._devices_events`); a device's batches are applied one at a time, in order.
* The server sends ``command`` ``{command, payload, timeout}``; the bridge answers ``{ok: true,
  data}`` or ``{ok: false, error}``.
* ``heartbeat`` (every 30 s from an idle bridge) keeps ``last_seen`` current.
* On connect, the plugins' ``device.online`` handlers run (e.g. to sync fingerprints).
* Several workers (Redis): each device's connection id is kept in Redis
  (``<prefix>:device:<id>``, refreshed by heartbeats), so any worker reaches it: commands
  go through Socket.IO's Redis manager, "busy" is a Redis key, and a revoke or a newer
  connection closes the old one wherever it is.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import socketio
import socketio.exceptions

from ._devices import DeviceEvent, DeviceInfo
from ._errors import DomainError
from ._types import utcnow

if TYPE_CHECKING:
    from ._devices import Devices
    from ._realtime import Hub

log = logging.getLogger("rm365.devices")

NAMESPACE = "/device"
#: Seconds a device's entry in Redis outlives its last heartbeat.
REGISTRY_TTL = 90


class DeviceChannel:
    """This process's connected bridges and the ``/device`` namespace handlers."""

    def __init__(self, devices: Devices, hub: Hub) -> None:
        self.devices = devices
        self.hub = hub
        self.sio: socketio.AsyncServer = hub.sio
        #: device id -> sid, and sid -> (device, clock offset in ms)
        self.sids: dict[int, str] = {}
        self.by_sid: dict[str, tuple[DeviceInfo, int | None]] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._busy: set[int] = set()
        self.sio.on("connect", self._on_connect, namespace=NAMESPACE)
        self.sio.on("heartbeat", self._on_heartbeat, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self.sio.on("events", self._on_events, namespace=NAMESPACE)
        self.sio.on("*", self._on_unknown, namespace=NAMESPACE)

    # ------------------------------------------------------------ connections
    async def _on_connect(self, sid: str, environ: Any, auth: Any = None) -> bool:
        auth = auth if isinstance(auth, dict) else {}
        device = await asyncio.to_thread(self.devices.authenticate, auth.get("token"))
        if device is None:
            raise socketio.exceptions.ConnectionRefusedError("invalid or revoked device token")
        offset = _clock_offset(auth.get("clock"))
        drivers = auth.get("drivers")
        drivers = [str(d) for d in drivers] if isinstance(drivers, list) else None
        old = self.sids.get(device.id) or await self._shared_sid(device.id)
        self.sids[device.id] = sid
        self.by_sid[sid] = (device, offset)
        await self._share(device.id, sid)
        if old is not None and old != sid:
            self.by_sid.pop(old, None)
            asyncio.get_running_loop().create_task(self._close(old))
        await asyncio.to_thread(self.devices.set_connected, device.id, True, drivers=drivers, clock_offset_ms=offset)
        log.info("device %r connected (clock offset %s ms)", device.name, offset)
        info = DeviceInfo(id=device.id, name=device.name, site=device.site, drivers=drivers or device.drivers)
        self.hub.emitter.spawn(asyncio.to_thread(self._online_handlers, info))
        return True

    async def _close(self, sid: str) -> None:
        try:
            await self.sio.disconnect(sid, namespace=NAMESPACE)
        except Exception:  # noqa: BLE001 - already gone
            log.debug("closing %s failed", sid, exc_info=True)

    def _online_handlers(self, device: DeviceInfo) -> None:
        from ._devices_events import call_handlers

        event = DeviceEvent(id=f"online-{uuid.uuid4().hex}", type="device.online", occurred_at=utcnow(), data={})
        try:
            call_handlers(self.devices.kernel, device, event)
        except Exception:  # noqa: BLE001 - a plugin's failure must not drop the connection
            log.exception("a device.online handler failed for device %r", device.name)

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        entry = self.by_sid.pop(sid, None)
        if entry is None:
            return
        device = entry[0]
        if self.sids.get(device.id) == sid:
            del self.sids[device.id]
            if await self._unshare(device.id, sid):
                await asyncio.to_thread(self.devices.set_connected, device.id, False)
            log.info("device %r disconnected", device.name)

    async def _on_heartbeat(self, sid: str, data: Any = None, *extra: Any) -> dict[str, Any]:
        entry = self.by_sid.get(sid)
        if entry is None:
            return {"ok": False, "error": "not connected"}
        device_id = entry[0].id
        await self._share(device_id, sid)
        await asyncio.to_thread(self.devices.touch, device_id)
        return {"ok": True}

    # ------------------------------------------------------------ the registry shared by workers
    def _key(self, device_id: int) -> str:
        return f"{self.hub.redis_prefix}:device:{device_id}"

    async def _shared_sid(self, device_id: int) -> str | None:
        redis = self.hub._redis
        if redis is None:
            return None
        value = await redis.get(self._key(device_id))
        return str(value) if value else None

    async def _share(self, device_id: int, sid: str) -> None:
        if self.hub._redis is not None:
            await self.hub._redis.set(self._key(device_id), sid, ex=REGISTRY_TTL)

    async def _unshare(self, device_id: int, sid: str) -> bool:
        """Forget the device's connection unless a newer one replaced it; True when gone."""
        redis = self.hub._redis
        if redis is None:
            return True
        if await redis.get(self._key(device_id)) != sid:
            return False
        await redis.delete(self._key(device_id))
        return True

    async def _sid(self, device_id: int) -> str | None:
        return self.sids.get(device_id) or await self._shared_sid(device_id)

    def disconnect_threadsafe(self, device_id: int) -> None:
        async def close() -> None:
            sid = await self._sid(device_id)
            if sid is not None:
                await self._close(sid)

        self.hub.emitter.submit(close())

    # ------------------------------------------------------------ events
    async def _on_events(self, sid: str, data: Any = None, *extra: Any) -> dict[str, Any]:
        entry = self.by_sid.get(sid)
        if entry is None:
            return {"ok": False, "error": "not connected"}
        device, offset = entry
        events = data.get("events") if isinstance(data, dict) else None
        lock = self._locks.setdefault(device.id, asyncio.Lock())
        async with lock:
            try:
                results = await asyncio.to_thread(self.devices.deliver, device.id, events, clock_offset_ms=offset)
            except DomainError as exc:
                if exc.status == 403:
                    asyncio.get_running_loop().create_task(self._close(sid))
                return {"ok": False, "error": exc.message}
        return {"ok": True, "results": results}

    async def _on_unknown(self, event: str, sid: str, *args: Any) -> dict[str, Any]:
        return {"ok": False, "error": "unknown event"}

    # ------------------------------------------------------------ commands
    def call(self, device_id: int, command: str, payload: dict[str, Any], *, timeout: float) -> Any:
        """The bridge's answer to ``command``; None after ``timeout``, ``"offline"`` when it
        is connected to no worker, ``"busy"`` while another command runs on it. Blocks:
        never call it on the hub's event loop."""
        loop = self.hub.loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and running is loop:
            raise RuntimeError("kernel.devices.command blocks: call it from a worker thread")
        if loop is None:
            return "offline"
        work = self._call(device_id, command, payload, timeout)
        try:
            future = asyncio.run_coroutine_threadsafe(work, loop)
        except RuntimeError:  # the loop is closed: the server is stopping
            work.close()
            return "offline"
        try:
            return future.result(timeout=timeout + 10)
        except (concurrent.futures.TimeoutError, TimeoutError):
            return None

    async def _call(self, device_id: int, command: str, payload: dict[str, Any], timeout: float) -> Any:
        sid = await self._sid(device_id)
        if sid is None:
            return "offline"
        redis = self.hub._redis
        busy_key = f"{self._key(device_id)}:busy"
        if redis is not None:
            if not await redis.set(busy_key, "1", nx=True, ex=int(timeout) + 10):
                return "busy"
        elif device_id in self._busy:
            return "busy"
        self._busy.add(device_id)
        try:
            return await self.sio.call(
                "command",
                {"command": command, "payload": payload, "timeout": timeout},
                to=sid,
                namespace=NAMESPACE,
                timeout=max(timeout, 0.1),
            )
        except socketio.exceptions.TimeoutError:
            return None
        except socketio.exceptions.SocketIOError:
            return "offline"
        finally:
            self._busy.discard(device_id)
            if redis is not None:
                await redis.delete(busy_key)


def _clock_offset(clock: Any) -> int | None:
    """Server time minus the bridge's clock, in milliseconds (None when it sent none)."""
    if not isinstance(clock, str):
        return None
    try:
        theirs = datetime.fromisoformat(clock)
    except ValueError:
        return None
    if theirs.tzinfo is None:
        theirs = theirs.replace(tzinfo=UTC)
    return int((utcnow() - theirs).total_seconds() * 1000)
