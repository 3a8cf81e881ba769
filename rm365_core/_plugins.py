"""Plugin discovery, manifests, dependency order, isolation and lifecycle states."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import tomllib
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from . import hookspecs
from ._settings import SettingsError
from ._version import CORE_API_VERSION

log = logging.getLogger("rm365.plugins")

ENTRY_POINT_GROUP = "rm365.plugins"

ENABLED = "enabled"
DISABLED = "disabled"
FAILED = "failed"
MISSING_DEPENDENCY = "missing-dependency"
INCOMPATIBLE = "incompatible"
DISCOVERED = "discovered"
STATES = (ENABLED, DISABLED, FAILED, MISSING_DEPENDENCY, INCOMPATIBLE)


class PluginError(RuntimeError):
    """A plugin problem that strict mode (RM365_STRICT_PLUGINS=1) makes fatal."""


@dataclass
class PluginManifest:
    """What the kernel knows of a plugin before importing its code (``plugin.toml``)."""

    name: str
    title: str = ""
    version: str = "0"
    description: str = ""
    core: str = ">=1,<2"
    requires: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)

    @classmethod
    def from_toml(cls, name: str, path: Path, version: str) -> PluginManifest:
        data = tomllib.loads(path.read_text())
        known = {"title", "description", "core", "requires", "after", "databases", "version"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{path.name}: unknown keys {', '.join(unknown)}")
        for key in ("requires", "after", "databases"):
            value = data.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{path.name}: {key} must be a list of names")
        return cls(
            name=name,
            title=str(data.get("title", name.title())),
            version=str(data.get("version", version)),
            description=str(data.get("description", "")),
            core=str(data.get("core", ">=1,<2")),
            requires=list(data.get("requires", [])),
            after=list(data.get("after", [])),
            databases=list(data.get("databases", [])),
        )


@dataclass
class Plugin:
    """One plugin: its manifest, state, the error that put it there, and what it registered."""

    manifest: PluginManifest
    load: Callable[[], Any]
    package_dir: Path | None = None
    state: str = DISCOVERED
    error: str | None = None
    module: Any = None
    contributions: dict[str, Any] = field(default_factory=dict)
    mount: str | None = None  # URL prefix of its routes; default /api/v1/<name>

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def web_dir(self) -> Path | None:
        if self.package_dir and (self.package_dir / "web").is_dir():
            return self.package_dir / "web"
        return None

    @property
    def migrations_dir(self) -> Path | None:
        if self.package_dir and (self.package_dir / "migrations").is_dir():
            return self.package_dir / "migrations"
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.manifest.title,
            "version": self.manifest.version,
            "description": self.manifest.description,
            "state": self.state,
            "error": self.error,
            "requires": self.manifest.requires,
            "after": self.manifest.after,
            "databases": self.manifest.databases,
        }


def _package_dir(module_path: str) -> Path | None:
    """The folder of a plugin's top-level package, found without importing it."""
    # The package holding the plugin module: ``rm365_hello.plugin`` -> ``rm365_hello``.
    # A top-level package is located without running any of its code.
    module_path = module_path.split(":", 1)[0]
    package = module_path.rsplit(".", 1)[0] if "." in module_path else module_path
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def plugin_from_module(
    name: str,
    module: ModuleType | object | str,
    manifest: PluginManifest | None = None,
    **manifest_fields: Any,
) -> Plugin:
    """A plugin made from a module (or module path, or any object with hook functions).

    Used for the kernel's own features and by the test kit to register a plugin for one test.
    """
    if isinstance(module, str):
        module_path = module
        package_dir = _package_dir(module_path)

        def load() -> Any:
            return importlib.import_module(module_path)

    else:
        obj = module
        mod_name = getattr(obj, "__name__", None) if isinstance(obj, ModuleType) else None
        package_dir = _package_dir(mod_name) if mod_name else None

        def load() -> Any:
            return obj

    error = None
    if manifest is None:
        toml = package_dir / "plugin.toml" if package_dir else None
        manifest = PluginManifest(name=name, title=name.replace("_", " ").title())
        if toml is not None and toml.is_file():
            try:
                manifest = PluginManifest.from_toml(name, toml, manifest_fields.get("version", "0"))
            except (ValueError, tomllib.TOMLDecodeError) as exc:
                error = f"bad manifest: {exc}"  # reported like discover() does, never fatal
        for key, value in manifest_fields.items():
            setattr(manifest, key, value)
    plugin = Plugin(manifest=manifest, load=load, package_dir=package_dir)
    if error:
        plugin.state, plugin.error = FAILED, error
    return plugin


