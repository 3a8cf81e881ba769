"""Runtime behaviour of the kernel: startup failures, any-of tabs, file modes, jobs."""

from __future__ import annotations

import stat
import time
import types

from fastapi import APIRouter, Depends

from rm365_core import Job, Tab, hookimpl, require_tab


def _plugin(name: str, *, fail_startup: bool = False) -> types.ModuleType:
    module = types.ModuleType(f"{name}_sample")
    router = APIRouter()

    @router.get("/either", dependencies=[Depends(require_tab(f"{name}.a", f"{name}.b"))])
    def either() -> dict:
        return {"ok": True}

    def register_tabs():
        return [
            Tab(id=name, title=name),
            Tab(id=f"{name}.a", title="A"),
            Tab(id=f"{name}.b", title="B"),
            Tab(id=f"{name}.c", title="C"),
        ]

    def register_routes():
        return router

    def startup():
        if fail_startup:
            raise RuntimeError("the label printer is unplugged")

    def count(kernel, progress):
        for i in range(3):
            progress(i + 1, 3, f"step {i + 1}")
        return 3

    def register_jobs():
        return [Job(name="count", func=count, tab=name)]

    for fn in (register_tabs, register_routes, startup, register_jobs):
        setattr(module, fn.__name__, hookimpl(fn))
    return module


def test_a_plugin_failing_at_startup_is_failed_and_its_routes_answer_503(rm365_site):
    site = rm365_site(
        plugins=["good", "bad"],
        extra={"good": _plugin("good"), "bad": _plugin("bad", fail_startup=True)},
        discover=False,
    )
    admin = site.admin_client()
    states = {p["name"]: p for p in admin.get("/api/v1/plugins").json()}
    assert states["bad"]["state"] == "failed"
    assert "label printer is unplugged" in states["bad"]["error"]
    assert states["good"]["state"] == "enabled"
    assert admin.get("/api/v1/good/either").status_code == 200
    broken = admin.get("/api/v1/bad/either")
    assert broken.status_code == 503 and "failed" in broken.json()["detail"]
    assert site.client.get("/api/health").json()["status"] == "degraded"


def test_require_tab_with_alternatives_admits_either_tab(rm365_site):
    site = rm365_site(plugins=["good"], extra={"good": _plugin("good")}, discover=False)
    assert site.client_with_tabs("good.a").get("/api/v1/good/either").status_code == 200
    assert site.client_with_tabs("good.b").get("/api/v1/good/either").status_code == 200
    refused = site.client_with_tabs("good.c").get("/api/v1/good/either")
    assert refused.status_code == 403
    assert "'good.a' or 'good.b'" in refused.json()["detail"]


def test_sqlite_databases_are_readable_by_their_owner_only(rm365_site):
    site = rm365_site(plugins=[], discover=False, database_url=None)
    path = site.kernel.settings.data_dir / "core.sqlite3"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_job_reports_progress_and_result(rm365_site):
    site = rm365_site(plugins=["good"], extra={"good": _plugin("good")}, discover=False)
    job = site.kernel.jobs.jobs["good.count"]
    run = site.kernel.jobs.start(job)
    admin = site.admin_client()
    deadline = time.monotonic() + 5
    while admin.get(f"/api/v1/jobs/{run.id}").json()["state"] != "done" and time.monotonic() < deadline:
        time.sleep(0.05)
    body = admin.get(f"/api/v1/jobs/{run.id}").json()
    assert body["state"] == "done"
    assert (body["done"], body["total"], body["message"]) == (3, 3, "step 3")
    assert body["room"] == f"good:job:{run.id}"


def test_openapi_page_loads_swagger_from_this_server_not_a_cdn(rm365_site):
    site = rm365_site(plugins=[], discover=False)
    page = site.client.get("/api/docs")
    assert page.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page.text
    assert "https://" not in page.text
    assert site.client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_answers_carry_security_headers_and_the_shell_a_content_policy(rm365_site):
    site = rm365_site(plugins=[], discover=False)
    shell = site.client.get("/")
    assert "script-src 'self'" in shell.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in shell.headers["content-security-policy"]
    api = site.client.get("/api/health")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["x-frame-options"] == "DENY"
    assert api.headers["x-request-id"]


def test_a_sane_request_id_is_kept_and_a_bad_one_replaced(rm365_site):
    site = rm365_site(plugins=[], discover=False)
    assert site.client.get("/api/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    replaced = site.client.get("/api/health", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
    assert replaced != "<script>" and replaced.isalnum()


def test_a_wildcard_cors_origin_is_refused_naming_the_setting(monkeypatch):
    import pytest

    from rm365_core._settings import SettingsError, load_settings

    monkeypatch.setenv("RM365_CORS_ORIGINS", "*")
    with pytest.raises(SettingsError, match="RM365_CORS_ORIGINS"):
        load_settings()


def test_cors_admits_only_the_listed_origins(rm365_site):
    site = rm365_site(plugins=[], discover=False, cors_origins=["https://kiosk.example"])
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    allowed = site.client.options("/api/v1/auth/me", headers={"Origin": "https://kiosk.example", **preflight})
    assert allowed.headers["access-control-allow-origin"] == "https://kiosk.example"
    refused = site.client.options("/api/v1/auth/me", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in refused.headers


def test_no_cross_origin_access_by_default(rm365_site):
    site = rm365_site(plugins=[], discover=False)
    response = site.client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers
