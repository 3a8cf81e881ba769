"""Clocking and corrections: the rules that write events. Reports live in ``reports.py``.

Like the stock engine: lock the person's row first (one writer per person), look the
idempotency key up again under the lock, then write the event and re-derive what follows.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rm365_core import DomainError, Kernel, emit_on_commit, utcnow

from . import engine
from .models import ClockEvent, ClockKey, Correction, WorkDay
from .settings import AttendanceSettings

log = logging.getLogger("rm365.attendance")

DATABASE = "attendance"
#: Clock events go to the kiosk and overview pages (rooms are their tabs).
ROOMS = ["attendance.kiosk", "attendance.overview"]
MAX_FUTURE = timedelta(minutes=5)


class AttendanceService:
    """The ``attendance.clock`` service."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    @property
    def settings(self) -> AttendanceSettings:
        settings = self.kernel.settings_for("attendance")
        return settings if isinstance(settings, AttendanceSettings) else AttendanceSettings()

    @property
    def people(self) -> Any:
        people = self.kernel.services.get("enrollment.people")
        if people is None:
            raise DomainError(409, "the enrollment plugin is not running: no one can clock")
        return people

    @property
    def max_shift(self) -> timedelta:
        return timedelta(hours=self.settings.max_shift_hours)

    # ------------------------------------------------------------------ clocking
    def clock(
        self,
        session: Session,
        *,
        employee_id: int | None = None,
        card_uid: str | None = None,
        employee_code: str | None = None,
        at: datetime | None = None,
        key: str | None = None,
        source: str = "manual",
        device_id: int | None = None,
        device_name: str = "",
        by: str = "",
    ) -> dict[str, Any]:
        """Record one clock event; answers ``{employee_id, name, direction, at, duplicate}``."""
        now = utcnow()
        at = now if at is None else at
        self._check_time(at)
        if key is not None:
            answer = self._answer_for(session, key)
            if answer is not None:
                return answer
        person = self._person(session, employee_id=employee_id, card_uid=card_uid, employee_code=employee_code)
        if key is not None:  # again, under the person's lock: a concurrent retry may have won
            answer = self._answer_for(session, key)
            if answer is not None:
                return answer
        if person.status != "active":
            raise DomainError(
                409, f"{person.name} ({person.employee_code}) is inactive and cannot clock", employee_id=person.id
            )
        window = timedelta(seconds=self.settings.duplicate_window_seconds)
        near = session.scalars(
            select(ClockEvent)
            .where(ClockEvent.employee_id == person.id, ClockEvent.at >= at - window, ClockEvent.at <= at + window)
            .order_by(ClockEvent.at.desc())
            .limit(1)
        ).first()
        if near is not None and window:
            answer = self._answer(person, near.direction, near.at, duplicate=True)
            self._keep(session, key, person.id, answer)
            return answer
        event = ClockEvent(
            employee_id=person.id,
            at=at,
            direction="in",
            source=source,
            device_id=device_id,
            device_name=device_name,
            created_by=by,
        )
        session.add(event)
        self._rederive(session, person.id, at, at)
        answer = self._answer(person, event.direction, at, duplicate=False)
        self._keep(session, key, person.id, answer)
        emit_on_commit(
            session,
            "attendance.clock",
            {
                **answer,
                "id": event.id,
                "employee_code": person.employee_code,
                "source": source,
                "device": device_name,
                "device_id": device_id,
            },
            room=ROOMS,
        )
        return answer

    def _person(
        self, session: Session, *, employee_id: int | None, card_uid: str | None, employee_code: str | None
    ) -> Any:
        people = self.people
        if employee_id is not None:
            return people.get(session, employee_id, lock=True)
        if card_uid is not None:
            return people.by_card(session, card_uid, lock=True)
        if employee_code is not None:
            return people.by_code(session, employee_code, lock=True)
        raise DomainError(422, "give employee_id or card_uid", field="employee_id")

    @staticmethod
    def _answer(person: Any, direction: str, at: datetime, *, duplicate: bool) -> dict[str, Any]:
        return {
            "employee_id": person.id,
            "name": person.name,
            "direction": direction,
            "at": at.isoformat(),
            "duplicate": duplicate,
        }

    @staticmethod
    def _answer_for(session: Session, key: str) -> dict[str, Any] | None:
        row = session.get(ClockKey, key, populate_existing=True)
        return dict(row.answer) if row is not None else None

    @staticmethod
    def _keep(session: Session, key: str | None, employee_id: int, answer: dict[str, Any]) -> None:
        if key is not None:
            session.add(ClockKey(key=key, employee_id=employee_id, answer=answer))
            session.flush()

    def _rederive(self, session: Session, employee_id: int, start: datetime, end: datetime) -> None:
        """Directions from ``start`` on, then the day rows those events touch."""
        last = engine.rechain(session, employee_id, start, end, self.max_shift)
        engine.rebuild_days(session, employee_id, start, last, self.settings.zone, self.max_shift)

    # ------------------------------------------------------------------ corrections
    def add_event(
        self, session: Session, *, employee_id: int, at: datetime, direction: str, reason: str, by: str
    ) -> ClockEvent:
        self._check_time(at)
        person = self.people.get(session, employee_id, lock=True)
        event = ClockEvent(
            employee_id=person.id,
            at=at,
            direction=direction,
            pinned=True,
            corrected=True,
            source="correction",
            created_by=by,
        )
        session.add(event)
        session.flush()
        self._rederive(session, person.id, at, at)
        self._audit(session, event, "add", reason, by, None, self._snapshot(event))
        return event

    def edit_event(
        self,
        session: Session,
        event_id: int,
        *,
        reason: str,
        by: str,
        at: datetime | None = None,
        direction: str | None = None,
    ) -> ClockEvent:
        event = self._event(session, event_id)
        self.people.get(session, event.employee_id, lock=True)
        before = self._snapshot(event)
        old_at = event.at
        if at is not None:
            self._check_time(at)
            event.at = at
        if direction is not None:
            event.direction = direction
            event.pinned = True
        event.corrected = True
        event.needs_review = False
        session.flush()
        self._rederive(session, event.employee_id, min(old_at, event.at), max(old_at, event.at))
        self._audit(session, event, "edit", reason, by, before, self._snapshot(event))
        return event

    def delete_event(self, session: Session, event_id: int, *, reason: str, by: str) -> None:
        event = self._event(session, event_id)
        self.people.get(session, event.employee_id, lock=True)
        before = self._snapshot(event)
        session.delete(event)
        session.flush()
        self._rederive(session, event.employee_id, event.at, event.at)
        self._audit(session, event, "delete", reason, by, before, None)

    @staticmethod
    def _check_time(at: datetime) -> None:
        if at.tzinfo is None:
            raise DomainError(422, "at needs a time zone (e.g. 2026-03-01T08:00:00Z)", field="at")
        if at > utcnow() + MAX_FUTURE:
            raise DomainError(422, "at is in the future", field="at")

    @staticmethod
    def _event(session: Session, event_id: int) -> ClockEvent:
        event = session.get(ClockEvent, event_id)
        if event is None:
            raise DomainError(404, f"no clock event with id {event_id}", event_id=event_id)
        return event

    @staticmethod
    def _snapshot(event: ClockEvent) -> dict[str, Any]:
        return {
            "at": event.at.isoformat(),
            "direction": event.direction,
            "source": event.source,
            "pinned": event.pinned,
        }

    @staticmethod
    def _audit(
        session: Session,
        event: ClockEvent,
        action: str,
        reason: str,
        by: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        reason = reason.strip()
        if not reason:
            raise DomainError(422, "a correction needs a reason", field="reason")
        session.add(
            Correction(
                event_ref=event.id,
                employee_id=event.employee_id,
                action=action,
                reason=reason,
                by=by,
                before=before,
                after=after,
            )
        )
        emit_on_commit(
            session,
            "attendance.corrected",
            {"employee_id": event.employee_id, "action": action},
            room=["attendance.overview", "attendance.logs", "attendance.manual"],
        )

    # ------------------------------------------------------------------ open check-ins
    def close_open_checkins(self, session: Session, now: datetime | None = None) -> dict[str, int]:
        """Check-ins whose person has no later event and that are older than the maximum
        shift: closed at the standard day's end (automatic) or flagged for review."""
        now = now or utcnow()
        settings = self.settings
        cutoff = now - self.max_shift
        latest = select(ClockEvent.employee_id, engine_max_at()).group_by(ClockEvent.employee_id).subquery()
        candidates = session.scalars(
            select(ClockEvent)
            .join(latest, (latest.c.employee_id == ClockEvent.employee_id) & (latest.c.last_at == ClockEvent.at))
            .where(ClockEvent.direction == "in", ClockEvent.at < cutoff, ClockEvent.needs_review.is_(False))
        ).all()
        closed = flagged = 0
        for event in candidates:
            if settings.open_checkin_action == "flag":
                event.needs_review = True
                flagged += 1
                continue
            end = event.at + timedelta(hours=settings.standard_hours)
            closing = ClockEvent(
                employee_id=event.employee_id,
                at=end,
                direction="out",
                pinned=True,
                automatic=True,
                source="automatic",
                created_by="system",
            )
            session.add(closing)
            session.flush()
            self._rederive(session, event.employee_id, event.at, end)
            session.add(
                Correction(
                    event_ref=closing.id,
                    employee_id=event.employee_id,
                    action="auto-close",
                    reason=f"no check-out within {settings.max_shift_hours:g} h",
                    by="system",
                    before=None,
                    after=self._snapshot(closing),
                )
            )
            closed += 1
        session.flush()
        return {"closed": closed, "flagged": flagged}

    # ------------------------------------------------------------------ purge
    def erase_person(self, session: Session, employee_id: int) -> None:
        """The enrollment purge listener: every attendance row of the person goes."""
        for model in (ClockEvent, WorkDay, Correction, ClockKey):
            session.execute(delete(model).where(model.employee_id == employee_id))  # type: ignore[attr-defined]


def engine_max_at() -> Any:
    from sqlalchemy import func

    return func.max(ClockEvent.at).label("last_at")
