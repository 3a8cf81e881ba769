"""The test kit for plugin authors (a pytest plugin, loaded automatically).

Fixtures:

``rm365_site``
    a factory: ``site = rm365_site(plugins=["inventory"], extra={"hello": module})`` builds
    a site with only those plugins (plus any plugin objects registered for this test) on
    fresh temporary databases (SQLite, or PostgreSQL when RM365_TEST_DATABASE_URL is set),
    migrated and started. ``site.client_with_tabs("inventory")`` is a logged-in client.
``rm365_database_url``
    the database URL a test site uses (a fresh PostgreSQL schema per site, or None for SQLite).

Helpers: ``assert_routes_guarded(app)`` fails naming every route that skips the tab check;
``migration_drift(kernel, plugin)`` lists where a plugin's models and migrations disagree;
``live_server(asgi_app(site.app))`` serves a site (API and realtime hub) on a free port;
``RealtimeTestClient`` is a blocking Socket.IO client that records what it receives;
``site.pair_device(name)`` pairs a device and ``FakeBridge`` plays its bridge on a live site.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ._app import asgi_app
from ._devices_testing import FakeBridge
from ._realtime_testing import RealtimeConnectionRefused, RealtimeTestClient, live_server
from ._route_guards import unguarded
from ._settings import Settings

__all__ = [
    "FakeBridge",
    "RealtimeConnectionRefused",
    "RealtimeTestClient",
    "Site",
    "asgi_app",
    "assert_routes_guarded",
    "live_server",
    "migration_drift",
    "postgres_url",
    "redis_url",
    "require_service",
]

PG_ENV = "RM365_TEST_DATABASE_URL"
REDIS_ENV = "RM365_TEST_REDIS_URL"


def postgres_url() -> str | None:
    """The PostgreSQL server tests may use, or None (tests that need it then skip)."""
    return os.environ.get(PG_ENV) or None


def redis_url() -> str | None:
    return os.environ.get(REDIS_ENV) or None


def require_service(name: str, value: str | None, env: str) -> str:
    """Skip (or, under CI, fail) a test that needs a service that is not configured."""
    if value:
        return value
    message = f"{name} is not configured: set {env} to run this test"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must not skip it)")
    pytest.skip(message)


def migration_drift(kernel: Any, plugin: str) -> list[Any]:
    """What a plugin's models and its migrations disagree on (``[]`` when they agree)."""
    from ._migrations import drift

    return list(drift(kernel, plugin))


def assert_routes_guarded(app: Any) -> None:
    """Fail, naming each one, when a route of ``app`` declares no tab (``require_tab``,
    ``login_required`` or ``public``) or is a plain Starlette route that skips the check.
    Static file mounts and the OpenAPI page are exempt."""
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    allow = {p for p in (app.openapi_url, app.docs_url, app.swagger_ui_oauth2_redirect_url) if p}
    allow |= {r.path for r in app.routes if isinstance(r, Mount) and isinstance(r.app, StaticFiles)}
    problems = unguarded(app.routes, allow=allow)
    assert not problems, "routes that skip the tab check:\n  " + "\n  ".join(problems)


