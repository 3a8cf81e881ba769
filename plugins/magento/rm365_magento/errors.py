"""Refusals of the Magento plugin: :class:`rm365_core.DomainError` subclasses with their status."""

from __future__ import annotations

from rm365_core import DomainError


class MagentoError(DomainError):
    """A request the pick & pack rules refuse (400 unless a subclass says otherwise)."""


class NotFound(MagentoError, LookupError):
    status = 404


class Forbidden(MagentoError):
    status = 403


class Conflict(MagentoError):
    status = 409


class Invalid(MagentoError, ValueError):
    status = 422


class NotConfigured(Conflict):
    """No Magento address is set: a site setting to fix, not an upstream failure."""


class Upstream(MagentoError):
    """Magento itself failed or refused us: 502 (bad answer, token refused), 503 (unreachable)
    or 504 (no answer in time). Only raised after a real attempt to reach Magento."""

    status = 502
