"""Permission tabs: the dotted tree of tabs that plugins register and roles grant."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

ALL_TABS = "*"


@dataclass(frozen=True)
class Tab:
    """A permission tab, and the UI tab of the same id when it has a ``module``.

    ``id`` is dotted: ``inventory.adjustments`` is a child of ``inventory``; holding the
    parent grants the child, unless the child is ``explicit``: then only a grant of the tab
    itself (or of every tab, ``*``) gives it, e.g. the supervisor actions under a page that
    others may only look at. ``module`` is the URL of the ES module that renders the tab
    (a plugin's files under ``web/`` are served at ``/plugins/<plugin>/``).
    """

    id: str
    title: str
    icon: str = ""
    order: int = 100
    module: str | None = None
    description: str = ""
    explicit: bool = False
    plugin: str = field(default="", compare=False)

    @property
    def parent(self) -> str | None:
        return self.id.rsplit(".", 1)[0] if "." in self.id else None


#: Ids of the registered ``explicit`` tabs (an id names the same tab in every site of a process).
_EXPLICIT: set[str] = set()


def mark_explicit(tab_id: str) -> None:
    """Record that ``tab_id`` is granted only by name (the kernel calls this on registration)."""
    _EXPLICIT.add(tab_id)


def holds(granted: Iterable[str], tab: str) -> bool:
    """True when ``granted`` includes ``tab`` itself, one of its ancestors, or every tab. An
    ancestor above an explicit tab (``tab`` itself or one of its ancestors) does not count."""
    granted = set(granted)
    if ALL_TABS in granted:
        return True
    parts = tab.split(".")
    start = 1
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in _EXPLICIT:
            start = i
            break
    return any(".".join(parts[:i]) in granted for i in range(start, len(parts) + 1))


def tab_tree(tabs: Iterable[Tab], granted: Iterable[str] | None = None) -> list[dict[str, object]]:
    """Nested ``{id, title, icon, order, module, children}`` of the tabs in ``granted``."""
    granted_set = None if granted is None else set(granted)
    visible = [t for t in tabs if granted_set is None or holds(granted_set, t.id)]
    by_id = {t.id: t for t in visible}
    children: dict[str | None, list[Tab]] = {}
    for tab in visible:
        parent = tab.parent
        while parent is not None and parent not in by_id:
            parent = parent.rsplit(".", 1)[0] if "." in parent else None
        children.setdefault(parent, []).append(tab)

    def build(parent: str | None) -> list[dict[str, object]]:
        nodes = sorted(children.get(parent, []), key=lambda t: (t.order, t.title))
        return [
            {
                "id": t.id,
                "title": t.title,
                "icon": t.icon,
                "order": t.order,
                "module": t.module,
                "description": t.description,
                "plugin": t.plugin,
                "explicit": t.explicit,
                "children": build(t.id),
            }
            for t in nodes
        ]

    return build(None)
