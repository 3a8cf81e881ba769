"""The conventions the next plugins copy, as inventory uses them: events only after a commit,
lists in one envelope paged by keyset, times in UTC with their zone, an answer documented for
every route, and barcodes of the old rule derived again by the migration."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest
import rm365_inventory
from alembic import command
from alembic.config import Config
from rm365_inventory import engine
from rm365_inventory.context import announce
from rm365_inventory.models import Base
from sqlalchemy import text

from rm365_core.testing import migration_drift

BASE = "/api/v1/inventory"


@pytest.fixture
def sent(site):
    """Every event the database registry hands to the hub after a commit."""
    events: list[tuple[str, dict]] = []
    site.kernel.databases.emit = lambda event, data, room=None: events.append((event, data))
    return events


def test_an_adjustment_announces_its_change_only_after_the_commit(site, inv, sent):
    inv.create("A-1", stock={"shelf_lt1": 5})
    sent.clear()

    inv.adjust("A-1", 2, "Pick/Pack")

    assert [(event, data["quantity"]) for event, data in sent] == [("inventory.changed", 3)]


def test_nothing_is_announced_for_a_change_that_is_rolled_back(site, inv, sent):
    inv.create("A-1", stock={"shelf_lt1": 5})
    stock = site.kernel.services.get("inventory.stock")
    sent.clear()

    with pytest.raises(RuntimeError), stock.session() as session:
        conn = session.connection()
        pk, sku, version = engine.lock_item(stock, conn, "A-1")
        header = {
            "client_id": None,
            "item_pk": pk,
            "sku": sku,
            "quantity": -2,
            "reason": "Pick/Pack",
            "location": "auto",
            "source": "api",
            "username": "tester",
            "note": "",
            "created_at": datetime.now().astimezone(),
        }
        _, events = engine.move(stock, conn, engine.lock_stock(stock, conn, pk), header, -2, "auto", version)
        for event in events:
            announce(session, "inventory.changed", event)
        raise RuntimeError("the caller fails after the change")

    assert sent == []
    assert inv.item("A-1")["total"] == 5


def test_a_refused_adjustment_announces_nothing(inv, sent):
    inv.create("A-1", stock={"shelf_lt1": 1})
    sent.clear()

    assert inv.adjust("A-1", 2, "Pick/Pack").status_code == 409
    assert sent == []


def test_movement_history_answers_the_list_envelope(inv):
    inv.create("A-1", stock={"shelf_lt1": 5})
    inv.adjust("A-1", 1, "Pick/Pack")

    answer = inv.history(sku="A-1", size=1)
    item = inv.client.get(f"{BASE}/items/A-1/history").json()

    assert set(answer) >= {"items", "total", "page", "size"} and "movements" not in answer
    assert answer["total"] == 2 and answer["page"] == 1 and answer["size"] == 1
    assert [m["reason"] for m in answer["items"]] == ["Pick/Pack"]
    assert item["total"] == 2 and len(item["items"]) == 2


@pytest.mark.parametrize("search", ["", "item"], ids=["all", "search"])
@pytest.mark.parametrize("sort", ["sku", "-sku", "-total", "shelf_lt1", "name", "-updated_at"])
def test_the_item_list_pages_by_keyset_through_every_item_once_and_counts_once(inv, sort, search):
    for n in range(23):
        inv.create(f"SKU-{n:02d}", f"Item {n % 5}", stock={"shelf_lt1": n % 4})
    by_offset = [
        i["sku"] for page in (1, 2, 3) for i in inv.items(size=10, page=page, sort=sort, search=search)["items"]
    ]

    seen, after, totals = [], None, set()
    for _ in range(5):
        params = {"size": 10, "sort": sort, "search": search, **({"after": after} if after else {})}
        answer = inv.items(**params)
        seen += [i["sku"] for i in answer["items"]]
        totals.add(answer["total"])
        after = answer["next_after"]
        if after is None:
            break

    assert seen == by_offset and len(set(seen)) == 23
    assert totals == {23}


def test_a_keyset_cursor_from_another_sort_or_made_up_is_422(inv):
    for n in range(3):
        inv.create(f"SKU-{n}")
    after = inv.items(size=1)["next_after"]

    other_sort = inv.client.get(f"{BASE}/items", params={"size": 1, "sort": "-sku", "after": after})
    garbage = inv.client.get(f"{BASE}/items", params={"after": "not-a-cursor!"})

    assert other_sort.status_code == 422 and other_sort.json()["field"] == "after"
    assert garbage.status_code == 422 and garbage.json()["field"] == "after"


def test_times_are_answered_in_utc_with_their_zone(inv):
    item = inv.create("A-1", stock={"shelf_lt1": 1})
    moved = inv.history()["items"][0]

    for value in (item["created_at"], item["updated_at"], moved["created_at"], inv.item("A-1")["updated_at"]):
        assert datetime.fromisoformat(value).utcoffset().total_seconds() == 0, value


def test_every_inventory_route_documents_what_it_answers(site):
    paths = site.app.openapi()["paths"]
    undocumented = []
    for path, operations in paths.items():
        if not path.startswith(BASE):
            continue
        for method, operation in operations.items():
            answers = {code: body for code, body in operation["responses"].items() if code.startswith("2")}
            if any(code == "204" for code in answers):
                continue
            schemas = [body.get("content", {}).get("application/json", {}).get("schema") for body in answers.values()]
            if not any(schema and schema != {} for schema in schemas):
                undocumented.append(f"{method.upper()} {path}")

    assert undocumented == []


def _old_rule(sku: str) -> str:
    number = int.from_bytes(hashlib.sha256(sku.strip().upper().encode("utf-8")).digest()[:16], "big")
    return "7" + str(number % 10**17).zfill(17)


def _new_rule(sku: str) -> str:
    return str(700000000000000000 + int(hashlib.sha256(sku.encode("utf-8")).hexdigest(), 16) % 10**17)


def _migrate(site, step, revision: str) -> None:
    """Run this plugin's migrations to ``revision`` the way the kernel does."""
    with site.kernel.databases.engine("inventory").begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(Path(rm365_inventory.__file__).parent / "migrations"))
        config.attributes.update(
            connection=connection, metadata=Base.metadata, version_table="alembic_version_inventory"
        )
        step(config, revision)


