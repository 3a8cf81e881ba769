"""Three months of demonstration clocking: day shifts with a lunch break, night shifts
across midnight, a forgotten check-out and a correction (idempotent)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from rm365_core import utcnow

from . import engine
from .models import ClockEvent
from .service import DATABASE, AttendanceService

DAYS = 91


def _local(day: Any, hour: float, zone: Any) -> datetime:
    base = datetime.combine(day, time(0), tzinfo=zone)
    return (base + timedelta(hours=hour)).astimezone(UTC)


def seed(kernel: Any) -> None:
    service = AttendanceService(kernel)
    people = kernel.services.get("enrollment.people")
    if people is None:
        return
    zone = service.settings.zone
    rng = random.Random(365)
    with kernel.databases.session(DATABASE) as session:
        if session.scalar(select(func.count()).select_from(ClockEvent)):
            return
        staff = session.execute(select(people.table.c.id, people.table.c.location)).all()
        now = utcnow()
        today = engine.local_day(now, zone)
        rows: list[dict[str, Any]] = []
        for person_id, location in staff:
            night = location == "Night shift"
            for offset in range(DAYS, 0, -1):
                day = today - timedelta(days=offset)
                if day.weekday() >= 5 or rng.random() < 0.06:
                    continue
                if night:
                    start = 22 + rng.uniform(-0.2, 0.3)
                    shifts = [(start, 26 + rng.uniform(0, 0.3)), (26.5 + rng.uniform(0, 0.2), 30 + rng.uniform(0, 0.4))]
                else:
                    start = 8.5 + rng.uniform(-0.3, 0.8)
                    lunch = 12.5 + rng.uniform(-0.3, 0.5)
                    shifts = [(start, lunch), (lunch + 0.5 + rng.uniform(0, 0.25), 17 + rng.uniform(-0.3, 1.2))]
                for begin, end in shifts:
                    source = rng.choice(["card", "card", "card", "fingerprint", "manual"])
                    device = "Front door" if source != "manual" else ""
                    for hour, direction in ((begin, "in"), (end, "out")):
                        if _local(day, hour, zone) > now:
                            continue  # tonight's shift is still going on
                        rows.append(
                            {
                                "employee_id": person_id,
                                "at": _local(day, hour, zone),
                                "direction": direction,
                                "source": source,
                                "device_name": device,
                                "created_by": "demo",
                            }
                        )
        # A forgotten check-out (yesterday's morning in with nothing after it that day's evening).
        if staff:
            forgetful = staff[0][0]
            cut = _local(today - timedelta(days=1), 12, zone)
            rows = [
                r
                for r in rows
                if not (
                    r["employee_id"] == forgetful
                    and r["at"] > cut - timedelta(hours=3)
                    and r["at"] < cut + timedelta(hours=24)
                )
            ]
        if rows:
            session.execute(insert(ClockEvent), rows)
        ids = [p for p, _ in staff]
        engine.rebuild_all(session, ids, zone, service.max_shift)
        # A correction: someone's check-out a week ago was 20 minutes late on the screen.
        if staff:
            target = session.scalars(
                select(ClockEvent)
                .where(
                    ClockEvent.employee_id == staff[1][0],
                    ClockEvent.direction == "out",
                    ClockEvent.at < utcnow() - timedelta(days=7),
                )
                .order_by(ClockEvent.at.desc())
                .limit(1)
            ).first()
            if target is not None:
                service.edit_event(
                    session,
                    target.id,
                    at=target.at - timedelta(minutes=20),
                    reason="left at 17:00, badge reader queue",
                    by="demo",
                )
        session.flush()
