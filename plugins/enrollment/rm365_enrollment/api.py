"""HTTP routes of the enrollment plugin, mounted at ``/api/v1/enrollment``: parse, check the
tab, call the service, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
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

from . import scanning
from .rules import FINGERS, KINDS, STATUSES
from .schemas import (
    CardIn,
    ConfigOut,
    EmployeeCreate,
    EmployeeOut,
    EmployeePage,
    EmployeePatch,
    FingerprintIn,
    Purged,
    ScanIn,
    StationOut,
)
from .service import DATABASE, PeopleService, as_dict

PersonId = Annotated[int, Path(ge=1, le=2**31 - 1)]
router = APIRouter(tags=["enrollment"])

Manager = Annotated[Principal, Depends(require_tab("enrollment.management"))]
Carder = Annotated[Principal, Depends(require_tab("enrollment.card", "enrollment.management"))]
Fingerer = Annotated[Principal, Depends(require_tab("enrollment.fingerprint", "enrollment.management"))]
Reader = Annotated[
    Principal, Depends(require_tab("enrollment.management", "enrollment.card", "enrollment.fingerprint"))
]
Paging = Annotated[PageParams, Depends(page_params)]
Db = Annotated[Session, Depends(db_session(DATABASE))]
ReadDb = Annotated[Session, Depends(db_session(DATABASE, readonly=True))]
Text = Annotated[str | None, Query(max_length=120)]


def _service(kernel: Any = Depends(get_kernel)) -> PeopleService:
    service = kernel.services.get("enrollment.people")
    return service if isinstance(service, PeopleService) else PeopleService(kernel)


Service = Annotated[PeopleService, Depends(_service)]


@router.get("/config", response_model=ConfigOut)
def get_config(user: Reader) -> dict[str, Any]:
    return {"fingers": list(FINGERS), "kinds": list(KINDS), "statuses": list(STATUSES)}


@router.get("/employees", response_model=EmployeePage)
def list_employees(
    user: Reader,
    service: Service,
    session: ReadDb,
    params: Paging,
    q: Text = None,
    code: Text = None,
    location: Text = None,
    status: Annotated[str | None, Query(pattern="^(active|inactive)$")] = None,
    kind: Annotated[str | None, Query(pattern="^(employee|student)$")] = None,
) -> Page[Any]:
    """People by code number, searched by name or code, filtered by location, status and kind."""
    statement = service.query(q=q, code=code, location=location, status=status, kind=kind)
    return paginate(session, statement, params, as_dict)


@router.post("/employees", response_model=EmployeeOut, status_code=201)
def create_employee(body: EmployeeCreate, user: Manager, service: Service, session: Db) -> dict[str, Any]:
    """A new person with the next free code (EMP001, ... EMP999, EMP1000)."""
    person = service.create(session, name=body.name, kind=body.kind, location=body.location, card_uid=body.card_uid)
    session.commit()
    return as_dict(person)


@router.get("/employees/{employee_id}", response_model=EmployeeOut)
def get_employee(employee_id: PersonId, user: Reader, service: Service, session: ReadDb) -> dict[str, Any]:
    return as_dict(service.get(session, employee_id))


@router.patch("/employees/{employee_id}", response_model=EmployeeOut)
def update_employee(
    employee_id: PersonId, body: EmployeePatch, user: Manager, service: Service, session: Db
) -> dict[str, Any]:
    person = service.update(session, employee_id, body.model_dump(exclude_unset=True))
    session.commit()
    return as_dict(person)


@router.delete("/employees/{employee_id}", response_model=EmployeeOut | Purged)
def delete_employee(
    employee_id: PersonId,
    user: Manager,
    service: Service,
    session: Db,
    purge: bool = False,
) -> dict[str, Any]:
    """Deactivate (card released, history kept); ``?purge=true`` (admins) erases everything."""
    if not purge:
        person = service.deactivate(session, employee_id)
        session.commit()
        return as_dict(person)
    if user.role != "admin":
        raise DomainError(403, "only an admin may purge a person; deactivate them instead")
    code = service.get(session, employee_id).employee_code
    service.purge(session, employee_id, by=user.username)
    session.commit()
    return {"id": employee_id, "employee_code": code, "purged": True}


@router.get("/locations", response_model=list[str])
def list_locations(user: Reader, service: Service, session: ReadDb) -> list[str]:
    return service.locations(session)


@router.put("/employees/{employee_id}/card", response_model=EmployeeOut)
def put_card(employee_id: PersonId, body: CardIn, user: Carder, service: Service, session: Db) -> dict[str, Any]:
    """Give a card (UID normalised); 409 naming the holder when someone else has it."""
    person = service.set_card(session, employee_id, body.uid)
    session.commit()
    return as_dict(person)


@router.delete("/employees/{employee_id}/card", response_model=EmployeeOut)
def delete_card(employee_id: PersonId, user: Carder, service: Service, session: Db) -> dict[str, Any]:
    person = service.clear_card(session, employee_id)
    session.commit()
    return as_dict(person)


@router.post("/employees/{employee_id}/card/scan", response_model=EmployeeOut)
def scan_card(employee_id: PersonId, body: ScanIn, user: Carder, service: Service) -> dict[str, Any]:
    """Ask a station to read the next card and give it to this person."""
    return scanning.scan_card(service, employee_id, body.device_id)


@router.put("/employees/{employee_id}/fingerprints/{finger}", response_model=EmployeeOut)
def put_fingerprint(
    employee_id: PersonId, finger: str, body: FingerprintIn, user: Fingerer, service: Service, session: Db
) -> dict[str, Any]:
    """Store a template (encrypted); the answer lists enrolled fingers, never a template."""
    person = service.set_fingerprint(
        session, employee_id, finger, body.template, format=body.format, quality=body.quality
    )
    session.commit()
    return as_dict(person)


@router.delete("/employees/{employee_id}/fingerprints/{finger}", response_model=EmployeeOut)
def delete_fingerprint(
    employee_id: PersonId, finger: str, user: Fingerer, service: Service, session: Db
) -> dict[str, Any]:
    person = service.delete_fingerprint(session, employee_id, finger)
    session.commit()
    return as_dict(person)


@router.post("/employees/{employee_id}/fingerprints/{finger}/scan", response_model=EmployeeOut)
def scan_fingerprint(
    employee_id: PersonId, finger: str, body: ScanIn, user: Fingerer, service: Service
) -> dict[str, Any]:
    """Enrol a finger at a station's sensor (several presses); stored encrypted."""
    return scanning.scan_fingerprint(service, employee_id, finger, body.device_id)


@router.get("/stations", response_model=list[StationOut])
def list_stations(user: Reader, kernel: Any = Depends(get_kernel)) -> list[dict[str, Any]]:
    """Paired stations to pick for a scan (online first)."""
    devices = getattr(kernel, "devices", None)
    if devices is None:
        return []
    rows = [
        {"id": d.id, "name": d.name, "site": d.site, "drivers": list(d.drivers), "online": bool(d.online)}
        for d in devices.list_devices()
        if not getattr(d, "revoked", False)
    ]
    return sorted(rows, key=lambda r: (not r["online"], r["name"].casefold()))
