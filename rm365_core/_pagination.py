"""One list envelope for every API: ``{items, total, page, size}``, with offset or keyset paging."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

#: Deepest page a list answers; far past any real use, far below any integer overflow.
MAX_PAGE = 100_000
MAX_SIZE = 500


class Page(BaseModel, Generic[T]):
    """A page of a list. ``next_after`` is set when the list pages by keyset: pass it back
    as ``after=`` for the next page (cheaper than a deep ``page=``)."""

    items: list[T]
    total: int = Field(description="rows matching the filters (estimated past a large threshold where a list says so)")
    page: int = Field(ge=1)
    size: int = Field(ge=1)
    next_after: str | None = None


class PageParams(BaseModel):
    """``page`` and ``size`` query parameters, bounded; use as ``params: PageParams = Depends()``."""

    page: int = 1
    size: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def page_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="page number, from 1")] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_SIZE, description="rows per page")] = 50,
) -> PageParams:
    """A FastAPI dependency: ``params: PageParams = Depends(page_params)``."""
    return PageParams(page=page, size=size)


def paginate(
    session: Session,
    statement: Select[Any],
    params: PageParams,
    shape: Callable[[Any], T] | None = None,
    *,
    scalars: bool = True,
) -> Page[T]:
    """Run ``statement`` for one page and count its rows: the envelope every list answers.
    ``shape`` turns each row (a model with ``scalars``) into the item sent."""
    total = session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
    rows: Sequence[Any]
    query = statement.limit(params.size).offset(params.offset)
    rows = session.execute(query).scalars().all() if scalars else session.execute(query).all()
    items = [shape(row) for row in rows] if shape is not None else list(rows)
    return Page[T](items=items, total=total, page=params.page, size=params.size)
