"""The attendance plugin's hook implementations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rm365_core import Job, Tab, hookimpl

from .models import Base
from .settings import AttendanceSettings


@hookimpl
def register_settings() -> type[AttendanceSettings]:
    return AttendanceSettings


@hookimpl
def register_tables() -> Any:
    return Base


@hookimpl
def register_tabs() -> list[Tab]:
    return [
        Tab(id="attendance", title="Attendance", icon="clock", order=40, description="Clocking, hours and the kiosk"),
        Tab(
            id="attendance.overview",
            title="Overview",
            icon="chart",
            order=10,
            module="/plugins/attendance/overview.js",
            description="Today's counts, who is in, hours this week",
        ),
        Tab(
            id="attendance.logs",
            title="Logs",
            icon="list",
            order=20,
            module="/plugins/attendance/logs.js",
            description="Clock events and work hours; CSV and PDF export",
        ),
        Tab(
            id="attendance.manual",
            title="Manual",
            icon="edit",
            order=30,
            module="/plugins/attendance/manual.js",
            description="Clock someone in or out; correct events with a reason",
        ),
        Tab(
            id="attendance.kiosk",
            title="Kiosk",
            icon="monitor",
            order=40,
            module="/plugins/attendance/kiosk.js",
            description="The screen beside a reader: each scan live, a big clock",
        ),
    ]


@hookimpl
def register_routes() -> Any:
    from .api import router

    return router


@hookimpl
def register_services(kernel: Any) -> dict[str, Any]:
    from .service import AttendanceService

    service = AttendanceService(kernel)
    people = kernel.services.get("enrollment.people")
    if people is not None:
        people.on_purge(service.erase_person)
    return {"attendance.clock": service}


@hookimpl
def register_device_handlers() -> dict[str, Any]:
    from .devices import HANDLERS

    return dict(HANDLERS)


@hookimpl
def register_jobs() -> list[Job]:
    from .jobs import close_open_checkins

    # The kernel keeps the settings only after every hook of the plugin ran: read them here.
    try:
        minutes = AttendanceSettings().open_checkin_check_minutes
    except ValueError:  # the kernel reports the bad setting by name
        minutes = 15
    if not minutes:
        return []
    return [
        Job(
            name="close-open-checkins",
            func=close_open_checkins,
            every=timedelta(minutes=minutes),
            tab="attendance.manual",
        )
    ]


@hookimpl
def register_cli(kernel: Any, app: Any) -> None:
    @app.command("rebuild")
    def rebuild() -> None:
        """Recompute every person's day rows (after changing RM365_TIMEZONE or the maximum shift)."""
        from sqlalchemy import select

        from . import engine
        from .models import ClockEvent
        from .service import DATABASE, AttendanceService

        service = AttendanceService(kernel)
        with kernel.databases.session(DATABASE) as session:
            ids = list(session.scalars(select(ClockEvent.employee_id).distinct()))
            rows = engine.rebuild_all(session, ids, service.settings.zone, service.max_shift)
        print(f"rebuilt {rows} day row(s) for {len(ids)} people")


@hookimpl
def demo_data(kernel: Any) -> None:
    from .demo import seed

    seed(kernel)
