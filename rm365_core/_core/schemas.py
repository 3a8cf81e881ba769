"""Wire types of the kernel's own API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

USERNAME = r"^[A-Za-z0-9_.@-]+$"
ROLE_NAME = r"^[a-z0-9_.-]+$"
#: A tab id as roles and users hold it ("*" is every tab).
TabId = Annotated[str, Field(min_length=1, max_length=150, pattern=r"^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)$")]
#: Requests take JSON types as they are: ``"active": 0`` is not a boolean.
STRICT = ConfigDict(extra="forbid", strict=True)


class LoginRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    refresh_token: str = Field(min_length=1, max_length=200)


class LogoutRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    refresh_token: str | None = Field(default=None, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    role: str
    allowed_tabs: list[str]


class MeResponse(BaseModel):
    username: str
    role: str
    allowed_tabs: list[str]


class UserCreate(BaseModel):
    model_config = STRICT
    username: str = Field(min_length=1, max_length=150, pattern=USERNAME)
    password: str = Field(min_length=8, max_length=1024)
    role: str = Field(default="user", min_length=1, max_length=64)
    allowed_tabs: list[TabId] = Field(default_factory=list, max_length=500)
    active: bool = True


class UserUpdate(BaseModel):
    model_config = STRICT
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    role: str | None = Field(default=None, min_length=1, max_length=64)
    allowed_tabs: list[TabId] | None = Field(default=None, max_length=500)
    active: bool | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    username: str
    role: str
    allowed_tabs: list[str]
    active: bool
    created_at: datetime | None = None
    last_login_at: datetime | None = None


class RoleCreate(BaseModel):
    model_config = STRICT
    name: str = Field(min_length=1, max_length=64, pattern=ROLE_NAME)
    allowed_tabs: list[TabId] = Field(default_factory=list, max_length=500)


class RoleUpdate(BaseModel):
    model_config = STRICT
    allowed_tabs: list[TabId] | None = Field(default=None, max_length=500)


class RoleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    allowed_tabs: list[str]
    builtin: bool


#: A device's name or site: printable text, no control characters.
DeviceText = Annotated[str, Field(max_length=150, pattern=r"^[^\x00-\x1f\x7f]*$")]


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    site: str
    drivers: list[str]
    last_seen: datetime | None
    online: bool = Field(validation_alias="connected")
    paired_at: datetime | None = None
    revoked_at: datetime | None = None
    last_event_at: datetime | None = None
    clock_offset_ms: int | None = Field(default=None, description="server clock minus the bridge's, at connect")


class PairingCodeCreate(BaseModel):
    model_config = STRICT
    name: DeviceText = Field(min_length=1)
    site: DeviceText = ""


class PairingCodeOut(BaseModel):
    code: str = Field(description="single use, valid until expires_at (10 minutes)")
    expires_at: datetime
    name: str
    site: str


class PairRequest(BaseModel):
    model_config = STRICT
    code: str = Field(min_length=4, max_length=32)
    drivers: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=50)


class PairResponse(BaseModel):
    device_id: int
    name: str
    site: str
    token: str = Field(description="the device token: keep it secret, it is shown once")
    server_time: datetime


class DeviceUpdate(BaseModel):
    model_config = STRICT
    name: DeviceText | None = Field(default=None, min_length=1)
    site: DeviceText | None = None


class DeviceEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    event_id: str
    type: str
    occurred_at: datetime
    received_at: datetime
    data: dict[str, Any]
    state: str
    error: str | None
