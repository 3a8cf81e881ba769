"""HTTP routes of the inventory plugin, mounted at ``/api/v1/inventory``: parse, check the
tab, call the service, shape the answer. Every rule lives in the service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from rm365_core import Principal, get_kernel, require_tab

from .demand import DEMAND_STATUSES, STOCK_STATUSES, demand_service
from .errors import Invalid, InventoryError, ItemNotFound
from .queries import ItemQueries
from .schemas import AdjustmentCreate, ItemCreate, ItemPatch
from .service import SOURCES, StockService

MAX_IMPORT_BYTES = 20 * 1024 * 1024


router = APIRouter(tags=["inventory"])

Manager = Annotated[Principal, Depends(require_tab("inventory.management"))]
Adjuster = Annotated[Principal, Depends(require_tab("inventory.adjustments"))]


#: Either page may read items, stock and history.
Reader = Annotated[Principal, Depends(require_tab("inventory.management", "inventory.adjustments"))]


def _service(kernel: Any = Depends(get_kernel)) -> StockService:
    service = kernel.services.get("inventory.stock")
    return service if isinstance(service, StockService) else StockService(kernel)


Service = Annotated[StockService, Depends(_service)]


def _version(if_match: str | None, body_version: int | None) -> int | None:
    """The version from ``If-Match: "3"`` (weak or bare forms too), else from the body."""
    if if_match is None or not if_match.strip():
        return body_version
    value = if_match.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip().strip('"')
    if not value.isdigit():
        raise InventoryError('If-Match must hold the item version you edited, e.g. "3"', field="If-Match")
    return int(value)


def _etag(item: dict[str, Any], response: Response) -> dict[str, Any]:
    response.headers["ETag"] = f'"{item["version"]}"'
    return item


# -- configuration --------------------------------------------------------------------
@router.get("/config")
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


# -- items ----------------------------------------------------------------------------
@router.get("/items")
def list_items(
    user: Reader,
    service: Service,
    search: Annotated[str, Query(max_length=200, description="Part of a SKU, name or barcode")] = "",
    status: Annotated[str | None, Query(description="Status, or several separated by commas")] = None,
    stock_status: Annotated[
        str | None, Query(description="out, in_stock, low, normal, over (commas for several)")
    ] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 50,
    sort: Annotated[
        str, Query(description="sku, name, status, item_id, total, a location id, updated_at; - reverses")
    ] = "sku",
) -> dict[str, Any]:
    """``{items, total, page, size, pages, demand}``; filtering, sorting and paging in SQL."""
    return ItemQueries(service).list_items(
        search=search, status=status, stock_status=stock_status, page=page, size=size, sort=sort
    )


@router.post("/items", status_code=201)
def create_item(body: ItemCreate, user: Manager, service: Service, response: Response) -> dict[str, Any]:
    """Create an item; its barcode is derived from the SKU unless given."""
    item = service.create_item(body.model_dump(exclude_none=True), user)
    return _etag(item, response)


@router.post("/items/import")
async def import_items(
    request: Request,
    user: Manager,
    service: Service,
    dry_run: Annotated[bool, Query(description="Report what would change, change nothing")] = False,
) -> dict[str, Any]:
    """Upsert items from a catalogue CSV (multipart field ``file``, or the CSV as the body).

    Answers ``{dry_run, rows, created, updated, unchanged, folded, excluded, errors: [{row,
    column, message, sku}], changes}``; rows without errors are applied.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Invalid("send the CSV file in the form field 'file'", field="file")
        data = await upload.read(MAX_IMPORT_BYTES + 1)
    else:
        data = await request.body()
    if len(data) > MAX_IMPORT_BYTES:
        raise InventoryError(413, f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB", field="file")
    if not data.strip():
        raise Invalid("the file is empty", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # spreadsheets saved as "CSV" on Windows
    return await run_in_threadpool(service.import_catalogue, text, dry_run=dry_run, user=user)


@router.get("/items/lookup")
def lookup_item(
    user: Reader,
    service: Service,
    response: Response,
    code: Annotated[str, Query(min_length=1, max_length=200, description="SKU or barcode")],
) -> dict[str, Any]:
    """The item a scanned code names (SKU, barcode, any case, a variant's base)."""
    item = service.find_item(code)
    if item is None:
        raise ItemNotFound(f"no item has the SKU or barcode {code.strip()!r}")
    return _etag(item, response)


@router.get("/items/{sku}")
def get_item(sku: str, user: Reader, service: Service, response: Response) -> dict[str, Any]:
    """One item, with its version as the ETag."""
    return _etag(service.get_item(sku), response)


@router.patch("/items/{sku}")
def patch_item(
    sku: str,
    body: ItemPatch,
    user: Manager,
    service: Service,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Change an item. Needs ``If-Match`` with the version (or ``version`` in the body):
    428 without it, 412 with the current item when someone changed it meanwhile."""
    changes = body.model_dump(exclude_unset=True)
    version = _version(if_match, changes.pop("version", None))
    return _etag(service.update_item(sku, changes, version, user), response)


@router.delete("/items/{sku}", status_code=204)
def delete_item(
    sku: str,
    user: Manager,
    service: Service,
    force: Annotated[bool, Query(description="Delete even though it holds stock")] = False,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Delete an item; its movement history stays. 409 while it holds stock (unless force)."""
    service.delete_item(sku, _version(if_match, None), user, force=force)
    return Response(status_code=204)


HistoryFilters = dict[str, Any]


def _history_filters(
    start: Annotated[datetime | None, Query(alias="from", description="From this time (inclusive)")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Up to this time (exclusive)")] = None,
    user: Annotated[str | None, Query(max_length=150)] = None,
    reason: Annotated[str | None, Query(max_length=40)] = None,
    location: Annotated[str | None, Query(max_length=32)] = None,
    source: Annotated[str | None, Query(max_length=20)] = None,
) -> HistoryFilters:
    return {"start": start, "end": end, "user": user, "reason": reason, "location": location, "source": source}


@router.get("/items/{sku}/history")
def item_history(
    sku: str,
    caller: Reader,
    service: Service,
    filters: Annotated[HistoryFilters, Depends(_history_filters)],
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The movements of one item, newest first."""
    return ItemQueries(service).item_history(sku, page=page, size=size, **filters)


# -- adjustments ----------------------------------------------------------------------
@router.post("/adjustments", status_code=201)
def create_adjustment(body: AdjustmentCreate, user: Adjuster, service: Service, response: Response) -> dict[str, Any]:
    """Adjust stock in one transaction. 201 ``{id, sku, movements, total_after, ...}``;
    409 with the per-location breakdown when there is not enough (nothing changes); 200 with
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


@router.get("/adjustments")
def list_adjustments(
    caller: Reader,
    service: Service,
    filters: Annotated[HistoryFilters, Depends(_history_filters)],
    sku: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Movement history, newest first: ``{movements, total, page, size}``."""
    return ItemQueries(service).history(sku=sku, page=page, size=size, **filters)


@router.get("/adjustments/summary")
def adjustments_summary(
    caller: Reader,
    service: Service,
    filters: Annotated[HistoryFilters, Depends(_history_filters)],
    sku: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Per day and reason: adjustments, units added and removed, net; and totals per reason."""
    filters.pop("reason")
    return ItemQueries(service).summary(sku=sku, **filters)


@router.post("/update/batch")
def update_batch(
    user: Adjuster,
    service: Service,
    entries: Annotated[list[Any], Body(description="[{client_id, code, quantity?, reason?, location?}]")],
) -> list[dict[str, Any]]:
    """Apply a scanner's queued entries; each answers ``{client_id, status: applied |
    duplicate | error, message}``. A client_id is applied once, however often it is sent."""
    return service.apply_batch(entries, user)
