"""Demo data: a year of orders for the demo catalogue's items in every region, imported through
the real import path (so the summary and prices are right). Skipped when lines exist."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from .context import Context
from .importer import import_file
from .models import SaleLine
from .parse import COLUMNS

# The demo catalogue (the same items the inventory demo creates): code, name, strengths, form, sizes.
PRODUCTS = [
    ("VITD3", "Vitamin D3 {s}", ["1000 IU", "2000 IU", "4000 IU"], "tablets", [120, 365]),
    ("VITC", "Vitamin C {s}", ["500mg", "1000mg"], "tablets", [60, 180]),
    ("VITK2", "Vitamin K2 MK-7 {s}", ["100mcg", "200mcg"], "capsules", [60, 120]),
    ("D3K2", "Vitamin D3 & K2 {s}", ["1000 IU/75mcg", "3000 IU/100mcg"], "capsules", [60, 180]),
    ("B12", "Vitamin B12 Methylcobalamin {s}", ["500mcg", "1000mcg"], "tablets", [60, 120]),
    ("BCOMP", "Vitamin B Complex {s}", ["High Strength"], "tablets", [60, 120, 180]),
    ("VITE", "Vitamin E {s}", ["400 IU"], "softgels", [60, 120]),
    ("MULTI", "Multivitamin & Minerals {s}", ["Adult", "50+", "Women", "Men"], "tablets", [90, 180]),
    ("MAGCIT", "Magnesium Citrate {s}", ["150mg", "200mg"], "tablets", [60, 180]),
    ("MAGGLY", "Magnesium Glycinate {s}", ["100mg", "120mg"], "capsules", [90, 120]),
    ("ZINC", "Zinc Picolinate {s}", ["15mg", "25mg"], "tablets", [120, 365]),
    ("IRON", "Iron Bisglycinate {s}", ["14mg", "20mg"], "capsules", [90]),
    ("CALD3", "Calcium & Vitamin D3 {s}", ["800mg/5mcg"], "tablets", [90, 180]),
    ("SELEN", "Selenium {s}", ["100mcg", "200mcg"], "tablets", [120]),
    ("IODINE", "Iodine (Kelp) {s}", ["150mcg"], "tablets", [365]),
    ("OMEGA3", "Omega-3 Fish Oil {s}", ["1000mg", "2000mg"], "softgels", [90, 180]),
    ("VOMEGA", "Vegan Omega-3 Algae Oil {s}", ["500mg"], "softgels", [60]),
    ("KRILL", "Antarctic Krill Oil {s}", ["500mg"], "softgels", [60, 120]),
    ("CODLIV", "Cod Liver Oil {s}", ["1000mg"], "capsules", [90, 180]),
    ("PROBIO", "Probiotic {s}", ["20 Billion CFU", "50 Billion CFU"], "capsules", [30, 60]),
    ("TURM", "Turmeric & Black Pepper {s}", ["1500mg", "2000mg"], "capsules", [60, 120]),
    ("COLLAG", "Marine Collagen {s}", ["1000mg"], "capsules", [90, 180]),
    ("BIOTIN", "Biotin {s}", ["5000mcg", "10000mcg"], "tablets", [120, 365]),
    ("FOLIC", "Folic Acid {s}", ["400mcg"], "tablets", [90, 180]),
    ("GLUCO", "Glucosamine & Chondroitin {s}", ["1500mg/400mg"], "tablets", [90, 180]),
    ("COQ10", "Coenzyme Q10 {s}", ["100mg", "200mg"], "softgels", [60, 120]),
    ("ASHWA", "Ashwagandha KSM-66 {s}", ["500mg", "600mg"], "capsules", [60, 120]),
    ("EPO", "Evening Primrose Oil {s}", ["1000mg"], "softgels", [90]),
    ("ELDER", "Black Elderberry {s}", ["600mg"], "capsules", [60]),
    ("ECHIN", "Echinacea {s}", ["1000mg"], "tablets", [90]),
    ("GINKGO", "Ginkgo Biloba {s}", ["120mg"], "tablets", [120]),
    ("SPIRU", "Organic Spirulina {s}", ["500mg"], "tablets", [180, 500]),
    ("CHLOR", "Organic Chlorella {s}", ["500mg"], "tablets", [180]),
    ("MILKTH", "Milk Thistle {s}", ["500mg"], "capsules", [90]),
    ("ACV", "Apple Cider Vinegar {s}", ["1500mg"], "capsules", [60, 120]),
    ("LTHEAN", "L-Theanine {s}", ["200mg"], "capsules", [60]),
    ("5HTP", "5-HTP Griffonia {s}", ["100mg"], "capsules", [60, 120]),
    ("SAWP", "Saw Palmetto {s}", ["500mg"], "capsules", [90]),
    ("CRANB", "Cranberry Extract {s}", ["5000mg"], "tablets", [90]),
    ("HYAL", "Hyaluronic Acid {s}", ["120mg"], "capsules", [60]),
    ("MSM", "MSM {s}", ["1000mg"], "tablets", [120]),
    ("LUTEIN", "Lutein & Zeaxanthin {s}", ["20mg"], "softgels", [60]),
    ("CHROM", "Chromium Picolinate {s}", ["200mcg"], "tablets", [120]),
    ("POTAS", "Potassium Citrate {s}", ["99mg"], "capsules", [90]),
    ("RESV", "Trans-Resveratrol {s}", ["250mg"], "capsules", [60]),
    ("PRENAT", "Pregnancy Multivitamin {s}", ["Complete"], "tablets", [60, 90]),
    ("KIDSMV", "Kids Multivitamin Gummies {s}", ["Berry"], "gummies", [60]),
    ("VITDSP", "Vitamin D3 Oral Spray {s}", ["1000 IU"], "ml", [15, 30]),
]

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
    """``(sku, name, price)`` of every demo item (prices are stable per SKU)."""
    rng = random.Random(42)
    items = []
    for code, name, strengths, form, sizes in PRODUCTS:
        for s_index, strength in enumerate(strengths):
            for size in sizes:
                sku = f"{code}-{s_index + 1}-{size}" if len(strengths) > 1 else f"{code}-{size}"
                price = round(4 + size / 20 * rng.uniform(0.8, 1.6), 2) - 0.01
                items.append((sku, f"{name.format(s=strength)}, {size} {form}", price))
    return items


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
