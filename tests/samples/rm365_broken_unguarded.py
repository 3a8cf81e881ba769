"""A route that declares no tab, in a router included under a guarded-looking one: the
kernel refuses the plugin when it accepts it, naming the route."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from rm365_core import Tab, hookimpl, require_tab

router = APIRouter()
guarded = APIRouter(dependencies=[Depends(require_tab("unguarded"))])
reports = APIRouter()


@guarded.get("/fine")
def fine() -> dict:
    return {"fine": True}


@reports.get("/open")
def wide_open() -> dict:
    return {"anyone": True}


router.include_router(guarded)
router.include_router(reports, prefix="/reports")


@hookimpl
def register_tabs() -> list[Tab]:
    return [Tab(id="unguarded", title="Unguarded")]


@hookimpl
def register_routes() -> APIRouter:
    return router
