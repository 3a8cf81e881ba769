"""The inventory plugin's hook implementations: what it adds to an RM365 site."""

from __future__ import annotations

from typing import Any

from rm365_core import RoomPolicy, Tab, hookimpl

from .models import Base
from .settings import InventorySettings


@hookimpl
def register_settings() -> type[InventorySettings]:
    return InventorySettings


@hookimpl
def register_tables() -> Any:
    return Base


@hookimpl
def register_tabs() -> list[Tab]:
    return [
        Tab(
            id="inventory",
            title="Inventory",
            icon="inventory",
            order=10,
            description="Items, stock by location and adjustments",
        ),
        Tab(
            id="inventory.management",
            title="Management",
            icon="grid",
            order=10,
            module="/plugins/inventory/management.js",
            description="The item grid: edit items and stock together, live",
        ),
        Tab(
            id="inventory.adjustments",
            title="Adjustments",
            icon="barcode",
            order=20,
            module="/plugins/inventory/adjustments.js",
            description="Scan and adjust stock; movement history",
        ),
    ]


@hookimpl
def register_routes() -> Any:
    from .api import router

    return router


@hookimpl
def register_services(kernel: Any) -> dict[str, Any]:
    from .service import StockService

    return {"inventory.stock": StockService(kernel)}


@hookimpl
def register_realtime() -> list[RoomPolicy]:
    from .realtime import room_policies

    return room_policies()


@hookimpl
def register_cli(kernel: Any, app: Any) -> None:
    from .cli import register

    register(kernel, app)


@hookimpl
def demo_data(kernel: Any) -> None:
    from .demo import seed

    seed(kernel)