def test_the_migration_derives_again_the_barcodes_the_old_rule_made_and_keeps_typed_ones(site, inv):
    _migrate(site, command.downgrade, "0003_inventory")
    insert = text(
        "INSERT INTO inventory_items (id, sku, item_id, name, status, notes, version, created_at, updated_at) "
        "VALUES (:id, :sku, :item_id, 'x', 'Active', '', 1, :now, :now)"
    )
    with site.kernel.databases.engine("inventory").begin() as connection:
        for n, (sku, item_id) in enumerate([("Vit-1", _old_rule("Vit-1")), ("MAG-2", "5012345678900")], start=1):
            connection.execute(insert, {"id": n, "sku": sku, "item_id": item_id, "now": datetime(2026, 1, 1)})

    _migrate(site, command.upgrade, "heads")

    assert inv.item("Vit-1")["item_id"] == _new_rule("Vit-1") != _old_rule("Vit-1")
    assert inv.item("MAG-2")["item_id"] == "5012345678900"
    assert migration_drift(site.kernel, "inventory") == []


def test_the_migration_stops_with_a_clear_message_when_skus_differ_only_in_case(site, inv):
    _migrate(site, command.downgrade, "0003_inventory")
    insert = text(
        "INSERT INTO inventory_items (id, sku, item_id, name, status, notes, version, created_at, updated_at) "
        "VALUES (:id, :sku, :item_id, 'x', 'Active', '', 1, :now, :now)"
    )
    with site.kernel.databases.engine("inventory").begin() as connection:
        for n, sku in enumerate(["VIT-1", "vit-1"], start=1):
            connection.execute(insert, {"id": n, "sku": sku, "item_id": str(n), "now": datetime(2026, 1, 1)})

    with pytest.raises(RuntimeError, match="vit-1.*rename or merge"):
        _migrate(site, command.upgrade, "heads")
