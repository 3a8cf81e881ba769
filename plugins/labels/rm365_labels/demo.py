"""Demo data: one print job of Active items for FR, so the history page has something to
reprint. Skipped when a job exists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from .models import LabelJob
from .service import DB, LabelsService


def seed(kernel: Any) -> None:
    with kernel.databases.session(DB, readonly=True) as session:
        if session.scalar(select(func.count()).select_from(LabelJob)):
            return
    service = LabelsService(kernel)
    stock = kernel.services.get("inventory.stock")
    if stock is None:
        return
    items = stock.list_items(statuses=["Active"], size=12)["items"]
    if not items:
        return
    chosen = [{"sku": item["sku"], "copies": 2 if index == 0 else 1} for index, item in enumerate(items)]
    service.create_job(
        items=chosen,
        template="roll-69x27",
        region="fr",
        line_date=None,
        filters={"statuses": "Active", "region": "fr"},
        user="demo",
    )
