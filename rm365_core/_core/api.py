"""HTTP routes of the kernel: auth, users, roles, tabs, plugins, devices and health."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from pydantic import ValidationError

from .._auth import login_required, public, require_tab
from .._jobs_runs import JobRunOut
from .._principal import Principal
from .._tabs import tab_tree
from .models import User
from .schemas import (
    LoginRequest,
    LogoutRequest,
    MeResponse,
    RefreshRequest,
    RoleCreate,
    RoleOut,
    RoleUpdate,
    TokenResponse,
    UserCreate,
    UserOut,
    UserUpdate,
)
from .service import DomainError, UserService

auth_router = APIRouter(prefix="/auth", tags=["auth"])
users_router = APIRouter(tags=["users"], dependencies=[Depends(require_tab("usermanagement"))])
system_router = APIRouter(tags=["system"], dependencies=[Depends(require_tab("system"))])
tabs_router = APIRouter(tags=["tabs"])
health_router = APIRouter(tags=["system"])


def _kernel(request: Request) -> Any:
    return request.app.state.kernel


def _service(request: Request) -> UserService:
    return UserService(request.app.state.kernel)


def _client(request: Request) -> str:
    """The client's address: the peer, or what a proxy in RM365_TRUSTED_PROXIES reported."""
    return request.client.host if request.client else "unknown"


#: Token answers must never be kept by a browser or a proxy.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _tokens(
    request: Request, response: Response, service: UserService, session: Any, user: User, refresh: tuple[str, str]
) -> TokenResponse:
    kernel = _kernel(request)
    token, family = refresh
    access, _expires = kernel.token_service.issue(
        user.id, user.username, user.token_version, uid=user.uid, family=family
    )
    response.headers.update(_NO_STORE)
    return TokenResponse(
        access_token=access,
        refresh_token=token,
        expires_in=int(kernel.token_service.lifetime.total_seconds()),
        role=user.role,
        allowed_tabs=service.effective_tabs(session, user),
    )


async def _login_body(request: Request) -> LoginRequest:
    """JSON ``{username, password}``, or the form the OpenAPI page's Authorize button sends."""
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            return LoginRequest(username=str(form.get("username", "")), password=str(form.get("password", "")))
        return LoginRequest.model_validate(await request.json())
    except ValidationError as exc:
        errors = [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in errors)
        raise DomainError(422, where, errors=errors) from None
    except ValueError:
        raise DomainError(422, "the body must be JSON {username, password}", field="body") from None


@auth_router.post(
    "/login",
    response_model=TokenResponse,
    dependencies=[Depends(public)],
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": LoginRequest.model_json_schema()},
                "application/x-www-form-urlencoded": {"schema": LoginRequest.model_json_schema()},
            },
            "required": True,
        }
    },
)
def login(request: Request, response: Response, body: LoginRequest = Depends(_login_body)) -> TokenResponse:
    """Log in with a username (case-insensitive) and password; answers an access and a
    refresh token. Throttled per account and address (429 with ``Retry-After``)."""
    service = _service(request)
    kernel = _kernel(request)
    with kernel.databases.session("core") as session:
        user = service.login(session, body.username, body.password, _client(request))
        if user is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "invalid username or password",
                headers={"WWW-Authenticate": "Bearer", **_NO_STORE},
            )
        return _tokens(request, response, service, session, user, service.issue_refresh(session, user))


@auth_router.post("/refresh", response_model=TokenResponse, dependencies=[Depends(public)])
def refresh(request: Request, response: Response, body: RefreshRequest) -> TokenResponse:
    """Swap a refresh token for a new pair; the old refresh token stops working."""
    service = _service(request)
    with _kernel(request).databases.session("core") as session:
        user, token, family = service.rotate_refresh(session, body.refresh_token)
        return _tokens(request, response, service, session, user, (token, family))


@auth_router.post("/logout", status_code=204, response_class=Response)
def logout(
    request: Request,
    body: LogoutRequest | None = None,
    user: Principal = Depends(login_required),
) -> Response:
    """Log out: this access token and every refresh token of its login stop working
    (a body is optional; a ``refresh_token`` sent in it ends that token's login too)."""
    kernel = _kernel(request)
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    claims = kernel.token_service.decode(token) or {}
    from datetime import UTC, datetime

    expires = datetime.fromtimestamp(claims.get("exp", 0), UTC)
    with kernel.databases.session("core") as session:
        _service(request).logout(
            session,
            user.user_id,
            claims.get("jti", ""),
            expires,
            body.refresh_token if body else None,
            family=claims.get("fam"),
        )
    return Response(status_code=204)


@auth_router.get("/me", response_model=MeResponse)
async def me(request: Request, user: Principal = Depends(login_required)) -> MeResponse:
    """Who the token belongs to and the tabs they hold."""
    kernel = _kernel(request)
    tabs = sorted(t.id for t in kernel.tabs if user.has_tab(t.id))
    return MeResponse(username=user.username, role=user.role, allowed_tabs=tabs)


# -- tabs -------------------------------------------------------------------------
@tabs_router.get("/tabs")
async def tabs(
    request: Request,
    all: bool = Query(False, description="every registered tab (needs usermanagement)"),
    user: Principal = Depends(login_required),
) -> list[dict[str, Any]]:
    """The tree of tabs the caller holds, or with ``all=true`` every registered tab."""
    kernel = _kernel(request)
    if all:
        if not user.has_tab("usermanagement"):
            raise HTTPException(403, "you do not have the tab 'usermanagement'")
        return tab_tree(kernel.tabs)
    return tab_tree(kernel.tabs, user.tabs)


