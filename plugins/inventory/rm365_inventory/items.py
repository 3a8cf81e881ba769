"""Item editing: create, change (guarded by the version the editor read) and delete items.
Quantities set here are recorded as corrections by the stock engine."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from rm365_core import utcnow

from .codes import derive_item_id, printable, sku_problem, valid_item_id
from .context import Context, announce, username_of
from .engine import MAX_QUANTITY, set_quantities
from .errors import Conflict, Invalid, VersionMismatch, VersionRequired
from .models import Adjustment, Item, Movement, Stock
from .views import get_item, item_out

#: Versions are stored as 32-bit integers: anything larger cannot be a version we gave out.
MAX_VERSION = 2**31 - 1


def check_sku(raw: Any) -> str:
    """A SKU as stored: stripped, at most 64 characters, nothing invisible or ambiguous."""
    if not isinstance(raw, str):
        raise Invalid("the SKU must be text", field="sku")
    sku = raw.strip()
    problem = sku_problem(sku)
    if problem is not None:
        raise Invalid(problem, field="sku")
    return sku


def check_text(value: Any, field: str, limit: int, *, required: bool = False) -> str:
    """Text for a stored field: no control characters, at most ``limit`` characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"{field} must be text", field=field)
    value = value.strip() if required else value
    if required and not value:
        raise Invalid(f"the {field} is empty", field=field)
    if not printable(value):
        raise Invalid(f"the {field} cannot hold control characters", field=field)
    return value[:limit]


def check_version(version: Any) -> int:
    if version is None:
        raise VersionRequired(
            "send the version you edited in an If-Match header (or as 'version' in the body)", field="version"
        )
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise Invalid(f"the version must be a whole number from 1 to {MAX_VERSION}", field="version")
    return version


def _status(ctx: Context, value: str | None) -> str:
    settings = ctx.settings
    if value is None or not value.strip():
        return settings.default_status
    status = settings.status(value)
    if status is None:
        raise Invalid(f"unknown status {value!r}; use one of: {', '.join(settings.statuses)}", field="status")
    return status


def _item_id(value: str | None, sku: str) -> str:
    if value is None or not value.strip():
        return derive_item_id(sku)
    value = value.strip()
    if not valid_item_id(value):
        raise Invalid("item_id must be 1 to 32 letters, digits or dashes", field="item_id")
    return value


def quantities(ctx: Context, raw: dict[str, Any]) -> dict[str, int]:
    locations = ctx.settings.location_ids
    result: dict[str, int] = {}
    for loc, qty in raw.items():
        if loc not in locations:
            raise Invalid(f"unknown location {loc!r}; use one of: {', '.join(locations)}", field="stock")
        if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= MAX_QUANTITY:
            raise Invalid(f"the quantity at {loc} must be a whole number from 0 to {MAX_QUANTITY}", field="stock")
        result[loc] = qty
    return result


def expiries(ctx: Context, raw: dict[str, Any]) -> dict[str, date | None]:
    allowed = {loc.id for loc in ctx.settings.locations if loc.expiry}
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


def duplicate_item(ctx: Context, sku: str | None, item_id: str) -> Conflict:
    """Which unique value a failed insert or update collided with (``sku``: the SKU that was
    being written, None when it was not)."""
    if sku is not None:
        with ctx.session(readonly=True) as session:
            other = session.scalar(select(Item.sku).where(func.lower(Item.sku) == sku.lower()))
            if other is not None:
                same = "" if other == sku else f" (as {other!r}: SKUs are the same whatever the case)"
                return Conflict(f"an item with SKU {sku!r} already exists{same}", field="sku", sku=other)
    return Conflict(f"the barcode {item_id!r} is already used by another item", field="item_id")


