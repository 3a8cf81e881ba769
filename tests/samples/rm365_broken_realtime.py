"""Declares a realtime intent without the tab its callers need: refused at registration."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from rm365_core import Intent, RoomPolicy, Tab, hookimpl, require_tab

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
def register_realtime() -> list[RoomPolicy | Intent]:
    # A policy first, then an intent anyone could send: nothing of it may reach the hub.
    return [
        RoomPolicy("broken_realtime", lambda principal, room: False),
        Intent("broken_realtime.poke", tab="", handler=lambda principal, data, sid: None),
    ]
