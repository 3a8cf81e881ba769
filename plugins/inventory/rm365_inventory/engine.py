"""The stock engine: every change of stock, in one transaction each. The item row is locked
first (by bumping its version), then its stock rows in id order; every change is a conditional
``UPDATE`` that cannot take stock below zero; the adjustment (with its unique ``client_id``) is
inserted before any stock moves, so a retry is applied once. Speaks SQLAlchemy Core on the
session's connection: statements built once, one round trip per step."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Integer, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rm365_core import utcnow

from .codes import base_sku, clean_code, printable
from .context import SOURCES, Context, announce, username_of
from .errors import InsufficientStock, Invalid, ItemNotFound
from .models import Adjustment, Item, Movement, Stock
from .views import adjustment_out

MAX_QUANTITY = 1_000_000

_items: Table = Item.__table__  # type: ignore[assignment]
_stock: Table = Stock.__table__  # type: ignore[assignment]
_adjustments: Table = Adjustment.__table__  # type: ignore[assignment]
_movements: Table = Movement.__table__  # type: ignore[assignment]


def _bump(where: Any) -> Any:
    """Lock an item row by bumping its version (and updated_at); answers id, sku, version."""
    return (
        update(_items)
        .where(where)
        .values(version=_items.c.version + 1, updated_at=bindparam("now", type_=_items.c.updated_at.type))
        .returning(_items.c.id, _items.c.sku, _items.c.version)
    )


_BUMP_BY_SKU = _bump(_items.c.sku == bindparam("b_sku"))
_BUMP_BY_ID = _bump(_items.c.id == bindparam("pk"))
_PK_BY_SKU = select(_items.c.id).where(_items.c.sku == bindparam("code"))
_PK_BY_ITEM_ID = select(_items.c.id).where(_items.c.item_id == bindparam("code"))
_PK_BY_LOWER_SKU = select(_items.c.id).where(func.lower(_items.c.sku) == bindparam("code"))
_PK_BY_LOWER_ITEM_ID = (
    select(_items.c.id).where(func.lower(_items.c.item_id) == bindparam("code")).order_by(_items.c.id).limit(1)
)
_VERSION_OF = select(_items.c.version).where(_items.c.id == bindparam("pk"))
_LOCK_STOCK = (
    select(_stock.c.id, _stock.c.location, _stock.c.quantity)
    .where(_stock.c.item_pk == bindparam("item_pk"))
    .order_by(_stock.c.id)
    .with_for_update()
)
_NEW_STOCK = insert(_stock).values(quantity=0).returning(_stock.c.id)
_CHANGE = bindparam("change", type_=Integer)
_CHANGE_STOCK = (
    update(_stock)
    .where(_stock.c.id == bindparam("pk"), _stock.c.quantity + _CHANGE >= 0)
    .values(quantity=_stock.c.quantity + _CHANGE)
    .returning(_stock.c.quantity)
)
_INSERT_HEADER = insert(_adjustments).returning(_adjustments.c.id)
_INSERT_MOVEMENT = insert(_movements)
_HEADER_BY_CLIENT_ID = select(_adjustments).where(_adjustments.c.client_id == bindparam("client_id"))
_MOVES_OF = (
    select(_movements.c.location, _movements.c.delta, _movements.c.quantity_after)
    .where(_movements.c.adjustment_id == bindparam("adjustment_id"))
    .order_by(_movements.c.id)
)


def signed_quantity(ctx: Context, quantity: Any, reason_name: Any) -> tuple[int, str]:
    """The signed change and the configured reason name. A stock-out reason removes and a
    stock-in reason adds whatever the sign of ``quantity``, except that a negative quantity with
    a stock-in reason is refused as a contradiction."""
    settings = ctx.settings
    if not isinstance(reason_name, str):
        raise Invalid("the reason must be text, the name of a configured reason", field="reason")
    reason = settings.reason(reason_name)
    if reason is None:
        names = ", ".join(r.name for r in settings.reasons)
        raise Invalid(f"unknown reason {reason_name!r}; use one of: {names}", field="reason")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity == 0:
        raise Invalid("the quantity must be a whole number other than 0", field="quantity")
    if abs(quantity) > MAX_QUANTITY:
        raise Invalid(f"the quantity must be at most {MAX_QUANTITY}", field="quantity")
    if reason.sign == "out":
        return -abs(quantity), reason.name
    if reason.sign == "in" and quantity < 0:
        raise Invalid(f"{reason.name} adds stock: the quantity must be positive", field="quantity")
    return quantity, reason.name


def adjust(
    ctx: Context,
    code: str,
    quantity: int,
    reason: str,
    location: str = "auto",
    *,
    user: Any,
    source: str = "pick",
    client_id: str | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Change an item's stock by ``quantity`` (signed by the reason) in one transaction; see
    :meth:`rm365_inventory.service.StockService.adjust`."""
    username = username_of(user)
    delta, reason_name = signed_quantity(ctx, quantity, reason)
    location_ids = ctx.settings.location_ids
    if not isinstance(location, str):
        raise Invalid("the location must be text: 'auto' or a location id", field="location")
    location = location.strip() or "auto"
    if location != "auto" and location not in location_ids:
        raise Invalid(
            f"unknown location {location!r}; use 'auto' or one of: {', '.join(location_ids)}", field="location"
        )
    if source not in SOURCES:
        raise Invalid(f"unknown source {source!r}; use one of: {', '.join(SOURCES)}", field="source")
    if client_id is not None and not isinstance(client_id, str):
        raise Invalid("client_id must be text", field="client_id")
    client_id = (client_id or "").strip() or None
    if client_id is not None and (len(client_id) > 100 or not printable(client_id)):
        raise Invalid("client_id must be at most 100 characters, without control characters", field="client_id")
    note = (note or "")[:500]
    if not printable(note):
        raise Invalid("the note cannot hold control characters", field="note")
    try:
        with ctx.session() as session:
            conn = session.connection()
            found = lock_item(ctx, conn, code)
            if found is None:
                raise ItemNotFound(f"no item has the SKU or barcode {clean_code(code)!r}", field="code")
            item_pk, sku, version = found
            header = {
                "client_id": client_id,
                "item_pk": item_pk,
                "sku": sku,
                "quantity": delta,
                "reason": reason_name,
                "location": location,
                "source": source,
                "username": username,
                "note": note,
                "created_at": utcnow(),
            }
            rows = lock_stock(ctx, conn, item_pk)
            result, events = move(ctx, conn, rows, header, delta, location, version)
            for event in events:
                announce(session, "inventory.changed", event)
    except IntegrityError:
        if client_id is None:
            raise
        original = adjustment_by_client_id(ctx, client_id)
        if original is None:  # not a duplicate after all: a real error
            raise
        return {**original, "duplicate": True}
    return result


