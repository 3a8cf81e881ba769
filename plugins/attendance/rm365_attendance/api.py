"""HTTP routes of the attendance plugin, mounted at ``/api/v1/attendance``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from rm365_core import (
    DomainError,
    Page,
    PageParams,
    Principal,
    db_session,
    get_kernel,
    page_params,
    paginate,
    require_tab,
)

from . import exports, reports
from .models import Correction
from .schemas import (
    ClockIn,
    ClockOut,
    ConfigOut,
    CorrectionPage,
    DailyStats,
    Deleted,
    EventCreate,
    EventPatch,
    HoursPage,
    KioskPerson,
    LogPage,
    LogRow,
    PersonRow,
    StatusPage,
)
from .service import DATABASE, AttendanceService

EventId = Annotated[int, Path(ge=1, le=2**31 - 1)]
router = APIRouter(tags=["attendance"])

Clocker = Annotated[Principal, Depends(require_tab("attendance.manual", "attendance.kiosk"))]
Corrector = Annotated[Principal, Depends(require_tab("attendance.manual"))]
Viewer = Annotated[Principal, Depends(require_tab("attendance.overview", "attendance.logs", "attendance.manual"))]
LogReader = Annotated[Principal, Depends(require_tab("attendance.logs", "attendance.overview"))]
Kiosk = Annotated[Principal, Depends(require_tab("attendance.kiosk", "attendance.overview"))]
Anyone = Annotated[
    Principal,
    Depends(require_tab("attendance.overview", "attendance.logs", "attendance.manual", "attendance.kiosk")),
]
Paging = Annotated[PageParams, Depends(page_params)]
Db = Annotated[Session, Depends(db_session(DATABASE))]
ReadDb = Annotated[Session, Depends(db_session(DATABASE, readonly=True))]


def _service(kernel: Any = Depends(get_kernel)) -> AttendanceService:
    service = kernel.services.get("attendance.clock")
    return service if isinstance(service, AttendanceService) else AttendanceService(kernel)


Service = Annotated[AttendanceService, Depends(_service)]


def _filters(
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    location: Annotated[str | None, Query(max_length=80)] = None,
    employee_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    q: Annotated[str | None, Query(max_length=120, description="name or code")] = None,
) -> reports.Filters:
    filters = reports.Filters(start=start, end=end, location=location, employee_id=employee_id, q=q)
    filters.check()
    return filters


Filters = Annotated[reports.Filters, Depends(_filters)]


@router.get("/config", response_model=ConfigOut)
def get_config(user: Anyone, service: Service) -> dict[str, Any]:
    s = service.settings
    return {
        "timezone": s.timezone,
        "max_shift_hours": s.max_shift_hours,
        "duplicate_window_seconds": s.duplicate_window_seconds,
        "standard_start": s.standard_start.strftime("%H:%M"),
        "standard_hours": s.standard_hours,
        "fingerprint_threshold": s.fingerprint_threshold,
        "open_checkin_action": s.open_checkin_action,
    }


@router.post("/clock", response_model=ClockOut)
def clock(body: ClockIn, user: Clocker, service: Service, session: Db) -> dict[str, Any]:
    """Clock a person in or out (the direction follows from their last event within the
    maximum shift). A kiosk clocks by card at the server's time; the manual page may name a
    person and a past time."""
    manual = user.has_tab("attendance.manual")
    if not manual and (body.employee_id is not None or body.at is not None):
        raise DomainError(403, "a kiosk clocks by card only, at the time the server receives it")
    answer = service.clock(
        session,
        employee_id=body.employee_id,
        card_uid=body.card_uid,
        at=body.at,
        key=f"client:{body.event_id}" if body.event_id else None,
        source="manual" if manual else "kiosk",
        by=user.username,
    )
    session.commit()
    return answer


@router.get("/logs", response_model=LogPage)
def list_logs(user: LogReader, service: Service, session: ReadDb, params: Paging, filters: Filters) -> Page[Any]:
    zone = service.settings.zone
    statement = reports.logs_query(service.people.table, filters, service.settings)
    return paginate(session, statement, params, lambda row: reports.log_row(row, zone), scalars=False)


@router.get("/logs.csv", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def logs_csv(
    user: LogReader, service: Service, filters: Filters, kernel: Any = Depends(get_kernel)
) -> StreamingResponse:
    zone = service.settings.zone
    statement = reports.logs_query(service.people.table, filters, service.settings)

    def rows() -> Any:
        with kernel.databases.session(DATABASE, readonly=True) as session:
            for row in session.execute(statement.execution_options(yield_per=1000)):
                yield reports.log_row(row, zone)

    return StreamingResponse(
        exports.csv_lines(rows(), exports.LOG_COLUMNS, zone),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="attendance-logs.csv"'},
    )


@router.get("/status", response_model=StatusPage)
def status(user: Viewer, service: Service, session: ReadDb, params: Paging, filters: Filters) -> dict[str, Any]:
    """Each active person now: in / out / absent, since when, hours so far today."""
    states = reports.current_states(session, service.people.table, filters, service.settings)
    items = states[params.offset : params.offset + params.size]
    return {"items": items, "total": len(states), "page": params.page, "size": params.size}


@router.get("/daily-stats", response_model=DailyStats)
def daily_stats(user: Viewer, service: Service, session: ReadDb, filters: Filters) -> dict[str, int]:
    states = reports.current_states(session, service.people.table, filters, service.settings)
    counts = {"in": 0, "out": 0, "absent": 0}
    for state in states:
        counts[state["state"]] += 1
    return {"total": len(states), "checked_in": counts["in"], "checked_out": counts["out"], "absent": counts["absent"]}


@router.get("/work-hours", response_model=HoursPage)
def work_hours(user: LogReader, service: Service, session: ReadDb, params: Paging, filters: Filters) -> dict[str, Any]:
    """Per person per day: first in, last out, worked (breaks subtracted), breaks, sessions,
    lateness and overtime against the standard day; totals over every matching day."""
    settings = service.settings
    people = service.people.table
    page = paginate(
        session,
        reports.hours_query(people, filters),
        params,
        lambda row: reports.hours_row(row, settings),
        scalars=False,
    )
    totals = reports.hours_totals(session, people, filters)
    return {**page.model_dump(), "worked_hours": totals["worked_hours"], "break_hours": totals["break_hours"]}


@router.get("/work-hours.csv", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def work_hours_csv(
    user: LogReader, service: Service, filters: Filters, kernel: Any = Depends(get_kernel)
) -> StreamingResponse:
    settings = service.settings
    statement = reports.hours_query(service.people.table, filters)

    def rows() -> Any:
        with kernel.databases.session(DATABASE, readonly=True) as session:
            for row in session.execute(statement.execution_options(yield_per=1000)):
                yield reports.hours_row(row, settings)

    return StreamingResponse(
        exports.csv_lines(rows(), exports.HOURS_COLUMNS, settings.zone),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="work-hours.csv"'},
    )


@router.get("/work-hours.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def work_hours_pdf(user: LogReader, service: Service, session: ReadDb, filters: Filters) -> Response:
    settings = service.settings
    people = service.people.table
    rows = [reports.hours_row(r, settings) for r in session.execute(reports.hours_query(people, filters))]
    span = f"{filters.start or 'start'} to {filters.end or 'today'}"
    pdf = exports.hours_pdf(rows, settings.zone, f"Work hours, {span}", reports.hours_totals(session, people, filters))
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": 'attachment; filename="work-hours.pdf"'}
    )


@router.post("/events", response_model=LogRow, status_code=201)
def add_event(body: EventCreate, user: Corrector, service: Service, session: Db) -> dict[str, Any]:
    """Add a missing event (a correction: reason required, audited)."""
    event = service.add_event(
        session,
        employee_id=body.employee_id,
        at=body.at,
        direction=body.direction,
        reason=body.reason,
        by=user.username,
    )
    session.commit()
    return _log_row(session, service, event.id)


@router.patch("/events/{event_id}", response_model=LogRow)
def edit_event(event_id: EventId, body: EventPatch, user: Corrector, service: Service, session: Db) -> dict[str, Any]:
    event = service.edit_event(
        session, event_id, at=body.at, direction=body.direction, reason=body.reason, by=user.username
    )
    session.commit()
    return _log_row(session, service, event.id)


@router.delete("/events/{event_id}", response_model=Deleted)
def delete_event(
    event_id: EventId,
    user: Corrector,
    service: Service,
    session: Db,
    reason: Annotated[str, Query(min_length=1, max_length=500)],
) -> dict[str, Any]:
    service.delete_event(session, event_id, reason=reason, by=user.username)
    session.commit()
    return {"id": event_id, "deleted": True}


@router.get("/corrections", response_model=CorrectionPage)
def list_corrections(
    user: Corrector,
    service: Service,
    session: ReadDb,
    params: Paging,
    employee_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Page[Any]:
    people = service.people.table
    statement = select(Correction, people.c.name).outerjoin(people, people.c.id == Correction.employee_id)
    if employee_id is not None:
        statement = statement.where(Correction.employee_id == employee_id)
    statement = statement.order_by(Correction.at.desc(), Correction.id.desc())

    def shape(row: Any) -> dict[str, Any]:
        c = row[0]
        return {
            "id": c.id,
            "event_ref": c.event_ref,
            "employee_id": c.employee_id,
            "name": row.name,
            "action": c.action,
            "reason": c.reason,
            "by": c.by,
            "at": c.at,
            "before": c.before,
            "after": c.after,
        }

    return paginate(session, statement, params, shape, scalars=False)


@router.get("/people", response_model=list[PersonRow])
def find_people(
    user: Anyone,
    service: Service,
    session: ReadDb,
    q: Annotated[str | None, Query(max_length=120, description="name or code")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """Active people to clock or correct (name and code only), by code number."""
    people = service.people.table
    filters = reports.Filters(q=q)
    statement = (
        select(people.c.id, people.c.employee_code, people.c.name, people.c.location)
        .where(people.c.status == "active", *reports.people_filters(people, filters))
        .order_by(people.c.code_number)
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.execute(statement)]


@router.get("/kiosk/recent", response_model=list[KioskPerson])
def kiosk_recent(
    user: Kiosk, service: Service, session: ReadDb, limit: Annotated[int, Query(ge=1, le=50)] = 10
) -> list[dict[str, Any]]:
    """The last scans for the kiosk screen (today, newest first)."""
    zone = service.settings.zone
    from rm365_core import utcnow

    from . import engine

    today = engine.local_day(utcnow(), zone)
    filters = reports.Filters(start=today, end=today)
    rows = session.execute(reports.logs_query(service.people.table, filters, service.settings).limit(limit))
    return [
        {
            "employee_id": r.employee_id,
            "name": r.name,
            "direction": r.direction,
            "at": r.at,
            "device": r.device_name or None,
        }
        for r in rows
    ]


def _log_row(session: Session, service: AttendanceService, event_id: EventId) -> dict[str, Any]:
    from .models import ClockEvent

    statement = reports.logs_query(service.people.table, reports.Filters(), service.settings).where(
        ClockEvent.id == event_id
    )
    return reports.log_row(session.execute(statement).one(), service.settings.zone)
