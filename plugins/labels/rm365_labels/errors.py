"""The labels plugin's refusals: ``rm365_core.DomainError`` subclasses with default statuses."""

from __future__ import annotations

from rm365_core import DomainError


class Invalid(DomainError):
    """Bad input; ``field`` names it."""

    status = 422


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409
