"""Every route declares who may call it, and the server enforces it (401, then 403).

The site runs with every installed plugin. A route is declared when its dependency tree
holds a ``require_tab(...)`` (tab), ``login_required`` (any logged-in user) or ``public``
(or its endpoint has ``__rm365_public__``). The kernel refuses a plugin with an
undeclared route when it accepts it (``rm365_core/_route_guards.py``); these tests also
walk the whole app, the kernel's own routes included.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from starlette.staticfiles import StaticFiles

from rm365_core._plugins import STATES
from rm365_core._route_guards import endpoints as walk
from rm365_core.testing import assert_routes_guarded

SAMPLES = Path(__file__).parent / "samples"
if str(SAMPLES) not in sys.path:
    sys.path.insert(0, str(SAMPLES))

from sample_catalog import pick  # noqa: E402


def endpoints(app: Any) -> list[Any]:
    return walk(app.routes)


_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
_DUMMY = {"int": "1", "float": "1.5", "uuid": "00000000-0000-4000-8000-000000000001", "path": "x/y"}


def concrete(path: str) -> str:
    """The path with dummy values for its parameters."""
    return _PARAM.sub(lambda m: _DUMMY.get(m.group(2) or "str", "dummy"), path)


def docs_paths(app: Any) -> set[str]:
    return {p for p in (app.openapi_url, app.docs_url, app.swagger_ui_oauth2_redirect_url) if p}


@pytest.fixture
def full_site(rm365_site: Any) -> Any:
    """A site with every installed plugin (RM365_PLUGINS unset)."""
    return rm365_site(plugins=None, discover=True)


def test_every_installed_plugin_is_enabled(full_site):
    problems = {
        p.name: f"{p.state}: {p.error}" for p in full_site.kernel.plugins.plugins.values() if p.state != "enabled"
    }
    assert problems == {}, "the route walk only covers enabled plugins"


def test_every_route_declares_who_may_call_it(full_site):
    app = full_site.app
    undeclared = [
        f"{','.join(e.methods)} {e.path}"
        for e in endpoints(app)
        if e.kind in ("api", "websocket") and e.declaration is None
    ]
    plain = [
        f"{','.join(e.methods)} {e.path}"
        for e in endpoints(app)
        if e.kind not in ("api", "websocket", "mount") and e.path not in docs_paths(app)
    ]
    assert undeclared == [], "routes without require_tab / login_required / public"
    assert plain == [], "plain Starlette routes bypass FastAPI dependencies: use an APIRouter"


def test_every_route_of_the_full_site_passes_the_test_kits_guard_check(full_site):
    assert_routes_guarded(full_site.app)


def test_a_plugin_with_an_undeclared_route_is_quarantined_naming_the_route(rm365_site):
    site = rm365_site(plugins=[], extra=pick("unguarded"), discover=False)

    row = site.kernel.plugins.plugins["unguarded"]

    assert row.state == "failed"
    assert "GET /api/v1/unguarded/reports/open declares no tab" in row.error
    assert "/fine" not in row.error
    assert site.admin_client().get("/api/v1/unguarded/fine").status_code == 404  # nothing mounted
    assert "unguarded" not in {tab.id for tab in site.kernel.tabs}


def test_the_test_kit_names_an_unguarded_route_of_an_app(rm365_site):
    site = rm365_site(plugins=[], discover=False)
    stray = APIRouter()

    @stray.get("/stray")
    def stray_route() -> dict:
        return {}

    site.app.include_router(stray, prefix="/api/v1/x")

    with pytest.raises(AssertionError, match="GET /api/v1/x/stray declares no tab"):
        assert_routes_guarded(site.app)


def test_routes_with_a_tab_answer_401_without_token_and_403_without_the_tab(full_site):
    site = full_site
    _, token = site.token_for()  # a user holding no tab
    checked = 0
    for endpoint in endpoints(site.app):
        if endpoint.declaration != "tab":
            continue
        url = concrete(endpoint.path)
        for method in endpoint.methods:
            anonymous = site.client.request(method, url)
            assert anonymous.status_code == 401, f"{method} {endpoint.path} without a token"
            assert anonymous.headers.get("www-authenticate") == "Bearer"
            assert "detail" in anonymous.json()
            forbidden = site.client.request(method, url, headers={"Authorization": f"Bearer {token}"})
            assert forbidden.status_code == 403, f"{method} {endpoint.path} without its tab"
            assert "detail" in forbidden.json()
            checked += 1
    assert checked >= 10  # the kernel alone has users, roles, plugins, devices, jobs


#: The few routes any logged-in user may call (issue #2: me, logout, tabs).
KERNEL_LOGIN_ONLY = {"/api/v1/auth/me", "/api/v1/auth/logout", "/api/v1/tabs"}


def test_login_only_routes_answer_401_without_token(full_site):
    site = full_site
    login_only = [e for e in endpoints(site.app) if e.declaration == "login"]
    assert {e.path for e in login_only} >= KERNEL_LOGIN_ONLY
    for endpoint in login_only:
        for method in endpoint.methods:
            answer = site.client.request(method, concrete(endpoint.path))
            assert answer.status_code == 401, f"{method} {endpoint.path} without a token"


def test_only_the_kernel_few_serve_any_logged_in_user(full_site):
    """Other routes built on login_required must check a tab themselves (e.g. any of two)."""
    site = full_site
    for endpoint in endpoints(site.app):
        if endpoint.declaration != "login":
            continue
        url = concrete(endpoint.path)
        for method in endpoint.methods:
            _, token = site.token_for()  # a user holding no tab; fresh, as logout revokes it
            answer = site.client.request(method, url, headers={"Authorization": f"Bearer {token}"})
            if endpoint.path in KERNEL_LOGIN_ONLY:
                assert answer.status_code not in (401, 403), f"{method} {endpoint.path}"
            else:
                assert answer.status_code == 403, f"{method} {endpoint.path} without any tab"


def test_public_routes_need_no_token(full_site):
    site = full_site
    public_routes = [e for e in endpoints(site.app) if e.declaration == "public"]
    paths = {e.path for e in public_routes}
    assert {"/api/health", "/api/v1/auth/login", "/api/v1/auth/refresh", "/"} <= paths
    for endpoint in public_routes:
        for method in endpoint.methods:
            answer = site.client.request(method, concrete(endpoint.path))
            assert answer.status_code not in (401, 403), f"{method} {endpoint.path}"


def test_public_routes_are_only_the_few_the_issue_names(full_site):
    public_paths = {e.path for e in endpoints(full_site.app) if e.declaration == "public"}
    # A bridge pairs with a one-time code, before it has any token.
    assert public_paths == {"/api/health", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/devices/pair", "/"}


def test_openapi_and_docs_need_no_login(full_site):
    for path in ("/api/openapi.json", "/api/docs"):
        assert full_site.client.get(path).status_code == 200, path


def test_shell_and_static_files_need_no_login(full_site):
    site = full_site
    index = site.client.get("/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    mounts = [e for e in endpoints(site.app) if e.kind == "mount"]
    assert "/static" in {m.path for m in mounts}
    for mount in mounts:
        app = mount.route.app
        assert isinstance(app, StaticFiles), f"mount {mount.path} serves more than files"
        folder = Path(app.directory)
        files = [p for p in sorted(folder.rglob("*")) if p.is_file()]
        if files:
            url = f"{mount.path}/{files[0].relative_to(folder).as_posix()}"
            assert site.client.get(url).status_code == 200, url
        else:  # an empty web folder: still no login asked for
            assert site.client.get(f"{mount.path}/absent.js").status_code == 404, mount.path


def test_health_is_public_and_tells_states_only(full_site):
    site = full_site

    response = site.client.get("/api/health")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "plugins", "databases"}
    assert body["status"] in ("ok", "degraded")
    assert set(body["plugins"].values()) <= set(STATES)
    assert set(body["databases"].values()) <= {"ok", "error"}
    assert "core" in body["databases"]
    text = response.text.lower()
    settings = site.kernel.settings
    for leak in ("version", "sqlite", "postgres", "secret", "password", str(settings.data_dir).lower()):
        assert leak not in text, leak
    assert settings.resolve_secret().lower() not in text