def adjustment_by_client_id(ctx: Context, client_id: str) -> dict[str, Any] | None:
    """The adjustment recorded under ``client_id``, or None."""
    with ctx.session(readonly=True) as session:
        conn = session.connection()
        header = conn.execute(_HEADER_BY_CLIENT_ID, {"client_id": client_id}).mappings().first()
        if header is None:
            return None
        moves = conn.execute(_MOVES_OF, {"adjustment_id": header["id"]}).mappings().all()
        return adjustment_out(header, moves, total_after=header["total_after"], stock=None, version=None)


def lock_item(ctx: Context, conn: Connection, code: str) -> tuple[int, str, int] | None:
    """Find the item a scanned code names (see :func:`rm365_inventory.views.find_item`), lock
    its row and bump its version: ``(pk, sku, new version)``, or None when there is none. The
    item row is always locked first, so concurrent changes of one item queue up."""
    code = clean_code(code) if isinstance(code, str) else ""
    if not code or not printable(code):
        return None
    now = utcnow()
    row = conn.execute(_BUMP_BY_SKU, {"b_sku": code, "now": now}).first()
    if row is None:
        pk = find_pk(ctx, conn, code, sku_tried=True)
        if pk is None:
            return None
        row = conn.execute(_BUMP_BY_ID, {"pk": pk, "now": now}).first()
        if row is None:  # deleted meanwhile
            return None
    return row[0], row[1], row[2]


def find_pk(ctx: Context, conn: Connection, code: str, *, sku_tried: bool = False) -> int | None:
    """The id of the item :func:`rm365_inventory.views.find_item` answers for ``code``."""
    if not sku_tried:
        pk = conn.execute(_PK_BY_SKU, {"code": code}).scalar()
        if pk is not None:
            return int(pk)
    for statement, value in (
        (_PK_BY_ITEM_ID, code),
        (_PK_BY_LOWER_SKU, code.lower()),
        (_PK_BY_LOWER_ITEM_ID, code.lower()),
    ):
        pk = conn.execute(statement, {"code": value}).scalar()
        if pk is not None:
            return int(pk)
    base = base_sku(code, ctx.variants)
    return find_pk(ctx, conn, base) if base != code else None


def lock_stock(ctx: Context, conn: Connection, item_pk: int) -> dict[str, tuple[int, int]]:
    """Lock the item's stock rows (the caller holds the item row lock already) in the order of
    their ids and read them in the same round trip; create rows for newly configured
    locations. Returns ``{location: (stock id, quantity)}``."""
    rows: dict[str, tuple[int, int]] = {
        loc: (pk, quantity) for pk, loc, quantity in conn.execute(_LOCK_STOCK, {"item_pk": item_pk})
    }
    for loc in ctx.settings.location_ids:
        if loc not in rows:  # safe: the item row lock keeps other writers out
            pk = conn.execute(_NEW_STOCK, {"item_pk": item_pk, "location": loc}).scalar_one()
            rows[loc] = (pk, 0)
    return rows