def discover() -> list[Plugin]:
    """Every installed plugin (entry point group ``rm365.plugins``), manifests read."""
    found: list[Plugin] = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        version = ep.dist.version if ep.dist is not None else "0"
        package_dir = _package_dir(ep.value)
        manifest = PluginManifest(name=ep.name, title=ep.name.title(), version=version)
        error = None
        toml = package_dir / "plugin.toml" if package_dir else None
        if toml is not None and toml.is_file():
            try:
                manifest = PluginManifest.from_toml(ep.name, toml, version)
            except (ValueError, tomllib.TOMLDecodeError) as exc:
                error = f"bad manifest: {exc}"
        plugin = Plugin(manifest=manifest, load=ep.load, package_dir=package_dir)
        if error:
            plugin.state, plugin.error = FAILED, error
        found.append(plugin)
    return found


def _order(plugins: dict[str, Plugin]) -> list[Plugin]:
    """Topological order by ``requires`` and ``after``; cycle members are marked."""
    order: list[Plugin] = []
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = visiting[visiting.index(name) :] + [name]
            for member in cycle[:-1]:
                plugin = plugins[member]
                if plugin.state == DISCOVERED:
                    plugin.state = MISSING_DEPENDENCY
                    plugin.error = "dependency cycle: " + " -> ".join(cycle)
            return
        visiting.append(name)
        plugin = plugins[name]
        for dep in [*plugin.manifest.requires, *plugin.manifest.after]:
            if dep in plugins:
                visit(dep)
        visiting.pop()
        done.add(name)
        order.append(plugin)

    for name in sorted(plugins):
        visit(name)
    return order


