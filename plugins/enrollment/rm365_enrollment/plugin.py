"""The enrollment plugin's hook implementations."""

from __future__ import annotations

from typing import Any

from rm365_core import Tab, hookimpl

from .models import Base
from .settings import EnrollmentSettings


@hookimpl
def register_settings() -> type[EnrollmentSettings]:
    return EnrollmentSettings


@hookimpl
def register_tables() -> Any:
    return Base


@hookimpl
def register_tabs() -> list[Tab]:
    return [
        Tab(id="enrollment", title="Enrollment", icon="users", order=30, description="People, cards and fingerprints"),
        Tab(
            id="enrollment.management",
            title="People",
            icon="users",
            order=10,
            module="/plugins/enrollment/management.js",
            description="Create, edit and deactivate people; who has a card and which fingers",
        ),
        Tab(
            id="enrollment.card",
            title="Cards",
            icon="card",
            order=20,
            module="/plugins/enrollment/card.js",
            description="Give a person a card: scan it at a station or type the UID",
        ),
        Tab(
            id="enrollment.fingerprint",
            title="Fingerprints",
            icon="fingerprint",
            order=30,
            module="/plugins/enrollment/fingerprint.js",
            description="Enrol fingers at a station's sensor",
        ),
    ]


@hookimpl
def register_routes() -> Any:
    from .api import router

    return router


@hookimpl
def register_services(kernel: Any) -> dict[str, Any]:
    from .service import PeopleService

    return {"enrollment.people": PeopleService(kernel)}


@hookimpl
def register_cli(kernel: Any, app: Any) -> None:
    @app.command("rotate-key")
    def rotate_key() -> None:
        """Re-encrypt every fingerprint template with RM365_ENROLLMENT_TEMPLATE_KEY."""
        from .service import DATABASE

        service = kernel.services.get("enrollment.people")
        with kernel.databases.session(DATABASE) as session:
            count = service.rotate_key(session)
        print(f"re-encrypted {count} template(s)")


@hookimpl
def demo_data(kernel: Any) -> None:
    from .demo import seed

    seed(kernel)
