"""The hook specification: every hook documented with an example, none missing, none invented."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

from rm365_core import hookspecs

SAMPLES = Path(__file__).parent / "samples"
if str(SAMPLES) not in sys.path:
    sys.path.insert(0, str(SAMPLES))

from sample_catalog import pick  # noqa: E402

#: The hooks issue #2 promises plugin authors.
PROMISED_HOOKS = {
    "register_routes",
    "register_tabs",
    "register_tables",
    "register_services",
    "register_realtime",
    "register_device_handlers",
    "register_jobs",
    "register_cli",
    "demo_data",
    "startup",
    "shutdown",
}


def hook_specs() -> dict[str, object]:
    marker = f"{hookspecs.PROJECT}_spec"
    return {
        name: function
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, marker)
    }


def test_hook_project_is_rm365():
    assert hookspecs.PROJECT == "rm365"


def test_every_promised_hook_exists():
    assert set(hook_specs()) >= PROMISED_HOOKS


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_hook_is_documented_with_an_example(name):
    doc = inspect.getdoc(hook_specs()[name]) or ""
    assert doc, f"hook {name} has no docstring"
    assert "Example" in doc, f"the docstring of hook {name} shows no example"


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_hook_example_implements_that_hook(name):
    doc = inspect.getdoc(hook_specs()[name]) or ""
    example = doc.split("Example", 1)[-1]
    assert "@hookimpl" in example and f"def {name}(" in example


def test_registration_hooks_are_hooks():
    assert set(hookspecs.REGISTRATION_HOOKS) <= set(hook_specs())


def test_implementing_a_hook_that_does_not_exist_fails_the_plugin(rm365_site):
    site = rm365_site(plugins=[], extra=pick("misspelled"), discover=False)

    plugin = site.kernel.plugins.plugins["misspelled"]

    assert plugin.state == "failed"
    assert "register_tab" in plugin.error
    assert plugin.contributions == {}
