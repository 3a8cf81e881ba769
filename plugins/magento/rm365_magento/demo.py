"""Demo: unless a real Magento is configured, start the fake Magento on a free local port with
a few dozen orders of the demo inventory items and point the site at it."""

from __future__ import annotations

import logging
import os
import random
import secrets
from typing import Any

from .fake import FakeMagento

log = logging.getLogger("rm365.magento")

#: Demo inventory SKUs the orders are drawn from (those that exist on the site are used).
DEMO_SKUS = [
    "VITD3-1-120",
    "VITD3-2-120",
    "VITD3-1-365",
    "VITC-1-60",
    "VITC-2-180",
    "VITK2-1-60",
    "D3K2-1-60",
    "B12-1-60",
    "B12-2-120",
    "BCOMP-60",
    "BCOMP-120",
    "VITE-60",
    "MULTI-1-90",
    "MULTI-2-180",
    "MAGCIT-1-60",
    "MAGGLY-1-90",
    "ZINC-1-120",
    "IRON-90",
    "OMEGA3-1-90",
    "OMEGA3-2-180",
    "PROBIO-1-30",
    "TURM-1-60",
    "COLLAG-90",
    "BIOTIN-1-120",
    "COQ10-1-60",
    "ASHWA-1-60",
    "ELDER-60",
]
FIRST = ["Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Leo", "Grace", "Jack", "Freya", "Harry"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Walker"]

_running: list[FakeMagento] = []


def fake_store(skus: dict[str, str], *, orders: int = 36, seed: int = 365) -> FakeMagento:
    """A fake Magento holding ``orders`` invoiced orders (``100000101``…) of ``skus``."""
    rng = random.Random(seed)
    fake = FakeMagento(token=secrets.token_urlsafe(16))
    names = sorted(skus.items())
    for n in range(orders):
        picked = rng.sample(names, k=min(len(names), rng.randint(1, 5)))
        lines = [(sku, name, rng.choice([1, 1, 1, 2, 2, 3])) for sku, name in picked]
        fake.add_order(str(100000101 + n), lines, customer=(rng.choice(FIRST), rng.choice(LAST)), invoice=n % 12 != 11)
    return fake


def seed(kernel: Any) -> None:
    settings = kernel.settings_for("magento")
    if settings is None or settings.base_url:
        return  # a real (or explicitly configured) Magento: nothing to fake
    stock = kernel.services.get("inventory.stock")
    skus = stock.names(DEMO_SKUS) if stock is not None else {}
    if not skus:
        skus = {"DEMO-1": "Demo item"}
    fake = fake_store(skus).start()
    _running.append(fake)
    settings.base_url, settings.token = fake.url, fake.token
    # Worker processes (serve --workers N) read their settings from the environment.
    os.environ["RM365_MAGENTO_BASE_URL"], os.environ["RM365_MAGENTO_TOKEN"] = fake.url, fake.token
    log.info("demo: fake Magento at %s with %d orders (try order 100000101)", fake.url, len(fake.orders))
    print(f"  Demo Magento (fake) at {fake.url}: orders 100000101 to {100000100 + len(fake.orders)}")  # noqa: T201