def plan(ctx: Context, rows: dict[str, tuple[int, int]], delta: int, location: str, sku: str) -> list[tuple[str, int]]:
    """Which location changes by how much: ``auto`` removes from the locations in order and
    adds to the first. InsufficientStock (with the breakdown) when the stock is short."""
    order = ctx.settings.location_ids
    if delta > 0:
        return [(order[0] if location == "auto" else location, delta)]
    need = -delta
    available = {loc: rows[loc][1] for loc in order}
    total = sum(available.values())
    candidates = order if location == "auto" else [location]
    steps: list[tuple[str, int]] = []
    for loc in candidates:
        take = min(available[loc], need - sum(-d for _, d in steps))
        if take > 0:
            steps.append((loc, -take))
    if sum(-d for _, d in steps) < need:
        where = "in total" if location == "auto" else f"at {location}"
        raise InsufficientStock(
            f"not enough stock of {sku}: {need} requested, "
            f"{total if location == 'auto' else available[location]} {where}; nothing was changed",
            sku=sku,
            requested=need,
            location=location,
            stock=available,
            total=total,
        )
    return steps


def move(
    ctx: Context,
    conn: Connection,
    rows: dict[str, tuple[int, int]],
    header: dict[str, Any],
    delta: int,
    location: str,
    version: int | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Record the adjustment ``header`` (its column values) and change the locked stock
    ``rows`` by ``delta`` (``rows`` is updated). Answers the result and one
    ``inventory.changed`` event per location touched, for the caller to announce."""
    sku = header["sku"]
    try:
        steps = plan(ctx, rows, delta, location, sku)
    except InsufficientStock:
        if header["client_id"] is not None:
            # A client_id seen before answers its original result, not this shortage: the
            # insert fails on the unique client_id (and the transaction rolls back).
            conn.execute(_INSERT_HEADER, {**header, "total_after": None})
        raise
    quantities = {loc: rows[loc][1] for loc in ctx.settings.location_ids}
    total = sum(quantities.values()) + delta
    # Insert first: a client_id seen before fails here, before any stock moves.
    header["id"] = conn.execute(_INSERT_HEADER, {**header, "total_after": total}).scalar_one()
    moves = []
    for loc, change in steps:
        stock_pk = rows[loc][0]
        # Conditional even under the lock: the database itself never lets stock go negative.
        after = conn.execute(_CHANGE_STOCK, {"pk": stock_pk, "change": change}).scalar()
        if after is None:
            raise InsufficientStock(f"not enough stock of {sku} at {loc}", sku=sku, location=loc)
        quantities[loc] = after
        rows[loc] = (stock_pk, after)
        moves.append(
            {
                "adjustment_id": header["id"],
                "sku": sku,
                "location": loc,
                "delta": change,
                "quantity_after": after,
                "reason": header["reason"],
                "source": header["source"],
                "username": header["username"],
                "created_at": header["created_at"],
            }
        )
    conn.execute(_INSERT_MOVEMENT, moves)
    # The rows are locked: what they held plus what changed is the stock now.
    result = adjustment_out(header, moves, total_after=total, stock=quantities, version=version)
    events = [
        {
            "sku": sku,
            "location": m["location"],
            "quantity": m["quantity_after"],
            "delta": m["delta"],
            "total": total,
            "stock": dict(quantities),
            "version": version,
            "by": header["username"],
            "reason": header["reason"],
            "source": header["source"],
            "adjustment_id": header["id"],
        }
        for m in moves
    ]
    return result, events


def set_quantities(
    ctx: Context,
    session: Session,
    item: Item,
    quantities: dict[str, int],
    username: str,
    source: str,
    *,
    bump: bool = True,
) -> list[dict[str, Any]]:
    """Set absolute quantities under the item lock; each difference is recorded as a
    correction. Answers the ``inventory.changed`` events for the caller to announce."""
    item_pk, sku = item.id, item.sku
    conn = session.connection()
    if bump and conn.execute(_BUMP_BY_ID, {"pk": item_pk, "now": utcnow()}).first() is None:
        raise ItemNotFound(f"there is no item with SKU {sku!r}", field="sku")
    rows = lock_stock(ctx, conn, item_pk)
    changes = [(loc, target - rows[loc][1]) for loc, target in quantities.items()]
    changes = [(loc, delta) for loc, delta in changes if delta]
    if not changes:
        return []
    version = conn.execute(_VERSION_OF, {"pk": item_pk}).scalar()
    events: list[dict[str, Any]] = []
    for loc, delta in changes:
        header = {
            "client_id": None,
            "item_pk": item_pk,
            "sku": sku,
            "quantity": delta,
            "reason": ctx.settings.correction_reason,
            "location": loc,
            "source": source,
            "username": username,
            "note": f"set to {quantities[loc]}",
            "created_at": utcnow(),
        }
        events.extend(move(ctx, conn, rows, header, delta, loc, version)[1])
    # The stock changed behind the ORM's back: loaded rows of this item read afresh.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Stock) and obj.item_pk == item_pk:
            session.expire(obj)
    return events
