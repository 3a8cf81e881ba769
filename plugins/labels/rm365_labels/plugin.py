"""The labels plugin's hook implementations: what it adds to an RM365 site."""

from __future__ import annotations

from typing import Any

from rm365_core import Job, Tab, hookimpl

from .models import Base
from .settings import LabelsSettings


@hookimpl
def register_settings() -> type[LabelsSettings]:
    return LabelsSettings


@hookimpl
def register_tables() -> Any:
    return Base


@hookimpl
def register_tabs() -> list[Tab]:
    return [
        Tab(id="labels", title="Labels", icon="barcode", order=30, description="Shelf labels to PDF"),
        Tab(
            id="labels.generator",
            title="Generator",
            icon="barcode",
            order=10,
            module="/plugins/labels/generator.js",
            description="Choose items, a template and a region; print labels",
        ),
        Tab(
            id="labels.history",
            title="History",
            icon="history",
            order=20,
            module="/plugins/labels/history.js",
            description="Recent label jobs: reprint, CSV, delete",
        ),
    ]


@hookimpl
def register_routes() -> Any:
    from .api import router

    return router


@hookimpl
def register_jobs() -> list[Job]:
    from .printing import render_job
    from .service import JOB_TAB

    return [Job(name="render", func=render_job, tab=JOB_TAB)]


@hookimpl
def demo_data(kernel: Any) -> None:
    from .demo import seed

    seed(kernel)
