"""Authentication: argon2id passwords, JWT access tokens, and the tab dependencies routes use."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ._principal import Principal
from ._tabs import ALL_TABS

ALGORITHM = "HS256"
ADMIN_ROLE = "admin"

# OWASP's argon2id recommendation: m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16)
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the user exists (an unknown user checks a dummy hash)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def validate_password_strength(password: str) -> str | None:
    """A reason the password is refused, or None."""
    if len(password) < 8:
        return "password must be at least 8 characters"
    if len(password) > 1024:
        return "password must be at most 1024 characters"
    return None


class TokenService:
    """Issues and checks access tokens; the signing secret comes from settings."""

    def __init__(self, secret: str, *, issuer: str, audience: str, minutes: int) -> None:
        self._secret = secret
        self.issuer, self.audience = issuer, audience
        self.lifetime = timedelta(minutes=minutes)

    def issue(
        self, user_id: int, username: str, token_version: int, *, uid: str, family: str | None = None
    ) -> tuple[str, datetime]:
        """A signed access token. ``uid`` is the user's never-reused identifier (checked on
        every request); ``family`` names the login (its refresh tokens) for logout."""
        now = datetime.now(UTC)
        expires = now + self.lifetime
        claims = {
            "sub": str(user_id),
            "uid": uid,
            "fam": family,
            "name": username,
            "ver": token_version,
            "iat": now,
            "nbf": now - timedelta(seconds=5),
            "exp": expires,
            "iss": self.issuer,
            "aud": self.audience,
            "jti": uuid.uuid4().hex,
            "typ": "access",
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), expires

    def decode(self, token: str) -> dict[str, Any] | None:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "jti", "iss", "aud", "uid"]},
            )
        except jwt.PyJWTError:
            return None
        if claims.get("typ") != "access":
            return None
        return claims


class _CachedUser:
    __slots__ = ("principal", "uid", "revoked", "loaded")

    def __init__(self, principal: Principal | None, revoked: frozenset[str], uid: str = "") -> None:
        self.principal = principal
        self.uid = uid
        self.revoked = revoked
        self.loaded = time.monotonic()


class Authenticator:
    """Turns a bearer token into a Principal. User state is cached for a short time
    (``RM365_AUTH_CACHE_SECONDS``) and dropped at once on this worker when it changes."""

    def __init__(self, kernel: Any, tokens: TokenService) -> None:
        self.kernel = kernel
        self.tokens = tokens
        self.ttl = kernel.settings.auth_cache_seconds
        self._cache: dict[int, _CachedUser] = {}
        self._lock = threading.Lock()

    def invalidate(self, user_id: int | None = None) -> None:
        with self._lock:
            if user_id is None:
                self._cache.clear()
            else:
                self._cache.pop(user_id, None)

    def _load(self, user_id: int) -> _CachedUser:
        from ._core.models import RevokedAccessToken, Role, User

        with self.kernel.databases.session("core", readonly=True) as session:
            row = session.execute(
                select(
                    User.username,
                    User.role,
                    User.allowed_tabs,
                    User.active,
                    User.token_version,
                    Role.allowed_tabs,
                    User.uid,
                )
                .join(Role, Role.name == User.role)
                .where(User.id == user_id)
            ).first()
            if row is None or not row[3]:
                return _CachedUser(None, frozenset())
            revoked = frozenset(
                session.scalars(
                    select(RevokedAccessToken.jti).where(
                        RevokedAccessToken.user_id == user_id,
                        RevokedAccessToken.expires_at > datetime.now(UTC),
                    )
                )
            )
        username, role, own_tabs, _active, version, role_tabs, uid = row
        tabs = {ALL_TABS} if role == ADMIN_ROLE else set(role_tabs or []) | set(own_tabs or [])
        principal = Principal(user_id, username, role, frozenset(tabs), version)
        return _CachedUser(principal, revoked, uid)

    def _reload(self, user_id: int) -> _CachedUser:
        cached = self._load(user_id)
        with self._lock:
            self._cache[user_id] = cached
        return cached

    async def authenticate(self, token: str | None) -> Principal | None:
        """The Principal of a valid, unrevoked access token, or None."""
        if not token:
            return None
        claims = self.tokens.decode(token)
        if claims is None:
            return None
        try:
            user_id = int(claims["sub"])
        except (TypeError, ValueError):
            return None
        cached = self._cache.get(user_id)
        if cached is None or time.monotonic() - cached.loaded > self.ttl:
            cached = await run_in_threadpool(self._reload, user_id)
        principal = cached.principal
        if principal is None or principal.token_version != claims.get("ver"):
            return None
        if not cached.uid or not secrets.compare_digest(str(claims["uid"]), cached.uid):
            return None  # the id now belongs to someone else (SQLite reuses ids)
        if claims["jti"] in cached.revoked:
            return None
        return principal


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


UNAUTHENTICATED = "not authenticated: log in and send the access token"
INVALID_TOKEN = "the access token is invalid, expired or revoked"  # noqa: S105 - a message


def _unauthorized(message: str = UNAUTHENTICATED) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


class TabRequirement:
    """The dependency behind ``require_tab``: 401 without a valid token, 403 without the tab."""

    def __init__(self, *tabs: str) -> None:
        self.tabs = tabs
        self.tab = tabs[0] if tabs else None

    def __repr__(self) -> str:
        return f"require_tab({', '.join(map(repr, self.tabs))})" if self.tabs else "login_required"

    async def __call__(self, request: Request, token: str | None = Depends(oauth2_scheme)) -> Principal:
        checked = getattr(request.state, "rm365_principal", None)  # by the guard, before the body
        if checked is not None and token is not None and checked[0] == token:
            principal = checked[1]
        else:
            authenticator: Authenticator = request.app.state.kernel.authenticator
            principal = await authenticator.authenticate(token)
        if principal is None:
            raise _unauthorized(UNAUTHENTICATED if token is None else INVALID_TOKEN)
        if self.tabs and not any(principal.has_tab(tab) for tab in self.tabs):
            needed = " or ".join(repr(tab) for tab in self.tabs)
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"you do not have the tab {needed}")
        request.state.principal = principal
        return principal


def require_tab(tab: str, *alternatives: str) -> TabRequirement:
    """A dependency that admits only callers holding ``tab`` (or a parent of it), or any
    of the ``alternatives``: ``require_tab("inventory.management", "inventory.adjustments")``.

    ``user: Principal = Depends(require_tab("inventory.adjustments"))`` also gives the caller.
    """
    for one in (tab, *alternatives):
        if not one or one == ALL_TABS:
            raise ValueError("require_tab needs tab ids")
    return TabRequirement(tab, *alternatives)


#: A dependency for routes any logged-in user may call (``/auth/me``, ``/tabs``).
login_required = TabRequirement()


class _Public:
    """Marks a route that needs no login (login, refresh, health). Does nothing else."""

    def __repr__(self) -> str:
        return "public"

    def __call__(self) -> None:
        return None


public = _Public()
