"""Demo data: a year of orders for the demo catalogue's items in every region, imported through
the real import path (so the summary and prices are right). Skipped when lines exist."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from rm365_core.demo import demo_catalogue

from .context import Context
from .importer import import_file
from .models import SaleLine
from .parse import COLUMNS

STATUSES = [("complete", 80), ("processing", 8), ("canceled", 6), ("closed", 4), ("fraud", 1), ("pending", 1)]
GROUPS = [("General", 85), ("Wholesale", 5), ("Retailer", 10)]
FIRST = [
    "Anna",
    "Ben",
    "Chloe",
    "Dev",
    "Emma",
    "Finn",
    "Grace",
    "Hugo",
    "Isla",
    "Jack",
    "Léa",
    "Lucas",
    "Sanne",
    "Daan",
]
LAST = ["Smith", "Jones", "Taylor", "Patel", "Martin", "Bernard", "de Vries", "Jansen", "Brown", "Dubois"]


def catalogue() -> list[tuple[str, str, float]]:
    """``(sku, name, price)`` of every demo item (the inventory demo's; prices are stable per SKU)."""
    rng = random.Random(42)
    return [
        (item.sku, item.name, round(4 + item.size / 20 * rng.uniform(0.8, 1.6), 2) - 0.01) for item in demo_catalogue()
    ]


def export_csv(region_id: str, currency: str, rate: float, days: int, now: datetime, seed: int) -> str:
    """A Magento-style export of ``days`` days of orders for one region."""
    rng = random.Random(seed)
    items = catalogue()
    popularity = [rng.paretovariate(1.2) for _ in items]
    out = io.StringIO()
    header = list(COLUMNS.values()) + ["Billing Address", "Shipping Address"]
    out.write(",".join(header) + "\n")
    order_no = {"uk": 100000000, "fr": 200000000, "nl": 300000000}.get(region_id, 900000000)
    per_day = {"uk": 22, "fr": 9, "nl": 5}.get(region_id, 5)
    start = now - timedelta(days=days)
    for day in range(days):
        base = start + timedelta(days=day)
        for _ in range(rng.randint(per_day // 2, per_day + per_day // 2)):
            order_no += 1
            created = base.replace(hour=rng.randint(7, 22), minute=rng.randint(0, 59), second=rng.randint(0, 59))
            status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
            group = rng.choices([g for g, _ in GROUPS], [w for _, w in GROUPS])[0]
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}{rng.randint(1, 400)}@example.com".lower().replace(" ", "")
            lines = []
            for _ in range(rng.choices([1, 2, 3, 4], [55, 28, 12, 5])[0]):
                sku, name, price = rng.choices(items, popularity)[0]
                if rng.random() < 0.05:
                    sku = f"{sku}-MD"  # a variant listing, folded into the base SKU
                qty = rng.choices([1, 2, 3, 6], [70, 20, 7, 3])[0] * (10 if group == "Wholesale" else 1)
                lines.append((sku, name, round(price * rate, 2), qty))
            total = sum(p * q for _, _, p, q in lines) + (3.99 if currency == "GBP" else 4.95)
            for sku, name, price, qty in lines:
                out.write(
                    ",".join(
                        [
                            str(order_no),
                            created.strftime("%Y-%m-%d %H:%M:%S"),
                            sku,
                            f'"{name}"',
                            str(qty),
                            f"{price:.2f}",
                            status,
                            currency,
                            f"{total:.2f}",
                            email,
                            f"{first} {last}",
                            group,
                            '"1 High Street, Town"',
                            '"1 High Street, Town"',
                        ]
                    )
                    + "\n"
                )
    return out.getvalue()


def seed(kernel: Any, *, now: datetime | None = None, days: int = 365) -> int:
    """Import a year of demo orders per region; returns the lines imported (0 when there are some)."""
    ctx = Context(kernel)
    with ctx.session(readonly=True) as session:
        if session.scalar(select(func.count()).select_from(SaleLine)):
            return 0
    now = now or datetime.now(UTC).replace(tzinfo=None)
    imported = 0
    for index, (region_id, region) in enumerate(ctx.settings.regions.items()):
        rate = 1.0 if region.currency == "GBP" else 1.17
        text = export_csv(region_id, region.currency, rate, days, now, seed=365 + index)
        result = import_file(
            ctx, region_id, io.BytesIO(text.encode()), filename=f"demo-{region_id}.csv", username="demo"
        )
        imported += result["rows_imported"]
    return imported
