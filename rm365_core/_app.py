"""The application factory: builds the kernel, mounts every enabled plugin, serves the shell."""

from __future__ import annotations

import gc
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from . import _migrations
from ._auth import Authenticator, TokenService
from ._http import RequestGuard, document_errors, form_text_guard, install_error_handlers
from ._kernel import Kernel
from ._plugins import Plugin
from ._settings import Settings, load_settings

log = logging.getLogger("rm365")
WEB_DIR = Path(__file__).parent / "web"


def build_kernel(
    settings: Settings | None = None,
    *,
    extra_plugins: Iterable[Plugin] = (),
    discover_installed: bool = True,
) -> Kernel:
    """A kernel with its plugins loaded (no app, no migrations): for the CLI and the app."""
    settings = settings or load_settings()
    kernel = Kernel(settings, extra_plugins=extra_plugins, discover_installed=discover_installed)
    kernel.load_plugins()
    kernel.token_service = TokenService(
        settings.resolve_secret(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        minutes=settings.access_token_minutes,
    )
    kernel.authenticator = Authenticator(kernel, kernel.token_service)
    return kernel


_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]

#: The shell loads only its own scripts, styles and modules and talks only to its origin.
SHELL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class RequestIdMiddleware:
    """Gives every request an id (``X-Request-ID``, kept when the client sent a sane one)
    that error logs and 500 answers quote, and adds the security headers every answer
    carries. Plain ASGI: cheap on the hot path."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                rid = value.decode("latin-1")[:64]
                break
        if not rid or not rid.replace("-", "").isalnum():
            rid = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        raw = rid.encode()

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", raw), *_SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_id)


class _StaticFiles(StaticFiles):
    """Static files that browsers revalidate, so an upgrade's new modules load at once."""

    def file_response(self, *args: Any, **kwargs: Any) -> Any:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def _docs(app: FastAPI) -> None:
    """The OpenAPI page, with Swagger UI from the vendored copy so it works offline."""
    from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
    from starlette.responses import HTMLResponse

    app.docs_url, app.swagger_ui_oauth2_redirect_url = "/api/docs", "/api/docs/oauth2-redirect"

    async def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="RM365 Toolbox API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            oauth2_redirect_url="/api/docs/oauth2-redirect",
            swagger_ui_parameters={"persistAuthorization": False},
        )

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_route("/api/docs", docs, include_in_schema=False)
    app.add_route("/api/docs/oauth2-redirect", oauth2_redirect, include_in_schema=False)


def _plugin_running(name: str) -> Any:
    """A router dependency: 503 once a plugin has failed after mounting (in ``startup``)."""

    async def plugin_running(request: Request) -> None:
        plugin = request.app.state.kernel.plugins.plugins[name]
        if plugin.state != "enabled":
            raise HTTPException(503, f"plugin {name!r} is {plugin.state}: {plugin.error}")

    return plugin_running


def _error_handlers(app: FastAPI) -> None:
    install_error_handlers(app, _SECURITY_HEADERS)


def create_app(
    settings: Settings | None = None,
    *,
    kernel: Kernel | None = None,
    extra_plugins: Iterable[Plugin] = (),
    discover_installed: bool = True,
    upgrade: bool | None = None,
    realtime: bool = True,
    freeze_heap: bool = False,
) -> FastAPI:
    """The FastAPI application of a site. ``upgrade`` runs migrations first (default: on the
    embedded SQLite default, or when RM365_AUTO_UPGRADE says so). ``freeze_heap`` (what
    ``rm365 serve`` sets) moves what start-up allocated out of the garbage collector's sight."""
    kernel = kernel or build_kernel(settings, extra_plugins=extra_plugins, discover_installed=discover_installed)
    settings = kernel.settings
    if upgrade is None:
        upgrade = settings.auto_upgrade if settings.auto_upgrade is not None else settings.embedded
    if upgrade:
        _migrations.upgrade(kernel)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threadpool_size
        await run_in_threadpool(kernel.plugins.call_each, "startup", kernel=kernel, isolate=True)
        if kernel.hub is not None:
            await kernel.hub.startup()
            if not settings.redis_url:
                # One process serves every bridge: none is connected before it starts.
                await run_in_threadpool(kernel.devices.forget_connections)
        kernel.jobs.start_background()
        if freeze_heap:
            # Everything loaded so far lives as long as the process: keep the garbage collector
            # from walking it again on every full collection (the item search's p99 went from
            # about 115 ms to under 45 ms in benchmarks/bench_inventory.py).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await kernel.jobs.stop()
            if kernel.hub is not None:
                await kernel.hub.shutdown()
            await run_in_threadpool(kernel.plugins.call_each, "shutdown", kernel=kernel, reverse=True, isolate=True)

    app = FastAPI(
        title="RM365 Toolbox",
        version=kernel.plugins.plugins["core"].manifest.version,
        docs_url=None,  # served below from vendored files: no CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
        swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
        dependencies=[Depends(form_text_guard)],
    )
    app.state.kernel = kernel
    _docs(app)

    # Innermost first: the guard runs after the request id is set and the proxy is believed.
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    if settings.trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "X-Request-ID"],
        )
    _error_handlers(app)
    document_errors(app)

    if realtime:
        kernel.create_hub()

    from ._core.api import health_router

    app.include_router(health_router, prefix="/api")
    for owner, prefix, router in kernel.routers:
        guard = [Depends(_plugin_running(owner))] if owner != "core" else []
        app.include_router(router, prefix=prefix, dependencies=guard)

    for plugin in kernel.plugins.enabled():
        if plugin.web_dir is not None:
            app.mount(f"/plugins/{plugin.name}", _StaticFiles(directory=plugin.web_dir), name=f"web-{plugin.name}")
    if WEB_DIR.is_dir():
        app.mount("/static", _StaticFiles(directory=WEB_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> Any:
        page = WEB_DIR / "index.html"
        if not page.exists():
            raise HTTPException(404, "the web shell is not installed")
        return FileResponse(page, headers={"Cache-Control": "no-cache", "Content-Security-Policy": SHELL_CSP})

    index.__rm365_public__ = True  # type: ignore[attr-defined]

    return app


def asgi_app(app: FastAPI) -> Any:
    """The ASGI application to serve: the API and shell with the realtime hub mounted."""
    kernel = app.state.kernel
    return kernel.hub.wrap(app) if kernel.hub is not None else app


def make_asgi() -> Any:
    """Factory for ``uvicorn --factory rm365_core._app:make_asgi`` (each worker builds its own)."""
    return asgi_app(create_app(freeze_heap=True))
