"""Loads and registers fine; its requirement fails in register_realtime."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from rm365_core import Tab, hookimpl, require_tab

router = APIRouter(dependencies=[Depends(require_tab("needs_realtime"))])


@router.get("/ping")
def ping() -> dict:
    return {"pong": True}


@hookimpl
def register_routes() -> APIRouter:
    return router


@hookimpl
def register_tabs() -> list[Tab]:
    return [Tab(id="needs_realtime", title="Needs realtime")]


@hookimpl
def register_services() -> dict[str, object]:
    return {"needs_realtime.thing": object()}
