"""The ``inventory.stock`` service: the one door other plugins (magento, labels, salesdata)
and this plugin's API and CLI use. It keeps no rules of its own; they live in
:mod:`~rm365_inventory.engine` (stock changes), :mod:`~rm365_inventory.items` (item edits),
:mod:`~rm365_inventory.views` (shapes), :mod:`~rm365_inventory.batches` (scanner batches) and
:mod:`~rm365_inventory.importer` (catalogue import). Errors are the
:mod:`rm365_inventory.errors` family (``rm365_core.DomainError`` subclasses)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from . import batches, engine, importer, items, views
from .codes import clean_code, printable
from .context import DB, ROOMS, SOURCES, Context
from .errors import Invalid, ItemNotFound
from .models import Item

__all__ = ["DB", "ROOMS", "SOURCES", "StockService"]

#: At most this many SKUs or item_ids per lookup call.
MAX_LOOKUP = 1000


class StockService(Context):
    """Items and stock. Every method opens (and commits) its own transaction; events go to
    the inventory screens after the commit.

    From another plugin: ``stock = kernel.services.get("inventory.stock")``, then

    - ``stock.adjust(code, quantity, reason, location="auto", *, user, source="pick",
      client_id=None, note="")`` changes stock (see :meth:`adjust`);
    - ``stock.stock(code)`` reads ``{sku, item_id, stock, total}``;
    - ``stock.resolve(code)`` gives the SKU a scanned code names, or None;
    - ``stock.find_item(code)`` gives the whole item, or None;
    - ``stock.names(skus)`` and ``stock.item_ids(skus)`` look up many SKUs at once;
    - ``stock.list_items(search=, statuses=, skus=, page=, size=)`` pages through items
      (SKU order) and ``stock.statuses()`` names the configured statuses.
    """

    # -- for other plugins ------------------------------------------------------------
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
        """Change the stock of the item ``code`` names (a SKU or item_id, any case, or a
        variant SKU) by ``quantity``, in one transaction.

        ``reason`` is a configured reason and sets the sign: ``Pick/Pack`` removes
        ``|quantity|``, ``Returned`` adds it, ``Correction`` takes the sign given.
        ``location="auto"`` removes from the locations in order and adds to the first.
        ``user`` is a principal or a name (recorded as who); ``source`` one of
        :data:`SOURCES`. Pass a ``client_id`` (up to 100 characters, e.g.
        ``"order-1001:line-2"``) to make retries safe: a client_id seen before changes nothing
        and answers the original result with ``duplicate: True``.

        Answers ``{id, sku, quantity, reason, location, source, by, client_id, created_at,
        movements: [{location, delta, quantity_after}], total_after, stock, version,
        duplicate}``. Raises ``ItemNotFound`` (unknown code), ``InsufficientStock`` (with
        ``fields["stock"]``; nothing changed) or ``Invalid`` (with ``fields["field"]``).
        """
        return engine.adjust(
            self, code, quantity, reason, location, user=user, source=source, client_id=client_id, note=note
        )

    def stock(self, code: str) -> dict[str, Any]:
        """``{sku, item_id, stock: {location: quantity}, total}`` of the item a SKU or item_id
        names (any case); ``ItemNotFound`` when none does."""
        item = self.find_item(code)
        if item is None:
            raise ItemNotFound(f"there is no item with SKU or barcode {code!r}", field="code")
        return {"sku": item["sku"], "item_id": item["item_id"], "stock": item["stock"], "total": item["total"]}

    def resolve(self, code: str) -> str | None:
        """The SKU (as stored) that a scanned or typed code names, or None. Tried in order: the
        exact SKU, the exact item_id, the SKU in any case (unique), the item_id in any case,
        then the base SKU of a variant (``BASE-MD2`` → ``BASE``)."""
        with self.session(readonly=True) as session:
            item = views.find_item(self, session, code)
            return None if item is None else item.sku

    def find_item(self, code: str) -> dict[str, Any] | None:
        """The whole item (as ``GET /items/{sku}`` answers it) a code names, or None."""
        with self.session(readonly=True) as session:
            item = views.find_item(self, session, code)
            return None if item is None else views.item_out(self, session, item)

    def names(self, skus: list[str]) -> dict[str, str]:
        """``{sku: name}`` for the SKUs that exist (exact SKUs, at most 1,000 per call)."""
        return {sku: name for sku, name, _ in self._lookup(skus)}

    def item_ids(self, skus: list[str]) -> dict[str, str]:
        """``{sku: item_id}`` (the label barcode) for the SKUs that exist, at most 1,000."""
        return {sku: item_id for sku, _, item_id in self._lookup(skus)}

    def statuses(self) -> list[str]:
        """The configured item statuses, in their configured order."""
        return list(self.settings.statuses)

    def list_items(
        self,
        *,
        search: str = "",
        statuses: list[str] | None = None,
        skus: list[str] | None = None,
        page: int = 1,
        size: int = 100,
    ) -> dict[str, Any]:
        """One page of items in SKU order (deterministic): ``{items: [{sku, name, item_id,
        status}], total, page, size}``. ``search`` matches SKU, name or barcode (any case);
        ``statuses`` keeps items in those statuses (any case); ``skus`` keeps exactly those
        SKUs (at most 1,000). ``size`` is 1 to 1,000. Raises ``Invalid`` (``field`` set) for
        an unknown status or a bad page or size."""
        if not 1 <= size <= MAX_LOOKUP:
            raise Invalid(f"size must be from 1 to {MAX_LOOKUP}", field="size")
        if not 1 <= page <= 100_000:
            raise Invalid("page must be from 1 to 100000", field="page")
        conditions: list[Any] = []
        if statuses:
            known = []
            for name in statuses:
                status = self.settings.status(name)
                if status is None:
                    raise Invalid(
                        f"unknown status {name!r}; use one of: {', '.join(self.settings.statuses)}", field="status"
                    )
                known.append(status)
            conditions.append(Item.status.in_(known))
        if skus is not None:
            wanted = [clean_code(s) for s in skus if isinstance(s, str) and clean_code(s)]
            if len(wanted) > MAX_LOOKUP:
                raise Invalid(f"look up at most {MAX_LOOKUP} SKUs per call", field="skus")
            conditions.append(Item.sku.in_(wanted))
        if not printable(search):
            raise Invalid("search cannot hold control characters", field="search")
        if search.strip():
            escaped = search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(Item.search_key.like(f"%{escaped}%", escape="\\"))
        with self.session(readonly=True) as session:
            total = session.scalar(select(func.count()).select_from(Item).where(*conditions)) or 0
            rows = session.execute(
                select(Item.sku, Item.name, Item.item_id, Item.status)
                .where(*conditions)
                .order_by(Item.sku)
                .limit(size)
                .offset((page - 1) * size)
            ).all()
        items = [
            {"sku": sku, "name": name, "item_id": item_id, "status": status} for sku, name, item_id, status in rows
        ]
        return {"items": items, "total": total, "page": page, "size": size}

    def _lookup(self, skus: list[str]) -> list[tuple[str, str, str]]:
        wanted = [clean_code(s) for s in skus if isinstance(s, str) and clean_code(s)]
        if len(wanted) > MAX_LOOKUP:
            raise ValueError(f"look up at most {MAX_LOOKUP} SKUs per call")
        if not wanted:
            return []
        with self.session(readonly=True) as session:
            rows = session.execute(select(Item.sku, Item.name, Item.item_id).where(Item.sku.in_(wanted)))
            return [(sku, name, item_id) for sku, name, item_id in rows]

    # -- for this plugin's API and CLI ------------------------------------------------
    def get_item(self, sku: str) -> dict[str, Any]:
        with self.session(readonly=True) as session:
            return views.item_out(self, session, views.get_item(session, sku))

    def create_item(self, data: dict[str, Any], user: Any, *, source: str = "ui") -> dict[str, Any]:
        return items.create_item(self, data, user, source=source)

    def update_item(self, sku: str, changes: dict[str, Any], version: Any, user: Any) -> dict[str, Any]:
        return items.update_item(self, sku, changes, version, user)

    def delete_item(self, sku: str, version: int | None, user: Any, *, force: bool = False) -> None:
        items.delete_item(self, sku, version, user, force=force)

    def apply_batch(self, entries: list[Any], user: Any) -> list[dict[str, Any]]:
        return batches.apply_batch(self, entries, user)

    def import_catalogue(self, text: str, *, dry_run: bool, user: Any) -> dict[str, Any]:
        return importer.import_catalogue(self, text, dry_run=dry_run, user=user)
