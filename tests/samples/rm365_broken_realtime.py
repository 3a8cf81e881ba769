"""Raises in register_realtime, a registration hook that runs once the hub exists."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from rm365_core import Tab, hookimpl, require_tab

router = APIRouter(dependencies=[Depends(require_tab("broken_realtime"))])


@router.get("/ping")
def ping() -> dict:
    return {"pong": True}


@hookimpl
def register_routes() -> APIRouter:
    return router


@hookimpl
def register_tabs() -> list[Tab]:
    return [Tab(id="broken_realtime", title="Broken realtime")]


@hookimpl
def register_realtime(hub: Any) -> None:
    # Registers a handler and a policy first, then fails: the hub must take both back.
    hub.on("broken_realtime.poke", lambda principal, data, sid: None)
    hub.add_room_policy("broken_realtime", lambda principal, room: False)
    raise RuntimeError("broken_realtime: cannot add handlers")