class FreshSchema:
    """A PostgreSQL schema created for one site and dropped afterwards."""

    def __init__(self, base_url: str) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        self.name = f"t_{uuid.uuid4().hex[:12]}"
        self._admin = create_engine(base_url, poolclass=__import__("sqlalchemy.pool").pool.NullPool)
        with self._admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={self.name}"})
        self.url = url.render_as_string(hide_password=False)
        self._text = text

    def drop(self) -> None:
        with self._admin.begin() as conn:
            conn.execute(self._text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self._admin.dispose()


class Site:
    """A running test site: the app, its kernel and helpers to get logged-in clients.

    A live site (``rm365_site(..., live=True)``) is served by uvicorn on a free loopback
    port with the realtime hub running: ``site.url`` is its address, the clients are real
    HTTP clients, and ``site.realtime(token)`` is a connected ``RealtimeTestClient``.
    """

    def __init__(self, app: Any, client: Any, url: str | None = None) -> None:
        self.app = app
        self.kernel = app.state.kernel
        self.client = client  # anonymous
        self.url = url
        self._clients: list[Any] = []

    def create_user(
        self,
        username: str | None = None,
        *,
        tabs: list[str] | tuple[str, ...] = (),
        role: str = "user",
        password: str | None = None,
    ) -> tuple[str, str]:
        """Create a user directly through the service; returns (username, password)."""
        from ._core.service import UserService

        username = username or f"user_{uuid.uuid4().hex[:8]}"
        password = password or secrets.token_urlsafe(12)
        service = UserService(self.kernel)
        with self.kernel.databases.session("core") as session:
            service.seed_roles(session)
            service.create_user(session, username=username, password=password, role=role, allowed_tabs=list(tabs))
        return username, password

    def pair_device(self, name: str | None = None, site: str = "", drivers: list[str] | None = None) -> tuple[int, str]:
        """Pair a device through a pairing code; returns (device id, device token)."""
        devices = self.kernel.devices
        code, _expires = devices.create_pairing_code(name or f"station-{uuid.uuid4().hex[:6]}", site)
        device, token = devices.pair(code, drivers or ["simulated"])
        return device.id, token

    def login(self, username: str, password: str) -> dict[str, Any]:
        response = self.client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return response.json()

    def _client(self, token: str) -> Any:
        if self.url is not None:
            import httpx

            client: Any = httpx.Client(base_url=self.url, timeout=30)
        else:
            from fastapi.testclient import TestClient

            client = TestClient(self.app, raise_server_exceptions=False)
        client.headers["Authorization"] = f"Bearer {token}"
        self._clients.append(client)
        return client

    def client_with_tabs(self, *tabs: str, role: str = "user", username: str | None = None) -> Any:
        """A client logged in as a new user holding exactly ``tabs`` (plus the role's)."""
        username, password = self.create_user(username, tabs=tabs, role=role)
        client = self._client(self.login(username, password)["access_token"])
        client.username = username  # type: ignore[attr-defined]
        client.password = password  # type: ignore[attr-defined]
        return client

    def admin_client(self) -> Any:
        return self.client_with_tabs(role="admin")

    def token_for(self, *tabs: str, role: str = "user") -> tuple[str, str]:
        """(username, access token) of a new user holding ``tabs``."""
        username, password = self.create_user(tabs=tabs, role=role)
        return username, self.login(username, password)["access_token"]

    def realtime(self, token: str) -> Any:
        """A realtime client connected to this live site with ``token``."""
        from ._realtime_testing import RealtimeTestClient

        if self.url is None:
            raise RuntimeError("realtime clients need a live site: rm365_site(..., live=True)")
        client = RealtimeTestClient()
        client.connect(self.url, token)
        self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()


class _LiveHandle:
    """Stops a live site's server and closes its anonymous client."""

    def __init__(self, server: Any, client: Any) -> None:
        self.server, self.client = server, client

    def __exit__(self, *exc: Any) -> None:
        self.client.close()
        self.server.__exit__(None, None, None)


def make_site_factory(tmp_path: Path) -> tuple[Callable[..., Site], Callable[[], None]]:
    from fastapi.testclient import TestClient

    from ._app import create_app
    from ._plugins import plugin_from_module

    opened: list[tuple[Site, Any, FreshSchema | None]] = []

    def factory(
        plugins: list[str] | None = None,
        extra: dict[str, Any] | None = None,
        *,
        discover: bool = True,
        realtime: bool = True,
        live: bool = False,
        **settings: Any,
    ) -> Site:
        pg_url = postgres_url()
        schema = FreshSchema(pg_url) if pg_url and "database_url" not in settings else None
        data_dir = tmp_path / f"site-{len(opened)}"
        values: dict[str, Any] = {
            "env": "test",
            "data_dir": data_dir,
            "secret_key": secrets.token_urlsafe(48),
            "database_url": schema.url if schema else None,
            "plugins": list(plugins) + list(extra or {}) if plugins is not None else None,
            "login_max_failures": 5,
            "auth_cache_seconds": 0,
        }
        values.update(settings)
        app = None
        try:
            site_settings = Settings(**values)
            extra_plugins = [plugin_from_module(name, obj) for name, obj in (extra or {}).items()]
            app = create_app(
                site_settings,
                extra_plugins=extra_plugins,
                discover_installed=discover,
                upgrade=True,
                realtime=realtime,
            )
            url = None
            if live:
                import httpx

                from ._app import asgi_app
                from ._realtime_testing import live_server

                server = live_server(asgi_app(app))
                url = server.__enter__()  # the lifespan runs on the server's own loop
                client: Any = _LiveHandle(server, httpx.Client(base_url=url, timeout=30))
            else:
                client = TestClient(app, raise_server_exceptions=False)
                client.__enter__()  # run the lifespan (startup hooks)
        except BaseException:
            # A site that fails to start (strict mode, a broken plugin) leaves nothing behind.
            if app is not None:
                app.state.kernel.databases.dispose()
            if schema is not None:
                schema.drop()
            raise
        site = Site(app, client.client if live else client, url=url)
        opened.append((site, client, schema))
        return site

    def close_all() -> None:
        for site, client, schema in reversed(opened):
            site.close()
            client.__exit__(None, None, None)
            site.kernel.databases.dispose()
            if schema is not None:
                schema.drop()

    return factory, close_all


@pytest.fixture
def rm365_site(tmp_path: Path) -> Iterator[Callable[..., Site]]:
    """Build test sites: ``rm365_site(plugins=[...], extra={name: module})``."""
    factory, close_all = make_site_factory(tmp_path)
    try:
        yield factory
    finally:
        close_all()


@pytest.fixture
def rm365_database_url() -> Iterator[str | None]:
    url = postgres_url()
    if url is None:
        yield None
        return
    schema = FreshSchema(url)
    try:
        yield schema.url
    finally:
        schema.drop()
