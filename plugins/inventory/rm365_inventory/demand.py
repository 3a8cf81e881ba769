"""Stock status from demand: the protocol expected of the salesdata plugin's demand service,
and the Low / Normal / Over rule, in Python (for one item) and in SQL (for filtering a list)."""

from __future__ import annotations

import logging
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import and_, case, literal

log = logging.getLogger("rm365.inventory")

DEMAND_SERVICE = "salesdata.demand"
LOW, NORMAL, OVER = "low", "normal", "over"
#: Stock statuses that need no demand data.
OUT, IN_STOCK = "out", "in_stock"
DEMAND_STATUSES = (LOW, NORMAL, OVER)
STOCK_STATUSES = (OUT, IN_STOCK, *DEMAND_STATUSES)


@runtime_checkable
class DemandService(Protocol):
    """What inventory needs from ``kernel.services.get("salesdata.demand")``.

    ``demand_for(skus)`` returns the units sold over the last six months per region,
    ``{sku: {region: quantity}}``; SKUs without sales may be left out. ``skus=None`` asks for
    every SKU that has demand (used to filter the whole item list by stock status).
    """

    def demand_for(self, skus: list[str] | None) -> dict[str, dict[str, int]]: ...


def demand_service(kernel: Any) -> DemandService | None:
    service = kernel.services.get(DEMAND_SERVICE)
    if service is None or not callable(getattr(service, "demand_for", None)):
        return None
    return service  # type: ignore[no-any-return]


def fetch_demand(service: DemandService, skus: list[str] | None) -> dict[str, dict[str, int]] | None:
    """The demand map, or None when the service fails (the page then shows no demand)."""
    try:
        raw = service.demand_for(skus)
    except Exception:  # noqa: BLE001 - another plugin's failure must not break the item list
        log.exception("the demand service failed; showing items without demand")
        return None
    result: dict[str, dict[str, int]] = {}
    for sku, regions in (raw or {}).items():
        if isinstance(regions, dict):
            result[str(sku)] = {str(r): int(q or 0) for r, q in regions.items()}
    return result


def classify(total: int, demand: int, low_factor: float, over_factor: float) -> str:
    """Low below ``low_factor`` × demand; Over at ``over_factor`` × demand or more (so any stock
    of an item nobody buys is Over); Normal in between, and for no stock with no demand."""
    if total < demand * low_factor:
        return LOW
    if total >= demand * over_factor and total > 0:
        return OVER
    return NORMAL


def classify_sql(total: Any, demand: Any, low_factor: float, over_factor: float) -> Any:
    """The same rule as :func:`classify` as a SQL expression (tested to agree with it)."""
    return case(
        (total < demand * literal(low_factor), literal(LOW)),
        (and_(total >= demand * literal(over_factor), total > 0), literal(OVER)),
        else_=literal(NORMAL),
    )
