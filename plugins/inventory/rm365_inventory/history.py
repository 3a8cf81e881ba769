"""Movement history (the list envelope, newest first) and the per-day, per-reason summary."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, case, cast, func, select

from rm365_core import PageParams

from .context import Context
from .errors import Invalid
from .models import Adjustment, Movement
from .views import get_item


def _utc(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise Invalid(f"{field} is out of range", field=field) from None


def movement_conditions(
    ctx: Context,
    sku: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    user: str | None = None,
    reason: str | None = None,
    location: str | None = None,
    source: str | None = None,
) -> list[Any]:
    conditions: list[Any] = []
    if sku:
        conditions.append(Movement.sku == sku)
    if start is not None:
        conditions.append(Movement.created_at >= _utc(start, "from"))
    if end is not None:
        conditions.append(Movement.created_at < _utc(end, "to"))
    if user:
        conditions.append(Movement.username == user)
    if reason:
        known = ctx.settings.reason(reason)
        conditions.append(Movement.reason == (known.name if known else reason))
    if location:
        conditions.append(Movement.location == location)
    if source:
        conditions.append(Movement.source == source)
    return conditions


def history(ctx: Context, params: PageParams, *, sku: str | None = None, **filters: Any) -> dict[str, Any]:
    """``{items, total, page, size}``: movements, newest first, with who, when, why, where
    from, the client_id and the note."""
    conditions = movement_conditions(ctx, sku, **filters)
    with ctx.session(readonly=True) as session:
        total = session.scalar(select(func.count()).select_from(Movement).where(*conditions)) or 0
        rows = session.execute(
            select(Movement, Adjustment.client_id, Adjustment.note)
            .join(Adjustment, Adjustment.id == Movement.adjustment_id)
            .where(*conditions)
            .order_by(Movement.created_at.desc(), Movement.id.desc())
            .limit(params.size)
            .offset(params.offset)
        ).all()
    items = [
        {
            "id": m.id,
            "adjustment_id": m.adjustment_id,
            "sku": m.sku,
            "location": m.location,
            "delta": m.delta,
            "quantity_after": m.quantity_after,
            "reason": m.reason,
            "source": m.source,
            "by": m.username,
            "created_at": m.created_at.isoformat(),
            "client_id": client_id,
            "note": note or "",
        }
        for m, client_id, note in rows
    ]
    return {"items": items, "total": total, "page": params.page, "size": params.size}


def item_history(ctx: Context, sku: str, params: PageParams, **filters: Any) -> dict[str, Any]:
    """The history of one item; ItemNotFound for an unknown SKU."""
    with ctx.session(readonly=True) as session:
        get_item(session, sku)
    return history(ctx, params, sku=sku, **filters)


def summary(ctx: Context, *, sku: str | None = None, **filters: Any) -> dict[str, Any]:
    """Per day (UTC) and reason: adjustments, units added, units removed and the net."""
    conditions = movement_conditions(ctx, sku, **filters)
    with ctx.session(readonly=True) as session:
        day: Any
        if session.get_bind().dialect.name == "postgresql":
            day = cast(func.timezone("UTC", Movement.created_at), Date)
        else:
            day = func.date(Movement.created_at)
        added = func.sum(_positive(Movement.delta))
        removed = func.sum(_positive(-Movement.delta))
        rows = session.execute(
            select(day.label("day"), Movement.reason, func.count(func.distinct(Movement.adjustment_id)), added, removed)
            .where(*conditions)
            .group_by(day, Movement.reason)
            .order_by(day.desc(), Movement.reason)
        ).all()
    days = [
        {
            "day": d if isinstance(d, date) else date.fromisoformat(str(d)),
            "reason": reason,
            "adjustments": int(count),
            "added": int(plus or 0),
            "removed": int(minus or 0),
            "net": int(plus or 0) - int(minus or 0),
        }
        for d, reason, count, plus, minus in rows
    ]
    totals: dict[str, dict[str, int]] = {}
    for row in days:
        entry = totals.setdefault(row["reason"], {"adjustments": 0, "added": 0, "removed": 0, "net": 0})
        for key in ("adjustments", "added", "removed", "net"):
            entry[key] += row[key]
    return {"days": days, "reasons": totals}


def _positive(value: Any) -> Any:
    return case((value > 0, value), else_=0)
