"""Business rules of users, roles, logins and refresh tokens (no HTTP here)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .._auth import (
    ADMIN_ROLE,
    hash_password,
    token_digest,
    validate_password_strength,
    verify_password,
)
from .._errors import DomainError
from .models import LoginFailure, RefreshToken, RevokedAccessToken, Role, User

SEED_ROLES: dict[str, list[str]] = {ADMIN_ROLE: ["*"], "manager": [], "user": []}


#: The kernel's own refusals are the one platform error type.
ServiceError = DomainError


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite hands datetimes back naive; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    user: User


class UserService:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel

    @property
    def known_tabs(self) -> set[str]:
        return {tab.id for tab in self.kernel.tabs}

    def _check_tabs(self, tabs: list[str], held: list[str] | None = None) -> list[str]:
        # Tabs of a plugin that is disabled today may be kept, not newly granted.
        unknown = sorted(set(tabs) - self.known_tabs - {"*"} - set(held or []))
        if unknown:
            raise ServiceError(422, f"unknown tabs: {', '.join(unknown)}")
        return sorted(set(tabs))

    def _revoke_all(self, session: Session, user: User) -> None:
        """Invalidate every token of ``user`` (password, role, tabs or status changed)."""
        user.token_version += 1
        session.execute(update(RefreshToken).where(RefreshToken.user_id == user.id).values(revoked=True))
        self.kernel.authenticator.invalidate(user.id)
        hub = self.kernel.hub
        if hub is not None:
            # Close the user's realtime connections once the change is durable, so a
            # reconnect cannot slip in with the old token before the commit.
            username = user.username
            event.listen(session, "after_commit", lambda _session: hub.disconnect_user_threadsafe(username), once=True)

    # -- roles ----------------------------------------------------------------------
    def seed_roles(self, session: Session) -> None:
        existing = set(session.scalars(select(Role.name)))
        for name, tabs in SEED_ROLES.items():
            if name not in existing:
                session.add(Role(name=name, allowed_tabs=tabs, builtin=True))
        session.flush()

    def list_roles(self, session: Session) -> list[Role]:
        return list(session.scalars(select(Role).order_by(Role.name)))

    def get_role(self, session: Session, name: str) -> Role:
        role = session.get(Role, name)
        if role is None:
            raise ServiceError(404, f"role {name!r} not found")
        return role

    def create_role(self, session: Session, name: str, tabs: list[str]) -> Role:
        if session.get(Role, name) is not None:
            raise ServiceError(409, f"role {name!r} already exists")
        role = Role(name=name, allowed_tabs=self._check_tabs(tabs), builtin=False)
        session.add(role)
        session.flush()
        return role

    def update_role(self, session: Session, name: str, tabs: list[str] | None) -> Role:
        role = self.get_role(session, name)
        if tabs is not None:
            if role.name == ADMIN_ROLE:
                raise ServiceError(409, "role 'admin' always holds every tab")
            role.allowed_tabs = self._check_tabs(tabs, held=role.allowed_tabs)
        session.flush()
        self.kernel.authenticator.invalidate()
        return role

    def delete_role(self, session: Session, name: str) -> None:
        role = self.get_role(session, name)
        if role.builtin:
            raise ServiceError(409, f"role {name!r} is built in and cannot be deleted")
        in_use = session.scalar(select(func.count()).select_from(User).where(User.role == name))
        if in_use:
            raise ServiceError(409, f"role {name!r} is held by {in_use} user(s): reassign them first")
        session.delete(role)
        session.flush()

    # -- users ----------------------------------------------------------------------
    def list_users(self, session: Session) -> list[User]:
        return list(session.scalars(select(User).order_by(User.username)))

    def get_user(self, session: Session, username: str) -> User:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise ServiceError(404, f"user {username!r} not found")
        return user

    def create_user(
        self,
        session: Session,
        *,
        username: str,
        password: str,
        role: str,
        allowed_tabs: list[str] | None = None,
        active: bool = True,
    ) -> User:
        problem = validate_password_strength(password)
        if problem:
            raise ServiceError(422, problem)
        if session.get(Role, role) is None:
            raise ServiceError(422, f"role {role!r} does not exist")
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise ServiceError(409, f"user {username!r} already exists")
        user = User(
            username=username,
            password_hash=hash_password(password),
            role=role,
            allowed_tabs=self._check_tabs(allowed_tabs or []),
            active=active,
            token_version=1,
        )
        session.add(user)
        try:
            session.flush()
        except IntegrityError:
            raise ServiceError(409, f"user {username!r} already exists") from None
        return user

    def update_user(self, session: Session, username: str, changes: dict[str, Any], by: str) -> User:
        user = self.get_user(session, username)
        revoke = False
        if "password" in changes and changes["password"] is not None:
            problem = validate_password_strength(changes["password"])
            if problem:
                raise ServiceError(422, problem)
            user.password_hash = hash_password(changes["password"])
            revoke = True
        if changes.get("role") is not None and changes["role"] != user.role:
            if session.get(Role, changes["role"]) is None:
                raise ServiceError(422, f"role {changes['role']!r} does not exist")
            if user.role == ADMIN_ROLE:
                self._keep_an_admin(session, user)
            user.role = changes["role"]
            revoke = True
        if changes.get("allowed_tabs") is not None:
            tabs = self._check_tabs(changes["allowed_tabs"], held=user.allowed_tabs)
            if tabs != sorted(user.allowed_tabs or []):
                user.allowed_tabs = tabs
                revoke = True
        if changes.get("active") is not None and changes["active"] != user.active:
            if not changes["active"] and user.role == ADMIN_ROLE:
                self._keep_an_admin(session, user)
            user.active = changes["active"]
            revoke = True
        if revoke:
            self._revoke_all(session, user)
        session.flush()
        return user

    def _keep_an_admin(self, session: Session, user: User) -> None:
        others = session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == ADMIN_ROLE, User.active.is_(True), User.id != user.id)
        )
        if not others:
            raise ServiceError(409, "this is the last active admin: make another admin first")

    def delete_user(self, session: Session, username: str, by: str) -> None:
        user = self.get_user(session, username)
        if user.username == by:
            raise ServiceError(409, "you cannot delete yourself")
        if user.role == ADMIN_ROLE and user.active:
            self._keep_an_admin(session, user)
        self._revoke_all(session, user)
        session.delete(user)
        session.flush()

    # -- login, throttling and tokens -----------------------------------------------
    def _throttle_keys(self, username: str, client: str) -> list[str]:
        return [f"user:{username.lower()}", f"client:{client}"]

    def check_throttle(self, session: Session, username: str, client: str) -> None:
        settings = self.kernel.settings
        now = _now()
        for key in self._throttle_keys(username, client):
            row = session.get(LoginFailure, key)
            if row is None or row.failures < settings.login_max_failures:
                continue
            until = _aware(row.window_start) + timedelta(seconds=settings.login_window_seconds)
            if until > now:
                wait = max(1, int((until - now).total_seconds()) + 1)
                raise ServiceError(
                    429,
                    f"too many failed logins: try again in {wait} seconds",
                    headers={"Retry-After": str(wait)},
                )

    def record_failure(self, session: Session, username: str, client: str) -> None:
        settings = self.kernel.settings
        now = _now()
        for key in self._throttle_keys(username, client):
            row = session.get(LoginFailure, key, with_for_update=True)
            if row is None:
                session.add(LoginFailure(key=key, failures=1, window_start=now))
            elif _aware(row.window_start) + timedelta(seconds=settings.login_window_seconds) < now:
                row.failures, row.window_start = 1, now
            else:
                row.failures += 1
        session.flush()

    def clear_failures(self, session: Session, username: str) -> None:
        session.execute(delete(LoginFailure).where(LoginFailure.key == f"user:{username.lower()}"))

    def login(self, session: Session, username: str, password: str, client: str) -> User | None:
        """The user when the credentials are right; None (and a recorded failure) otherwise."""
        self.check_throttle(session, username, client)
        user = session.scalar(select(User).where(User.username == username))
        ok = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            self.record_failure(session, username, client)
            return None
        self.clear_failures(session, username)
        user.last_login_at = _now()
        return user

    def issue_refresh(self, session: Session, user: User, family: str | None = None) -> str:
        token = secrets.token_urlsafe(32)
        session.add(
            RefreshToken(
                token_hash=token_digest(token),
                user_id=user.id,
                family=family or uuid.uuid4().hex,
                token_version=user.token_version,
                expires_at=_now() + timedelta(days=self.kernel.settings.refresh_token_days),
            )
        )
        session.flush()
        return token

    def rotate_refresh(self, session: Session, token: str) -> tuple[User, str]:
        """Swap a refresh token for a new one. Reusing a rotated token revokes its family."""
        invalid = ServiceError(401, "the refresh token is invalid, expired or revoked")
        row = session.get(RefreshToken, token_digest(token))
        if row is None or row.revoked:
            raise invalid
        if row.used_at is not None:
            # A rotated token came back: it was stolen or replayed. End that whole login.
            self._revoke_family(session, row.family)
            session.commit()
            raise invalid
        user = session.get(User, row.user_id)
        if (
            user is None
            or not user.active
            or user.token_version != row.token_version
            or _aware(row.expires_at) < _now()
        ):
            raise invalid
        claimed = session.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash == row.token_hash, RefreshToken.used_at.is_(None))
            .values(used_at=_now())
        )
        if getattr(claimed, "rowcount", 0) != 1:  # another request rotated it first
            self._revoke_family(session, row.family)
            session.commit()
            raise invalid
        return user, self.issue_refresh(session, user, family=row.family)

    def _revoke_family(self, session: Session, family: str) -> None:
        session.execute(update(RefreshToken).where(RefreshToken.family == family).values(revoked=True))

    def logout(self, session: Session, user_id: int, jti: str, expires: datetime, refresh_token: str | None) -> None:
        if refresh_token:
            row = session.get(RefreshToken, token_digest(refresh_token))
            if row is not None and row.user_id == user_id:
                self._revoke_family(session, row.family)
        if session.get(RevokedAccessToken, jti) is None:
            session.add(RevokedAccessToken(jti=jti, user_id=user_id, expires_at=expires))
        session.execute(delete(RevokedAccessToken).where(RevokedAccessToken.expires_at < _now()))
        session.flush()
        self.kernel.authenticator.invalidate(user_id)

    def effective_tabs(self, session: Session, user: User) -> list[str]:
        if user.role == ADMIN_ROLE:
            return sorted(self.known_tabs)
        role = session.get(Role, user.role)
        return sorted(set(role.allowed_tabs if role else []) | set(user.allowed_tabs or []))

    def create_admin(self, session: Session, username: str, password: str) -> User:
        self.seed_roles(session)
        return self.create_user(session, username=username, password=password, role=ADMIN_ROLE)
