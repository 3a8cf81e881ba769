"""The stock service: items, and every change of stock (one transaction per adjustment, the
item's rows locked, a movement per location touched). Also offered to other plugins as
``inventory.stock``. No HTTP here: errors are :mod:`rm365_inventory.errors`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Integer, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .codes import base_sku, clean_code, derive_item_id, valid_item_id, variant_pattern
from .demand import classify, demand_service, fetch_demand
from .errors import (
    Conflict,
    InsufficientStock,
    Invalid,
    ItemNotFound,
    VersionMismatch,
    VersionRequired,
)
from .models import Adjustment, Item, Movement, Stock, utcnow
from .settings import InventorySettings

log = logging.getLogger("rm365.inventory")

DB = "inventory"
ROOMS = ["inventory", "inventory.management", "inventory.adjustments"]
SOURCES = ("ui", "scanner", "pick", "returns", "api", "import", "demo")
MAX_QUANTITY = 1_000_000
SKU_MAX = 64

# The stock-changing path speaks SQLAlchemy Core on the session's connection: statements
# built once, no ORM unit of work, one round trip per step.
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
_PK_BY_UPPER_SKU = select(_items.c.id).where(func.upper(_items.c.sku) == bindparam("code")).limit(1)
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


def iso(value: datetime | date | None) -> str | None:
    """ISO text of a stored time; SQLite hands times back without their zone (they are UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def username_of(user: Any) -> str:
    name = getattr(user, "username", user)
    if not isinstance(name, str) or not name:
        raise Invalid("an adjustment needs the name of who made it")
    return name[:150]


def check_sku(raw: str) -> str:
    sku = (raw or "").strip()
    if not sku:
        raise Invalid("the SKU is empty", field="sku")
    if len(sku) > SKU_MAX:
        raise Invalid(f"the SKU is longer than {SKU_MAX} characters", field="sku")
    if clean_code(sku) != sku:
        raise Invalid("a SKU cannot contain spaces, tabs or line breaks", field="sku")
    return sku


class StockService:
    """Items and stock. Every method opens (and commits) its own transaction."""

    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    # -- plumbing ------------------------------------------------------------------
    @property
    def settings(self) -> InventorySettings:
        settings = self.kernel.settings_for("inventory")
        return settings if settings is not None else InventorySettings()

    def session(self, readonly: bool = False) -> Any:
        return self.kernel.databases.session(DB, readonly=readonly)

    def emit(self, event: str, data: Any) -> None:
        """Tell every inventory screen; called only after the change is committed."""
        try:
            self.kernel.emit(event, data, room=ROOMS)
        except Exception:  # noqa: BLE001 - the change is committed; a lost event is only logged
            log.exception("could not broadcast %s", event)

    # -- reading items ---------------------------------------------------------------
    def _find(self, session: Session, code: str) -> Item | None:
        """The item a scanned code names: SKU, then label barcode, then case-insensitive SKU,
        then the base of a variant SKU."""
        code = clean_code(code)
        if not code:
            return None
        item = session.scalar(select(Item).where(Item.sku == code))
        if item is None:
            item = session.scalar(select(Item).where(Item.item_id == code))
        if item is None:
            item = session.scalar(select(Item).where(func.upper(Item.sku) == code.upper()).limit(1))
        if item is None:
            base = base_sku(code, variant_pattern(self.settings.variant_suffixes))
            if base != code:
                return self._find(session, base)
        return item

    def _get(self, session: Session, sku: str) -> Item:
        item = session.scalar(select(Item).where(Item.sku == sku))
        if item is None:
            raise ItemNotFound(f"there is no item with SKU {sku!r}")
        return item

    def stock_rows(self, session: Session, pks: Iterable[int]) -> dict[int, dict[str, Stock]]:
        rows: dict[int, dict[str, Stock]] = {}
        pks = list(pks)
        if not pks:
            return rows
        for stock in session.scalars(select(Stock).where(Stock.item_pk.in_(pks))):
            rows.setdefault(stock.item_pk, {})[stock.location] = stock
        return rows

    def describe(
        self,
        items: list[Item],
        stock: dict[int, dict[str, Stock]],
        demand: dict[str, dict[str, int]] | None,
    ) -> list[dict[str, Any]]:
        """Items as the API shows them: stock per configured location, total, and demand
        with a stock status when the salesdata plugin is there."""
        settings = self.settings
        out = []
        for item in items:
            rows = stock.get(item.id, {})
            quantities = {loc: (rows[loc].quantity if loc in rows else 0) for loc in settings.location_ids}
            total = sum(quantities.values())
            data: dict[str, Any] = {
                "sku": item.sku,
                "item_id": item.item_id,
                "name": item.name,
                "status": item.status,
                "notes": item.notes or "",
                "stock": quantities,
                "expiry": {
                    loc.id: iso(rows[loc.id].expiry) if loc.id in rows else None
                    for loc in settings.locations
                    if loc.expiry
                },
                "total": total,
                "version": item.version,
                "created_at": iso(item.created_at),
                "updated_at": iso(item.updated_at),
            }
            if demand is not None:
                regions = demand.get(item.sku, {})
                data["demand"] = regions
                data["demand_total"] = sum(regions.values())
                data["stock_status"] = classify(total, data["demand_total"], settings.low_factor, settings.over_factor)
            out.append(data)
        return out

    def demand(self, skus: list[str]) -> dict[str, dict[str, int]] | None:
        """Demand of ``skus`` by region; None when there is no demand service (no column)."""
        service = demand_service(self.kernel)
        if service is None:
            return None
        return fetch_demand(service, skus) if skus else {}

    def _item_out(self, session: Session, item: Item) -> dict[str, Any]:
        return self.describe([item], self.stock_rows(session, [item.id]), self.demand([item.sku]))[0]

    def get_item(self, sku: str) -> dict[str, Any]:
        with self.session(readonly=True) as session:
            return self._item_out(session, self._get(session, sku))

    def find_item(self, code: str) -> dict[str, Any] | None:
        """The item a SKU or label barcode names (pasted whitespace ignored), or None."""
        with self.session(readonly=True) as session:
            item = self._find(session, code)
            return None if item is None else self._item_out(session, item)

    def stock(self, sku: str) -> dict[str, Any]:
        """``{sku, stock: {location: quantity}, total}`` of an item (ItemNotFound if unknown)."""
        item = self.find_item(sku)
        if item is None:
            raise ItemNotFound(f"there is no item with SKU or barcode {sku!r}")
        return {"sku": item["sku"], "stock": item["stock"], "total": item["total"]}

    # -- changing items ------------------------------------------------------------------
    def _status(self, value: str | None) -> str:
        settings = self.settings
        if value is None or not value.strip():
            return settings.default_status
        status = settings.status(value)
        if status is None:
            raise Invalid(f"unknown status {value!r}; use one of: {', '.join(settings.statuses)}", field="status")
        return status

    def _item_id(self, value: str | None, sku: str) -> str:
        if value is None or not value.strip():
            return derive_item_id(sku)
        value = value.strip()
        if not valid_item_id(value):
            raise Invalid("item_id must be 1 to 32 letters, digits or dashes", field="item_id")
        return value

    def create_item(self, data: dict[str, Any], user: Any, *, source: str = "ui") -> dict[str, Any]:
        """A new item with zero stock everywhere, or the given opening ``stock`` (recorded as
        correction movements)."""
        username = username_of(user)
        sku = check_sku(data.get("sku", ""))
        name = (data.get("name") or "").strip()
        if not name:
            raise Invalid("the name is empty", field="name")
        opening = self._quantities(data.get("stock") or {})
        try:
            with self.session() as session:
                now = utcnow()
                item = Item(
                    created_at=now,
                    updated_at=now,
                    sku=sku,
                    item_id=self._item_id(data.get("item_id"), sku),
                    name=name[:255],
                    status=self._status(data.get("status")),
                    notes=data.get("notes") or "",
                )
                session.add(item)
                session.flush()
                expiry = self._expiries(data.get("expiry") or {})
                for loc in self.settings.location_ids:
                    session.add(Stock(item_pk=item.id, location=loc, quantity=0, expiry=expiry.get(loc)))
                session.flush()
                if any(opening.values()):
                    self._set_quantities(session, item, opening, username, source, bump=False)
                out = self._item_out(session, item)
        except IntegrityError:
            raise self._duplicate_item(sku, data.get("item_id") or derive_item_id(sku)) from None
        self.emit("inventory.item", {"action": "created", "sku": sku, "item": out, "by": username})
        return out

    def _duplicate_item(self, sku: str | None, item_id: str) -> Conflict:
        """Which unique value a failed insert or update collided with (``sku``: the SKU that
        was being written, None when it was not)."""
        if sku is not None:
            with self.session(readonly=True) as session:
                if session.scalar(select(Item.id).where(Item.sku == sku)) is not None:
                    return Conflict(f"an item with SKU {sku!r} already exists", field="sku")
        return Conflict(f"the barcode {item_id!r} is already used by another item", field="item_id")

    def _quantities(self, raw: dict[str, Any]) -> dict[str, int]:
        locations = self.settings.location_ids
        result: dict[str, int] = {}
        for loc, qty in raw.items():
            if loc not in locations:
                raise Invalid(f"unknown location {loc!r}; use one of: {', '.join(locations)}", field="stock")
            if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= MAX_QUANTITY:
                raise Invalid(f"the quantity at {loc} must be a whole number from 0 to {MAX_QUANTITY}", field="stock")
            result[loc] = qty
        return result

    def _expiries(self, raw: dict[str, Any]) -> dict[str, date | None]:
        allowed = {loc.id for loc in self.settings.locations if loc.expiry}
        result: dict[str, date | None] = {}
        for loc, value in raw.items():
            if loc not in allowed:
                raise Invalid(f"location {loc!r} has no expiry date", field="expiry")
            if value in (None, ""):
                result[loc] = None
                continue
            try:
                result[loc] = value if isinstance(value, date) else date.fromisoformat(str(value))
            except ValueError:
                raise Invalid(f"the expiry date of {loc} must be YYYY-MM-DD", field="expiry") from None
        return result

    def update_item(self, sku: str, changes: dict[str, Any], version: int | None, user: Any) -> dict[str, Any]:
        """Change an item if ``version`` is still current (else VersionMismatch with the current
        item). ``stock`` sets quantities: the difference is recorded as a correction."""
        username = username_of(user)
        if version is None:
            raise VersionRequired("send the version you edited in an If-Match header (or as 'version' in the body)")
        values: dict[str, Any] = {}
        if "name" in changes:
            name = (changes["name"] or "").strip()
            if not name:
                raise Invalid("the name is empty", field="name")
            values["name"] = name[:255]
        if "status" in changes:
            values["status"] = self._status(changes["status"])
        if "notes" in changes:
            values["notes"] = (changes["notes"] or "")[:10_000]
        new_sku = None
        if changes.get("sku") not in (None, sku):
            new_sku = check_sku(changes["sku"])
            values["sku"] = new_sku
        if "item_id" in changes:
            values["item_id"] = self._item_id(changes["item_id"], new_sku or sku)
        quantities = self._quantities(changes.get("stock") or {})
        expiry = self._expiries(changes.get("expiry") or {})
        events: list[dict[str, Any]] = []
        try:
            with self.session() as session:
                item = self._get(session, sku)
                # The version check and the bump are one conditional UPDATE: two editors
                # holding the same version cannot both win.
                bumped = session.execute(
                    update(Item)
                    .where(Item.id == item.id, Item.version == version)
                    .values(**values, version=Item.version + 1, updated_at=utcnow())
                    .returning(Item.version)
                ).scalar()
                if bumped is None:
                    session.rollback()
                    raise VersionMismatch(
                        f"{sku} was changed by someone else; here is the current item",
                        item=self._item_out(session, self._get(session, sku)),
                    )
                session.expire(item)
                if new_sku:
                    for table in (Adjustment, Movement):
                        session.execute(update(table).where(table.sku == sku).values(sku=new_sku))
                for loc, when in expiry.items():
                    session.execute(
                        update(Stock).where(Stock.item_pk == item.id, Stock.location == loc).values(expiry=when)
                    )
                if quantities:
                    events = self._set_quantities(session, item, quantities, username, "ui", bump=False)
                out = self._item_out(session, item)
        except IntegrityError:
            raise self._duplicate_item(new_sku, values.get("item_id", "")) from None
        for event in events:
            self.emit("inventory.changed", {**event, "version": out["version"], "total": out["total"]})
        self.emit("inventory.item", {"action": "updated", "sku": sku, "item": out, "by": username})
        return out

    def delete_item(self, sku: str, version: int | None, user: Any, *, force: bool = False) -> None:
        """Delete an item (its history stays). Refused while it holds stock unless ``force``."""
        username = username_of(user)
        with self.session() as session:
            item = self._get(session, sku)
            if version is not None and version != item.version:
                raise VersionMismatch(
                    f"{sku} was changed by someone else; here is the current item",
                    item=self._item_out(session, item),
                )
            total = session.scalar(select(func.coalesce(func.sum(Stock.quantity), 0)).where(Stock.item_pk == item.id))
            if total and not force:
                raise Conflict(
                    f"{sku} still holds {total} units: adjust them out first, or delete with force",
                    total=total,
                )
            session.delete(item)
        self.emit("inventory.item", {"action": "deleted", "sku": sku, "by": username})

    # -- adjusting stock ---------------------------------------------------------------
    def signed_quantity(self, quantity: int, reason_name: str) -> tuple[int, str]:
        """The signed change and the configured reason name. A stock-out reason removes and
        a stock-in reason adds whatever the sign of ``quantity``, except that a negative
        quantity with a stock-in reason is refused as a contradiction."""
        reason = self.settings.reason(reason_name or "")
        if reason is None:
            names = ", ".join(r.name for r in self.settings.reasons)
            raise Invalid(f"unknown reason {reason_name!r}; use one of: {names}", field="reason")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity == 0:
            raise Invalid("the quantity must be a whole number other than 0", field="quantity")
        if abs(quantity) > MAX_QUANTITY:
            raise Invalid(f"the quantity must be at most {MAX_QUANTITY}", field="quantity")
        if reason.sign == "out":
            return -abs(quantity), reason.name
        if reason.sign == "in":
            if quantity < 0:
                raise Invalid(f"{reason.name} adds stock: the quantity must be positive", field="quantity")
            return quantity, reason.name
        return quantity, reason.name

    def adjust(
        self,
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
        """Change an item's stock by ``quantity`` (signed by the reason) in one transaction.

        ``location="auto"`` removes from the locations in order and adds to the first. Not
        enough stock raises InsufficientStock with the breakdown and changes nothing. With a
        ``client_id`` seen before, nothing changes and the original result comes back with
        ``duplicate: true``. Returns ``{id, sku, movements: [{location, delta,
        quantity_after}], total_after, stock, version, ...}``.
        """
        username = username_of(user)
        delta, reason_name = self.signed_quantity(quantity, reason)
        location = (location or "auto").strip()
        if location != "auto" and location not in self.settings.location_ids:
            raise Invalid(
                f"unknown location {location!r}; use 'auto' or one of: {', '.join(self.settings.location_ids)}",
                field="location",
            )
        if source not in SOURCES:
            raise Invalid(f"unknown source {source!r}; use one of: {', '.join(SOURCES)}", field="source")
        client_id = (client_id or "").strip() or None
        if client_id is not None and len(client_id) > 100:
            raise Invalid("client_id must be at most 100 characters", field="client_id")
        try:
            with self.session() as session:
                conn = session.connection()
                found = self._lock_item(conn, code)
                if found is None:
                    raise ItemNotFound(f"no item has the SKU or barcode {clean_code(code)!r}")
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
                    "note": (note or "")[:500],
                    "created_at": utcnow(),
                }
                rows = self._lock(conn, item_pk)
                result = self._move(conn, rows, header, delta, location, version)
        except IntegrityError:
            if client_id is None:
                raise
            original = self.adjustment_by_client_id(client_id)
            if original is None:  # not a duplicate after all: a real error
                raise
            return {**original, "duplicate": True}
        for event in result.pop("_events"):
            self.emit("inventory.changed", event)
        return result

    def adjustment_by_client_id(self, client_id: str) -> dict[str, Any] | None:
        with self.session(readonly=True) as session:
            conn = session.connection()
            header = conn.execute(_HEADER_BY_CLIENT_ID, {"client_id": client_id}).mappings().first()
            if header is None:
                return None
            moves = conn.execute(_MOVES_OF, {"adjustment_id": header["id"]}).mappings().all()
            return self._result(header, moves, total_after=header["total_after"], stock=None, version=None)

    def _result(
        self,
        header: Mapping[str, Any],
        moves: Iterable[Mapping[str, Any]],
        *,
        total_after: int | None,
        stock: dict[str, int] | None,
        version: int | None,
    ) -> dict[str, Any]:
        return {
            "id": header["id"],
            "sku": header["sku"],
            "quantity": header["quantity"],
            "reason": header["reason"],
            "location": header["location"],
            "source": header["source"],
            "by": header["username"],
            "client_id": header["client_id"],
            "created_at": iso(header["created_at"]),
            "movements": [
                {"location": m["location"], "delta": m["delta"], "quantity_after": m["quantity_after"]} for m in moves
            ],
            "total_after": total_after,
            "stock": stock,
            "version": version,
            "duplicate": False,
        }

    def _lock_item(self, conn: Connection, code: str) -> tuple[int, str, int] | None:
        """Find the item a scanned code names (see :meth:`_find`), lock its row and bump its
        version in one statement: ``(pk, sku, new version)``, or None when there is none.
        The item row is always locked first, so concurrent changes of one item queue up."""
        code = clean_code(code)
        if not code:
            return None
        now = utcnow()
        row = conn.execute(_BUMP_BY_SKU, {"b_sku": code, "now": now}).first()
        if row is None:
            pk = self._find_pk(conn, code, sku_tried=True)
            if pk is None:
                return None
            row = conn.execute(_BUMP_BY_ID, {"pk": pk, "now": now}).first()
            if row is None:  # deleted meanwhile
                return None
        return row[0], row[1], row[2]

    def _find_pk(self, conn: Connection, code: str, *, sku_tried: bool = False) -> int | None:
        """The id of the item :meth:`_find` would answer for ``code`` (already cleaned)."""
        if not sku_tried:
            pk = conn.execute(_PK_BY_SKU, {"code": code}).scalar()
            if pk is not None:
                return int(pk)
        pk = conn.execute(_PK_BY_ITEM_ID, {"code": code}).scalar()
        if pk is None:
            pk = conn.execute(_PK_BY_UPPER_SKU, {"code": code.upper()}).scalar()
        if pk is None:
            base = base_sku(code, variant_pattern(self.settings.variant_suffixes))
            if base != code:
                return self._find_pk(conn, base)
            return None
        return int(pk)

    def _lock(self, conn: Connection, item_pk: int) -> dict[str, tuple[int, int]]:
        """Lock the item's stock rows (the caller holds the item row lock already), in the
        order of their ids, and read them in the same round trip; create rows for newly
        configured locations. Returns ``{location: (stock id, quantity)}``."""
        rows: dict[str, tuple[int, int]] = {
            loc: (pk, quantity) for pk, loc, quantity in conn.execute(_LOCK_STOCK, {"item_pk": item_pk})
        }
        for loc in self.settings.location_ids:
            if loc not in rows:  # safe: the item row lock keeps other writers out
                pk = conn.execute(_NEW_STOCK, {"item_pk": item_pk, "location": loc}).scalar_one()
                rows[loc] = (pk, 0)
        return rows

    def _plan(self, rows: dict[str, tuple[int, int]], delta: int, location: str, sku: str) -> list[tuple[str, int]]:
        """Which location changes by how much; InsufficientStock when the stock is short."""
        order = self.settings.location_ids
        if delta > 0:
            return [(order[0] if location == "auto" else location, delta)]
        need = -delta
        available = {loc: rows[loc][1] for loc in order}
        total = sum(available.values())
        candidates = order if location == "auto" else [location]
        plan: list[tuple[str, int]] = []
        for loc in candidates:
            take = min(available[loc], need - sum(-d for _, d in plan))
            if take > 0:
                plan.append((loc, -take))
        if sum(-d for _, d in plan) < need:
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
        return plan

    def _move(
        self,
        conn: Connection,
        rows: dict[str, tuple[int, int]],
        header: dict[str, Any],
        delta: int,
        location: str,
        version: int | None,
    ) -> dict[str, Any]:
        """Record the adjustment ``header`` (its column values) and change the locked stock
        ``rows`` by ``delta``; ``rows`` is updated to the new quantities."""
        sku = header["sku"]
        try:
            plan = self._plan(rows, delta, location, sku)
        except InsufficientStock:
            if header["client_id"] is not None:
                # A client_id seen before answers its original result, not this shortage:
                # the insert fails on the unique client_id (and the transaction rolls back).
                conn.execute(_INSERT_HEADER, {**header, "total_after": None})
            raise
        quantities = {loc: rows[loc][1] for loc in self.settings.location_ids}
        total = sum(quantities.values()) + delta
        # Insert first: a client_id seen before fails here, before any stock moves.
        header["id"] = conn.execute(_INSERT_HEADER, {**header, "total_after": total}).scalar_one()
        header["total_after"] = total
        moves = []
        for loc, change in plan:
            stock_pk = rows[loc][0]
            # Conditional even under the lock: the database itself never lets stock go negative.
            after = conn.execute(_CHANGE_STOCK, {"pk": stock_pk, "change": change}).scalar()
            if after is None:
                raise InsufficientStock(f"not enough stock of {sku} at {loc}", sku=sku)
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
        stock = quantities
        result = self._result(header, moves, total_after=total, stock=stock, version=version)
        result["_events"] = [
            {
                "sku": sku,
                "location": m["location"],
                "quantity": m["quantity_after"],
                "delta": m["delta"],
                "total": total,
                "stock": stock,
                "version": version,
                "by": header["username"],
                "reason": header["reason"],
                "source": header["source"],
                "adjustment_id": header["id"],
            }
            for m in moves
        ]
        return result

    def _set_quantities(
        self,
        session: Session,
        item: Item,
        quantities: dict[str, int],
        username: str,
        source: str,
        *,
        bump: bool = True,
    ) -> list[dict[str, Any]]:
        """Set absolute quantities under the item lock; each difference becomes a correction."""
        item_pk, sku = item.id, item.sku
        conn = session.connection()
        if bump and conn.execute(_BUMP_BY_ID, {"pk": item_pk, "now": utcnow()}).first() is None:
            raise ItemNotFound(f"there is no item with SKU {sku!r}")
        rows = self._lock(conn, item_pk)
        changes = [(loc, target - rows[loc][1]) for loc, target in quantities.items()]
        changes = [(loc, delta) for loc, delta in changes if delta]
        if not changes:
            return []
        version = conn.execute(_VERSION_OF, {"pk": item_pk}).scalar()
        events = []
        for loc, delta in changes:
            header = {
                "client_id": None,
                "item_pk": item_pk,
                "sku": sku,
                "quantity": delta,
                "reason": self.settings.correction_reason,
                "location": loc,
                "source": source,
                "username": username,
                "note": f"set to {quantities[loc]}",
                "created_at": utcnow(),
            }
            result = self._move(conn, rows, header, delta, loc, version)
            events.extend(result["_events"])
        # The stock changed behind the ORM's back: loaded rows of this item read afresh.
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Stock) and obj.item_pk == item_pk:
                session.expire(obj)
        return events

    # -- scanner batches ----------------------------------------------------------------
    def apply_batch(self, entries: list[Any], user: Any) -> list[dict[str, Any]]:
        """Apply scanner entries one by one (each its own transaction). A client_id is applied
        once, ever: sent again it answers ``duplicate``. Bad entries answer ``error``."""
        settings = self.settings
        if len(entries) > settings.max_batch:
            raise Invalid(f"a batch holds at most {settings.max_batch} entries; send the rest in another")
        results = []
        for index, entry in enumerate(entries):
            client_id = entry.get("client_id") if isinstance(entry, dict) else None
            answer: dict[str, Any] = {"client_id": client_id}
            try:
                if not isinstance(entry, dict):
                    raise Invalid(f"entry {index} is not an object")
                if not isinstance(client_id, str) or not client_id.strip():
                    raise Invalid(f"entry {index} has no client_id")
                code = entry.get("code")
                if not isinstance(code, str) or not clean_code(code):
                    raise Invalid("the code is empty")
                quantity = entry.get("quantity", 1)
                result = self.adjust(
                    code,
                    quantity,
                    entry.get("reason") or settings.batch_default_reason,
                    entry.get("location") or "auto",
                    user=user,
                    source="scanner",
                    client_id=client_id,
                )
            except (Invalid, ItemNotFound, InsufficientStock) as exc:
                answer.update(status="error", message=exc.message)
                if isinstance(exc, InsufficientStock):
                    answer["stock"] = exc.fields.get("stock")
            else:
                if result["duplicate"]:
                    answer.update(status="duplicate", message=f"already applied as adjustment {result['id']}")
                else:
                    answer.update(status="applied", message=f"{result['sku']} now {result['total_after']}")
                answer["adjustment"] = result
            results.append(answer)
        return results

    # -- catalogue import -------------------------------------------------------------
    def import_catalogue(self, text: str, *, dry_run: bool, user: Any) -> dict[str, Any]:
        """Upsert items by SKU from a catalogue CSV (see :mod:`rm365_inventory.catalogue`).
        Good rows are applied even when others have errors; ``dry_run`` changes nothing."""
        from .catalogue import parse_catalogue

        username = username_of(user)
        catalogue = parse_catalogue(text, self.settings)
        entries = list(catalogue.entries.values())
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        changes: list[dict[str, Any]] = []
        with self.session(readonly=dry_run) as session:
            existing: dict[str, Item] = {}
            taken: dict[str, str] = {}  # item_id -> sku, for the barcodes this file uses
            wanted_ids = {e.item_id or derive_item_id(e.sku) for e in entries}
            skus = [e.sku for e in entries]
            for start in range(0, len(skus), 500):
                for item in session.scalars(select(Item).where(Item.sku.in_(skus[start : start + 500]))):
                    existing[item.sku] = item
            ids = list(wanted_ids)
            for start in range(0, len(ids), 500):
                for sku, item_id in session.execute(
                    select(Item.sku, Item.item_id).where(Item.item_id.in_(ids[start : start + 500]))
                ):
                    taken[item_id] = sku
            new_items: list[Item] = []
            for entry in entries:
                item = existing.get(entry.sku)
                if item is None:
                    if not entry.name:
                        catalogue.error(entry.row, "name", "a new item needs a name", entry.sku)
                        continue
                    item_id = entry.item_id or derive_item_id(entry.sku)
                    if taken.get(item_id, entry.sku) != entry.sku:
                        catalogue.error(
                            entry.row, "item_id", f"barcode {item_id} is used by {taken[item_id]}", entry.sku
                        )
                        continue
                    taken[item_id] = entry.sku
                    counts["created"] += 1
                    changes.append({"sku": entry.sku, "action": "created", "row": entry.row})
                    new_items.append(
                        Item(
                            sku=entry.sku,
                            item_id=item_id,
                            name=entry.name,
                            status=entry.status or self.settings.default_status,
                            notes="",
                        )
                    )
                    continue
                fields = {}
                if entry.name and entry.primary and entry.name != item.name:
                    fields["name"] = entry.name
                if entry.status and entry.status != item.status:
                    fields["status"] = entry.status
                if entry.item_id and entry.item_id != item.item_id:
                    if taken.get(entry.item_id, entry.sku) != entry.sku:
                        catalogue.error(
                            entry.row,
                            "item_id",
                            f"barcode {entry.item_id} is used by {taken[entry.item_id]}",
                            entry.sku,
                        )
                        continue
                    taken[entry.item_id] = entry.sku
                    fields["item_id"] = entry.item_id
                if not fields:
                    counts["unchanged"] += 1
                    continue
                counts["updated"] += 1
                changes.append({"sku": entry.sku, "action": "updated", "row": entry.row, "fields": sorted(fields)})
                if not dry_run:
                    session.execute(
                        update(Item)
                        .where(Item.id == item.id)
                        .values(**fields, version=Item.version + 1, updated_at=utcnow())
                    )
            if not dry_run and new_items:
                session.add_all(new_items)
                session.flush()
                session.add_all(
                    Stock(item_pk=item.id, location=loc, quantity=0)
                    for item in new_items
                    for loc in self.settings.location_ids
                )
        catalogue.errors.sort(key=lambda e: e["row"])
        result = {
            "dry_run": dry_run,
            "rows": catalogue.rows,
            **counts,
            "folded": catalogue.folded,
            "excluded": catalogue.excluded,
            "errors": catalogue.errors,
            "changes": changes[:500],
        }
        if not dry_run and (counts["created"] or counts["updated"]):
            self.emit(
                "inventory.imported", {"created": counts["created"], "updated": counts["updated"], "by": username}
            )
        return result
