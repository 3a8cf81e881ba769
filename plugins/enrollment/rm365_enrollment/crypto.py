"""Fingerprint templates at rest: Fernet (AES + HMAC) with the site's template key.

The key comes from ``RM365_ENROLLMENT_TEMPLATE_KEY``; when unset, one is generated into the
data folder (``enrollment_template_key``, mode 0600), like the JWT secret. Rotation: set the
new key, list the old one in ``RM365_ENROLLMENT_OLD_TEMPLATE_KEYS``, run
``rm365 enrollment rotate-key`` (re-encrypts every template), then drop the old key.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from rm365_core import DomainError

from .settings import EnrollmentSettings

KEY_FILE = "enrollment_template_key"


def _generated_key(data_dir: Path) -> str:
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class TemplateCipher:
    """Encrypts with the current key; decrypts with the current or an old one."""

    def __init__(self, settings: EnrollmentSettings, data_dir: Path) -> None:
        current = settings.template_key or _generated_key(data_dir)
        self._fernet = MultiFernet([Fernet(current), *(Fernet(key) for key in settings.old_template_keys)])

    def encrypt(self, template: bytes) -> bytes:
        return self._fernet.encrypt(template)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            # Never name the template; only say which key setting to check.
            raise DomainError(
                409,
                "a fingerprint template cannot be decrypted with RM365_ENROLLMENT_TEMPLATE_KEY "
                "(or RM365_ENROLLMENT_OLD_TEMPLATE_KEYS)",
            ) from None

    def rotate(self, token: bytes) -> bytes:
        return self._fernet.rotate(token)
