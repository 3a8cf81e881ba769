"""One error shape for every 4xx, documented once for every route; 500s carry the headers."""

from __future__ import annotations

import types

import pytest
from fastapi import APIRouter, Depends

from rm365_core import Tab, hookimpl, require_tab


def _boom_plugin() -> types.ModuleType:
    module = types.ModuleType("boom_sample")
    router = APIRouter(dependencies=[Depends(require_tab("boom"))])

    @router.get("/fail")
    def fail() -> dict:
        raise RuntimeError("a bug")

    @router.get("/count")
    def count(n: int) -> dict:
        return {"n": n}

    module.register_routes = hookimpl(lambda: router)
    module.register_tabs = hookimpl(lambda: [Tab(id="boom", title="Boom")])
    return module


@pytest.fixture
def site(rm365_site):
    return rm365_site(plugins=["boom"], extra={"boom": _boom_plugin()}, discover=False)


def test_every_4xx_answers_detail_as_a_string(site):
    admin = site.admin_client()
    answers = [
        site.client.get("/api/v1/auth/me"),  # 401
        site.client_with_tabs("system").get("/api/v1/users"),  # 403
        admin.get("/api/v1/users/nobody"),  # 404
        admin.post("/api/v1/roles", json={"name": "user"}),  # 409
        admin.post("/api/v1/users", json={"username": "x"}),  # 422 from validation
        admin.get("/api/v1/boom/count?n=many"),  # 422 from a plugin's query
        site.client.post("/api/v1/auth/login", json={"username": ""}),  # 422 from the login body
    ]
    assert [a.status_code for a in answers] == [401, 403, 404, 409, 422, 422, 422]
    for answer in answers:
        assert isinstance(answer.json()["detail"], str), answer.json()


def test_validation_errors_name_the_field_and_keep_the_details(site):
    response = site.admin_client().post("/api/v1/users", json={"username": "bob"})
    body = response.json()
    assert body["field"] == "password" and "password" in body["detail"]
    assert body["errors"][0]["loc"] == ["body", "password"]


def test_the_openapi_document_lists_the_error_answers_of_every_route(site):
    schema = site.client.get("/api/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert schema["components"]["schemas"]["Error"]["properties"]["detail"] == {"type": "string"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "409", "412", "422", "428", "429"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_a_500_carries_the_security_headers_and_no_internals(site):
    response = site.admin_client().get("/api/v1/boom/fail")
    assert response.status_code == 500
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "a bug" not in response.text and "request id" in response.json()["detail"]
