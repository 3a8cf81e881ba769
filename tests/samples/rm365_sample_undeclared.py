"""A route that declares no tab: the route-guard test must name it."""

from __future__ import annotations

from fastapi import APIRouter

from rm365_core import hookimpl

router = APIRouter()


@router.get("/open")
def wide_open() -> dict:
    return {"anyone": True}


@hookimpl
def register_routes() -> APIRouter:
    return router
