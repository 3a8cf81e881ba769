"""The hook specification: every hook documented with an example, none missing, none invented."""

from __future__ import annotations

import inspect
import re
import sys
import typing
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
def test_hook_says_when_it_runs_and_what_a_failure_does(name):
    doc = inspect.getdoc(hook_specs()[name]) or ""
    assert re.search(r"^Runs ", doc, re.MULTILINE), f"the docstring of hook {name} does not say when it runs"
    assert "If it raises" in doc, f"the docstring of hook {name} does not say what a failure does"


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_hook_arguments_and_result_are_typed(name):
    signature = inspect.signature(hook_specs()[name])
    annotations = [p.annotation for p in signature.parameters.values()] + [signature.return_annotation]
    assert inspect.Parameter.empty not in annotations, f"hook {name} has an untyped argument or result"
    assert "Any" not in [str(a) for a in annotations[:-1]], f"hook {name} takes an argument typed Any"


def test_hook_annotations_name_real_types():
    """The names under TYPE_CHECKING resolve: an editor and mypy see the real types."""
    import typer
    from fastapi import APIRouter
    from sqlalchemy import MetaData
    from sqlalchemy.orm import DeclarativeBase

    from rm365_core import Intent, Job, Kernel, PluginSettings, RoomPolicy, Tab, Tables

    names = {
        **vars(hookspecs),
        "typer": typer,
        "APIRouter": APIRouter,
        "MetaData": MetaData,
        "DeclarativeBase": DeclarativeBase,
        "Intent": Intent,
        "Job": Job,
        "Kernel": Kernel,
        "PluginSettings": PluginSettings,
        "RoomPolicy": RoomPolicy,
        "Tab": Tab,
        "Tables": Tables,
    }
    for name, spec in hook_specs().items():
        hints = typing.get_type_hints(spec, globalns=names)
        assert hints["kernel"] is Kernel, name


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
