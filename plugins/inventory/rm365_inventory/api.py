"""HTTP routes of the inventory plugin, mounted at ``/api/v1/inventory``: parse, check the
tab, call the service, shape the answer. Every rule lives in the service; refusals are
``DomainError`` subclasses the kernel answers as ``{detail, ...fields}``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from rm365_core import Page, PageParams, Principal, body_limit, get_kernel, page_params, require_tab

from . import history, listing
from .catalogue import MAX_BYTES, decode_csv
from .demand import DEMAND_STATUSES, STOCK_STATUSES, demand_service
from .errors import Invalid, InventoryError, ItemNotFound
from .schemas import (
    MAX_VERSION,
    AdjustmentCreate,
    AdjustmentOut,
    BatchResult,
    ConfigOut,
    ImportOut,
    ItemCreate,
    ItemOut,
    ItemPage,
    ItemPatch,
    MovementOut,
    SummaryOut,
)
from .service import SOURCES, StockService

router = APIRouter(tags=["inventory"])

Manager = Annotated[Principal, Depends(require_tab("inventory.management"))]
Adjuster = Annotated[Principal, Depends(require_tab("inventory.adjustments"))]
#: Either page may read items, stock and history.
Reader = Annotated[Principal, Depends(require_tab("inventory.management", "inventory.adjustments"))]
Paging = Annotated[PageParams, Depends(page_params)]
_VERSION_RE = re.compile(r"^(?:W/)?\s*\"?([0-9]{1,10})\"?$")


def _service(kernel: Any = Depends(get_kernel)) -> StockService:
    service = kernel.services.get("inventory.stock")
    return service if isinstance(service, StockService) else StockService(kernel)


Service = Annotated[StockService, Depends(_service)]


def _version(if_match: str | None, body_version: int | None) -> int | None:
    """The version from ``If-Match: "3"`` (weak or bare forms too), else from the body."""
    if if_match is None or not if_match.strip():
        return body_version
    match = _VERSION_RE.match(if_match.strip())
    if match is None or not 1 <= int(match.group(1)) <= MAX_VERSION:
        raise InventoryError('If-Match must hold the item version you edited, e.g. "3"', field="If-Match")
    return int(match.group(1))


def _etag(item: dict[str, Any], response: Response) -> dict[str, Any]:
    response.headers["ETag"] = f'"{item["version"]}"'
    return item


# -- configuration ------------------------------------------------------------------------
@router.get("/config", response_model=ConfigOut)
def get_config(user: Reader, service: Service) -> dict[str, Any]:
    """Locations (in removal order), statuses, reasons with their sign, and whether demand
    (and so the low / normal / over stock statuses) is available."""
    settings = service.settings
    has_demand = demand_service(service.kernel) is not None
    return {
        "locations": [loc.model_dump() for loc in settings.locations],
        "statuses": settings.statuses,
        "default_status": settings.default_status,
        "reasons": [r.model_dump() for r in settings.reasons],
        "correction_reason": settings.correction_reason,
        "sources": list(SOURCES),
        "stock_statuses": [s for s in STOCK_STATUSES if has_demand or s not in DEMAND_STATUSES],
        "demand": has_demand,
        "max_page_size": settings.max_page_size,
        "max_batch": settings.max_batch,
        "can_manage": user.has_tab("inventory.management"),
        "can_adjust": user.has_tab("inventory.adjustments"),
    }


# -- items --------------------------------------------------------------------------------
@router.get("/items", response_model=ItemPage, response_model_exclude_unset=True)
def list_items(
    user: Reader,
    service: Service,
    paging: Paging,
    search: Annotated[str, Query(max_length=200, description="Part of a SKU, name or barcode")] = "",
    status: Annotated[str | None, Query(max_length=500, description="Status, or several separated by commas")] = None,
    stock_status: Annotated[
        str | None, Query(max_length=100, description="out, in_stock, low, normal, over (commas for several)")
    ] = None,
    sort: Annotated[
        str,
        Query(max_length=40, description="sku, name, status, item_id, total, a location id, updated_at; - reverses"),
    ] = "sku",
    after: Annotated[
        str | None, Query(max_length=1000, description="The next_after of the page before: the next page, by keyset")
    ] = None,
) -> dict[str, Any]:
    """A page of items; filtering, sorting and paging in SQL. Page on with ``after=`` (the
    ``next_after`` of this page): it stays fast however deep, and the total is not counted again."""
    return listing.list_items(
        service,
        search=search,
        status=status,
        stock_status=stock_status,
        page=paging.page,
        size=paging.size,
        sort=sort,
        after=after,
    )


@router.post("/items", status_code=201, response_model=ItemOut, response_model_exclude_unset=True)
def create_item(body: ItemCreate, user: Manager, service: Service, response: Response) -> dict[str, Any]:
    """Create an item; its barcode is derived from the SKU unless given."""
    return _etag(service.create_item(body.model_dump(exclude_none=True), user), response)


@router.post(
    "/items/import",
    response_model=ImportOut,
    response_model_exclude_unset=True,
    dependencies=[Depends(body_limit(50 * 1024 * 1024))],
)
async def import_items(
    request: Request,
    user: Manager,
    service: Service,
    dry_run: Annotated[bool, Query(description="Report what would change, change nothing")] = False,
) -> dict[str, Any]:
    """Upsert items from a catalogue CSV (multipart field ``file``, or the CSV as the body):
    UTF-8, UTF-16 with a byte order mark, or Windows-1252. Rows without errors are applied;
    each bad row is reported with its row number and column."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Invalid("send the CSV file in the form field 'file'", field="file")
        data = await upload.read(MAX_BYTES + 1)
    else:
        data = await request.body()
    if len(data) > MAX_BYTES:
        raise InventoryError(413, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", field="file")
    if not data.strip():
        raise Invalid("the file is empty", field="file")
    text = decode_csv(data)
    return await run_in_threadpool(service.import_catalogue, text, dry_run=dry_run, user=user)


@router.get("/items/lookup", response_model=ItemOut, response_model_exclude_unset=True)
def lookup_item(
    user: Reader,
    service: Service,
    response: Response,
    code: Annotated[str, Query(min_length=1, max_length=200, description="SKU or barcode")],
) -> dict[str, Any]:
    """The item a scanned code names (SKU, barcode, any case, a variant's base)."""
    item = service.find_item(code)
    if item is None:
        raise ItemNotFound(f"no item has the SKU or barcode {code.strip()!r}", field="code")
    return _etag(item, response)


@router.get("/items/{sku}", response_model=ItemOut, response_model_exclude_unset=True)
def get_item(sku: str, user: Reader, service: Service, response: Response) -> dict[str, Any]:
    """One item, with its version as the ETag."""
    return _etag(service.get_item(sku), response)


@router.patch("/items/{sku}", response_model=ItemOut, response_model_exclude_unset=True)
def patch_item(
    sku: str,
    body: ItemPatch,
    user: Manager,
    service: Service,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=40)] = None,
) -> dict[str, Any]:
    """Change an item. Needs ``If-Match`` with the version (or ``version`` in the body):
    428 without it, 412 with the current ``item`` when someone changed it meanwhile."""
    changes = body.model_dump(exclude_unset=True)
    version = _version(if_match, changes.pop("version", None))
    return _etag(service.update_item(sku, changes, version, user), response)


