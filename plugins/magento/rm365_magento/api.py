"""HTTP routes of the Magento plugin, mounted at ``/api/v1/magento``: parse, check the tab,
call :class:`~rm365_magento.service.PickPack`, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from rm365_core import Page, PageParams, Principal, get_kernel, page_params, require_tab

from .schemas import (
    AssignIn,
    CompleteIn,
    InvoiceOut,
    OverscanIn,
    ScanIn,
    ScanOut,
    SessionCreate,
    SessionDetail,
    SessionOut,
    TakeoverOut,
)
from .service import PickPack

router = APIRouter(tags=["magento"])

Packer = Annotated[Principal, Depends(require_tab("magento.pickpack"))]
Reader = Annotated[Principal, Depends(require_tab("magento.pickpack", "magento.dashboard"))]
Supervisor = Annotated[Principal, Depends(require_tab("magento.dashboard.admin"))]
Paging = Annotated[PageParams, Depends(page_params)]


def _service(kernel: Any = Depends(get_kernel)) -> PickPack:
    service = kernel.services.get("magento.pickpack")
    return service if isinstance(service, PickPack) else PickPack(kernel)


Service = Annotated[PickPack, Depends(_service)]


def _id(session_id: int) -> int:
    from .errors import NotFound

    if not 1 <= session_id <= 2**31 - 1:
        raise NotFound(f"there is no pick & pack session #{session_id}")
    return session_id


@router.get("/invoice/lookup", response_model=InvoiceOut)
def lookup_invoice(
    user: Packer, service: Service, order_number: Annotated[str, Query(min_length=1, max_length=64)]
) -> dict[str, Any]:
    """The invoice Magento has for an order number (its first invoice) or an invoice number."""
    return service.lookup(order_number)


@router.post("/sessions", response_model=SessionDetail, status_code=201)
def start_session(body: SessionCreate, user: Packer, service: Service) -> dict[str, Any]:
    """Start a pick or return of the order's invoice, owned by the caller; 409 naming the
    existing session (and whose it is) when the invoice already has one of this type."""
    return service.start(body.order_number, body.type, user)


@router.get("/sessions", response_model=Page[SessionOut])
def list_sessions(
    user: Reader,
    service: Service,
    params: Paging,
    status: Annotated[str | None, Query(max_length=60, description="comma list; `open` = draft,active")] = None,
    owner: Annotated[str | None, Query(alias="user", max_length=150)] = None,
    type: Annotated[str | None, Query(pattern="^(pick|return)$")] = None,  # noqa: A002
) -> Page[Any]:
    """Sessions, newest first: `{items, total, page, size}`; no Magento call."""
    return service.list(params, status=status, user=owner, type_=type)


@router.get("/sessions/{session_id}", response_model=SessionDetail)
def get_session(session_id: int, user: Reader, service: Service) -> dict[str, Any]:
    """The session with its lines, progress and audit log, as stored (no Magento call)."""
    return service.get(_id(session_id))


@router.post("/sessions/{session_id}/scan", response_model=ScanOut)
def scan(session_id: int, body: ScanIn, user: Packer, service: Service) -> dict[str, Any]:
    """One scan by the session's owner; a `client_id` seen before answers the first result."""
    return service.scan(_id(session_id), body.code, body.quantity, body.client_id, user)


@router.post("/sessions/{session_id}/complete", response_model=SessionDetail)
def complete(session_id: int, user: Packer, service: Service, body: CompleteIn | None = None) -> dict[str, Any]:
    body = body or CompleteIn()
    return service.complete(_id(session_id), user, force=body.force, reason=body.reason, tracking=body.tracking)


@router.post("/sessions/{session_id}/cancel", response_model=SessionDetail)
def cancel(session_id: int, user: Packer, service: Service) -> dict[str, Any]:
    """Cancel (the owner) and put back every unit the session moved."""
    return service.cancel(_id(session_id), user)


@router.post("/sessions/{session_id}/release", response_model=SessionDetail)
def release(session_id: int, user: Packer, service: Service) -> dict[str, Any]:
    return service.release(_id(session_id), user)


@router.post("/sessions/{session_id}/claim", response_model=SessionDetail)
def claim(session_id: int, user: Packer, service: Service) -> dict[str, Any]:
    return service.claim(_id(session_id), user)


@router.post("/sessions/{session_id}/takeover-requests", response_model=TakeoverOut, status_code=201)
def request_takeover(session_id: int, user: Packer, service: Service) -> dict[str, Any]:
    return service.request_takeover(_id(session_id), user)


@router.post("/sessions/{session_id}/takeover-requests/{request_id}/accept", response_model=SessionDetail)
def accept_takeover(session_id: int, request_id: int, user: Packer, service: Service) -> dict[str, Any]:
    return service.decide_takeover(_id(session_id), _id(request_id), True, user)


@router.post("/sessions/{session_id}/takeover-requests/{request_id}/decline", response_model=SessionDetail)
def decline_takeover(session_id: int, request_id: int, user: Packer, service: Service) -> dict[str, Any]:
    return service.decide_takeover(_id(session_id), _id(request_id), False, user)


# -- supervisor (magento.dashboard.admin) ----------------------------------------------------
@router.post("/sessions/{session_id}/force-cancel", response_model=SessionDetail)
def force_cancel(session_id: int, user: Supervisor, service: Service) -> dict[str, Any]:
    return service.cancel(_id(session_id), user, force=True)


@router.post("/sessions/{session_id}/force-complete", response_model=SessionDetail)
def force_complete(session_id: int, body: CompleteIn, user: Supervisor, service: Service) -> dict[str, Any]:
    return service.complete(_id(session_id), user, force=True, reason=body.reason, tracking=body.tracking)


@router.post("/sessions/{session_id}/assign", response_model=SessionDetail)
def assign(session_id: int, body: AssignIn, user: Supervisor, service: Service) -> dict[str, Any]:
    return service.assign(_id(session_id), body.username, user)


@router.post("/sessions/{session_id}/take-over", response_model=SessionDetail)
def take_over(session_id: int, user: Supervisor, service: Service) -> dict[str, Any]:
    return service.take_over(_id(session_id), user)


@router.post("/sessions/{session_id}/overscan", response_model=SessionDetail)
def allow_overscan(session_id: int, body: OverscanIn, user: Supervisor, service: Service) -> dict[str, Any]:
    return service.allow_overscan(_id(session_id), body.allow, user)
