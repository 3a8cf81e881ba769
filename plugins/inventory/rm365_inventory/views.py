"""Items and adjustments as the API, the events and the ``inventory.stock`` service show them
(JSON-ready: times as ISO text in UTC): stock per configured location, totals, expiry dates,
demand with a stock status, movements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .codes import base_sku, clean_code, printable
from .context import Context
from .demand import classify
from .errors import ItemNotFound
from .models import Item, Stock


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def find_item(ctx: Context, session: Session, code: str) -> Item | None:
    """The item a scanned code names: the SKU, then the label barcode, then the SKU or barcode
    in any case (SKUs are unique regardless of case; of barcodes differing only in case the
    oldest item wins), then the base of a variant SKU."""
    code = clean_code(code)
    if not code or not printable(code):
        return None
    item = session.scalar(select(Item).where(Item.sku == code))
    if item is None:
        item = session.scalar(select(Item).where(Item.item_id == code))
    if item is None:
        item = session.scalar(select(Item).where(func.lower(Item.sku) == code.lower()))
    if item is None:
        item = session.scalar(select(Item).where(func.lower(Item.item_id) == code.lower()).order_by(Item.id).limit(1))
    if item is None:
        base = base_sku(code, ctx.variants)
        if base != code:
            return find_item(ctx, session, base)
    return item


def get_item(session: Session, sku: str) -> Item:
    """The item with exactly this SKU, or ItemNotFound."""
    item = session.scalar(select(Item).where(Item.sku == sku)) if printable(sku) else None
    if item is None:
        raise ItemNotFound(f"there is no item with SKU {sku!r}", field="sku")
    return item


def stock_rows(session: Session, pks: Iterable[int]) -> dict[int, dict[str, Stock]]:
    rows: dict[int, dict[str, Stock]] = {}
    pks = list(pks)
    if not pks:
        return rows
    for stock in session.scalars(select(Stock).where(Stock.item_pk.in_(pks))):
        rows.setdefault(stock.item_pk, {})[stock.location] = stock
    return rows


def describe(
    ctx: Context,
    items: list[Item],
    stock: dict[int, dict[str, Stock]],
    demand: dict[str, dict[str, int]] | None,
) -> list[dict[str, Any]]:
    """Items as the API shows them: stock per configured location, total, and demand with a
    stock status when the salesdata plugin is there (absent otherwise)."""
    settings = ctx.settings
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
                loc.id: _iso(rows[loc.id].expiry) if loc.id in rows else None
                for loc in settings.locations
                if loc.expiry
            },
            "total": total,
            "version": item.version,
            "created_at": item.created_at.isoformat(),
            "updated_at": item.updated_at.isoformat(),
        }
        if demand is not None:
            regions = demand.get(item.sku, {})
            data["demand"] = regions
            data["demand_total"] = sum(regions.values())
            data["stock_status"] = classify(total, data["demand_total"], settings.low_factor, settings.over_factor)
        out.append(data)
    return out


def item_out(ctx: Context, session: Session, item: Item) -> dict[str, Any]:
    """One item as the API shows it."""
    return describe(ctx, [item], stock_rows(session, [item.id]), ctx.demand([item.sku]))[0]


def adjustment_out(
    header: Mapping[Any, Any],
    moves: Iterable[Mapping[Any, Any]],
    *,
    total_after: int | None,
    stock: dict[str, int] | None,
    version: int | None,
) -> dict[str, Any]:
    """An adjustment as the API shows it: what was asked, what moved where, what it left."""
    return {
        "id": header["id"],
        "sku": header["sku"],
        "quantity": header["quantity"],
        "reason": header["reason"],
        "location": header["location"],
        "source": header["source"],
        "by": header["username"],
        "client_id": header["client_id"],
        "created_at": header["created_at"].isoformat(),
        "movements": [
            {"location": m["location"], "delta": m["delta"], "quantity_after": m["quantity_after"]} for m in moves
        ],
        "total_after": total_after,
        "stock": stock,
        "version": version,
        "duplicate": False,
    }