# -- users and roles --------------------------------------------------------------
@contextmanager
def _core(request: Request, *, readonly: bool = False) -> Iterator[Any]:
    """A session on the core database; a refused request becomes its HTTP answer."""
    with _kernel(request).databases.session("core", readonly=readonly) as session:
        yield session


def _changed(request: Request, event: str, **data: Any) -> None:
    """Tell open usermanagement screens that something changed (after the commit)."""
    _kernel(request).emit(event, data, room="usermanagement")


@users_router.get("/users", response_model=list[UserOut])
def list_users(request: Request) -> list[UserOut]:
    with _core(request, readonly=True) as session:
        return [UserOut.model_validate(u) for u in _service(request).list_users(session)]


@users_router.post("/users", response_model=UserOut, status_code=201)
def create_user(request: Request, body: UserCreate, by: Principal = Depends(login_required)) -> UserOut:
    with _core(request) as session:
        user = UserOut.model_validate(_service(request).create_user(session, **body.model_dump(), actor=by))
    _changed(request, "users.changed", username=user.username, action="created")
    return user


@users_router.get("/users/{username}", response_model=UserOut)
def get_user(request: Request, username: str) -> UserOut:
    with _core(request, readonly=True) as session:
        return UserOut.model_validate(_service(request).get_user(session, username))


@users_router.patch("/users/{username}", response_model=UserOut)
def update_user(request: Request, username: str, body: UserUpdate, by: Principal = Depends(login_required)) -> UserOut:
    changes = body.model_dump(exclude_unset=True)
    with _core(request) as session:
        user = UserOut.model_validate(_service(request).update_user(session, username, changes, by.username, by))
    _changed(request, "users.changed", username=username, action="updated")
    return user


@users_router.delete("/users/{username}", status_code=204, response_class=Response)
def delete_user(request: Request, username: str, by: Principal = Depends(login_required)) -> Response:
    with _core(request) as session:
        _service(request).delete_user(session, username, by.username, by)
    _changed(request, "users.changed", username=username, action="deleted")
    return Response(status_code=204)


@users_router.get("/roles", response_model=list[RoleOut])
def list_roles(request: Request) -> list[RoleOut]:
    with _core(request, readonly=True) as session:
        return [RoleOut.model_validate(r) for r in _service(request).list_roles(session)]


@users_router.post("/roles", response_model=RoleOut, status_code=201)
def create_role(request: Request, body: RoleCreate, by: Principal = Depends(login_required)) -> RoleOut:
    with _core(request) as session:
        role = RoleOut.model_validate(_service(request).create_role(session, body.name, body.allowed_tabs, by))
    _changed(request, "roles.changed", name=role.name, action="created")
    return role


@users_router.get("/roles/{name}", response_model=RoleOut)
def get_role(request: Request, name: str) -> RoleOut:
    with _core(request, readonly=True) as session:
        return RoleOut.model_validate(_service(request).get_role(session, name))


@users_router.patch("/roles/{name}", response_model=RoleOut)
def update_role(request: Request, name: str, body: RoleUpdate, by: Principal = Depends(login_required)) -> RoleOut:
    with _core(request) as session:
        role = RoleOut.model_validate(_service(request).update_role(session, name, body.allowed_tabs, by))
    _changed(request, "roles.changed", name=name, action="updated")
    return role


@users_router.delete("/roles/{name}", status_code=204, response_class=Response)
def delete_role(request: Request, name: str, by: Principal = Depends(login_required)) -> Response:
    with _core(request) as session:
        _service(request).delete_role(session, name, by)
    _changed(request, "roles.changed", name=name, action="deleted")
    return Response(status_code=204)


# -- system -----------------------------------------------------------------------
@system_router.get("/plugins")
def list_plugins(request: Request) -> list[dict[str, Any]]:
    """Every plugin with its version, state and the error that put it there."""
    kernel = _kernel(request)
    return [p.as_dict() for p in sorted(kernel.plugins.plugins.values(), key=lambda p: p.name)]


@tabs_router.get("/jobs/{run_id}", response_model=JobRunOut, tags=["jobs"])
def job_status(
    request: Request,
    run_id: str = Path(max_length=64, description="the run's id (hex)"),
    user: Principal = Depends(login_required),
) -> JobRunOut:
    """A background job run's state and progress, the same on every worker; needs the tab
    of the job (``system`` for jobs that name none)."""
    from .._errors import DomainError

    jobs = _kernel(request).jobs
    if not any(user.has_tab(tab) for tab in jobs.tabs()):
        raise DomainError(403, "you do not have the tab of any job")
    run = jobs.get_run(run_id) if run_id.isascii() and run_id.isalnum() else None  # no odd text to the database
    if run is None:
        raise DomainError(404, f"job run {run_id!r} not found")
    if not user.has_tab(run.tab):
        raise DomainError(403, f"you do not have the tab {run.tab!r}")
    return JobRunOut.model_validate(run.as_dict())


@health_router.get("/health", dependencies=[Depends(public)])
def health(request: Request) -> dict[str, Any]:
    """Liveness for load balancers: plugin states and database reachability, no secrets."""
    kernel = _kernel(request)
    plugins = {p.name: p.state for p in kernel.plugins.plugins.values()}
    databases = kernel.databases.check()
    degraded = any(v != "ok" for v in databases.values()) or any(
        s in ("failed", "missing-dependency", "incompatible") for s in plugins.values()
    )
    return {"status": "degraded" if degraded else "ok", "plugins": plugins, "databases": databases}
