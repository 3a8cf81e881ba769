"""Reports read the events and the per-day rows, joined with the people table of the
enrollment plugin (same database, read-only): logs, who is in now, counts, work hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from rm365_core import DomainError, utcnow

from . import engine
from .models import ClockEvent, WorkDay
from .settings import AttendanceSettings


@dataclass
class Filters:
    start: date | None = None
    end: date | None = None
    location: str | None = None
    employee_id: int | None = None
    q: str | None = None

    def check(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise DomainError(422, "from must not be after to", field="from")


def people_filters(people: Any, filters: Filters) -> list[Any]:
    clauses = []
    if filters.location:
        clauses.append(people.c.location == filters.location)
    if filters.employee_id is not None:
        clauses.append(people.c.id == filters.employee_id)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        clauses.append(func.lower(people.c.name).like(like) | func.lower(people.c.employee_code).like(like))
    return clauses


def logs_query(people: Any, filters: Filters, settings: AttendanceSettings) -> Select[Any]:
    zone = settings.zone
    statement = select(
        ClockEvent.id,
        ClockEvent.employee_id,
        people.c.name,
        people.c.employee_code,
        ClockEvent.at,
        ClockEvent.direction,
        ClockEvent.source,
        ClockEvent.device_name,
        ClockEvent.corrected,
        ClockEvent.automatic,
        ClockEvent.needs_review,
    ).join(people, people.c.id == ClockEvent.employee_id)
    if filters.start:
        statement = statement.where(ClockEvent.at >= engine.day_start(filters.start, zone))
    if filters.end:
        statement = statement.where(ClockEvent.at < engine.day_start(filters.end + timedelta(days=1), zone))
    for clause in people_filters(people, filters):
        statement = statement.where(clause)
    return statement.order_by(ClockEvent.at.desc(), ClockEvent.id.desc())


def log_row(row: Any, zone: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "employee_id": row.employee_id,
        "name": row.name,
        "employee_code": row.employee_code,
        "at": row.at,
        "local_time": row.at.astimezone(zone).isoformat(),
        "direction": row.direction,
        "source": row.source,
        "device": row.device_name or None,
        "corrected": row.corrected,
        "automatic": row.automatic,
        "needs_review": row.needs_review,
    }


def hours_query(people: Any, filters: Filters) -> Select[Any]:
    statement = select(
        WorkDay.employee_id,
        people.c.name,
        people.c.employee_code,
        WorkDay.day,
        WorkDay.first_in,
        WorkDay.last_out,
        WorkDay.worked_seconds,
        WorkDay.break_seconds,
        WorkDay.sessions,
        WorkDay.open,
    ).join(people, people.c.id == WorkDay.employee_id)
    if filters.start:
        statement = statement.where(WorkDay.day >= filters.start)
    if filters.end:
        statement = statement.where(WorkDay.day <= filters.end)
    for clause in people_filters(people, filters):
        statement = statement.where(clause)
    return statement.order_by(WorkDay.day, people.c.code_number)


@lru_cache(maxsize=4096)
def _standard_day(day: date, start: time, hours: float, zone: ZoneInfo) -> tuple[datetime, datetime]:
    begin = datetime.combine(day, start, tzinfo=zone)
    return begin, begin + timedelta(hours=hours)


def hours_row(row: Any, settings: AttendanceSettings) -> dict[str, Any]:
    """A day's results; lateness and overtime against the standard day (computed on read so
    a changed standard applies at once). Lateness counts within the standard day only (a
    night shift is not "late" for it)."""
    begin, end = _standard_day(row.day, settings.standard_start, settings.standard_hours, settings.zone)
    first_in = row.first_in
    late = (first_in - begin).total_seconds() / 60 if begin < first_in < end else 0.0
    worked = row.worked_seconds / 3600
    return {
        "employee_id": row.employee_id,
        "name": row.name,
        "employee_code": row.employee_code,
        "date": row.day,
        "first_in": first_in,
        "last_out": row.last_out,
        "worked_hours": round(worked, 2),
        "break_hours": round(row.break_seconds / 3600, 2),
        "sessions": row.sessions,
        "late_minutes": round(late),
        "overtime_hours": round(max(0.0, worked - settings.standard_hours), 2),
        "open": row.open,
    }


def hours_totals(session: Session, people: Any, filters: Filters) -> dict[str, Any]:
    rows = hours_query(people, filters).order_by(None).subquery()
    statement = select(
        func.count(),
        func.coalesce(func.sum(rows.c.worked_seconds), 0),
        func.coalesce(func.sum(rows.c.break_seconds), 0),
    )
    count, worked, breaks = session.execute(statement).one()
    return {"days": count, "worked_hours": round(worked / 3600, 2), "break_hours": round(breaks / 3600, 2)}


def current_states(
    session: Session, people: Any, filters: Filters, settings: AttendanceSettings, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Each active person now: ``in`` (since their check-in), ``out`` (clocked today, now
    out) or ``absent``, with hours so far today."""
    now = now or utcnow()
    zone = settings.zone
    max_shift = timedelta(hours=settings.max_shift_hours)
    today = engine.local_day(now, zone)
    since = min(engine.day_start(today, zone), now - max_shift)
    person_rows = session.execute(
        select(people.c.id, people.c.name, people.c.employee_code, people.c.location)
        .where(people.c.status == "active", *people_filters(people, filters))
        .order_by(people.c.code_number)
    ).all()
    ids = [p.id for p in person_rows]
    last: dict[int, tuple[datetime, str]] = {}
    if ids:
        latest = (
            select(ClockEvent.employee_id, func.max(ClockEvent.at).label("last_at"))
            .where(ClockEvent.at >= since, ClockEvent.at <= now)
            .group_by(ClockEvent.employee_id)
            .subquery()
        )
        for employee_id, event_at, direction in session.execute(
            select(ClockEvent.employee_id, ClockEvent.at, ClockEvent.direction).join(
                latest, and_(latest.c.employee_id == ClockEvent.employee_id, latest.c.last_at == ClockEvent.at)
            )
        ):
            last[employee_id] = (event_at, direction)
    worked: dict[tuple[int, date], int] = {}
    for employee_id, day, seconds in session.execute(
        select(WorkDay.employee_id, WorkDay.day, WorkDay.worked_seconds).where(
            WorkDay.day >= engine.local_day(now - max_shift, zone), WorkDay.day <= today
        )
    ):
        worked[(employee_id, day)] = seconds
    states = []
    for p in person_rows:
        entry = last.get(p.id)
        state: str = "absent"
        since_at: datetime | None = None
        hours = worked.get((p.id, today), 0) / 3600
        if entry is not None:
            last_at, direction = entry
            since_at = last_at
            if direction == "in" and now - last_at <= max_shift:
                state = "in"
                hours = (
                    worked.get((p.id, engine.local_day(last_at, zone)), 0) + (now - last_at).total_seconds()
                ) / 3600
            elif engine.local_day(last_at, zone) == today:
                state = "out"
            else:
                since_at = None
        states.append(
            {
                "employee_id": p.id,
                "name": p.name,
                "employee_code": p.employee_code,
                "location": p.location,
                "state": state,
                "since": since_at,
                "hours_today": round(hours, 2),
            }
        )
    return states
