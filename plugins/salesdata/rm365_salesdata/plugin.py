"""The salesdata plugin's hook implementations: what it adds to an RM365 site."""

from __future__ import annotations

from typing import Any

from rm365_core import Tab, hookimpl

from .models import Base
from .settings import SalesdataSettings


def _settings(kernel: Any) -> SalesdataSettings:
    settings = kernel.settings_for("salesdata") if kernel is not None else None
    return settings if settings is not None else SalesdataSettings()


@hookimpl
def register_settings() -> type[SalesdataSettings]:
    return SalesdataSettings


@hookimpl
def register_tables() -> Any:
    return Base


@hookimpl
def register_tabs(kernel: Any) -> list[Tab]:
    """One tab per configured region (raw lines, condensed demand, charts) and the shared ones."""
    tabs = [
        Tab(
            id="salesdata",
            title="Sales data",
            icon="salesdata",
            order=30,
            description="Orders per storefront, demand, imports and filters",
        ),
    ]
    for order, (region_id, region) in enumerate(_settings(kernel).regions.items()):
        tabs.append(
            Tab(
                id=f"salesdata.{region_id}",
                title=region.title or region_id.upper(),
                icon="chart",
                order=10 + order,
                module="/plugins/salesdata/region.js",
                description=f"{region.title} sales ({region.currency}): lines, demand, charts",
            )
        )
    tabs += [
        Tab(
            id="salesdata.upload",
            title="Upload",
            icon="folder",
            order=80,
            module="/plugins/salesdata/upload.js",
            description="Import a Magento order export",
        ),
        Tab(
            id="salesdata.history",
            title="Import history",
            icon="clock",
            order=85,
            module="/plugins/salesdata/history.js",
            description="Who imported what, and the row errors",
        ),
        Tab(
            id="salesdata.filters",
            title="Filters",
            icon="settings",
            order=90,
            module="/plugins/salesdata/filters.js",
            description="Aliases, excluded customers, thresholds and currency rates",
        ),
    ]
    return tabs


@hookimpl
def register_routes(kernel: Any) -> Any:
    from .api import build_router

    return build_router(_settings(kernel))


@hookimpl
def register_services(kernel: Any) -> dict[str, Any]:
    from .demand import DemandService

    service = DemandService(kernel)
    return {"salesdata.demand": service, "salesdata.prices": service}


@hookimpl
def register_jobs() -> Any:
    from .jobs import jobs

    return jobs()


@hookimpl
def register_cli(kernel: Any, app: Any) -> None:
    from .cli import register

    register(kernel, app)


@hookimpl
def demo_data(kernel: Any) -> None:
    from .demo import seed

    seed(kernel)
