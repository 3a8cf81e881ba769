"""Read side: the item list (search, filters, sort and paging all in SQL), movement history
and the per-reason daily summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    case,
    cast,
    exists,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session

from .demand import DEMAND_STATUSES, IN_STOCK, OUT, STOCK_STATUSES, classify_sql, demand_service, fetch_demand
from .errors import Invalid, ItemNotFound
from .models import Adjustment, Item, Movement, Stock
from .service import StockService, iso, to_utc

ITEM_SORTS = {
    "sku": Item.sku,
    "name": Item.name,
    "status": Item.status,
    "item_id": Item.item_id,
    "updated_at": Item.updated_at,
    "created_at": Item.created_at,
}

# A per-request table of demand, so that a stock-status filter runs in SQL even though the
# demand lives in another plugin's database. Not part of the plugin's metadata (no migration).
_demand_table = Table(
    "inventory_demand_tmp",
    MetaData(),
    Column("sku", String(64), primary_key=True),
    Column("demand", Integer, nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


def _like(search: str) -> str:
    escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _total_of(item_pk: Any, location: str | None = None) -> Any:
    query = select(func.coalesce(func.sum(Stock.quantity), 0)).where(Stock.item_pk == item_pk)
    if location is not None:
        query = query.where(Stock.location == location)
    return query.correlate(Item).scalar_subquery()


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class ItemQueries:
    """Reads for the API; writes live in :class:`StockService`."""

    def __init__(self, service: StockService) -> None:
        self.service = service

    def list_items(
        self,
        *,
        search: str = "",
        status: str | None = None,
        stock_status: str | None = None,
        page: int = 1,
        size: int = 50,
        sort: str = "sku",
    ) -> dict[str, Any]:
        settings = self.service.settings
        if not 1 <= size <= settings.max_page_size:
            raise Invalid(f"size must be from 1 to {settings.max_page_size}", field="size")
        if page < 1:
            raise Invalid("page must be 1 or more", field="page")
        statuses = []
        for name in _split(status):
            known = settings.status(name)
            if known is None:
                raise Invalid(f"unknown status {name!r}; use one of: {', '.join(settings.statuses)}", field="status")
            statuses.append(known)
        wanted = _split(stock_status)
        for name in wanted:
            if name not in STOCK_STATUSES:
                raise Invalid(
                    f"unknown stock status {name!r}; use one of: {', '.join(STOCK_STATUSES)}", field="stock_status"
                )
        service = demand_service(self.service.kernel)
        needs_demand = any(name in DEMAND_STATUSES for name in wanted)
        if needs_demand and service is None:
            raise Invalid(
                "low, normal and over need sales demand: the salesdata plugin is not enabled", field="stock_status"
            )

        descending = sort.startswith("-")
        key = sort.lstrip("-")
        if key in ITEM_SORTS:
            order = ITEM_SORTS[key]
        elif key == "total":
            order = _total_of(Item.id)
        elif key in settings.location_ids:
            order = _total_of(Item.id, key)
        else:
            keys = [*ITEM_SORTS, "total", *settings.location_ids]
            raise Invalid(f"cannot sort by {key!r}; use one of: {', '.join(keys)} (prefix - to reverse)", field="sort")

        conditions: list[Any] = []
        if search.strip():
            pattern = _like(search.strip())
            conditions.append(Item.search_key.like(pattern, escape="\\"))
        if statuses:
            conditions.append(Item.status.in_(statuses))
        in_stock = exists().where(Stock.item_pk == Item.id, Stock.quantity > 0)
        by_stock = []
        if OUT in wanted:
            by_stock.append(~in_stock)
        if IN_STOCK in wanted:
            by_stock.append(in_stock)

        with self.service.session(readonly=True) as session:
            demand = None
            source = Item.__table__
            if needs_demand:
                assert service is not None
                demand = fetch_demand(service, None)
                if demand is None:
                    raise Invalid("the sales demand service failed; try again later", field="stock_status")
                table = self._load_demand(session, demand)
                source = Item.__table__.outerjoin(table, table.c.sku == Item.sku)
                level = classify_sql(
                    _total_of(Item.id),
                    func.coalesce(table.c.demand, 0),
                    settings.low_factor,
                    settings.over_factor,
                )
                by_stock.append(level.in_([w for w in wanted if w in DEMAND_STATUSES]))
            if by_stock:
                conditions.append(or_(*by_stock))
            order_by: list[Any] = [
                order.desc() if descending else order.asc(),
                Item.id.desc() if descending else Item.id.asc(),
            ]
            offset = (page - 1) * size
            items = list(
                session.scalars(
                    select(Item).select_from(source).where(*conditions).order_by(*order_by).limit(size).offset(offset)
                )
            )
            if 0 < len(items) < size or (page == 1 and not items):
                total = offset + len(items)  # the last page: no need to count
            else:
                total = session.scalar(select(func.count()).select_from(source).where(*conditions))
            stock = self.service.stock_rows(session, [item.id for item in items])
            if demand is not None:
                page_demand: dict[str, dict[str, int]] | None = {i.sku: demand.get(i.sku, {}) for i in items}
            else:
                page_demand = self.service.demand([item.sku for item in items])
            described = self.service.describe(items, stock, page_demand)
        return {
            "items": described,
            "total": total,
            "page": page,
            "size": size,
            "pages": (total + size - 1) // size,
            "demand": page_demand is not None,
        }

    @staticmethod
    def _load_demand(session: Session, demand: dict[str, dict[str, int]]) -> Table:
        connection = session.connection()
        _demand_table.drop(connection, checkfirst=True)
        _demand_table.create(connection)
        rows = [{"sku": sku[:64], "demand": sum(regions.values())} for sku, regions in demand.items()]
        if rows:
            connection.execute(insert(_demand_table), rows)
        return _demand_table

    # -- history -----------------------------------------------------------------------
    def _movement_conditions(
        self,
        sku: str | None,
        start: datetime | None,
        end: datetime | None,
        user: str | None,
        reason: str | None,
        location: str | None,
        source: str | None,
    ) -> list[Any]:
        conditions: list[Any] = []
        if sku:
            conditions.append(Movement.sku == sku)
        if start is not None:
            conditions.append(Movement.created_at >= to_utc(start))
        if end is not None:
            conditions.append(Movement.created_at < to_utc(end))
        if user:
            conditions.append(Movement.username == user)
        if reason:
            known = self.service.settings.reason(reason)
            conditions.append(Movement.reason == (known.name if known else reason))
        if location:
            conditions.append(Movement.location == location)
        if source:
            conditions.append(Movement.source == source)
        return conditions

    def history(
        self,
        *,
        sku: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        user: str | None = None,
        reason: str | None = None,
        location: str | None = None,
        source: str | None = None,
        page: int = 1,
        size: int = 50,
    ) -> dict[str, Any]:
        """Movements, newest first, with who, when, why, where from and the client_id."""
        if not 1 <= size <= 500 or page < 1:
            raise Invalid("page must be 1 or more and size from 1 to 500", field="size")
        conditions = self._movement_conditions(sku, start, end, user, reason, location, source)
        with self.service.session(readonly=True) as session:
            total = session.scalar(select(func.count()).select_from(Movement).where(*conditions))
            rows = session.execute(
                select(Movement, Adjustment.client_id, Adjustment.note)
                .join(Adjustment, Adjustment.id == Movement.adjustment_id)
                .where(*conditions)
                .order_by(Movement.created_at.desc(), Movement.id.desc())
                .limit(size)
                .offset((page - 1) * size)
            ).all()
        return {
            "movements": [
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
                    "created_at": iso(m.created_at),
                    "client_id": client_id,
                    "note": note or "",
                }
                for m, client_id, note in rows
            ],
            "total": total,
            "page": page,
            "size": size,
        }

    def item_history(self, sku: str, **filters: Any) -> dict[str, Any]:
        with self.service.session(readonly=True) as session:
            if session.scalar(select(Item.id).where(Item.sku == sku)) is None:
                raise ItemNotFound(f"there is no item with SKU {sku!r}")
        return self.history(sku=sku, **filters)

    def summary(
        self,
        *,
        sku: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        user: str | None = None,
        location: str | None = None,
        source: str | None = None,
    ) -> dict[str, Any]:
        """Per day (UTC) and reason: adjustments, units added, units removed and the net."""
        conditions = self._movement_conditions(sku, start, end, user, None, location, source)
        with self.service.session(readonly=True) as session:
            day: Any
            if session.get_bind().dialect.name == "postgresql":
                day = cast(func.timezone("UTC", Movement.created_at), Date)
            else:
                day = func.date(Movement.created_at)
            added = func.sum(_positive(Movement.delta))
            removed = func.sum(_positive(-Movement.delta))
            rows = session.execute(
                select(
                    day.label("day"),
                    Movement.reason,
                    func.count(func.distinct(Movement.adjustment_id)),
                    added,
                    removed,
                )
                .where(*conditions)
                .group_by(day, Movement.reason)
                .order_by(day.desc(), Movement.reason)
            ).all()
        days = [
            {
                "day": str(d),
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
