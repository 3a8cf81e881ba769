"""Device events to plugins, each (device, event id) applied once.

A batch from a bridge is handled in order, oldest first:

1. **Claim**: one transaction inserts every event as ``pending`` with ``ON CONFLICT DO
   NOTHING`` on the unique (device id, event id); the states read back say which ones were
   already ``accepted`` or ``rejected`` (answered ``duplicate``, handlers not called).
2. **Handlers** of the event's type run (in this worker thread). ``DomainError`` refuses the
   event: ``rejected`` with its message (dead-lettered, acknowledged). Any other exception
   stops the batch here: that event and the later ones are answered ``retry`` and stay
   ``pending``, so the bridge sends them again, still in order.
3. **Record**: one transaction marks the outcomes; only then the bridge gets its answer.

A crash between a handler's commit and step 3 leaves the event ``pending``: the retry runs
the handlers again, which is why handlers also keep (device id, event id) unique. That also
covers a copy a bridge sends after the daily job forgot the event here
(``RM365_DEVICE_EVENTS_KEEP_DAYS``, 90 by default).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from ._db import emit_on_commit
from ._devices import DeviceEvent, DeviceInfo
from ._errors import DomainError
from ._plugins import ENABLED
from ._types import utcnow

if TYPE_CHECKING:
    from ._kernel import Kernel

log = logging.getLogger("rm365.devices")

#: Most events accepted in one batch.
MAX_BATCH = 500
MAX_ID = 64
MAX_TYPE = 64


def _parse(raw: Any) -> DeviceEvent:
    if not isinstance(raw, dict):
        raise ValueError("an event must be an object")
    event_id, kind, when, data = raw.get("id"), raw.get("type"), raw.get("occurred_at"), raw.get("data", {})
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_ID:
        raise ValueError(f"an event needs an id of 1 to {MAX_ID} characters")
    if not isinstance(kind, str) or not 0 < len(kind) <= MAX_TYPE:
        raise ValueError(f"event {event_id}: a type of 1 to {MAX_TYPE} characters is required")
    if kind.startswith("device."):
        raise ValueError(f"event {event_id}: {kind} is sent by the server itself, not by bridges")
    if not isinstance(data, dict):
        raise ValueError(f"event {event_id}: data must be an object")
    try:
        occurred = datetime.fromisoformat(str(when))
    except ValueError:
        raise ValueError(f"event {event_id}: occurred_at {when!r} is not an ISO 8601 time") from None
    if occurred.tzinfo is None:
        raise ValueError(f"event {event_id}: occurred_at needs a time zone")
    return DeviceEvent(id=event_id, type=kind, occurred_at=occurred.astimezone(UTC), data=data)


def _insert(session: Any, rows: list[dict[str, Any]]) -> None:
    from ._core.models import DeviceEventRecord

    table = DeviceEventRecord
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(table).on_conflict_do_nothing(index_elements=["device_id", "event_id"])
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=["device_id", "event_id"])
    session.execute(statement, rows)


def call_handlers(kernel: Kernel, device: DeviceInfo, event: DeviceEvent) -> None:
    """Run every enabled plugin's handler for ``event.type``, in plugin order."""
    for owner, handler in kernel.device_handlers.get(event.type, []):
        plugin = kernel.plugins.plugins.get(owner)
        if plugin is not None and plugin.state != ENABLED:
            continue
        handler(kernel, device, event)


