"""placeholder"""

from __future__ import annotations

from ..driver import Driver, hookimpl


class _Driver(Driver):
    name = "secugen"

    @classmethod
    def probe(cls, settings: dict) -> str:  # type: ignore[type-arg]
        return "not built yet"


@hookimpl
def bridge_driver() -> type[Driver]:
    return _Driver
