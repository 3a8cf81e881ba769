"""Registers a route, then raises in register_tabs: nothing of it may reach the site."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from rm365_core import Tab, hookimpl, require_tab

router = APIRouter(dependencies=[Depends(require_tab("broken_register"))])


@router.get("/ping")
def ping() -> dict:
    return {"pong": True}


@hookimpl
def register_routes() -> APIRouter:
    return router


@hookimpl
def register_tabs() -> list[Tab]:
    raise ValueError("broken_register: tab list is corrupt")