def deliver(kernel: Kernel, device_id: int, events: Any, *, clock_offset_ms: int | None = None) -> list[dict[str, Any]]:
    """Apply a batch; answers ``[{id, status, error?}]`` with status ``accepted``,
    ``duplicate``, ``rejected`` or ``retry``, one per event id given, in order."""
    from ._core.models import Device, DeviceEventRecord

    if not isinstance(events, list) or len(events) > MAX_BATCH:
        raise DomainError(422, f"events must be a list of at most {MAX_BATCH}")
    now = utcnow()
    parsed: list[DeviceEvent] = []
    refused: dict[str, str] = {}
    answers: list[dict[str, Any]] = []
    for raw in events:
        try:
            parsed.append(_parse(raw))
        except ValueError as exc:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(raw_id, str) and 0 < len(raw_id) <= MAX_ID:
                # Kept in the dead letters with what could be read of it.
                refused[raw_id] = str(exc)
                parsed.append(DeviceEvent(id=raw_id, type=str(raw.get("type"))[:MAX_TYPE], occurred_at=now, data={}))
            else:
                answers.append(
                    {"id": raw_id if isinstance(raw_id, str) else None, "status": "rejected", "error": str(exc)}
                )
    if not parsed:
        return answers
    with kernel.databases.session("core") as session:
        device_row = session.get(Device, device_id)
        if device_row is None or device_row.revoked_at is not None:
            raise DomainError(403, "this device is revoked")
        device = DeviceInfo(
            id=device_row.id, name=device_row.name, site=device_row.site or "", drivers=list(device_row.drivers or [])
        )
        unique = list({e.id: e for e in parsed}.values())
        _insert(
            session,
            [
                {
                    "device_id": device_id,
                    "event_id": e.id,
                    "type": e.type,
                    "occurred_at": e.occurred_at,
                    "received_at": now,
                    "clock_offset_ms": clock_offset_ms,
                    "data": e.data,
                    "state": "pending",
                    "error": None,
                }
                for e in unique
            ],
        )
        states = dict(
            session.execute(
                select(DeviceEventRecord.event_id, DeviceEventRecord.state).where(
                    DeviceEventRecord.device_id == device_id, DeviceEventRecord.event_id.in_([e.id for e in unique])
                )
            ).all()
        )
        device_row.last_seen = now
        device_row.last_event_at = now
    outcomes: dict[str, tuple[str, str | None]] = {}
    stopped = False
    for event in parsed:
        if event.id in outcomes:
            continue  # the same id twice in one batch
        if stopped:
            outcomes[event.id] = ("retry", None)
            continue
        if states.get(event.id) in ("accepted", "rejected"):
            outcomes[event.id] = ("duplicate", None)
            continue
        if event.id in refused:
            outcomes[event.id] = ("rejected", refused[event.id])
            continue
        try:
            call_handlers(kernel, device, event)
        except DomainError as exc:
            outcomes[event.id] = ("rejected", exc.message)
        except Exception as exc:  # noqa: BLE001 - any other failure: the bridge retries later
            log.exception(
                "device %s: handling event %s (%s) failed; the bridge will retry", device.name, event.id, event.type
            )
            outcomes[event.id] = ("retry", f"{type(exc).__name__}: the server will take it later")
            stopped = True
        else:
            outcomes[event.id] = ("accepted", None)
    accepted = [event_id for event_id, (status, _error) in outcomes.items() if status == "accepted"]
    with kernel.databases.session("core") as session:
        emit_on_commit(session, "devices.changed", {"id": device_id, "action": "events"}, room="system")
        if accepted:
            session.execute(
                update(DeviceEventRecord)
                .where(DeviceEventRecord.device_id == device_id, DeviceEventRecord.event_id.in_(accepted))
                .values(state="accepted")
            )
        for event_id, (status, error) in outcomes.items():
            if status == "rejected":
                session.execute(
                    update(DeviceEventRecord)
                    .where(DeviceEventRecord.device_id == device_id, DeviceEventRecord.event_id == event_id)
                    .values(state=status, error=error)
                )
    seen: set[str] = set()
    for event in parsed:
        if event.id in seen:
            answers.append({"id": event.id, "status": "duplicate"})
            continue
        seen.add(event.id)
        status, error = outcomes[event.id]
        answers.append({"id": event.id, "status": status, **({"error": error} if error else {})})
    return answers
