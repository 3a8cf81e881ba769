"""The clocking rules in one place: the in/out toggle in time order, pairing into sessions,
and the per-day results (worked, breaks) that reports read.

* An event is ``in`` when the person's previous event (in time order) is ``out``, absent, or
  older than the maximum shift; otherwise ``out``. So a 22:00 to 06:00 shift closes, and a
  late event (a bridge that was offline) re-derives the directions after it.
* A session is an ``in`` and the next ``out`` within the maximum shift; it belongs to the
  local day of its ``in``. Worked time sums sessions; breaks are the gaps between them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from .models import ClockEvent, WorkDay


def next_direction(previous: tuple[datetime, str] | None, at: datetime, max_shift: timedelta) -> str:
    """The toggle: ``in`` unless the previous event is an ``in`` within the maximum shift."""
    if previous is None or previous[1] != "in" or at - previous[0] > max_shift:
        return "in"
    return "out"


def local_day(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant of local midnight (DST days are 23 or 25 hours long)."""
    from datetime import UTC

    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _before(employee_id: int, at: datetime, event_id: int | None) -> Any:
    """Events strictly before (at, id) in time order."""
    if event_id is None:
        return and_(ClockEvent.employee_id == employee_id, ClockEvent.at < at)
    return and_(
        ClockEvent.employee_id == employee_id,
        or_(ClockEvent.at < at, and_(ClockEvent.at == at, ClockEvent.id < event_id)),
    )


def previous_event(session: Session, employee_id: int, at: datetime, event_id: int | None = None) -> ClockEvent | None:
    return session.scalars(
        select(ClockEvent)
        .where(_before(employee_id, at, event_id))
        .order_by(ClockEvent.at.desc(), ClockEvent.id.desc())
        .limit(1)
    ).first()


def rechain(
    session: Session, employee_id: int, start: datetime, touched_until: datetime, max_shift: timedelta
) -> datetime:
    """Re-derive directions of the person's events from ``start`` on, as if every event had
    arrived in time order; stops at the first unchanged event after ``touched_until``.
    Returns the time of the last event looked at (the end of what may have changed)."""
    session.flush()
    previous = previous_event(session, employee_id, start)
    state = (previous.at, previous.direction) if previous else None
    last = touched_until
    rows = session.scalars(
        select(ClockEvent)
        .where(ClockEvent.employee_id == employee_id, ClockEvent.at >= start)
        .order_by(ClockEvent.at, ClockEvent.id)
    )
    for event in rows:
        direction = event.direction if event.pinned else next_direction(state, event.at, max_shift)
        last = max(last, event.at)
        if direction == event.direction and event.at > touched_until:
            break
        event.direction = direction
        state = (event.at, direction)
    session.flush()
    return last


@dataclass
class Day:
    first_in: datetime
    last_out: datetime | None = None
    worked: float = 0.0
    breaks: float = 0.0
    sessions: int = 0
    open: bool = False
    _last_end: datetime | None = None


def sessions_by_day(events: Iterable[tuple[datetime, str]], zone: ZoneInfo, max_shift: timedelta) -> dict[date, Day]:
    """Pair time-ordered (at, direction) into sessions, and sessions into shifts: a session
    whose in is within the maximum shift of the shift's first in belongs to that shift
    (a night shift with a break after midnight stays one shift). Each shift counts on the
    local day of its first in; breaks are the gaps between its sessions."""
    days: dict[date, Day] = {}
    opened: datetime | None = None
    shift: tuple[datetime, date] | None = None

    def add(start: datetime, end: datetime | None) -> None:
        nonlocal shift
        if shift is None or start - shift[0] > max_shift:
            shift = (start, local_day(start, zone))
        day = days.get(shift[1])
        if day is None:
            day = days[shift[1]] = Day(first_in=start)
        if day._last_end is not None:
            day.breaks += max(0.0, (start - day._last_end).total_seconds())
        if end is None:
            day.open = True
            return
        day.sessions += 1
        day.worked += (end - start).total_seconds()
        day.last_out = end
        day._last_end = end

    for at, direction in events:
        if direction == "in":
            if opened is not None:
                add(opened, None)  # a check-in never closed (forgotten)
            opened = at
        elif opened is not None and at - opened <= max_shift:
            add(opened, at)
            opened = None
    if opened is not None:
        add(opened, None)
    return days


def rebuild_days(
    session: Session, employee_id: int, start: datetime, end: datetime, zone: ZoneInfo, max_shift: timedelta
) -> None:
    """Recompute the person's day rows that a change between ``start`` and ``end`` can
    touch: shifts begun up to two maximum shifts before it (a shift's sessions and their
    check-outs reach that far), read from one more maximum shift back so that each
    shift's first in is known."""
    first = local_day(start - 2 * max_shift, zone)
    last = local_day(end, zone)
    window_start = day_start(first, zone) - max_shift
    window_end = day_start(last + timedelta(days=1), zone) + max_shift
    events = session.execute(
        select(ClockEvent.at, ClockEvent.direction)
        .where(ClockEvent.employee_id == employee_id, ClockEvent.at >= window_start, ClockEvent.at < window_end)
        .order_by(ClockEvent.at, ClockEvent.id)
    ).all()
    days = {d: v for d, v in sessions_by_day(events, zone, max_shift).items() if first <= d <= last}
    session.execute(
        delete(WorkDay).where(WorkDay.employee_id == employee_id, WorkDay.day >= first, WorkDay.day <= last)
    )
    session.add_all(_rows(employee_id, days))
    session.flush()


def rebuild_all(session: Session, employee_ids: Sequence[int], zone: ZoneInfo, max_shift: timedelta) -> int:
    """Recompute every day of these people (demo, imports, a changed time zone)."""
    count = 0
    for employee_id in employee_ids:
        events = session.execute(
            select(ClockEvent.at, ClockEvent.direction)
            .where(ClockEvent.employee_id == employee_id)
            .order_by(ClockEvent.at, ClockEvent.id)
        ).all()
        session.execute(delete(WorkDay).where(WorkDay.employee_id == employee_id))
        rows = _rows(employee_id, sessions_by_day(events, zone, max_shift))
        if rows:
            session.execute(insert(WorkDay), [_as_values(r) for r in rows])
        count += len(rows)
    return count


def _rows(employee_id: int, days: dict[date, Day]) -> list[WorkDay]:
    return [
        WorkDay(
            employee_id=employee_id,
            day=d,
            first_in=v.first_in,
            last_out=v.last_out,
            worked_seconds=round(v.worked),
            break_seconds=round(v.breaks),
            sessions=v.sessions,
            open=v.open,
        )
        for d, v in sorted(days.items())
    ]


def _as_values(row: WorkDay) -> dict[str, Any]:
    return {
        "employee_id": row.employee_id,
        "day": row.day,
        "first_in": row.first_in,
        "last_out": row.last_out,
        "worked_seconds": row.worked_seconds,
        "break_seconds": row.break_seconds,
        "sessions": row.sessions,
        "open": row.open,
    }
