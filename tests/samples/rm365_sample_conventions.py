"""Each kernel convention used once: a DomainError from a route and from an intent, and a
paged list (``Page``, ``page_params``, ``paginate``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import column, select, text
from sqlalchemy.orm import Session

from rm365_core import (
    DomainError,
    Intent,
    Page,
    PageParams,
    Principal,
    Tab,
    db_session,
    hookimpl,
    page_params,
    paginate,
    require_tab,
)

router = APIRouter(dependencies=[Depends(require_tab("conventions"))])

#: The numbers 1 to 7, on SQLite and PostgreSQL alike.
NUMBERS = (
    select(column("n"))
    .select_from(
        text(
            "(SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 "
            "UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7) AS numbers"
        )
    )
    .order_by(column("n"))
)


def refuse(*_: Any) -> None:
    raise DomainError(409, "item SKU1 is locked by bob", sku="SKU1", holder="bob")


@router.get("/locked")
def locked() -> None:
    refuse()


@router.get("/numbers", response_model=Page[int])
def numbers(
    params: PageParams = Depends(page_params),
    session: Session = Depends(db_session("core", readonly=True)),
) -> Page[int]:
    return paginate(session, NUMBERS, params)


def reserve(principal: Principal, data: Any, sid: str) -> None:
    refuse()


@hookimpl
def register_tabs() -> list[Tab]:
    return [Tab(id="conventions", title="Conventions")]


@hookimpl
def register_routes() -> APIRouter:
    return router


@hookimpl
def register_realtime() -> list[Intent]:
    return [Intent("conventions.reserve", tab="conventions", handler=reserve)]
