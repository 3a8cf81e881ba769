"""The device registry (``kernel.devices``): pairing codes, device tokens, admin changes,
the list of stations, and commands sent to a connected bridge.

Event delivery is in :mod:`._devices_events`, the bridge's realtime channel in
:mod:`._devices_hub`. The contract plugins build on is ``DeviceInfo``, ``DeviceEvent``,
``register_device_handlers`` and ``kernel.devices.command`` / ``list_devices``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ._errors import DomainError
from ._types import utcnow

if TYPE_CHECKING:
    from ._devices_hub import DeviceChannel
    from ._kernel import Kernel

#: Pairing codes: 8 characters without look-alikes (0/O, 1/I/L), shown as ``ABCD-EFGH``.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_LIFETIME = timedelta(minutes=10)
TOKEN_PREFIX = "rmd_"  # noqa: S105 - the marker of device tokens, not a secret


@dataclass(frozen=True)
class DeviceInfo:
    """A paired bridge, as device handlers receive it."""

    id: int
    name: str
    site: str
    drivers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeviceEvent:
    """One event a bridge reported: ``id`` is the bridge's unique id for it, ``occurred_at``
    (aware UTC) when it happened at the station, possibly long before it arrived."""

    id: str
    type: str
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceStatus(DeviceInfo):
    """A row of ``kernel.devices.list_devices()``: a device and whether it is connected."""

    online: bool = False
    last_seen: datetime | None = None
    revoked: bool = False


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(code: str) -> str:
    """``abcd-efgh`` and ``ABCDEFGH`` are the same code."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _info(device: Any) -> DeviceInfo:
    return DeviceInfo(id=device.id, name=device.name, site=device.site or "", drivers=list(device.drivers or []))


