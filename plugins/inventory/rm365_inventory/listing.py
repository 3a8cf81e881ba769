"""The item list: search, filters, sort and paging, all in SQL. Pages go by keyset (``after=``,
the ``next_after`` of the page before) or by number. A search counts its matches in the pass
that sorts them; otherwise the total is exact up to :data:`EXACT_UP_TO` rows and PostgreSQL's
estimate past that. The keyset cursor carries the total, so later pages do not count again."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, exists, func, insert, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from .codes import printable
from .context import Context
from .demand import DEMAND_STATUSES, IN_STOCK, OUT, STOCK_STATUSES, classify_sql, demand_service, fetch_demand
from .errors import Invalid
from .models import Item, Stock
from .views import describe, stock_rows

#: Up to this many matching rows the total is exact; past it, PostgreSQL estimates it.
EXACT_UP_TO = 10_000
ITEM_SORTS = {
    "sku": Item.sku,
    "name": Item.name,
    "status": Item.status,
    "item_id": Item.item_id,
    "updated_at": Item.updated_at,
    "created_at": Item.created_at,
}
_UNIQUE_SORTS = {"sku", "item_id"}
_TIME_SORTS = {"updated_at", "created_at"}

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


def encode_cursor(sort: str, value: Any, pk: int, total: int, estimated: bool) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, pk, total, estimated], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(after: str, sort: str) -> tuple[Any, int, int, bool]:
    """``(sort value, item id, total, estimated)`` from a ``next_after``; Invalid otherwise."""
    key = sort.lstrip("-")
    try:
        raw = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4))
        cursor_sort, value, pk, total, estimated = json.loads(raw)
        if cursor_sort != sort:
            raise ValueError("another sort")
        if key in _TIME_SORTS:
            value = datetime.fromisoformat(value)
        elif key in ITEM_SORTS:
            if not isinstance(value, str):
                raise ValueError("not text")
        elif isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**62:
            raise ValueError("not a number")
        for number in (pk, total):
            if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < 2**62:
                raise ValueError("not a count")
        return value, pk, total, bool(estimated)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid(
            "after must be the next_after of the page before, with the same sort and filters", field="after"
        ) from None


def list_items(
    ctx: Context,
    *,
    search: str = "",
    status: str | None = None,
    stock_status: str | None = None,
    page: int = 1,
    size: int = 50,
    sort: str = "sku",
    after: str | None = None,
) -> dict[str, Any]:
    """``{items, total, page, size, pages, estimated, next_after, demand}``."""
    settings = ctx.settings
    if not 1 <= size <= settings.max_page_size:
        raise Invalid(f"size must be from 1 to {settings.max_page_size}", field="size")
    if not printable(search):
        raise Invalid("search cannot hold control characters", field="search")
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
    service = demand_service(ctx.kernel)
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
    cursor = decode_cursor(after, sort) if after else None

    conditions: list[Any] = []
    if search.strip():
        conditions.append(Item.search_key.like(_like(search.strip()), escape="\\"))
    if statuses:
        conditions.append(Item.status.in_(statuses))
    in_stock = exists().where(Stock.item_pk == Item.id, Stock.quantity > 0)
    by_stock = []
    if OUT in wanted:
        by_stock.append(~in_stock)
    if IN_STOCK in wanted:
        by_stock.append(in_stock)

    with ctx.session(readonly=True) as session:
        demand = None
        source: Any = Item.__table__
        if needs_demand:
            assert service is not None
            demand = fetch_demand(service, None)
            if demand is None:
                raise Invalid("the sales demand service failed; try again later", field="stock_status")
            table = _load_demand(session, demand)
            source = Item.__table__.outerjoin(table, table.c.sku == Item.sku)
            level = classify_sql(
                _total_of(Item.id), func.coalesce(table.c.demand, 0), settings.low_factor, settings.over_factor
            )
            by_stock.append(level.in_([w for w in wanted if w in DEMAND_STATUSES]))
        if by_stock:
            conditions.append(or_(*by_stock))
        offset = 0 if cursor is not None else (page - 1) * size
        keyset = _keyset(order, key, descending, cursor) if cursor is not None else None
        rows, counted = _page(
            session, source, conditions, keyset, order, descending, offset, size, matches_first=bool(search.strip())
        )
        more = len(rows) > size
        rows = rows[:size]
        by_id = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_([r[0] for r in rows])))}
        items = [by_id[r[0]] for r in rows if r[0] in by_id]
        estimated = False
        if cursor is not None:
            total, estimated = cursor[2], cursor[3]
        elif counted is not None:
            total = counted
        elif not more and (items or page == 1):
            total = offset + len(items)  # the last page: no need to count
        else:
            total, estimated = _count(session, source, conditions)
        stock = stock_rows(session, [item.id for item in items])
        if demand is not None:
            page_demand: dict[str, dict[str, int]] | None = {i.sku: demand.get(i.sku, {}) for i in items}
        else:
            page_demand = ctx.demand([item.sku for item in items])
        described = describe(ctx, items, stock, page_demand)
    next_after = None
    if more and rows:
        next_after = encode_cursor(sort, rows[-1][1], rows[-1][0], total, estimated)
    return {
        "items": described,
        "total": total,
        "page": page,
        "size": size,
        "pages": (total + size - 1) // size,
        "estimated": estimated,
        "next_after": next_after,
        "demand": page_demand is not None,
    }


def _keyset(order: Any, key: str, descending: bool, cursor: tuple[Any, int, int, bool]) -> Any:
    """The rows after the cursor's (sort value, id) in the list's order."""
    value, pk = cursor[0], cursor[1]
    if key in _UNIQUE_SORTS:
        return order < value if descending else order > value
    row, mark = tuple_(order, Item.id), tuple_(literal(value), literal(pk))
    return row < mark if descending else row > mark


def _page(
    session: Session,
    source: Any,
    conditions: list[Any],
    keyset: Any,
    order: Any,
    descending: bool,
    offset: int,
    size: int,
    *,
    matches_first: bool,
) -> tuple[list[tuple[int, Any]], int | None]:
    """``[(item id, sort value)]`` of one page plus one row (to tell whether more follow), and
    the number of matching rows when it came for free.

    A search first collects its matches (the trigram index finds them all in one pass) and
    then sorts them, counting them in the same pass: walking the SKU index instead and
    filtering would read tens of thousands of rows whenever the matches sit together (every
    "OMEGA..." under O). Without a search the list walks the sort's index and stops early."""
    wanted = [*conditions, keyset] if keyset is not None else conditions
    if matches_first:
        matches = (
            select(Item.id.label("id"), order.label("k"))
            .select_from(source)
            .where(*wanted)
            .cte("matches")
            .prefix_with("MATERIALIZED")
        )
        k, pk = matches.c.k, matches.c.id
        found = session.execute(
            select(pk, k, func.count().over())
            .order_by(k.desc() if descending else k.asc(), pk.desc() if descending else pk.asc())
            .limit(size + 1)
            .offset(offset)
        ).all()
        counted = found[0][2] if found else (0 if offset == 0 else None)
        return [(row[0], row[1]) for row in found], counted
    found = session.execute(
        select(Item.id, order)
        .select_from(source)
        .where(*wanted)
        .order_by(order.desc() if descending else order.asc(), Item.id.desc() if descending else Item.id.asc())
        .limit(size + 1)
        .offset(offset)
    ).all()
    return [(row[0], row[1]) for row in found], None


def _count(session: Session, source: Any, conditions: list[Any]) -> tuple[int, bool]:
    """The number of matching items: exact up to EXACT_UP_TO, then PostgreSQL's estimate."""
    matching = select(literal(1)).select_from(source).where(*conditions)
    capped = session.scalar(select(func.count()).select_from(matching.limit(EXACT_UP_TO + 1).subquery())) or 0
    if capped <= EXACT_UP_TO:
        return capped, False
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return session.scalar(select(func.count()).select_from(matching.subquery())) or 0, False
    compiled = matching.compile(dialect=connection.dialect)
    raw: Any = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar()
    plan = json.loads(raw) if isinstance(raw, str) else raw
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    return max(estimate, capped), True


def _load_demand(session: Session, demand: dict[str, dict[str, int]]) -> Table:
    connection = session.connection()
    _demand_table.drop(connection, checkfirst=True)
    _demand_table.create(connection)
    rows = [{"sku": sku[:64], "demand": sum(regions.values())} for sku, regions in demand.items()]
    if rows:
        connection.execute(insert(_demand_table), rows)
    return _demand_table
