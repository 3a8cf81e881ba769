"""An explicit tab is given only by name: holding its parent (or grandparent) lets a user see a
page, not use the powers registered under it."""

from __future__ import annotations

import types

import pytest
from fastapi import APIRouter, Depends

from rm365_core import Tab, hookimpl, require_tab


def _plugin() -> types.ModuleType:
    module = types.ModuleType("floor_sample")
    router = APIRouter()

    @router.get("/board", dependencies=[Depends(require_tab("floor.board"))])
    def board() -> dict:
        return {"seen": True}

    @router.post("/board/override", dependencies=[Depends(require_tab("floor.board.boss"))])
    def override() -> dict:
        return {"done": True}

    module.register_routes = hookimpl(lambda: router)
    module.register_tabs = hookimpl(
        lambda: [
            Tab(id="floor", title="Floor"),
            Tab(id="floor.board", title="Board"),
            Tab(id="floor.board.boss", title="Boss actions", explicit=True),
            Tab(id="floor.board.boss.audit", title="Boss audit"),
        ]
    )
    return module


@pytest.fixture
def site(rm365_site):
    return rm365_site(plugins=["floor"], extra={"floor": _plugin()}, discover=False)


@pytest.mark.parametrize("tabs", [("floor",), ("floor.board",)])
def test_a_parent_shows_the_page_but_not_the_explicit_tab(site, tabs):
    client = site.client_with_tabs(*tabs)

    assert client.get("/api/v1/floor/board").status_code == 200
    assert client.post("/api/v1/floor/board/override").status_code == 403
    held = client.get("/api/v1/auth/me").json()["allowed_tabs"]
    assert "floor.board" in held and "floor.board.boss" not in held and "floor.board.boss.audit" not in held


def test_the_explicit_tab_by_name_grants_it_and_its_children_and_an_admin_holds_it(site):
    boss = site.client_with_tabs("floor.board", "floor.board.boss")

    assert boss.post("/api/v1/floor/board/override").json() == {"done": True}
    assert {"floor.board.boss", "floor.board.boss.audit"} <= set(boss.get("/api/v1/auth/me").json()["allowed_tabs"])
    assert site.admin_client().post("/api/v1/floor/board/override").status_code == 200


def test_the_tab_tree_says_which_tabs_are_explicit(site):
    tree = site.admin_client().get("/api/v1/tabs", params={"all": "true"}).json()
    floor = next(t for t in tree if t["id"] == "floor")
    board = floor["children"][0]
    assert (board["explicit"], board["children"][0]["id"], board["children"][0]["explicit"]) == (
        False,
        "floor.board.boss",
        True,
    )
