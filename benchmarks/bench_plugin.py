"""A tiny plugin for the benchmarks: one indexed read, behind a tab and in the open."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import Integer, String, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from rm365_core import Principal, Tab, Tables, hookimpl, make_base, public, require_tab

Base = make_base("bench")


class Thing(Base):
    __tablename__ = "bench_things"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))


router = APIRouter()
_BY_CODE = select(Thing.code, Thing.name).where(Thing.code == bindparam("code"))


def _read(request: Request, code: str) -> dict[str, Any]:
    kernel = request.app.state.kernel
    with kernel.databases.engine("bench").connect() as conn:
        row = conn.execute(_BY_CODE, {"code": code}).first()
    if row is None:
        raise HTTPException(404, f"no thing {code!r}")
    return {"code": row[0], "name": row[1]}


@router.get("/things/{code}")
def guarded(request: Request, code: str, user: Principal = Depends(require_tab("bench"))) -> dict[str, Any]:
    return _read(request, code)


@router.get("/open/things/{code}", dependencies=[Depends(public)])
def open_read(request: Request, code: str) -> dict[str, Any]:
    return _read(request, code)


@hookimpl
def register_tabs() -> list[Tab]:
    return [Tab(id="bench", title="Bench")]


@hookimpl
def register_routes() -> APIRouter:
    return router


@hookimpl
def register_tables() -> Tables:
    # Created directly by the benchmark (no migrations folder for this throwaway plugin).
    return Tables(database="bench", metadata=Base.metadata, migrations=None)
