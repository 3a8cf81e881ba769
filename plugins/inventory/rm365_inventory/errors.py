"""Errors of the inventory rules; the API turns each into its HTTP status with a clear detail."""

from __future__ import annotations

from typing import Any


class InventoryError(Exception):
    """A request the inventory rules refuse. ``extra`` goes into the answer next to the message."""

    status = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def detail(self) -> Any:
        return {"message": self.message, **self.extra} if self.extra else self.message


class ItemNotFound(InventoryError, LookupError):
    status = 404


class Invalid(InventoryError, ValueError):
    status = 422


class Conflict(InventoryError):
    status = 409


class InsufficientStock(Conflict):
    """Not enough stock: ``extra`` holds the per-location breakdown; nothing was changed."""


class VersionMismatch(InventoryError):
    """The item changed since the caller read it: ``extra["item"]`` is the current item."""

    status = 412


class VersionRequired(InventoryError):
    status = 428