class Devices:
    """The kernel's devices: everything is keyed by the device id (``core_devices.id``)."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        #: The bridge channel of this process's realtime hub (None without a hub).
        self.channel: DeviceChannel | None = None

    # -------------------------------------------------------------- pairing
    def create_pairing_code(self, name: str, site: str = "", *, by: str = "") -> tuple[str, datetime]:
        """A single-use code, valid ten minutes, that pairs one bridge named ``name``."""
        from ._core.models import Device, DevicePairingCode

        name, site = name.strip(), site.strip()
        if not name:
            raise DomainError(422, "a device needs a name")
        now = utcnow()
        with self.kernel.databases.session("core") as session:
            if session.scalar(select(Device.id).where(Device.name == name)) is not None:
                raise DomainError(409, f"a device named {name!r} already exists", field="name")
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            expires = now + CODE_LIFETIME
            session.add(
                DevicePairingCode(code_hash=_digest(code), name=name, site=site, created_by=by, expires_at=expires)
            )
        return f"{code[:4]}-{code[4:]}", expires

    def pair(self, code: str, drivers: list[str] | None = None) -> tuple[DeviceInfo, str]:
        """Trade a pairing code for a device token (returned once, stored as its SHA-256)."""
        from ._core.models import Device, DevicePairingCode

        now = utcnow()
        digest = _digest(normalise_code(code))
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        refused = DomainError(400, "this pairing code is unknown, used or expired", field="code")
        try:
            with self.kernel.databases.session("core") as session:
                # The conditional UPDATE is the single use: of two bridges racing, one wins.
                taken = session.execute(
                    update(DevicePairingCode)
                    .where(
                        DevicePairingCode.code_hash == digest,
                        DevicePairingCode.used_at.is_(None),
                        DevicePairingCode.expires_at > now,
                    )
                    .values(used_at=now)
                )
                if taken.rowcount != 1:  # type: ignore[attr-defined]
                    raise refused
                pairing = session.get(DevicePairingCode, digest)
                assert pairing is not None
                device = Device(
                    name=pairing.name,
                    site=pairing.site,
                    drivers=sorted(set(drivers or [])),
                    token_hash=_digest(token),
                    paired_at=now,
                    online=False,
                )
                session.add(device)
                session.flush()
                info = _info(device)
                self._changed(session, info.id, "paired")
        except IntegrityError:
            raise DomainError(409, "a device with this code's name was paired meanwhile", field="code") from None
        return info, token

    def authenticate(self, token: Any) -> DeviceInfo | None:
        """The device a token belongs to, or None (unknown, revoked, not a device token)."""
        from ._core.models import Device

        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        with self.kernel.databases.session("core", readonly=True) as session:
            device = session.scalar(
                select(Device).where(Device.token_hash == _digest(token), Device.revoked_at.is_(None))
            )
            return _info(device) if device is not None else None

    # -------------------------------------------------------------- admin
    def get(self, device_id: int) -> Any:
        from ._core.models import Device

        with self.kernel.databases.session("core", readonly=True) as session:
            device = session.get(Device, device_id)
            if device is None:
                raise DomainError(404, f"device {device_id} not found")
            return device

    def list_devices(self) -> list[DeviceStatus]:
        """Every paired device, by name, with ``online`` and ``last_seen`` (revoked ones too)."""
        from ._core.models import Device

        with self.kernel.databases.session("core", readonly=True) as session:
            rows = session.scalars(select(Device).order_by(Device.name))
            return [
                DeviceStatus(
                    id=d.id,
                    name=d.name,
                    site=d.site or "",
                    drivers=list(d.drivers or []),
                    online=d.connected,
                    last_seen=d.last_seen,
                    revoked=d.revoked_at is not None,
                )
                for d in rows
            ]

    def update(self, device_id: int, *, name: str | None = None, site: str | None = None) -> Any:
        from ._core.models import Device

        try:
            with self.kernel.databases.session("core") as session:
                device = session.get(Device, device_id)
                if device is None:
                    raise DomainError(404, f"device {device_id} not found")
                if name is not None:
                    if not name.strip():
                        raise DomainError(422, "a device needs a name", field="name")
                    device.name = name.strip()
                if site is not None:
                    device.site = site.strip()
                session.flush()
                self._changed(session, device_id, "updated")
                return device
        except IntegrityError:
            raise DomainError(409, f"a device named {name!r} already exists", field="name") from None

    def revoke(self, device_id: int) -> Any:
        """Refuse the device's token from now on and disconnect the bridge at once."""
        from ._core.models import Device

        with self.kernel.databases.session("core") as session:
            device = session.get(Device, device_id)
            if device is None:
                raise DomainError(404, f"device {device_id} not found")
            if device.revoked_at is None:
                device.revoked_at = utcnow()
            device.online = False
            self._changed(session, device_id, "revoked")
        self._disconnect(device_id)
        return device

    def delete(self, device_id: int) -> None:
        from ._core.models import Device

        with self.kernel.databases.session("core") as session:
            device = session.get(Device, device_id)
            if device is None:
                raise DomainError(404, f"device {device_id} not found")
            session.delete(device)
            self._changed(session, device_id, "deleted")
        self._disconnect(device_id)

    def prune_events(self, keep_days: int | None = None) -> int:
        """Forget device events received more than ``keep_days`` ago (the setting by default),
        except those still pending; the number deleted."""
        from ._core.models import DeviceEventRecord

        keep = keep_days if keep_days is not None else self.kernel.settings.device_events_keep_days
        cutoff = utcnow() - timedelta(days=keep)
        with self.kernel.databases.session("core") as session:
            result = session.execute(
                delete(DeviceEventRecord).where(
                    DeviceEventRecord.received_at < cutoff, DeviceEventRecord.state != "pending"
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def dead_letters(self, device_id: int) -> Any:
        """The select of the device's refused events, newest first (for ``paginate``)."""
        from ._core.models import DeviceEventRecord

        self.get(device_id)
        return (
            select(DeviceEventRecord)
            .where(DeviceEventRecord.device_id == device_id, DeviceEventRecord.state == "rejected")
            .order_by(DeviceEventRecord.id.desc())
        )

    def _changed(self, session: Any, device_id: int, action: str) -> None:
        from ._db import emit_on_commit

        emit_on_commit(session, "devices.changed", {"id": device_id, "action": action}, room="system")

    def _disconnect(self, device_id: int) -> None:
        if self.channel is not None:
            self.channel.disconnect_threadsafe(device_id)

    # -------------------------------------------------------------- connection state
    def set_connected(
        self, device_id: int, online: bool, *, drivers: list[str] | None = None, clock_offset_ms: int | None = None
    ) -> None:
        from ._core.models import Device

        values: dict[str, Any] = {"online": online, "last_seen": utcnow()}
        if drivers is not None:
            values["drivers"] = sorted({str(d)[:64] for d in drivers})[:50]
        if clock_offset_ms is not None:
            values["clock_offset_ms"] = clock_offset_ms
        with self.kernel.databases.session("core") as session:
            session.execute(update(Device).where(Device.id == device_id).values(**values))
            self._changed(session, device_id, "online" if online else "offline")

    def touch(self, device_id: int) -> None:
        """The device was heard from: keep ``last_seen`` current."""
        from ._core.models import Device

        with self.kernel.databases.session("core") as session:
            session.execute(update(Device).where(Device.id == device_id).values(last_seen=utcnow(), online=True))

    def forget_connections(self) -> None:
        """Mark every device offline (a single process starting: nobody is connected yet)."""
        from ._core.models import Device

        with self.kernel.databases.session("core") as session:
            session.execute(update(Device).where(Device.online.is_(True)).values(online=False))

    # -------------------------------------------------------------- events
    def deliver(self, device_id: int, events: Any, *, clock_offset_ms: int | None = None) -> list[dict[str, Any]]:
        """Apply a batch of events from a bridge (see :mod:`._devices_events`)."""
        from ._devices_events import deliver

        return deliver(self.kernel, device_id, events, clock_offset_ms=clock_offset_ms)

    # -------------------------------------------------------------- commands
    def command(
        self, device_id: int, command: str, payload: dict[str, Any] | None = None, *, timeout: float = 30.0
    ) -> dict[str, Any]:
        """Send ``command`` to the device's bridge and wait for its answer (blocking: call
        it from a worker thread, a sync route, a job or a device handler).

        Raises ``DomainError``: 404 unknown device; 409 offline or busy (one command at a
        time per device); 504 no answer within ``timeout`` seconds; 422 the bridge's own
        message when its driver reports an error."""
        device = self.get(device_id)
        if device.revoked_at is not None or self.channel is None:
            raise DomainError(409, f"device {device.name!r} is offline", device_id=device_id)
        reply = self.channel.call(device_id, command, payload or {}, timeout=timeout)
        if reply is None:
            raise DomainError(504, f"device {device.name!r} did not answer within {timeout:g} s", device_id=device_id)
        if reply in ("offline", "busy"):
            raise DomainError(409, f"device {device.name!r} is {reply}", device_id=device_id)
        if not isinstance(reply, dict) or not reply.get("ok"):
            message = reply.get("error") if isinstance(reply, dict) else None
            raise DomainError(422, str(message or f"device {device.name!r} could not run {command!r}"))
        data = reply.get("data")
        return data if isinstance(data, dict) else {}
