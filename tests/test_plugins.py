"""Plugin lifecycle: working and broken sample plugins, states, isolation, selection."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect

from rm365_core._plugins import PluginError, discover

SAMPLES = Path(__file__).parent / "samples"
if str(SAMPLES) not in sys.path:
    sys.path.insert(0, str(SAMPLES))

import sample_calls  # noqa: E402
from sample_catalog import PLUGINS, pick  # noqa: E402


def plugin_states(site: Any) -> dict[str, dict[str, Any]]:
    """``GET /api/v1/plugins`` as an admin, by plugin name."""
    response = site.admin_client().get("/api/v1/plugins")
    assert response.status_code == 200, response.text
    return {row["name"]: row for row in response.json()}


def assert_site_serves(site: Any) -> None:
    """The kernel's own routes still answer: health, login, me."""
    assert site.client.get("/api/health").status_code == 200
    client = site.client_with_tabs()
    assert client.get("/api/v1/auth/me").status_code == 200


def all_tab_ids(site: Any) -> set[str]:
    def walk(nodes: list[dict[str, Any]]) -> Iterator[str]:
        for node in nodes:
            yield node["id"]
            yield from walk(node["children"])

    response = site.admin_client().get("/api/v1/tabs", params={"all": "true"})
    assert response.status_code == 200, response.text
    return set(walk(response.json()))


# -- working samples ------------------------------------------------------------------
def test_good_plugin_serves_its_route_tab_table_and_web_folder(rm365_site):
    site = rm365_site(plugins=[], extra=pick("good"), discover=False)

    row = plugin_states(site)["good"]
    assert row["state"] == "enabled"
    assert row["error"] is None
    assert row["title"] == "Good sample"  # read from plugin.toml
    assert row["databases"] == ["samples"]

    writer = site.client_with_tabs("good")  # the parent tab grants good.write
    created = writer.post("/api/v1/good/notes", json={"text": "first"})
    assert created.status_code == 201, created.text
    assert writer.get("/api/v1/good/notes").json() == [{"id": created.json()["id"], "text": "first"}]
    assert {"good", "good.write"} <= all_tab_ids(site)
    assert site.client.get("/plugins/good/index.js").status_code == 200


def test_listing_gives_name_version_state_error_and_requires(rm365_site):
    site = rm365_site(plugins=[], extra=pick("good", "needs_missing"), discover=False)

    rows = plugin_states(site)

    for row in rows.values():
        assert {"name", "version", "state", "error", "requires"} <= set(row)
    assert rows["core"]["state"] == "enabled"
    assert rows["needs_missing"]["requires"] == ["not_installed"]


def test_plugin_listing_needs_the_system_tab(rm365_site):
    site = rm365_site(plugins=[], discover=False)

    assert site.client.get("/api/v1/plugins").status_code == 401
    assert site.client_with_tabs().get("/api/v1/plugins").status_code == 403
    assert site.client_with_tabs("system").get("/api/v1/plugins").status_code == 200


def test_after_loads_and_starts_a_plugin_after_the_one_it_names(rm365_site):
    sample_calls.CALLS.clear()

    site = rm365_site(plugins=[], extra=pick("alpha", "omega"), discover=False)

    names = [p.name for p in site.kernel.plugins.enabled()]
    assert names.index("omega") < names.index("alpha")
    calls = sample_calls.CALLS
    assert calls.index("omega.register_tabs") < calls.index("alpha.register_tabs")
    assert calls.index("omega.startup") < calls.index("alpha.startup")
    # alpha also names "later", which is not installed: `after` never blocks a plugin.
    assert plugin_states(site)["alpha"]["state"] == "enabled"


def test_optional_service_is_used_when_its_plugin_is_enabled(rm365_site):
    site = rm365_site(plugins=[], extra=pick("provider", "consumer"), discover=False)

    response = site.client_with_tabs("consumer").get("/api/v1/consumer/greeting")

    assert response.status_code == 200
    assert response.json() == {"greeting": "hello, consumer"}


