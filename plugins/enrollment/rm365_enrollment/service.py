"""The people registry: codes by number, deactivate vs purge, one card per holder,
encrypted fingerprint templates, enrolment through a bridge. No HTTP here."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from rm365_core import DomainError, Kernel, emit_on_commit, utcnow

from .crypto import TemplateCipher
from .models import CodeCounter, Employee, Fingerprint, Purge
from .rules import KINDS, STATUSES, check_finger, code_number, format_code, normalise_uid
from .settings import EnrollmentSettings

log = logging.getLogger("rm365.enrollment")

DATABASE = "attendance"
ROOM = ["enrollment.management", "enrollment.card", "enrollment.fingerprint"]
MAX_TEMPLATE_BYTES = 64 * 1024
#: ``listener(session, employee_id)`` erases what another plugin keeps about a person.
PurgeListener = Callable[[Session, int], None]


class NotFound(DomainError):
    status = 404


def as_dict(person: Employee) -> dict[str, Any]:
    """A person as the API shows them: fingerprints as metadata only, never a template."""
    return {
        "id": person.id,
        "employee_code": person.employee_code,
        "name": person.name,
        "kind": person.kind,
        "location": person.location,
        "status": person.status,
        "card_uid": person.card_uid,
        "fingerprints": [{"finger": f.finger, "created_at": f.created_at} for f in person.fingerprints],
        "created_at": person.created_at,
        "updated_at": person.updated_at,
    }


class PeopleService:
    """The ``enrollment.people`` service; attendance uses it on its own session (same database)."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self._purge_listeners: list[PurgeListener] = []
        self._cipher: TemplateCipher | None = None

    # ------------------------------------------------------------------ plumbing
    @property
    def settings(self) -> EnrollmentSettings:
        settings = self.kernel.settings_for("enrollment")
        return settings if isinstance(settings, EnrollmentSettings) else EnrollmentSettings()

    @property
    def cipher(self) -> TemplateCipher:
        if self._cipher is None:
            self._cipher = TemplateCipher(self.settings, self.kernel.settings.data_dir)
        return self._cipher

    @property
    def table(self) -> Any:
        """The people table, read-only for reports of plugins in the same database (joins)."""
        return Employee.__table__

    def on_purge(self, listener: PurgeListener) -> None:
        """Call ``listener(session, employee_id)`` inside every purge's transaction."""
        self._purge_listeners.append(listener)

    # ------------------------------------------------------------------ reading
    def get(self, session: Session, employee_id: int, *, lock: bool = False) -> Employee:
        statement = select(Employee).where(Employee.id == employee_id)
        if lock:
            statement = statement.with_for_update()
        person = session.scalars(statement).first()
        if person is None:
            raise NotFound(f"no person with id {employee_id}", employee_id=employee_id)
        return person

    def by_card(self, session: Session, raw_uid: str, *, lock: bool = False) -> Employee:
        uid = normalise_uid(raw_uid)
        statement = select(Employee).where(Employee.card_uid == uid)
        if lock:
            statement = statement.with_for_update()
        person = session.scalars(statement).first()
        if person is None:
            raise NotFound(f"card {uid} is not enrolled to anyone", card_uid=uid)
        return person

    def by_code(self, session: Session, code: str, *, lock: bool = False) -> Employee:
        number = code_number(code)
        statement = select(Employee).where(Employee.code_number == (number if number is not None else -1))
        if lock:
            statement = statement.with_for_update()
        person = session.scalars(statement).first()
        if person is None:
            raise NotFound(f"no person with code {code[:40]!r}", employee_code=code[:40])
        return person

    def query(
        self,
        *,
        q: str | None = None,
        code: str | None = None,
        location: str | None = None,
        status: str | None = None,
        kind: str | None = None,
    ) -> Select[Any]:
        """People matching the filters, by code number (so EMP1000 follows EMP999)."""
        statement = select(Employee)
        if q:
            like = f"%{q.strip().lower()}%"
            number = code_number(q)
            clauses: list[Any] = [func.lower(Employee.name).like(like), func.lower(Employee.employee_code).like(like)]
            if number is not None:
                clauses.append(Employee.code_number == number)
            statement = statement.where(or_(*clauses))
        if code:
            number = code_number(code)
            statement = statement.where(Employee.code_number == (number if number is not None else -1))
        if location:
            statement = statement.where(Employee.location == location)
        if status:
            statement = statement.where(Employee.status == status)
        if kind:
            statement = statement.where(Employee.kind == kind)
        return statement.order_by(Employee.code_number)

    def locations(self, session: Session) -> list[str]:
        rows = session.scalars(select(Employee.location).where(Employee.location != "").distinct())
        return sorted(rows, key=str.casefold)

    # ------------------------------------------------------------------ changing
    def _next_number(self, session: Session) -> int:
        counter = session.scalars(select(CodeCounter).where(CodeCounter.id == 1).with_for_update()).first()
        if counter is None:
            highest = session.scalar(select(func.max(Employee.code_number))) or 0
            counter = CodeCounter(id=1, last_number=highest)
            session.add(counter)
        counter.last_number += 1
        return counter.last_number

    def create(
        self,
        session: Session,
        *,
        name: str,
        kind: str = "employee",
        location: str = "",
        card_uid: str | None = None,
    ) -> Employee:
        self._check(kind=kind)
        number = self._next_number(session)
        person = Employee(
            code_number=number,
            employee_code=format_code(number),
            name=name.strip(),
            kind=kind,
            location=location.strip(),
            status="active",
        )
        session.add(person)
        session.flush()
        if card_uid:
            self.set_card(session, person.id, card_uid)
        self._changed(session, person, "created")
        return person

    def update(self, session: Session, employee_id: int, changes: dict[str, Any]) -> Employee:
        person = self.get(session, employee_id, lock=True)
        self._check(kind=changes.get("kind"), status=changes.get("status"))
        for field in ("name", "kind", "location", "status"):
            value = changes.get(field)
            if value is not None:
                setattr(person, field, value.strip() if isinstance(value, str) else value)
        if "card_uid" in changes:
            if changes["card_uid"]:
                self.set_card(session, person.id, changes["card_uid"])
            else:
                person.card_uid = None
        if person.status == "inactive":
            person.card_uid = None
        session.flush()
        self._changed(session, person, "updated")
        return person

    def deactivate(self, session: Session, employee_id: int) -> Employee:
        """Inactive, card released; attendance history and enrolled fingers are kept."""
        person = self.get(session, employee_id, lock=True)
        person.status = "inactive"
        person.card_uid = None
        session.flush()
        self._changed(session, person, "deactivated")
        return person

    def purge(self, session: Session, employee_id: int, *, by: str) -> None:
        """Erase the person, their biometrics and (through listeners) their history; logged."""
        person = self.get(session, employee_id, lock=True)
        code = person.employee_code
        for listener in self._purge_listeners:
            listener(session, employee_id)
        erased = f"person, card, {len(person.fingerprints)} fingerprint(s), attendance history"
        session.delete(person)
        session.add(Purge(employee_code=code, by=by, erased=erased))
        session.flush()
        log.info("enrollment: %s purged %s (%s)", by, code, erased)
        emit_on_commit(session, "enrollment.changed", {"id": employee_id, "action": "purged"}, room=ROOM)

    def set_card(self, session: Session, employee_id: int, raw_uid: str) -> Employee:
        uid = normalise_uid(raw_uid)
        person = self.get(session, employee_id, lock=True)
        if person.status != "active":
            raise DomainError(409, f"{person.name} ({person.employee_code}) is inactive: reactivate them first")
        holder = session.scalars(select(Employee).where(Employee.card_uid == uid, Employee.id != person.id)).first()
        if holder is not None:
            raise DomainError(
                409,
                f"card {uid} is already held by {holder.name} ({holder.employee_code})",
                holder_id=holder.id,
                holder_code=holder.employee_code,
                holder_name=holder.name,
            )
        person.card_uid = uid
        session.flush()
        self._changed(session, person, "card")
        return person

    def clear_card(self, session: Session, employee_id: int) -> Employee:
        person = self.get(session, employee_id, lock=True)
        person.card_uid = None
        session.flush()
        self._changed(session, person, "card")
        return person

    def set_fingerprint(
        self,
        session: Session,
        employee_id: int,
        finger: str,
        template_b64: str,
        *,
        format: str = "",
        quality: int | None = None,
    ) -> Employee:
        check_finger(finger)
        try:
            template = base64.b64decode(template_b64, validate=True)
        except (binascii.Error, ValueError):
            raise DomainError(422, "template must be base64", field="template") from None
        if not template or len(template) > MAX_TEMPLATE_BYTES:
            raise DomainError(422, f"template must be 1 byte to {MAX_TEMPLATE_BYTES // 1024} KiB", field="template")
        person = self.get(session, employee_id, lock=True)
        if person.status != "active":
            raise DomainError(409, f"{person.name} ({person.employee_code}) is inactive: reactivate them first")
        row = next((f for f in person.fingerprints if f.finger == finger), None)
        if row is None:
            row = Fingerprint(finger=finger)
            person.fingerprints.append(row)
        row.template_encrypted = self.cipher.encrypt(template)
        row.format = format
        row.quality = quality
        row.created_at = utcnow()
        session.flush()
        self._changed(session, person, "fingerprint")
        return person

    def delete_fingerprint(self, session: Session, employee_id: int, finger: str) -> Employee:
        check_finger(finger)
        person = self.get(session, employee_id, lock=True)
        row = next((f for f in person.fingerprints if f.finger == finger), None)
        if row is None:
            raise NotFound(f"{person.name} has no {finger.replace('_', ' ')} enrolled")
        person.fingerprints.remove(row)
        session.flush()
        self._changed(session, person, "fingerprint")
        return person

    def templates_for_sync(self, session: Session) -> list[dict[str, str]]:
        """Every active person's templates, decrypted, for ``fingerprint.sync`` to a bridge only."""
        rows = session.execute(
            select(Employee.employee_code, Fingerprint.finger, Fingerprint.template_encrypted)
            .join(Fingerprint, Fingerprint.employee_id == Employee.id)
            .where(Employee.status == "active")
            .order_by(Employee.code_number, Fingerprint.finger)
        ).all()
        return [
            {"employee_code": code, "finger": finger, "template": base64.b64encode(self.cipher.decrypt(token)).decode()}
            for code, finger, token in rows
        ]

    def rotate_key(self, session: Session) -> int:
        """Re-encrypt every template with the current key; returns how many."""
        rows = session.scalars(select(Fingerprint)).all()
        for row in rows:
            row.template_encrypted = self.cipher.rotate(row.template_encrypted)
        return len(rows)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _check(*, kind: str | None = None, status: str | None = None) -> None:
        if kind is not None and kind not in KINDS:
            raise DomainError(422, f"kind must be one of {', '.join(KINDS)}", field="kind")
        if status is not None and status not in STATUSES:
            raise DomainError(422, f"status must be one of {', '.join(STATUSES)}", field="status")

    @staticmethod
    def _changed(session: Session, person: Employee, action: str) -> None:
        emit_on_commit(
            session, "enrollment.changed", {"id": person.id, "code": person.employee_code, "action": action}, room=ROOM
        )
