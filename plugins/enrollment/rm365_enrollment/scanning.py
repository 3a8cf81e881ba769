"""Enrolment through a bridge: ask a station for the next card or a finger, then store it.

No transaction stays open while the station waits (a SQLite writer would block everyone):
check the person, send the command, then store in a fresh transaction. Progress goes to the
page's room live; an offline or busy station is the kernel's 409, at once.
"""

from __future__ import annotations

from typing import Any

from rm365_core import DomainError

from .rules import check_finger
from .service import DATABASE, PeopleService, as_dict

CARD_ROOM = "enrollment.card"
FINGER_ROOM = "enrollment.fingerprint"


def _devices(service: PeopleService) -> Any:
    devices = getattr(service.kernel, "devices", None)
    if devices is None:
        raise DomainError(409, "this site has no device support: no station can be asked to scan")
    return devices


def _check_person(service: PeopleService, employee_id: int) -> dict[str, Any]:
    with service.kernel.databases.session(DATABASE, readonly=True) as session:
        person = service.get(session, employee_id)
        if person.status != "active":
            raise DomainError(409, f"{person.name} ({person.employee_code}) is inactive: reactivate them first")
        return {"id": person.id, "name": person.name, "employee_code": person.employee_code}


def _progress(service: PeopleService, room: str, data: dict[str, Any]) -> None:
    service.kernel.emit("enrollment.scan", data, room=room)


def _command(
    service: PeopleService, room: str, base: dict[str, Any], command: str, payload: dict[str, Any], timeout: float
) -> dict[str, Any]:
    devices = _devices(service)
    _progress(service, room, {**base, "state": "waiting"})
    try:
        return dict(devices.command(base["device_id"], command, payload, timeout=timeout))
    except DomainError as exc:
        _progress(service, room, {**base, "state": "failed", "message": exc.message})
        raise


def scan_card(service: PeopleService, employee_id: int, device_id: int) -> dict[str, Any]:
    person = _check_person(service, employee_id)
    base = {"employee_id": employee_id, "device_id": device_id, "kind": "card"}
    reply = _command(service, CARD_ROOM, base, "card.read_next", {}, service.settings.card_scan_seconds)
    uid = reply.get("uid")
    if not isinstance(uid, str) or not uid:
        _progress(service, CARD_ROOM, {**base, "state": "failed", "message": "the station sent no card UID"})
        raise DomainError(422, f"the station sent no card UID for {person['name']}")
    try:
        with service.kernel.databases.session(DATABASE) as session:
            result = as_dict(service.set_card(session, employee_id, uid))
    except DomainError as exc:
        _progress(service, CARD_ROOM, {**base, "state": "failed", "message": exc.message})
        raise
    _progress(service, CARD_ROOM, {**base, "state": "done", "card_uid": result["card_uid"]})
    return result


def scan_fingerprint(service: PeopleService, employee_id: int, finger: str, device_id: int) -> dict[str, Any]:
    check_finger(finger)
    person = _check_person(service, employee_id)
    base = {"employee_id": employee_id, "device_id": device_id, "kind": "fingerprint", "finger": finger}
    reply = _command(
        service,
        FINGER_ROOM,
        base,
        "fingerprint.enroll",
        {"employee_code": person["employee_code"], "finger": finger},
        service.settings.fingerprint_scan_seconds,
    )
    template = reply.get("template")
    quality = reply.get("quality")
    if not isinstance(template, str) or not template:
        _progress(service, FINGER_ROOM, {**base, "state": "failed", "message": "the station sent no template"})
        raise DomainError(422, f"the station sent no fingerprint template for {person['name']}")
    try:
        with service.kernel.databases.session(DATABASE) as session:
            result = as_dict(
                service.set_fingerprint(
                    session,
                    employee_id,
                    finger,
                    template,
                    format="bridge",
                    quality=quality if isinstance(quality, int) else None,
                )
            )
    except DomainError as exc:
        _progress(service, FINGER_ROOM, {**base, "state": "failed", "message": exc.message})
        raise
    _progress(service, FINGER_ROOM, {**base, "state": "done", "quality": quality})
    return result