def test_optional_service_consumer_works_without_the_provider(rm365_site):
    site = rm365_site(plugins=[], extra=pick("consumer"), discover=False)

    response = site.client_with_tabs("consumer").get("/api/v1/consumer/greeting")

    assert plugin_states(site)["consumer"]["state"] == "enabled"
    assert response.status_code == 200
    assert response.json() == {"greeting": None}


# -- broken samples -------------------------------------------------------------------
def test_plugin_raising_on_import_is_failed_and_the_site_serves(rm365_site):
    site = rm365_site(plugins=[], extra=pick("broken_import", "good"), discover=False)

    row = plugin_states(site)["broken_import"]
    assert row["state"] == "failed"
    assert "RuntimeError" in row["error"]
    assert "broken_import cannot find its configuration" in row["error"]
    assert_site_serves(site)
    assert site.client_with_tabs("good").get("/api/v1/good/notes").status_code == 200
    health = site.client.get("/api/health").json()
    assert health["status"] == "degraded"
    assert health["plugins"]["broken_import"] == "failed"
    assert health["plugins"]["good"] == "enabled"


def test_plugin_raising_in_a_registration_hook_contributes_nothing(rm365_site):
    site = rm365_site(plugins=[], extra=pick("broken_register", "good"), discover=False)

    row = plugin_states(site)["broken_register"]
    assert row["state"] == "failed"
    assert "register" in row["error"] and "tab list is corrupt" in row["error"]
    # Its router was returned before register_tabs raised: it must not be mounted.
    assert site.admin_client().get("/api/v1/broken_register/ping").status_code == 404
    assert "broken_register" not in all_tab_ids(site)
    assert_site_serves(site)


def test_plugin_declaring_an_intent_without_a_tab_is_failed_and_nothing_of_it_is_on_the_hub(rm365_site):
    site = rm365_site(plugins=[], extra=pick("broken_realtime", "good"), discover=False)

    row = plugin_states(site)["broken_realtime"]
    assert row["state"] == "failed"
    assert "broken_realtime.poke" in row["error"] and "must declare the tab" in row["error"]
    assert site.admin_client().get("/api/v1/broken_realtime/ping").status_code == 404
    assert "broken_realtime" not in all_tab_ids(site)
    hub = site.kernel.hub
    assert "broken_realtime.poke" not in hub.intents
    assert "broken_realtime.poke" not in hub.sio.handlers.get("/", {})
    assert all(policy.prefix != "broken_realtime" for policy in hub.rooms.policies)
    assert site.client_with_tabs("good").get("/api/v1/good/notes").status_code == 200
    assert_site_serves(site)


def test_register_realtime_returns_its_rooms_and_intents_like_every_registration_hook(rm365_site):
    site = rm365_site(plugins=[], extra=pick("good"), discover=False)

    contributions = site.kernel.plugins.plugins["good"].contributions["register_realtime"]

    assert [(type(item).__name__, item.event, item.tab) for item in contributions] == [("Intent", "good.ping", "good")]
    assert site.kernel.intents["good.ping"][0] == "good"
    assert site.kernel.hub.intents["good.ping"].tab == "good"


def test_a_plugin_failing_in_startup_stops_answering_over_http_and_the_hub(rm365_site):
    site = rm365_site(plugins=[], extra=pick("broken_startup", "good"), discover=False, live=True)
    _, token = site.token_for("broken_startup", "good")

    realtime = site.realtime(token)

    assert plugin_states(site)["broken_startup"]["state"] == "failed"
    assert site.admin_client().get("/api/v1/broken_startup/ping").status_code == 503
    assert realtime.emit("broken_startup.poke", {}) == {"ok": False, "error": "unavailable"}
    assert realtime.emit("good.ping", {}) == {"ok": True}


