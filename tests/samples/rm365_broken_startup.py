"""Registers a route and a realtime intent, then raises in startup: both stop answering."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from rm365_core import Intent, Tab, hookimpl, require_tab

router = APIRouter(dependencies=[Depends(require_tab("broken_startup"))])


@router.get("/ping")
def ping() -> dict:
    return {"pong": True}


@hookimpl
def register_tabs() -> list[Tab]:
    return [Tab(id="broken_startup", title="Broken start-up")]


@hookimpl
def register_routes() -> APIRouter:
    return router


@hookimpl
def register_realtime() -> list[Intent]:
    return [Intent("broken_startup.poke", tab="broken_startup", handler=lambda principal, data, sid: {"ok": True})]


@hookimpl
def startup() -> None:
    raise RuntimeError("broken_startup: the scanner service is unreachable")
