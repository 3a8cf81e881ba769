"""Demo data: a few hundred vitamin and supplement items with stock over the locations and two
months of movement history whose sums match the stock. Skipped when items already exist."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from rm365_core.demo import demo_catalogue

from .codes import derive_item_id
from .models import Adjustment, Item, Movement, Stock
from .service import DB

STATUS_WEIGHTS = [
    ("Active", 80),
    ("Temporarily OOS", 5),
    ("Pre Order", 3),
    ("Special Offer", 4),
    ("Discontinued (Supplier)", 3),
    ("Discontinued (RM)", 2),
    ("Samples", 2),
    ("Special Item", 1),
]
USERS = ["anna.smith", "ben.jones", "chloe.taylor", "dev.patel", "scanner-1"]


def catalogue() -> list[tuple[str, str]]:
    """``(sku, name)`` of every demo item."""
    return [(item.sku, item.name) for item in demo_catalogue()]


def seed(kernel: Any, *, now: datetime | None = None) -> int:
    """Create the demo items; returns how many (0 when the inventory is not empty)."""
    settings = kernel.settings_for("inventory")
    locations = settings.location_ids
    expiry_locations = {loc.id for loc in settings.locations if loc.expiry}
    reasons = {r.name: r.sign for r in settings.reasons}
    now = now or datetime.now(UTC)
    rng = random.Random(365)
    products = catalogue()
    # Extra sizes to reach a few hundred items, like a real range with bundle packs.
    for sku, name in list(products):
        if rng.random() < 0.8:
            products.append((f"{sku}-X2", f"{name} (twin pack)"))
        if rng.random() < 0.4:
            products.append((f"{sku}-X3", f"{name} (triple pack)"))
    with kernel.databases.session(DB) as session:
        if session.scalar(select(func.count()).select_from(Item)):
            return 0
        statuses = [s for s, _ in STATUS_WEIGHTS if s in settings.statuses] or [settings.default_status]
        weights = [w for s, w in STATUS_WEIGHTS if s in settings.statuses] or [1]
        items = []
        for sku, name in products:
            created = now - timedelta(days=rng.randint(60, 720))
            items.append(
                Item(
                    sku=sku,
                    item_id=derive_item_id(sku),
                    name=name,
                    status=rng.choices(statuses, weights)[0],
                    notes="",
                    version=1,
                    created_at=created,
                    updated_at=created,
                )
            )
        session.add_all(items)
        session.flush()
        for item in items:
            quantities = {loc: 0 for loc in locations}
            history = _history(rng, item, locations, reasons, now, quantities)
            for header, moves in history:
                session.add(header)
                session.flush()
                for move in moves:
                    move.adjustment_id = header.id
                session.add_all(moves)
            if history:
                item.version = 1 + len(history)
                item.updated_at = history[-1][0].created_at
            for loc in locations:
                expiry = None
                if loc in expiry_locations and quantities[loc]:
                    expiry = date.today() + timedelta(days=rng.randint(-20, 540))
                session.add(Stock(item_pk=item.id, location=loc, quantity=quantities[loc], expiry=expiry))
    return len(items)


def _history(
    rng: random.Random,
    item: Item,
    locations: list[str],
    reasons: dict[str, str],
    now: datetime,
    quantities: dict[str, int],
) -> list[tuple[Adjustment, list[Movement]]]:
    """A plausible story for one item: deliveries, picks, damage, returns, counts."""
    events: list[tuple[Adjustment, list[Movement]]] = []
    if rng.random() < 0.08:
        return events  # never stocked
    when = now - timedelta(days=60, minutes=rng.randint(0, 600))
    steps = rng.randint(3, 12)
    for step in range(steps):
        when += timedelta(hours=rng.randint(2, 120))
        if when > now:
            break
        if step == 0:
            reason, plan = "Received", [(rng.choice(locations), rng.choice([24, 48, 60, 96, 120, 144]))]
        else:
            reason = rng.choices(
                ["Pick/Pack", "Pick/Pack", "Pick/Pack", "Received", "Damaged", "Returned", "Correction"],
            )[0]
            if reason not in reasons:
                continue
            plan = _plan(rng, reason, reasons[reason], locations, quantities)
            if not plan:
                continue
        header = Adjustment(
            item_pk=item.id,
            sku=item.sku,
            quantity=sum(d for _, d in plan),
            reason=reason,
            location=plan[0][0] if len(plan) == 1 else "auto",
            source="scanner" if reason == "Pick/Pack" else "ui",
            username=rng.choice(USERS),
            note="",
            created_at=when,
        )
        moves = []
        for loc, delta in plan:
            quantities[loc] += delta
            moves.append(
                Movement(
                    sku=item.sku,
                    location=loc,
                    delta=delta,
                    quantity_after=quantities[loc],
                    reason=reason,
                    source=header.source,
                    username=header.username,
                    created_at=when,
                )
            )
        events.append((header, moves))
    return events


def _plan(
    rng: random.Random, reason: str, sign: str, locations: list[str], quantities: dict[str, int]
) -> list[tuple[str, int]]:
    if sign == "in" or (sign == "either" and rng.random() < 0.5):
        amount = rng.choice([1, 2, 6, 12, 24, 48]) if reason == "Received" else rng.randint(1, 3)
        return [(rng.choice(locations), amount)]
    need = rng.randint(1, 4)
    if sum(quantities.values()) < need:
        return []
    plan: list[tuple[str, int]] = []
    for loc in locations:  # like an automatic removal: first location first
        take = min(quantities[loc], need - sum(-d for _, d in plan))
        if take > 0:
            plan.append((loc, -take))
    return plan
