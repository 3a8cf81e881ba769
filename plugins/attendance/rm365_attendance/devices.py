"""What paired bridges report, handled by the kernel device contract: a card read or a
fingerprint match clocks the person at the time it happened; a bridge coming online gets
the site's templates and its one threshold. A refused event raises ``DomainError``
(dead-lettered by the kernel); (device, event id) is kept unique in our clock keys too."""

from __future__ import annotations

import logging
from typing import Any

from rm365_core import DeviceEvent, DeviceInfo, DomainError, Kernel

from .service import DATABASE, AttendanceService

log = logging.getLogger("rm365.attendance")


def _service(kernel: Kernel) -> AttendanceService:
    service = kernel.services.get("attendance.clock")
    return service if isinstance(service, AttendanceService) else AttendanceService(kernel)


def _key(device: DeviceInfo, event: DeviceEvent) -> str:
    return f"device:{device.id}:{event.id}"


def on_card_read(kernel: Kernel, device: DeviceInfo, event: DeviceEvent) -> None:
    uid = event.data.get("uid")
    if not isinstance(uid, str) or not uid.strip():
        raise DomainError(422, f"card.read from {device.name!r} carries no uid")
    service = _service(kernel)
    with kernel.databases.session(DATABASE) as session:
        service.clock(
            session,
            card_uid=uid,
            at=event.occurred_at,
            key=_key(device, event),
            source="card",
            device_id=device.id,
            device_name=device.name,
            by=f"device:{device.name}",
        )


def on_fingerprint_matched(kernel: Kernel, device: DeviceInfo, event: DeviceEvent) -> None:
    code = event.data.get("employee_code")
    if not isinstance(code, str) or not code.strip():
        raise DomainError(422, f"fingerprint.matched from {device.name!r} carries no employee_code")
    service = _service(kernel)
    score = event.data.get("score")
    threshold = service.settings.fingerprint_threshold
    if isinstance(score, int | float) and score < threshold:
        raise DomainError(422, f"fingerprint match for {code} scored {score}, below the site's threshold {threshold}")
    with kernel.databases.session(DATABASE) as session:
        service.clock(
            session,
            employee_code=code,
            at=event.occurred_at,
            key=_key(device, event),
            source="fingerprint",
            device_id=device.id,
            device_name=device.name,
            by=f"device:{device.name}",
        )


def sync_fingerprints(kernel: Kernel, device_id: int) -> dict[str, Any]:
    """Send every active person's templates and the site threshold to one bridge."""
    service = _service(kernel)
    with kernel.databases.session(DATABASE, readonly=True) as session:
        templates = service.people.templates_for_sync(session)
    reply = kernel.devices.command(  # type: ignore[attr-defined]
        device_id, "fingerprint.sync", {"templates": templates, "threshold": service.settings.fingerprint_threshold}
    )
    log.info("attendance: %d fingerprint template(s) synced to device %s", len(templates), device_id)
    return dict(reply)


def on_device_online(kernel: Kernel, device: DeviceInfo, event: DeviceEvent) -> None:
    sync_fingerprints(kernel, device.id)


HANDLERS = {
    "card.read": on_card_read,
    "fingerprint.matched": on_fingerprint_matched,
    "device.online": on_device_online,
}