def create_item(ctx: Context, data: dict[str, Any], user: Any, *, source: str = "ui") -> dict[str, Any]:
    """A new item with zero stock everywhere, or the given opening ``stock`` (recorded as
    correction movements)."""
    username = username_of(user)
    sku = check_sku(data.get("sku", ""))
    name = check_text(data.get("name"), "name", 255, required=True)
    notes = check_text(data.get("notes"), "notes", 10_000)
    item_id = _item_id(data.get("item_id"), sku)
    status = _status(ctx, data.get("status"))
    opening = quantities(ctx, data.get("stock") or {})
    expiry = expiries(ctx, data.get("expiry") or {})
    try:
        with ctx.session() as session:
            now = utcnow()
            item = Item(created_at=now, updated_at=now, sku=sku, item_id=item_id, name=name, status=status, notes=notes)
            session.add(item)
            session.flush()
            for loc in ctx.settings.location_ids:
                session.add(Stock(item_pk=item.id, location=loc, quantity=0, expiry=expiry.get(loc)))
            session.flush()
            if any(opening.values()):
                set_quantities(ctx, session, item, opening, username, source, bump=False)
            out = item_out(ctx, session, item)
            announce(session, "inventory.item", {"action": "created", "sku": sku, "item": out, "by": username})
    except IntegrityError:
        raise duplicate_item(ctx, sku, item_id) from None
    return out


def update_item(ctx: Context, sku: str, changes: dict[str, Any], version: Any, user: Any) -> dict[str, Any]:
    """Change an item if ``version`` is still current (else VersionMismatch with the current
    item). ``stock`` sets quantities: the difference is recorded as a correction."""
    username = username_of(user)
    version = check_version(version)
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = check_text(changes["name"], "name", 255, required=True)
    if "status" in changes:
        values["status"] = _status(ctx, changes["status"])
    if "notes" in changes:
        values["notes"] = check_text(changes["notes"], "notes", 10_000)
    new_sku = None
    if changes.get("sku") not in (None, sku):
        new_sku = check_sku(changes["sku"])
        values["sku"] = new_sku
    if "item_id" in changes:
        values["item_id"] = _item_id(changes["item_id"], new_sku or sku)
    wanted = quantities(ctx, changes.get("stock") or {})
    expiry = expiries(ctx, changes.get("expiry") or {})
    try:
        with ctx.session() as session:
            item = get_item(session, sku)
            # The version check and the bump are one conditional UPDATE: two editors holding
            # the same version cannot both win.
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
                    item=item_out(ctx, session, get_item(session, sku)),
                )
            session.expire(item)
            if new_sku:
                for table in (Adjustment, Movement):
                    session.execute(update(table).where(table.sku == sku).values(sku=new_sku))
            for loc, when in expiry.items():
                session.execute(
                    update(Stock).where(Stock.item_pk == item.id, Stock.location == loc).values(expiry=when)
                )
            events = set_quantities(ctx, session, item, wanted, username, "ui", bump=False) if wanted else []
            out = item_out(ctx, session, item)
            for event in events:
                announce(session, "inventory.changed", {**event, "version": out["version"], "total": out["total"]})
            announce(session, "inventory.item", {"action": "updated", "sku": sku, "item": out, "by": username})
    except IntegrityError:
        raise duplicate_item(ctx, new_sku, values.get("item_id", "")) from None
    return out


def delete_item(ctx: Context, sku: str, version: int | None, user: Any, *, force: bool = False) -> None:
    """Delete an item (its history stays). Refused while it holds stock unless ``force``."""
    username = username_of(user)
    if version is not None:
        version = check_version(version)
    with ctx.session() as session:
        item = get_item(session, sku)
        if version is not None and version != item.version:
            raise VersionMismatch(
                f"{sku} was changed by someone else; here is the current item", item=item_out(ctx, session, item)
            )
        total = session.scalar(select(func.coalesce(func.sum(Stock.quantity), 0)).where(Stock.item_pk == item.id))
        if total and not force:
            raise Conflict(f"{sku} still holds {total} units: adjust them out first, or delete with force", total=total)
        session.delete(item)
        announce(session, "inventory.item", {"action": "deleted", "sku": sku, "by": username})
