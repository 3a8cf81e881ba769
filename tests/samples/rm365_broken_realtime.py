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
    raise RuntimeError("broken_realtime: cannot add handlers")
