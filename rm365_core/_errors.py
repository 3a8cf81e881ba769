"""The one error type of the platform: a refusal with an HTTP status, a message and fields."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the rules refuse. The API answers ``status`` with ``{"detail": message, **fields}``;
    the realtime hub acknowledges an intent with ``{"ok": False, "error": message, **fields}``.

    Raise it from services (no HTTP there), routes and jobs alike::

        raise DomainError(409, f"card {uid} belongs to {holder.name}", holder_id=holder.id)

    Subclass it to give a family of refusals a default status::

        class NotFound(DomainError):
            status = 404
    """

    status: int = 400

    def __init__(
        self,
        status: int | str | None = None,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> None:
        # DomainError(404, "gone") or, in a subclass with a default status, NotFound("gone").
        if isinstance(status, str) and message is None:
            status, message = None, status
        if status is not None:
            self.status = int(status)
        self.message = message or "request refused"
        self.fields = fields
        self.headers = headers
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        """The JSON answer: ``detail`` is always the message, further keys are the fields."""
        return {"detail": self.message, **self.fields}
