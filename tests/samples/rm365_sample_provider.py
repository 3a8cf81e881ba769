"""Offers the ``sample.greeting`` service to other plugins (no manifest: defaults apply)."""

from __future__ import annotations

from rm365_core import hookimpl


class Greeter:
    def greet(self, name: str) -> str:
        return f"hello, {name}"


@hookimpl
def register_services() -> dict[str, object]:
    return {"sample.greeting": Greeter()}
