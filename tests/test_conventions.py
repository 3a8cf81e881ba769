"""The kernel's conventions hold as a plugin author relies on them: events after commit,
one error shape over HTTP and the hub, aware UTC times, bounded pages, a public API only."""

from __future__ import annotations

import sys
import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, select, text
from sqlalchemy.pool import NullPool

import rm365_core
from rm365_core import DomainError, UTCDateTime, emit_on_commit
from rm365_core.testing import FreshSchema, postgres_url

ROOT = Path(__file__).parent.parent
SAMPLES = Path(__file__).parent / "samples"
if str(SAMPLES) not in sys.path:
    sys.path.insert(0, str(SAMPLES))

from sample_catalog import pick  # noqa: E402


@pytest.fixture
def site(rm365_site):
    return rm365_site(plugins=[], extra=pick("conventions"), discover=False, live=True)


@pytest.fixture
def listener(site):
    """A realtime client in the room ``system``, where the tests' events go."""
    _, token = site.token_for("system")
    client = site.realtime(token)
    assert client.join("system") == {"ok": True}
    return client


def is_test_event(name):
    return lambda data: data.get("name") == name


# -- emit_on_commit ------------------------------------------------------------------


def test_an_event_is_sent_once_its_transaction_commits_not_before(site, listener):
    with site.kernel.databases.session("core") as session:
        session.execute(text("SELECT 1"))
        emit_on_commit(session, "test.event", {"name": "committed"}, room="system")
        listener.assert_no_event("test.event", within=0.3)

    assert listener.wait_for("test.event") == {"name": "committed"}


def test_nothing_is_sent_for_a_rolled_back_transaction(site, listener):
    with pytest.raises(RuntimeError), site.kernel.databases.session("core") as session:
        session.execute(text("SELECT 1"))
        emit_on_commit(session, "test.event", {"name": "rolled back"}, room="system")
        raise RuntimeError("the change is refused")

    listener.assert_no_event("test.event", within=0.5)


def test_a_savepoint_rollback_drops_its_own_events_and_keeps_the_outer_ones(site, listener):
    with site.kernel.databases.session("core") as session:
        session.execute(text("SELECT 1"))
        emit_on_commit(session, "test.event", {"name": "before"}, room="system")
        savepoint = session.begin_nested()
        emit_on_commit(session, "test.event", {"name": "inside"}, room="system")
        savepoint.rollback()
        emit_on_commit(session, "test.event", {"name": "after"}, room="system")

    assert listener.wait_for("test.event") == {"name": "before"}
    assert listener.wait_for("test.event") == {"name": "after"}
    listener.assert_no_event("test.event", within=0.3)
    assert {"name": "inside"} not in listener.received("test.event")


# -- DomainError -----------------------------------------------------------------------


def test_a_domain_error_answers_detail_and_its_fields_over_http(site):
    client = site.client_with_tabs("conventions")

    answer = client.get("/api/v1/conventions/locked")

    assert answer.status_code == 409
    assert answer.json() == {"detail": "item SKU1 is locked by bob", "sku": "SKU1", "holder": "bob"}


def test_a_domain_error_answers_the_same_message_and_fields_over_the_hub(site):
    _, token = site.token_for("conventions")
    client = site.realtime(token)

    ack = client.emit("conventions.reserve", {"sku": "SKU1"})

    assert ack == {"ok": False, "error": "item SKU1 is locked by bob", "sku": "SKU1", "holder": "bob"}


def test_a_domain_error_subclass_carries_its_default_status():
    class NotFound(DomainError):
        status = 404

    error = NotFound("no item SKU9", sku="SKU9")

    assert (error.status, error.body()) == (404, {"detail": "no item SKU9", "sku": "SKU9"})


# -- UTCDateTime -----------------------------------------------------------------------


def _times_read_back(url: str) -> list[datetime]:
    engine = create_engine(url, poolclass=NullPool)
    metadata = MetaData()
    table = Table("times", metadata, Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    metadata.create_all(engine)
    written = [
        datetime(2026, 3, 29, 0, 30),  # naive: taken as UTC
        datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2))),  # 01:30 UTC
    ]
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i, "at": at} for i, at in enumerate(written)])
    with engine.connect() as conn:
        read = list(conn.scalars(select(table.c.at).order_by(table.c.id)))
    engine.dispose()
    return read


EXPECTED = [datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]


def test_utc_datetime_reads_back_aware_utc_on_sqlite(tmp_path):
    read = _times_read_back(f"sqlite:///{tmp_path / 'times.sqlite3'}")

    assert read == EXPECTED
    assert all(value.utcoffset() == timedelta(0) for value in read)


@pytest.mark.postgres
def test_utc_datetime_reads_back_aware_utc_on_postgresql():
    url = postgres_url()
    if url is None:
        pytest.skip("RM365_TEST_DATABASE_URL is not set")
    schema = FreshSchema(url)
    try:
        read = _times_read_back(schema.url)
    finally:
        schema.drop()

    assert read == EXPECTED
    assert all(value.utcoffset() == timedelta(0) for value in read)


# -- Page and page_params --------------------------------------------------------------


def test_a_page_answers_the_list_envelope(site):
    client = site.client_with_tabs("conventions")

    answer = client.get("/api/v1/conventions/numbers", params={"page": 2, "size": 3})

    assert answer.status_code == 200
    assert answer.json() == {"items": [4, 5, 6], "total": 7, "page": 2, "size": 3, "next_after": None}


@pytest.mark.parametrize(
    "params",
    [
        {"page": 9223372036854775807},
        {"page": rm365_core.MAX_PAGE + 1},
        {"page": 0},
        {"size": 0},
        {"size": rm365_core.MAX_SIZE + 1},
        {"page": -1},
        {"page": "many"},
    ],
)
def test_page_parameters_out_of_bounds_answer_422(site, params):
    client = site.client_with_tabs("conventions")

    answer = client.get("/api/v1/conventions/numbers", params=params)

    assert answer.status_code == 422
    assert "detail" in answer.json()


def test_the_deepest_page_is_answered_empty_not_refused(site):
    client = site.client_with_tabs("conventions")

    answer = client.get("/api/v1/conventions/numbers", params={"page": rm365_core.MAX_PAGE})

    assert answer.status_code == 200
    assert answer.json()["items"] == [] and answer.json()["total"] == 7


# -- one public API ----------------------------------------------------------------------


def test_lint_bans_every_private_kernel_module_outside_the_kernel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    banned = set(config["flake8-tidy-imports"]["banned-api"])
    private = {
        f"rm365_core.{path.stem if path.suffix == '.py' else path.name}"
        for path in (ROOT / "rm365_core").iterdir()
        if path.name.startswith("_")
        and path.name != "__init__.py"
        and (path.suffix == ".py" or (path / "__init__.py").is_file())
    }

    assert "TID251" in config["select"]
    assert private - banned == set(), "add these to [tool.ruff.lint.flake8-tidy-imports.banned-api]"


def test_what_plugins_need_is_exported():
    needed = {
        "DomainError",
        "Page",
        "RealtimeError",
        "SettingsError",
        "Hub",
        "Intent",
        "RoomPolicy",
        "emit_on_commit",
        "UTCDateTime",
        "page_params",
        "paginate",
    }

    assert needed <= set(rm365_core.__all__)