class PluginManager:
    """Resolves, imports and registers plugins; one broken plugin never stops the others."""

    def __init__(self, candidates: Iterable[Plugin], enabled: list[str] | None) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, Plugin] = {}
        for plugin in candidates:
            if plugin.name in self.plugins:
                plugin.state, plugin.error = FAILED, "another plugin has the same name"
                continue
            self.plugins[plugin.name] = plugin
        self.enabled_setting = enabled

    # -- resolution -----------------------------------------------------------------
    def resolve(self) -> list[Plugin]:
        """Set every plugin's state short of importing it; return the import order."""
        wanted = self.enabled_setting
        for plugin in self.plugins.values():
            if plugin.state != DISCOVERED:
                continue
            if wanted is not None and plugin.name not in wanted and plugin.mount is None:
                plugin.state = DISABLED
                continue
            try:
                spec = SpecifierSet(plugin.manifest.core)
            except InvalidSpecifier:
                plugin.state, plugin.error = FAILED, f"bad core range {plugin.manifest.core!r}"
                continue
            if not spec.contains(CORE_API_VERSION, prereleases=True):
                plugin.state = INCOMPATIBLE
                plugin.error = f"needs kernel API {plugin.manifest.core}, this kernel offers {CORE_API_VERSION}"
        return _order(self.plugins)

    def _missing_requirement(self, plugin: Plugin) -> str | None:
        for dep in plugin.manifest.requires:
            other = self.plugins.get(dep)
            if other is None:
                return f"requires {dep!r}, which is not installed"
            if other.state != ENABLED:
                return f"requires {dep!r}, which is {other.state}"
        return None

    # -- loading --------------------------------------------------------------------
    def load(self, kernel: Any) -> None:
        """Import and register every plugin that can run, in dependency order."""
        for plugin in self.resolve():
            if plugin.state != DISCOVERED:
                continue
            missing = self._missing_requirement(plugin)
            if missing:
                plugin.state, plugin.error = MISSING_DEPENDENCY, missing
                continue
            self._load_one(plugin, kernel)
        problems = [p for p in self.plugins.values() if p.state in (FAILED, MISSING_DEPENDENCY, INCOMPATIBLE)]
        self._report(problems, kernel)

    def _load_one(self, plugin: Plugin, kernel: Any) -> None:
        try:
            module = plugin.load()
            if plugin.package_dir is None and getattr(module, "__file__", None):
                plugin.package_dir = Path(module.__file__).parent
        except Exception as exc:  # noqa: BLE001 - quarantined, reported
            self._fail(plugin, f"import failed: {type(exc).__name__}: {exc}", exc)
            return
        try:
            self.pm.register(module, name=plugin.name)
            self.pm.check_pending()
        except Exception as exc:  # noqa: BLE001
            if self.pm.is_registered(module):
                self.pm.unregister(module)
            self._fail(plugin, f"invalid hooks: {exc}", exc)
            return
        plugin.module = module
        try:
            for hook in hookspecs.REGISTRATION_HOOKS:
                results = self.call_plugin(plugin, hook, kernel=kernel)
                if results is not None:
                    plugin.contributions[hook] = results
            kernel._accept(plugin)
        except SettingsError:
            # Bad settings stop start-up with the variable's name, as for the kernel's own.
            raise
        except Exception as exc:  # noqa: BLE001
            self.pm.unregister(module)
            plugin.module = None
            plugin.contributions.clear()
            self._fail(plugin, f"registration failed: {type(exc).__name__}: {exc}", exc)
            return
        plugin.state = ENABLED

    @staticmethod
    def _report(problems: list[Plugin], kernel: Any) -> None:
        """Log each plugin in trouble; in strict mode, stop with all of them."""
        for plugin in problems:
            log.warning("plugin %s is %s: %s", plugin.name, plugin.state, plugin.error)
        if problems and kernel is not None and kernel.settings.strict_plugins:
            raise PluginError(
                "strict plugin mode: " + "; ".join(f"{p.name} is {p.state} ({p.error})" for p in problems)
            )

    def _fail(self, plugin: Plugin, message: str, exc: BaseException) -> None:
        plugin.state, plugin.error = FAILED, message
        log.debug("plugin %s quarantined:\n%s", plugin.name, "".join(traceback.format_exception(exc)))

    # -- calling hooks --------------------------------------------------------------
    def call_plugin(self, plugin: Plugin, hook: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of ``hook`` (None when it has none)."""
        caller = getattr(self.pm.hook, hook)
        for impl in caller.get_hookimpls():
            if impl.plugin_name == plugin.name:
                return impl.function(*[kwargs[name] for name in impl.argnames])
        return None

    def enabled(self) -> list[Plugin]:
        """Enabled plugins in dependency order."""
        return [p for p in _order(self.plugins) if p.state == ENABLED]

    def call_each(self, hook: str, *, reverse: bool = False, isolate: bool = False, **kwargs: Any) -> None:
        """Call ``hook`` on every enabled plugin in dependency order (or reverse).

        With ``isolate`` a plugin that raises is marked failed (its routes then answer 503)
        and the others go on; strict mode makes it fatal."""
        plugins = self.enabled()
        for plugin in reversed(plugins) if reverse else plugins:
            if not isolate:
                self.call_plugin(plugin, hook, **kwargs)
                continue
            try:
                self.call_plugin(plugin, hook, **kwargs)
            except Exception as exc:  # noqa: BLE001 - quarantined, reported
                self._fail(plugin, f"{hook} failed: {type(exc).__name__}: {exc}", exc)
                self._report([plugin], kwargs.get("kernel"))
