"""FastAPI dependencies that hand plugins the kernel, database sessions and services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session


def get_kernel(request: Request) -> Any:
    """The running kernel: ``kernel: Kernel = Depends(get_kernel)``."""
    return request.app.state.kernel


def db_session(database: str, *, readonly: bool = False) -> Callable[[Request], Iterator[Session]]:
    """A dependency yielding a session on a logical database.

    Commit explicitly (``session.commit()``) before returning a response that reports a
    write: what the client is told must already be durable. Anything uncommitted is rolled
    back when the request ends.
    """

    def dependency(request: Request) -> Iterator[Session]:
        maker = request.app.state.kernel.databases.sessionmaker(database, readonly=readonly)
        session = maker()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    dependency.__name__ = f"db_session_{database}"
    return dependency


def service(name: str, *, optional: bool = False) -> Callable[[Request], Any]:
    """A dependency giving another plugin's service (``None`` when optional and absent)."""

    def dependency(request: Request) -> Any:
        services = request.app.state.kernel.services
        return services.get(name) if optional else services.require(name)

    return dependency
