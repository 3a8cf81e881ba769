"""Loads fine; one route raises at request time with a message that must not leak."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from rm365_core import Tab, hookimpl, require_tab

SECRET = "password=hunter2"  # what the error message carries; the client must never see it

router = APIRouter(dependencies=[Depends(require_tab("boom"))])


@router.get("/explode")
def explode() -> dict:
    raise RuntimeError(f"could not connect with {SECRET}")


@router.get("/fine")
def fine() -> dict:
    return {"fine": True}


@hookimpl
def register_routes() -> APIRouter:
    return router


@hookimpl
def register_tabs() -> list[Tab]:
    return [Tab(id="boom", title="Boom")]
