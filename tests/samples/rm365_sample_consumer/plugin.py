"""A route that greets through another plugin's service when that plugin is there."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from rm365_core import Tab, hookimpl, require_tab, service

router = APIRouter(dependencies=[Depends(require_tab("consumer"))])


@router.get("/greeting")
def greeting(greeter: Any = Depends(service("sample.greeting", optional=True))) -> dict:
    return {"greeting": greeter.greet("consumer") if greeter is not None else None}


@hookimpl
def register_tabs() -> list[Tab]:
    return [Tab(id="consumer", title="Consumer")]


@hookimpl
def register_routes() -> APIRouter:
    return router
