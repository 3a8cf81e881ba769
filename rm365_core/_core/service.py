"""Business rules of users, roles, logins and refresh tokens (no HTTP here)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from .._principal import Principal
from .._tabs import ALL_TABS, holds
from .._types import utcnow
from .models import RefreshToken, RevokedAccessToken, Role, User
from .throttle import LoginThrottle

SEED_ROLES: dict[str, list[str]] = {ADMIN_ROLE: ["*"], "manager": [], "user": []}


#: The kernel's own refusals are the one platform error type.
ServiceError = DomainError


_now = utcnow


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
            raise ServiceError(422, f"unknown tabs: {', '.join(unknown)}", field="allowed_tabs")
        return sorted(set(tabs))

    # -- who may grant what -----------------------------------------------------------
    # Holding ``usermanagement`` lets a user manage accounts, not raise anyone above
    # themselves: a non-admin may grant only tabs they hold, may not grant "*" or the admin
    # role, and may change or delete only users (and roles) that hold nothing they lack.
    # ``actor`` None is the site itself (the CLI, start-up): no limits.
    @staticmethod
    def _limited(actor: Principal | None) -> bool:
        return actor is not None and actor.role != ADMIN_ROLE

    def _may_grant(self, actor: Principal | None, tabs: list[str], before: list[str] | None = None) -> None:
        if not self._limited(actor):
            return
        assert actor is not None
        added = set(tabs) - set(before or [])
        if ALL_TABS in added:
            raise ServiceError(403, "only an admin may grant every tab ('*')", field="allowed_tabs")
        lacking = sorted(tab for tab in added if not actor.has_tab(tab))
        if lacking:
            raise ServiceError(
                403, f"you may grant only tabs you hold; you lack: {', '.join(lacking)}", field="allowed_tabs"
            )

    def _may_assign(self, actor: Principal | None, role: Role) -> None:
        if not self._limited(actor):
            return
        assert actor is not None
        if role.name == ADMIN_ROLE or ALL_TABS in (role.allowed_tabs or []):
            raise ServiceError(403, "only an admin may give the admin role", field="role")
        lacking = sorted(tab for tab in role.allowed_tabs or [] if not actor.has_tab(tab))
        if lacking:
            raise ServiceError(403, f"role {role.name!r} holds tabs you lack: {', '.join(lacking)}", field="role")

    def _may_manage(self, session: Session, actor: Principal | None, user: User) -> None:
        if not self._limited(actor):
            return
        assert actor is not None
        if user.role == ADMIN_ROLE:
            raise ServiceError(403, "only an admin may change or delete an admin")
        lacking = sorted(tab for tab in self.effective_tabs(session, user) if not holds(actor.tabs, tab))
        if lacking:
            raise ServiceError(403, f"user {user.username!r} holds tabs you lack: {', '.join(lacking)}")

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

    def create_role(self, session: Session, name: str, tabs: list[str], actor: Principal | None = None) -> Role:
        self._may_grant(actor, tabs)
        if session.get(Role, name) is not None:
            raise ServiceError(409, f"role {name!r} already exists")
        role = Role(name=name, allowed_tabs=self._check_tabs(tabs), builtin=False)
        session.add(role)
        session.flush()
        return role

    def update_role(self, session: Session, name: str, tabs: list[str] | None, actor: Principal | None = None) -> Role:
        role = self.get_role(session, name)
        if tabs is not None:
            if role.name == ADMIN_ROLE:
                raise ServiceError(409, "role 'admin' always holds every tab")
            self._may_grant(actor, tabs, role.allowed_tabs)
            role.allowed_tabs = self._check_tabs(tabs, held=role.allowed_tabs)
        session.flush()
        self.kernel.authenticator.invalidate()
        return role

    def delete_role(self, session: Session, name: str, actor: Principal | None = None) -> None:
        role = self.get_role(session, name)
        if self._limited(actor):
            self._may_grant(actor, role.allowed_tabs or [])
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
        user = session.scalar(select(User).where(User.username == username.lower()))
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
        actor: Principal | None = None,
    ) -> User:
        username = username.lower()
        problem = validate_password_strength(password)
        if problem:
            raise ServiceError(422, problem, field="password")
        role_row = session.get(Role, role)
        if role_row is None:
            raise ServiceError(422, f"role {role!r} does not exist", field="role")
        self._may_assign(actor, role_row)
        self._may_grant(actor, allowed_tabs or [])
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

    def update_user(
        self, session: Session, username: str, changes: dict[str, Any], by: str, actor: Principal | None = None
    ) -> User:
        user = self.get_user(session, username)
        self._may_manage(session, actor, user)
        revoke = False
        if "password" in changes and changes["password"] is not None:
            problem = validate_password_strength(changes["password"])
            if problem:
                raise ServiceError(422, problem, field="password")
            user.password_hash = hash_password(changes["password"])
            revoke = True
        if changes.get("role") is not None and changes["role"] != user.role:
            new_role = session.get(Role, changes["role"])
            if new_role is None:
                raise ServiceError(422, f"role {changes['role']!r} does not exist", field="role")
            self._may_assign(actor, new_role)
            if user.role == ADMIN_ROLE:
                self._keep_an_admin(session, user)
            user.role = changes["role"]
            revoke = True
        if changes.get("allowed_tabs") is not None:
            tabs = self._check_tabs(changes["allowed_tabs"], held=user.allowed_tabs)
            self._may_grant(actor, tabs, user.allowed_tabs)
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

    def delete_user(self, session: Session, username: str, by: str, actor: Principal | None = None) -> None:
        user = self.get_user(session, username)
        self._may_manage(session, actor, user)
        if user.username == by.lower():
            raise ServiceError(409, "you cannot delete yourself")
        if user.role == ADMIN_ROLE and user.active:
            self._keep_an_admin(session, user)
        self._revoke_all(session, user)
        session.delete(user)
        session.flush()

    # -- login, throttling and tokens -----------------------------------------------
    def login(self, session: Session, username: str, password: str, client: str) -> User | None:
        """The user when the credentials are right, else None. Every attempt is counted
        (and may be refused with 429) before the password is checked."""
        username = username.lower()
        throttle = LoginThrottle(self.kernel)
        throttle.attempt(username, client)
        user = session.scalar(select(User).where(User.username == username))
        ok = verify_password(user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            return None
        throttle.succeeded(session, username, client)
        user.last_login_at = _now()
        return user

    def issue_refresh(self, session: Session, user: User, family: str | None = None) -> tuple[str, str]:
        """A new refresh token of the login ``family`` (a new login without one): (token, family)."""
        token = secrets.token_urlsafe(32)
        family = family or uuid.uuid4().hex
        session.add(
            RefreshToken(
                token_hash=token_digest(token),
                user_id=user.id,
                family=family,
                token_version=user.token_version,
                expires_at=_now() + timedelta(days=self.kernel.settings.refresh_token_days),
            )
        )
        session.flush()
        return token, family

    def rotate_refresh(self, session: Session, token: str) -> tuple[User, str, str]:
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
        if user is None or not user.active or user.token_version != row.token_version or row.expires_at < _now():
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
        return user, *self.issue_refresh(session, user, family=row.family)

    def _revoke_family(self, session: Session, family: str) -> None:
        session.execute(update(RefreshToken).where(RefreshToken.family == family).values(revoked=True))

    def logout(
        self,
        session: Session,
        user_id: int,
        jti: str,
        expires: datetime,
        refresh_token: str | None,
        family: str | None = None,
    ) -> None:
        """End a login: this access token and every refresh token of its login (the family
        the access token names, and the one of ``refresh_token`` when sent)."""
        families = {family} if family else set()
        if refresh_token:
            row = session.get(RefreshToken, token_digest(refresh_token))
            if row is not None and row.user_id == user_id:
                families.add(row.family)
        for one in families:
            session.execute(
                update(RefreshToken)
                .where(RefreshToken.family == one, RefreshToken.user_id == user_id)
                .values(revoked=True)
            )
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
