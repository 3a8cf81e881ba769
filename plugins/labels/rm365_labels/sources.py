"""Where label data comes from: inventory's ``inventory.stock`` service (required) and the
salesdata plugin's services (optional, looked up at every call): 6-month demand per region and
the latest price per region. Without salesdata, quantities and prices are blank; if it fails,
labels still print (blank) and the failure is logged."""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol, runtime_checkable

from .errors import Conflict
from .settings import LabelsSettings

log = logging.getLogger("rm365.labels")

STOCK_SERVICE = "inventory.stock"
DEMAND_SERVICE = "salesdata.demand"
PRICE_SERVICES = ("salesdata.prices", "salesdata.demand")
CENT = Decimal("0.01")


@runtime_checkable
class DemandService(Protocol):
    """``demand_for(skus) -> {sku: {region: units sold in the last six months}}`` (the contract
    inventory uses); a service offering ``demand(skus, regions, months=6)`` instead works too."""

    def demand_for(self, skus: list[str] | None) -> dict[str, dict[str, int]]: ...


@runtime_checkable
class PriceService(Protocol):
    """``latest_price(sku, region)``: the latest positive price of ``sku`` in ``region``, as a
    number (in the region's currency), ``{"price": ..., "currency": ...}``, a ``(price,
    currency)`` pair, or None."""

    def latest_price(self, sku: str, region: str) -> Any: ...


def stock_service(kernel: Any) -> Any:
    service = kernel.services.get(STOCK_SERVICE)
    if service is None:
        raise Conflict("the inventory plugin is not running, so there are no items to label")
    return service


def demand(kernel: Any, skus: list[str], regions: list[str]) -> dict[str, dict[str, int]] | None:
    """``{sku: {region: quantity}}`` for ``skus`` over six months, or None without salesdata."""
    service = kernel.services.get(DEMAND_SERVICE)
    if service is None or not skus:
        return None if service is None else {}
    try:
        if callable(getattr(service, "demand_for", None)):
            raw = service.demand_for(skus)
        elif callable(getattr(service, "demand", None)):
            raw = service.demand(skus, regions, months=6)
        else:
            return None
    except Exception:  # noqa: BLE001 - another plugin's failure must not stop labels
        log.exception("the salesdata demand service failed; printing blank quantities")
        return None
    result: dict[str, dict[str, int]] = {}
    for sku, by_region in (raw or {}).items():
        if isinstance(by_region, dict):
            result[str(sku)] = {str(r).lower(): int(q or 0) for r, q in by_region.items()}
    return result


def _price_services(kernel: Any) -> list[Any]:
    found = []
    for name in PRICE_SERVICES:
        service = kernel.services.get(name)
        if service is not None and callable(getattr(service, "latest_price", None)) and service not in found:
            found.append(service)
    return found


def _amount(raw: Any, currency: str) -> tuple[Decimal, str] | None:
    """A service's answer as (positive amount, currency), or None."""
    if raw is None:
        return None
    if isinstance(raw, dict):
        raw, currency = raw.get("price"), str(raw.get("currency") or currency)
    elif isinstance(raw, tuple | list) and len(raw) == 2:
        raw, currency = raw[0], str(raw[1] or currency)
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount <= 0:
        return None
    return amount, currency.upper()


class Prices:
    """The price rule, in one place: the latest positive price in the chosen region; else the
    first other region (in the configured order) that has one, converted with the stored rate
    and marked ``converted``; else no price (the label leaves it blank)."""

    def __init__(self, kernel: Any, settings: LabelsSettings) -> None:
        self.settings = settings
        self.services = _price_services(kernel)
        self._rates: dict[tuple[str, str], float | None] = {}

    def _latest(self, sku: str, region: str) -> tuple[Decimal, str] | None:
        currency = self.settings.regions[region].currency
        for service in self.services:
            try:
                found = _amount(service.latest_price(sku, region), currency)
            except Exception:  # noqa: BLE001 - a failing price service leaves the price blank
                log.exception("the salesdata price service failed for %s in %s", sku, region)
                return None
            if found is not None:
                return found
        return None

    def _stored_rate(self, source: str, target: str) -> float | None:
        """The sales data's rate of today for the pair, asked once per pair (a list of
        candidates converts many prices with the same few rates)."""
        if (source, target) not in self._rates:
            found = None
            for service in self.services:
                rate = getattr(service, "rate", None)
                if not callable(rate):
                    continue
                try:
                    found = rate(source, target)
                except Exception:  # noqa: BLE001 - the labels setting still answers
                    log.exception("the salesdata rate service failed for %s to %s", source, target)
                    found = None
                if found:
                    break
            self._rates[(source, target)] = found
        return self._rates[(source, target)]

    def convert(self, amount: Decimal, source: str, target: str) -> Decimal | None:
        """With the sales data's stored rate of today when it has one, else the labels'
        own ``rates`` setting."""
        if source == target:
            return amount
        found = self._stored_rate(source, target)
        if found:
            return amount * Decimal(str(found))
        rates = self.settings.rates
        if source not in rates or target not in rates:
            return None
        return amount / rates[source] * rates[target]

    def price(self, sku: str, region: str) -> tuple[Decimal | None, bool]:
        """(price in the region's currency rounded to the cent, converted?)."""
        if not self.services:
            return None, False
        target = self.settings.regions[region].currency
        order = [region] + [r for r in self.settings.regions if r != region]
        for index, name in enumerate(order):
            found = self._latest(sku, name)
            if found is None:
                continue
            amount = self.convert(found[0], found[1], target)
            if amount is None:
                continue
            return amount.quantize(CENT, rounding=ROUND_HALF_UP), index > 0 or found[1] != target
        return None, False


def format_price(amount: Decimal | None, settings: LabelsSettings, region: str) -> str:
    """The price as printed: ``£12.99``, ``12,99 €`` (per region); empty when there is none."""
    if amount is None:
        return ""
    spec = settings.regions[region]
    text = f"{amount:,.2f}"
    if spec.decimal_comma:
        text = text.replace(",", "\u00a0").replace(".", ",")
    return f"{text}\u00a0{spec.symbol}" if spec.symbol_after else f"{spec.symbol}{text}"


def quantities(settings: LabelsSettings, by_region: dict[str, int] | None) -> tuple[int | None, int | None]:
    """(UK 6-month, FR 6-month including NL), or (None, None) without demand."""
    if by_region is None:
        return None, None
    uk = sum(by_region.get(r, 0) for r in settings.uk_regions)
    fr = sum(by_region.get(r, 0) for r in settings.fr_regions)
    return uk, fr
