"""Every sample plugin, by the name it must be registered under.

The ``plugin.toml`` files refer to each other by these names (``requires = ["cycle_b"]``),
so a test registers a sample as ``extra={"cycle_a": PLUGINS["cycle_a"]}``.
"""

WORKING = {
    "good": "rm365_sample_good.plugin",  # routes, tabs, a table with migrations, web/, a job
    "provider": "rm365_sample_provider",  # offers the service sample.greeting
    "consumer": "rm365_sample_consumer.plugin",  # uses sample.greeting when it is there
    "alpha": "rm365_sample_alpha.plugin",  # after = ["omega", "later"]
    "omega": "rm365_sample_omega",
    "drift": "rm365_sample_drift.plugin",  # models and migration disagree
    "conventions": "rm365_sample_conventions",  # DomainError, Page, an intent
}

BROKEN = {
    "broken_import": "rm365_broken_import",  # raises on import
    "broken_register": "rm365_broken_register",  # raises in register_tabs
    "broken_realtime": "rm365_broken_realtime",  # raises in register_realtime
    "broken_startup": "rm365_broken_startup",  # raises in startup, after its route and intent are up
    "misspelled": "rm365_broken_misspelled",  # implements register_tab (no such hook)
    "bad_argument": "rm365_broken_hook_argument",  # asks for an argument the hook lacks
    "boom": "rm365_broken_request",  # a route raising at request time
    "unguarded": "rm365_broken_unguarded",  # a route with no tab declared
    "broken_manifest": "rm365_broken_manifest.plugin",  # unknown key in plugin.toml
    "needs_missing": "rm365_sample_needs_missing.plugin",  # requires not_installed
    "needs_broken": "rm365_sample_needs_broken.plugin",  # requires broken_import
    "cycle_a": "rm365_sample_cycle_a.plugin",  # requires cycle_b
    "cycle_b": "rm365_sample_cycle_b.plugin",  # requires cycle_a
    "needs_cycle": "rm365_sample_needs_cycle.plugin",  # requires cycle_a
    "needs_realtime": "rm365_sample_needs_realtime.plugin",  # requires broken_realtime
    "future": "rm365_sample_future.plugin",  # core = ">=2"
}

PLUGINS = {**WORKING, **BROKEN}


def pick(*names: str) -> dict[str, str]:
    """``{name: module path}`` for ``rm365_site(extra=...)``."""
    return {name: PLUGINS[name] for name in names}
