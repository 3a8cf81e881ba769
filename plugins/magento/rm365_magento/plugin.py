"""The Magento plugin's hook implementations: what it adds to an RM365 site."""

from __future__ import annotations

from typing import Any

from rm365_core import RoomPolicy, Tab, hookimpl

from .models import Base
from .settings import MagentoSettings


@hookimpl
def register_settings() -> type[MagentoSettings]:
    return MagentoSettings


@hookimpl
def register_tables() -> Any:
    return Base


@hookimpl
def register_tabs() -> list[Tab]:
    return [
        Tab(id="magento", title="Magento", icon="cart", order=30, description="Pick & pack and returns"),
        Tab(
            id="magento.pickpack",
            title="Pick & pack",
            icon="barcode",
            order=10,
            module="/plugins/magento/pickpack.js",
            description="Scan an order's invoice to completion, or take a return back into stock",
        ),
        Tab(
            id="magento.dashboard",
            title="Sessions",
            icon="dashboard",
            order=20,
            module="/plugins/magento/dashboard.js",
            description="Every open session, live, with its audit log",
        ),
        Tab(
            id="magento.dashboard.admin",
            title="Supervisor actions",
            order=30,
            explicit=True,  # watching the sessions is not being their supervisor
            description="Force-cancel, force-complete, assign, take over, allow over-scans",
        ),
    ]


@hookimpl
def register_routes() -> Any:
    from .api import router

    return router


@hookimpl
def register_services(kernel: Any) -> dict[str, Any]:
    from .service import PickPack

    return {"magento.pickpack": PickPack(kernel)}


@hookimpl
def register_realtime() -> list[RoomPolicy]:
    from .realtime import room_policies

    return room_policies()


@hookimpl
def demo_data(kernel: Any) -> None:
    from .demo import seed

    seed(kernel)


@hookimpl
def shutdown(kernel: Any) -> None:
    service = kernel.services.get("magento.pickpack")
    if service is not None:
        service.close()
