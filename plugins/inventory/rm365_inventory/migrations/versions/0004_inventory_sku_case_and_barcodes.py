"""SKUs unique whatever their case; barcodes derived from the SKU as the printed labels have them.

One unique index on ``lower(sku)`` (and a plain one on ``lower(item_id)`` for scans in any case).
Barcodes that the old rule derived (SHA-256 of the upper-cased SKU, first 16 bytes) are derived
again with the rule of the labels already printed: ``700000000000000000 +
int(sha256(sku.encode("utf-8")).hexdigest(), 16) % 10**17`` on the SKU exactly as stored. A
barcode typed in by hand is left alone, and so is one whose new value another item already has.

Revision ID: 0004_inventory
Revises: 0003_inventory
Create Date: 2026-12-02 21:10:00
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_inventory"
down_revision: str | Sequence[str] | None = "0003_inventory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_items = sa.table(
    "inventory_items", sa.column("id", sa.Integer), sa.column("sku", sa.String), sa.column("item_id", sa.String)
)


def _old_item_id(sku: str) -> str:
    number = int.from_bytes(hashlib.sha256(sku.strip().upper().encode("utf-8")).digest()[:16], "big")
    return "7" + str(number % 10**17).zfill(17)


def _new_item_id(sku: str) -> str:
    return str(700_000_000_000_000_000 + int(hashlib.sha256(sku.encode("utf-8")).hexdigest(), 16) % 10**17)


def upgrade() -> None:
    bind = op.get_bind()
    clashes = bind.execute(
        sa.text(
            "SELECT lower(sku) AS folded, count(*) AS n FROM inventory_items GROUP BY lower(sku) HAVING count(*) > 1"
        )
    ).all()
    if clashes:
        names = ", ".join(row.folded for row in clashes[:20])
        raise RuntimeError(
            f"{len(clashes)} SKUs exist in several cases ({names}); SKUs are now the same whatever the case: "
            "rename or merge those items, then upgrade again"
        )
    rows = bind.execute(sa.select(_items.c.id, _items.c.sku, _items.c.item_id)).all()
    used = {row.item_id for row in rows}
    for row in rows:
        if row.item_id != _old_item_id(row.sku):
            continue
        new = _new_item_id(row.sku)
        if new in used:
            continue
        bind.execute(sa.update(_items).where(_items.c.id == row.id).values(item_id=new))
        used.discard(row.item_id)
        used.add(new)
    op.create_index("uq_inventory_items_sku_lower", "inventory_items", [sa.text("lower(sku)")], unique=True)
    op.create_index("ix_inventory_items_item_id_lower", "inventory_items", [sa.text("lower(item_id)")])


def downgrade() -> None:
    op.drop_index("ix_inventory_items_item_id_lower", table_name="inventory_items")
    op.drop_index("uq_inventory_items_sku_lower", table_name="inventory_items")