def test_plugins_requiring_one_that_fails_in_register_realtime_miss_a_dependency(rm365_site):
    site = rm365_site(plugins=[], extra=pick("broken_realtime", "needs_realtime"), discover=False)

    row = plugin_states(site)["needs_realtime"]
    assert row["state"] == "missing-dependency"
    assert "broken_realtime" in row["error"]
    assert site.admin_client().get("/api/v1/needs_realtime/ping").status_code == 404
    assert "needs_realtime" not in all_tab_ids(site)
    assert site.kernel.services.get("needs_realtime.thing") is None
    assert_site_serves(site)


def test_plugin_with_a_bad_manifest_is_failed_and_the_site_serves(rm365_site):
    site = rm365_site(plugins=[], extra=pick("broken_manifest", "good"), discover=False)

    row = plugin_states(site)["broken_manifest"]
    assert row["state"] == "failed"
    assert "bad manifest" in row["error"] and "requirez" in row["error"]
    assert "rm365_broken_manifest.plugin" not in sys.modules
    assert plugin_states(site)["good"]["state"] == "enabled"


def test_misspelled_hook_fails_the_plugin_through_check_pending(rm365_site):
    site = rm365_site(plugins=[], extra=pick("misspelled", "good"), discover=False)

    row = plugin_states(site)["misspelled"]
    assert row["state"] == "failed"
    assert "register_tab" in row["error"]
    assert "misspelled" not in all_tab_ids(site)
    assert plugin_states(site)["good"]["state"] == "enabled"
    assert_site_serves(site)


def test_hook_asking_for_an_unknown_argument_fails_the_plugin(rm365_site):
    site = rm365_site(plugins=[], extra=pick("bad_argument", "good"), discover=False)

    row = plugin_states(site)["bad_argument"]
    assert row["state"] == "failed"
    assert "database" in row["error"]
    assert_site_serves(site)


def test_missing_requirement_is_reported_without_importing_the_plugin(rm365_site):
    site = rm365_site(plugins=[], extra=pick("needs_missing", "good"), discover=False)

    row = plugin_states(site)["needs_missing"]
    assert row["state"] == "missing-dependency"
    assert "not_installed" in row["error"]
    assert "rm365_sample_needs_missing.plugin" not in sys.modules
    assert_site_serves(site)


def test_requiring_a_failed_plugin_makes_the_dependant_missing_a_dependency(rm365_site):
    site = rm365_site(plugins=[], extra=pick("broken_import", "needs_broken"), discover=False)

    rows = plugin_states(site)
    assert rows["broken_import"]["state"] == "failed"
    assert rows["needs_broken"]["state"] == "missing-dependency"
    assert "broken_import" in rows["needs_broken"]["error"]
    assert "failed" in rows["needs_broken"]["error"]
    assert_site_serves(site)


def test_dependency_cycle_is_reported_for_its_members_and_their_dependants(rm365_site):
    site = rm365_site(plugins=[], extra=pick("cycle_a", "cycle_b", "needs_cycle", "good"), discover=False)

    rows = plugin_states(site)
    for name in ("cycle_a", "cycle_b"):
        assert rows[name]["state"] == "missing-dependency"
        assert "cycle" in rows[name]["error"]
        assert "cycle_a" in rows[name]["error"] and "cycle_b" in rows[name]["error"]
    assert rows["needs_cycle"]["state"] == "missing-dependency"
    assert "cycle_a" in rows["needs_cycle"]["error"]
    assert rows["good"]["state"] == "enabled"
    assert_site_serves(site)


def test_incompatible_core_range_is_reported_without_importing_the_plugin(rm365_site):
    site = rm365_site(plugins=[], extra=pick("future", "good"), discover=False)

    row = plugin_states(site)["future"]
    assert row["state"] == "incompatible"
    assert ">=2" in row["error"]
    assert "rm365_sample_future.plugin" not in sys.modules
    assert_site_serves(site)


