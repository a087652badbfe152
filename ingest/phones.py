"""Phone numbers at rest: encrypted with the configured key, always with a masked form.

With a key (``COBUILD_PHONE_KEY``, a Fernet key) the number is stored encrypted and can be
revealed to roles with permission. Without one, only ``199****1234`` and a salted hash (to
match a number someone already knows) are stored, and the ingest warns once.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


def mask(phone: str) -> str:
    """``19900001234`` → ``199****1234``."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def salted_hash(phone: str, salt: bytes) -> str:
    return hmac.new(salt, phone.encode("ascii"), hashlib.sha256).hexdigest()


class PhoneVault:
    """Encrypts and decrypts phone numbers with one Fernet key (None: store no cipher text)."""

    def __init__(self, key: str | None, salt: bytes) -> None:
        self._fernet = Fernet(key.encode("ascii")) if key else None
        self._salt = salt

    @property
    def encrypts(self) -> bool:
        return self._fernet is not None

    def protect(self, phone: str) -> dict[str, str | None]:
        """The properties stored for ``phone``: masked, hash and (with a key) cipher text."""
        return {
            "phone_masked": mask(phone),
            "phone_hash": salted_hash(phone, self._salt),
            "phone_encrypted": (
                self._fernet.encrypt(phone.encode("ascii")).decode("ascii")
                if self._fernet
                else None
            ),
        }

    def reveal(self, encrypted: str) -> str | None:
        """The clear number, or None without a key or for cipher text of another key."""
        if self._fernet is None:
            return None
        try:
            return self._fernet.decrypt(encrypted.encode("ascii")).decode("ascii")
        except InvalidToken:
            return None
