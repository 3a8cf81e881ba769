"""Refusals of the inventory rules: :class:`rm365_core.DomainError` subclasses, each with its
HTTP status. The kernel answers them as ``{"detail": message, **fields}``."""

from __future__ import annotations

from rm365_core import DomainError


class InventoryError(DomainError):
    """A request the inventory rules refuse (400 unless a subclass says otherwise)."""


class ItemNotFound(InventoryError, LookupError):
    status = 404


class Invalid(InventoryError, ValueError):
    """Bad input; ``field`` (or ``row`` and ``column``) names where it is."""

    status = 422


class Conflict(InventoryError):
    status = 409


class InsufficientStock(Conflict):
    """Not enough stock: the fields hold the per-location breakdown; nothing was changed."""


class VersionMismatch(InventoryError):
    """The item changed since the caller read it: ``fields["item"]`` is the current item."""

    status = 412


class VersionRequired(InventoryError):
    status = 428