def test_route_raising_at_request_time_answers_500_json_with_request_id_only(rm365_site, caplog):
    site = rm365_site(plugins=[], extra=pick("boom", "good"), discover=False)
    client = site.client_with_tabs("boom")

    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/boom/explode", headers={"X-Request-ID": "req-boom-42"})

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"detail": "internal error (request id req-boom-42)"}
    assert response.headers["X-Request-ID"] == "req-boom-42"
    assert "hunter2" not in response.text and "Traceback" not in response.text
    logged = [r for r in caplog.records if "req-boom-42" in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback goes to the log
    # The rest of the plugin and of the site keeps serving.
    assert client.get("/api/v1/boom/fine").json() == {"fine": True}
    assert site.client_with_tabs("good").get("/api/v1/good/notes").status_code == 200
    assert_site_serves(site)


def test_500_without_a_request_id_header_gets_a_generated_one(rm365_site):
    site = rm365_site(plugins=[], extra=pick("boom"), discover=False)

    response = site.client_with_tabs("boom").get("/api/v1/boom/explode")

    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert request_id
    assert response.json() == {"detail": f"internal error (request id {request_id})"}


# -- strict mode ----------------------------------------------------------------------
def test_strict_mode_makes_a_failed_plugin_fatal(rm365_site, monkeypatch):
    monkeypatch.setenv("RM365_STRICT_PLUGINS", "1")

    with pytest.raises(PluginError, match="broken_import"):
        rm365_site(plugins=[], extra=pick("broken_import", "good"), discover=False)


def test_strict_mode_makes_a_missing_dependency_fatal(rm365_site):
    with pytest.raises(PluginError, match="needs_missing"):
        rm365_site(plugins=[], extra=pick("needs_missing"), discover=False, strict_plugins=True)


def test_strict_mode_starts_a_site_whose_plugins_are_all_fine(rm365_site):
    site = rm365_site(plugins=[], extra=pick("good"), discover=False, strict_plugins=True)

    assert plugin_states(site)["good"]["state"] == "enabled"


# -- installed plugins: discovery, RM365_PLUGIN_PATHS and RM365_PLUGINS ----------------
def test_plugin_paths_setting_loads_a_plugin_that_is_not_installed(rm365_site):
    site = rm365_site(plugins=["good"], plugin_paths=["good=rm365_sample_good.plugin"], discover=False)

    assert plugin_states(site)["good"]["state"] == "enabled"
    assert site.client_with_tabs("good").get("/api/v1/good/notes").status_code == 200


def install_distribution(site_dir: Path, dist: str, version: str, entry_points: dict[str, str]) -> None:
    """Write the metadata pip would leave for a distribution declaring rm365 plugins."""
    info = site_dir / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[rm365.plugins]\n{lines}")


@pytest.fixture
def installed_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sample plugins installed as distributions (entry points) on sys.path for this test."""
    site_dir = tmp_path / "site-packages"
    install_distribution(site_dir, "rm365-sample-good", "2.5.0", pick("good"))
    install_distribution(site_dir, "rm365-sample-services", "1.1.0", pick("provider", "consumer"))
    install_distribution(site_dir, "rm365-sample-future", "9.0.0", pick("future"))
    install_distribution(site_dir, "rm365-broken-manifest", "0.1.0", pick("broken_manifest"))
    monkeypatch.syspath_prepend(str(site_dir))
    return site_dir


def test_discovery_reads_entry_points_and_manifests_without_importing(installed_samples):
    found = {plugin.name: plugin for plugin in discover()}

    assert found["good"].manifest.version == "2.5.0"  # from the distribution
    assert found["good"].manifest.title == "Good sample"  # from plugin.toml
    assert found["consumer"].manifest.after == ["provider"]
    assert found["future"].manifest.core == ">=2"
    assert found["broken_manifest"].state == "failed"
    assert "bad manifest" in found["broken_manifest"].error
    assert "requirez" in found["broken_manifest"].error
    for module in ("rm365_sample_future.plugin", "rm365_broken_manifest.plugin"):
        assert module not in sys.modules


def test_installed_plugins_get_their_states(installed_samples, rm365_site):
    site = rm365_site(plugins=["good", "provider", "consumer", "future", "broken_manifest"])

    rows = plugin_states(site)
    assert rows["good"]["state"] == "enabled"
    assert rows["good"]["version"] == "2.5.0"
    assert rows["consumer"]["state"] == "enabled"
    assert rows["future"]["state"] == "incompatible"
    assert rows["broken_manifest"]["state"] == "failed"
    assert site.client_with_tabs("consumer").get("/api/v1/consumer/greeting").json() == {"greeting": "hello, consumer"}


@pytest.fixture
def site_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rm365_database_url: str | None
) -> Iterator[Any]:
    """Build a site the way `rm365 serve` does: settings from RM365_ variables only."""
    from rm365_core._app import create_app
    from rm365_core._settings import load_settings
    from rm365_core.testing import Site

    monkeypatch.setenv("RM365_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RM365_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("RM365_AUTH_CACHE_SECONDS", "0")
    if rm365_database_url:
        monkeypatch.setenv("RM365_DATABASE_URL", rm365_database_url)
    opened: list[tuple[TestClient, Any]] = []

    def build() -> Any:
        app = create_app(load_settings(), upgrade=True)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        site = Site(app, client)
        opened.append((client, site))
        return site

    yield build
    for client, site in opened:
        site.close()
        client.__exit__(None, None, None)
        site.kernel.databases.dispose()


def test_rm365_plugins_leaves_out_every_contribution_of_a_disabled_plugin(
    installed_samples, site_from_environment, monkeypatch
):
    monkeypatch.setenv("RM365_PLUGINS", "provider,consumer")

    site = site_from_environment()

    rows = plugin_states(site)
    assert rows["good"]["state"] == "disabled"
    assert rows["provider"]["state"] == "enabled"
    assert rows["consumer"]["state"] == "enabled"
    admin = site.admin_client()
    assert admin.get("/api/v1/good/notes").status_code == 404  # no route
    assert site.client.get("/plugins/good/index.js").status_code == 404  # no web folder
    assert not {"good", "good.write"} & all_tab_ids(site)  # no tab
    kernel = site.kernel
    assert "good" not in kernel.tables  # no table ...
    assert "good_notes" not in inspect(kernel.databases.engine("samples")).get_table_names()
    assert not [job for job in kernel.jobs.jobs.values() if job.owner == "good"]  # no job
    assert "good.ping" not in kernel.hub.intents  # no realtime intent
    assert kernel.plugins.plugins["good"].module is None  # its code never ran


def test_rm365_plugins_enables_the_named_plugin_with_everything_it_brings(
    installed_samples, site_from_environment, monkeypatch
):
    monkeypatch.setenv("RM365_PLUGINS", "good")

    site = site_from_environment()

    rows = plugin_states(site)
    assert rows["good"]["state"] == "enabled"
    assert rows["consumer"]["state"] == "disabled"
    assert site.client_with_tabs("good").get("/api/v1/good/notes").status_code == 200
    assert site.admin_client().get("/api/v1/consumer/greeting").status_code == 404
    assert "good_notes" in inspect(site.kernel.databases.engine("samples")).get_table_names()
    assert [job.name for job in site.kernel.jobs.jobs.values() if job.owner == "good"] == ["count-notes"]
    assert "good.ping" in site.kernel.hub.intents


def test_every_sample_is_listed_in_the_catalog():
    on_disk = {
        path.stem if path.suffix == ".py" else path.name
        for path in SAMPLES.iterdir()
        if path.name.startswith(("rm365_sample_", "rm365_broken_"))
    }
    catalogued = {value.split(".")[0] for value in PLUGINS.values()}
    assert on_disk == catalogued
