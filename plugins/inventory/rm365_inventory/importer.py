"""Catalogue import: upsert items by SKU (whatever its case) from a catalogue CSV read by
:mod:`rm365_inventory.catalogue`. Good rows are applied even when others have errors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from rm365_core import utcnow

from .catalogue import parse_catalogue
from .codes import derive_item_id
from .context import Context, announce, username_of
from .errors import Conflict
from .models import Item, Stock

CHUNK = 500


def import_catalogue(ctx: Context, text: str, *, dry_run: bool, user: Any) -> dict[str, Any]:
    """Upsert items from a catalogue CSV; ``dry_run`` reports the same and changes nothing."""
    username = username_of(user)
    settings = ctx.settings
    catalogue = parse_catalogue(text, settings)
    entries = list(catalogue.entries.values())
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    changes: list[dict[str, Any]] = []
    try:
        with ctx.session(readonly=dry_run) as session:
            existing: dict[str, Item] = {}  # by lower-cased SKU
            taken: dict[str, str] = {}  # item_id -> sku, for the barcodes this file uses
            keys = [e.sku.lower() for e in entries]
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start : start + CHUNK]
                for found in session.scalars(select(Item).where(func.lower(Item.sku).in_(chunk))):
                    existing[found.sku.lower()] = found
            ids = list({e.item_id or derive_item_id(e.sku) for e in entries})
            for start in range(0, len(ids), CHUNK):
                for sku, item_id in session.execute(
                    select(Item.sku, Item.item_id).where(Item.item_id.in_(ids[start : start + CHUNK]))
                ):
                    taken[item_id] = sku
            new_items: list[Item] = []
            for entry in entries:
                item = existing.get(entry.sku.lower())
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
                            status=entry.status or settings.default_status,
                            notes="",
                        )
                    )
                    continue
                fields: dict[str, Any] = {}
                if entry.name and entry.primary and entry.name != item.name:
                    fields["name"] = entry.name
                if entry.status and entry.status != item.status:
                    fields["status"] = entry.status
                if entry.item_id and entry.item_id != item.item_id:
                    if taken.get(entry.item_id, item.sku) != item.sku:
                        catalogue.error(
                            entry.row, "item_id", f"barcode {entry.item_id} is used by {taken[entry.item_id]}", item.sku
                        )
                        continue
                    taken[entry.item_id] = item.sku
                    fields["item_id"] = entry.item_id
                if not fields:
                    counts["unchanged"] += 1
                    continue
                counts["updated"] += 1
                changes.append({"sku": item.sku, "action": "updated", "row": entry.row, "fields": sorted(fields)})
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
                    Stock(item_pk=new.id, location=loc, quantity=0)
                    for new in new_items
                    for loc in settings.location_ids
                )
            if not dry_run and (counts["created"] or counts["updated"]):
                announce(
                    session,
                    "inventory.imported",
                    {"created": counts["created"], "updated": counts["updated"], "by": username},
                )
    except IntegrityError:
        raise Conflict(
            "items changed while the file was imported (a SKU or barcode is now taken); import it again"
        ) from None
    catalogue.errors.sort(key=lambda e: e["row"])
    return {
        "dry_run": dry_run,
        "rows": catalogue.rows,
        **counts,
        "folded": catalogue.folded,
        "excluded": catalogue.excluded,
        "errors": catalogue.errors,
        "changes": changes[:500],
    }
