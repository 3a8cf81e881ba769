"""HTTP routes of the device registry: pairing codes, pairing, rename, revoke, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlalchemy import select

from .._auth import public, require_tab
from .._pagination import Page, PageParams, page_params, paginate
from .._principal import Principal
from .._types import utcnow
from .models import Device
from .schemas import (
    DeviceEventOut,
    DeviceOut,
    DeviceUpdate,
    PairingCodeCreate,
    PairingCodeOut,
    PairRequest,
    PairResponse,
)

devices_router = APIRouter(prefix="/devices", tags=["devices"], dependencies=[Depends(require_tab("system"))])
pair_router = APIRouter(prefix="/devices", tags=["devices"])

DeviceId = Path(ge=1, le=2**31 - 1, description="the device's id")


def _devices(request: Request) -> Any:
    return request.app.state.kernel.devices


@devices_router.get("", response_model=list[DeviceOut])
def list_devices(request: Request) -> list[Device]:
    """Paired bridges, by name: site, drivers, last seen, online, revoked."""
    with request.app.state.kernel.databases.session("core", readonly=True) as session:
        return list(session.scalars(select(Device).order_by(Device.name)))


@devices_router.post("/pairing-codes", status_code=201, response_model=PairingCodeOut)
def create_pairing_code(
    request: Request, body: PairingCodeCreate, user: Principal = Depends(require_tab("system"))
) -> PairingCodeOut:
    """A one-time code (10 minutes) that ``rm365-bridge pair`` trades for a device token."""
    code, expires = _devices(request).create_pairing_code(body.name, body.site, by=user.username)
    return PairingCodeOut(code=code, expires_at=expires, name=body.name.strip(), site=body.site.strip())


@pair_router.post("/pair", status_code=201, response_model=PairResponse, dependencies=[Depends(public)])
def pair(request: Request, body: PairRequest, response: Response) -> PairResponse:
    """Called by a bridge: trade a pairing code for the device token (shown once)."""
    device, token = _devices(request).pair(body.code, body.drivers)
    response.headers["Cache-Control"] = "no-store"
    return PairResponse(device_id=device.id, name=device.name, site=device.site, token=token, server_time=utcnow())


@devices_router.get("/{device_id}", response_model=DeviceOut)
def get_device(request: Request, device_id: int = DeviceId) -> Any:
    return _devices(request).get(device_id)


@devices_router.patch("/{device_id}", response_model=DeviceOut)
def update_device(request: Request, body: DeviceUpdate, device_id: int = DeviceId) -> Any:
    """Rename a device or change its site."""
    return _devices(request).update(device_id, name=body.name, site=body.site)


@devices_router.post("/{device_id}/revoke", response_model=DeviceOut)
def revoke_device(request: Request, device_id: int = DeviceId) -> Any:
    """Disconnect the bridge now and refuse its token from now on."""
    return _devices(request).revoke(device_id)


@devices_router.delete("/{device_id}", status_code=204, response_class=Response)
def delete_device(request: Request, device_id: int = DeviceId) -> Response:
    _devices(request).delete(device_id)
    return Response(status_code=204)


@devices_router.get("/{device_id}/dead-letters", response_model=Page[DeviceEventOut])
def dead_letters(
    request: Request, device_id: int = DeviceId, params: PageParams = Depends(page_params)
) -> Page[DeviceEventOut]:
    """Events of this device that were refused (kept with the reason), newest first."""
    statement = _devices(request).dead_letters(device_id)
    with request.app.state.kernel.databases.session("core", readonly=True) as session:
        return paginate(session, statement, params, DeviceEventOut.model_validate)
