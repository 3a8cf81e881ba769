"""Demand: units sold per base SKU over a window, read from the monthly and daily summaries
(kept by the imports) less what the excluded customers and thresholds remove (kept by the
imports and the filter changes), with variant SKUs folded into their base and manual aliases
applied. Never rebuilt on a read, and the lines are not read at all."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .context import Context
from .models import Alias, DailySales, Exclusion, MonthlySales, RemovedSales, SkuInfo


def variant_pattern(suffixes: list[str]) -> re.Pattern[str] | None:
    """``SKU-MD``, ``SKU-md-2`` ... -> group 1 is the base (case-insensitive)."""
    if not suffixes:
        return None
    return re.compile(r"^(.+?)-(?:" + "|".join(re.escape(s) for s in suffixes) + r")(?:[-_ ].*)?$", re.IGNORECASE)


def months_ago(today: date, months: int) -> date:
    """The same day ``months`` months before (the month's last day when it has fewer)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    for day in (today.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def local_today(ctx: Context, region_id: str) -> date:
    return datetime.now(ZoneInfo(ctx.region(region_id).timezone)).date()


def window_start(
    ctx: Context, region_id: str, months: int | None = None, days: int | None = None, since: date | None = None
) -> date:
    """The first day counted: ``since``, else ``days`` back, else ``months`` back (6)."""
    if since is not None:
        return since
    today = local_today(ctx, region_id)
    if days is not None:
        return today - timedelta(days=days)
    return months_ago(today, 6 if months is None else months)


class Folder:
    """Maps a sold SKU to the SKU its demand counts for: an alias first, else the variant's base
    (then that base's alias)."""

    def __init__(self, ctx: Context) -> None:
        self.pattern = variant_pattern(ctx.settings.variant_suffixes)
        with ctx.session(readonly=True) as session:
            self.aliases = {a.lower(): s for a, s in session.execute(select(Alias.alias, Alias.sku))}
        self._cache: dict[str, str] = {}

    def __call__(self, sku: str) -> str:
        base = self._cache.get(sku)
        if base is None:
            base = self.aliases.get(sku.lower())
            if base is None:
                m = self.pattern.match(sku) if self.pattern else None
                base = m.group(1) if m else sku
                base = self.aliases.get(base.lower(), base)
            self._cache[sku] = base
        return base


def next_month_start(day: date) -> date:
    """``day`` when it is the first of a month, else the first of the next month."""
    if day.day == 1:
        return day
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def raw_totals(ctx: Context, region_id: str, start: date, end: date | None = None) -> dict[str, int]:
    """Units per sold SKU (not folded) over ``start``..``end`` with every filter applied.
    Whole months come from the monthly summary, the days before the first whole month from
    the daily one (with ``end``, all from the daily one)."""
    region = ctx.region(region_id)
    excluded_statuses = list(region.excluded_statuses)
    totals: dict[str, int] = {}
    with ctx.session(readonly=True) as session:
        excluded_groups = _excluded_groups(session, region_id)
        months_from = next_month_start(start) if end is None else None
        daily = select(DailySales.sku, func.sum(DailySales.qty)).where(
            DailySales.region == region_id,
            DailySales.day >= start,
            DailySales.status.not_in(excluded_statuses),
            DailySales.customer_group.not_in(excluded_groups),
        )
        if end is not None:
            daily = daily.where(DailySales.day <= end)
        if months_from is not None:
            daily = daily.where(DailySales.day < months_from)
            monthly = select(MonthlySales.sku, func.sum(MonthlySales.qty)).where(
                MonthlySales.region == region_id,
                MonthlySales.month >= months_from,
                MonthlySales.status.not_in(excluded_statuses),
                MonthlySales.customer_group.not_in(excluded_groups),
            )
            for sku, qty in session.execute(monthly.group_by(MonthlySales.sku)):
                totals[sku] = int(qty)
        if months_from is None or months_from > start:
            for sku, qty in session.execute(daily.group_by(DailySales.sku)):
                totals[sku] = totals.get(sku, 0) + int(qty)
        removed = _removed_lines(session, region_id, start, end, excluded_statuses, excluded_groups)
        for sku, qty in removed:
            totals[sku] = totals.get(sku, 0) - int(qty)
    return totals


def _excluded_groups(session: Any, region_id: str) -> list[str]:
    query = select(Exclusion.value).where(Exclusion.region == region_id, Exclusion.kind == "group")
    return list(session.scalars(query))


def _removed_lines(
    session: Any,
    region_id: str,
    start: date,
    end: date | None,
    excluded_statuses: list[str],
    excluded_groups: list[str],
) -> list[tuple[str, int]]:
    """Units per SKU that excluded customers and thresholds leave out (each line once; lines
    of excluded groups are already out of the summaries read), from the quantities the
    imports and the filter changes keep (:mod:`.removed`)."""
    query = select(RemovedSales.sku, func.sum(RemovedSales.qty)).where(
        RemovedSales.region == region_id,
        RemovedSales.day >= start,
        RemovedSales.status.not_in(excluded_statuses),
        RemovedSales.customer_group.not_in(excluded_groups),
    )
    if end is not None:
        query = query.where(RemovedSales.day <= end)
    return [(sku, int(qty)) for sku, qty in session.execute(query.group_by(RemovedSales.sku)) if qty]


def condensed(ctx: Context, region_id: str, start: date, end: date | None = None) -> list[dict[str, Any]]:
    """``[{sku, name, total_qty}]`` per base SKU, most sold first (SKUs netting 0 left out)."""
    fold = Folder(ctx)
    # SKUs are one regardless of case; the spelling shown is the one sold most.
    spellings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sku, qty in raw_totals(ctx, region_id, start, end).items():
        base = fold(sku)
        spellings[base.lower()][base] += qty
    folded = {max(by.items(), key=lambda kv: (kv[1], kv[0]))[0]: sum(by.values()) for by in spellings.values()}
    names = sku_names(ctx, region_id, list(folded))
    items: list[dict[str, Any]] = [
        {"sku": sku, "name": names.get(sku.lower(), ""), "total_qty": qty} for sku, qty in folded.items() if qty > 0
    ]
    items.sort(key=lambda item: (-item["total_qty"], item["sku"]))
    return items


def sku_names(ctx: Context, region_id: str, skus: list[str]) -> dict[str, str]:
    """``{lower-cased sku: latest name}`` for the given SKUs in a region."""
    wanted = {s.lower() for s in skus}
    names: dict[str, str] = {}
    if not wanted:
        return names
    with ctx.session(readonly=True) as session:
        # One read of the region's SKUs (thousands of short rows) beats IN lists of them.
        for sku, name in session.execute(select(SkuInfo.sku, SkuInfo.name).where(SkuInfo.region == region_id)):
            key = sku.lower()
            if key in wanted:
                names[key] = name
    return names


class DemandService:
    """``kernel.services.get("salesdata.demand")``: what the inventory and labels plugins call.

    - ``demand_for(skus)`` -> ``{sku: {region: quantity}}`` over the last six months, SKUs as
      the caller spelled them (matched case-insensitively, variants folded); ``None`` asks for
      every SKU with demand. A region with ``demand_as`` is counted in that region's figure
      (NL in FR by default), so the keys are the regions the stock pages show.
    - ``demand(skus, regions=None, months=6)`` -> the same per configured region, unmerged.
    - ``latest_price(sku, region)`` -> ``{sku, region, name, price, currency, sold_at}`` or None.
    - ``rate(base, quote, day=None)`` -> how many ``quote`` one ``base`` buys on ``day`` (today
      by default) from the stored rates, or None when none links the two.
    """

    def __init__(self, kernel: Any) -> None:
        self.ctx = Context(kernel)

    def demand(
        self, skus: list[str] | None, regions: list[str] | None = None, months: int = 6
    ) -> dict[str, dict[str, int]]:
        settings = self.ctx.settings
        wanted = None if skus is None else {s.lower(): s for s in skus}
        fold = Folder(self.ctx)
        result: dict[str, dict[str, int]] = {}  # by lower-cased base SKU
        spellings: dict[str, dict[str, int]] = {}
        for region_id in regions or list(settings.regions):
            start = window_start(self.ctx, region_id, months=months)
            for sku, qty in raw_totals(self.ctx, region_id, start).items():
                base = fold(sku)
                key = base.lower()
                if wanted is not None and key not in wanted:
                    continue
                per_region = result.setdefault(key, {})
                per_region[region_id] = per_region.get(region_id, 0) + qty
                by = spellings.setdefault(key, {})
                by[base] = by.get(base, 0) + qty
        answer: dict[str, dict[str, int]] = {}
        for key, per_region in result.items():
            kept = {r: q for r, q in per_region.items() if q > 0}
            if not kept:
                continue
            shown = wanted[key] if wanted is not None else max(spellings[key].items(), key=lambda kv: (kv[1], kv[0]))[0]
            answer[shown] = kept
        return answer

    def demand_for(self, skus: list[str] | None) -> dict[str, dict[str, int]]:
        settings = self.ctx.settings
        merged: dict[str, dict[str, int]] = {}
        for sku, per_region in self.demand(skus).items():
            target = merged.setdefault(sku, {})
            for region_id, qty in per_region.items():
                shown = settings.regions[region_id].demand_as or region_id
                target[shown] = target.get(shown, 0) + qty
        return merged

    def latest_price(self, sku: str, region: str) -> dict[str, Any] | None:
        region_id = region.lower()
        currency = self.ctx.region(region_id).currency
        with self.ctx.session(readonly=True) as session:
            info = session.scalars(
                select(SkuInfo).where(SkuInfo.region == region_id, func.lower(SkuInfo.sku) == sku.strip().lower())
            ).first()
        if info is None:
            return None
        return {
            "sku": info.sku,
            "region": region_id,
            "name": info.name,
            "price": None if info.price_minor is None else info.price_minor / 100,
            "currency": currency,
            "sold_at": info.last_sold_at,
        }

    def rate(self, base: str, quote: str, day: date | None = None) -> float | None:
        from .importer import stored_rates
        from .parse import converter

        base, quote = base.upper(), quote.upper()
        if base == quote:
            return 1.0
        convert = converter(base, quote, stored_rates(self.ctx))
        if convert is None:
            return None
        return convert(10**12, day or date.today()) / 10**12