@router.delete("/items/{sku}", status_code=204, response_class=Response)
def delete_item(
    sku: str,
    user: Manager,
    service: Service,
    force: Annotated[bool, Query(description="Delete even though it holds stock")] = False,
    if_match: Annotated[str | None, Header(max_length=40)] = None,
) -> Response:
    """Delete an item; its movement history stays. 409 while it holds stock (unless force)."""
    service.delete_item(sku, _version(if_match, None), user, force=force)
    return Response(status_code=204)


def _history_filters(
    start: Annotated[datetime | None, Query(alias="from", description="From this time (inclusive)")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Up to this time (exclusive)")] = None,
    user: Annotated[str | None, Query(max_length=150)] = None,
    reason: Annotated[str | None, Query(max_length=40)] = None,
    location: Annotated[str | None, Query(max_length=32)] = None,
    source: Annotated[str | None, Query(max_length=20)] = None,
) -> dict[str, Any]:
    return {"start": start, "end": end, "user": user, "reason": reason, "location": location, "source": source}


HistoryFilters = Annotated[dict[str, Any], Depends(_history_filters)]


@router.get("/items/{sku}/history", response_model=Page[MovementOut])
def item_history(sku: str, caller: Reader, service: Service, filters: HistoryFilters, paging: Paging) -> dict[str, Any]:
    """The movements of one item, newest first: ``{items, total, page, size}``."""
    return history.item_history(service, sku, paging, **filters)


# -- adjustments --------------------------------------------------------------------------
@router.post("/adjustments", status_code=201, response_model=AdjustmentOut)
def create_adjustment(body: AdjustmentCreate, user: Adjuster, service: Service, response: Response) -> dict[str, Any]:
    """Adjust stock in one transaction. 201 ``{id, sku, movements, total_after, ...}``;
    409 with the per-location ``stock`` when there is not enough (nothing changes); 200 with
    ``duplicate: true`` and the original result when the client_id was applied before."""
    result = service.adjust(
        body.code,
        body.quantity,
        body.reason,
        body.location,
        user=user,
        source=body.source,
        client_id=body.client_id,
        note=body.note,
    )
    if result["duplicate"]:
        response.status_code = 200
    return result


@router.get("/adjustments", response_model=Page[MovementOut])
def list_adjustments(
    caller: Reader,
    service: Service,
    filters: HistoryFilters,
    paging: Paging,
    sku: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Movement history, newest first: ``{items, total, page, size}``."""
    return history.history(service, paging, sku=sku, **filters)


@router.get("/adjustments/summary", response_model=SummaryOut)
def adjustments_summary(
    caller: Reader,
    service: Service,
    filters: HistoryFilters,
    sku: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Per day (UTC) and reason: adjustments, units added and removed, net; and totals per reason."""
    filters.pop("reason")
    return history.summary(service, sku=sku, **filters)


@router.post("/update/batch", response_model=list[BatchResult], response_model_exclude_unset=True)
def update_batch(
    user: Adjuster,
    service: Service,
    entries: Annotated[list[Any], Body(description="[{client_id, code, quantity?, reason?, location?}]")],
) -> list[dict[str, Any]]:
    """Apply a scanner's queued entries; each answers ``{client_id, status: applied |
    duplicate | error, message}``, and a bad entry does not stop the others. A client_id is
    applied once, however often it is sent."""
    return service.apply_batch(entries, user)
