"""API keys: created and revoked by admins, stored hashed (argon2), looked up per request.

A key reads ``cb_<id>_<secret>``: the id finds the stored record, the secret is checked
against its argon2 hash. Only the hash is stored; the full key is shown once, at creation.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from neo4j import AsyncDriver, Driver

from graph.model import Role

PREFIX: Final = "cb"
_hasher = PasswordHasher()

# Stores a new key (hash only).
CREATE_KEY: Final = """
CREATE (k:ApiKey {id: $id})
SET k.hash = $hash, k.role = $role, k.region_id = $region_id, k.name = $name,
    k.allow_phones = $allow_phones, k.created_at = datetime(), k.revoked_at = null
"""
# Revokes a key; returns whether it existed and was active.
REVOKE_KEY: Final = """
MATCH (k:ApiKey {id: $id}) WHERE k.revoked_at IS NULL
SET k.revoked_at = datetime()
RETURN count(k) AS revoked
"""
# One key by its public id (unique constraint api_key_id).
KEY_BY_ID: Final = """
MATCH (k:ApiKey {id: $id})
RETURN k.hash AS hash, k.role AS role, k.region_id AS region_id, k.name AS name,
       coalesce(k.allow_phones, false) AS allow_phones, k.revoked_at IS NOT NULL AS revoked
"""
# Every key, without hashes, for admins.
LIST_KEYS: Final = """
MATCH (k:ApiKey)
RETURN k.id AS id, k.role AS role, k.region_id AS region_id, k.name AS name,
       coalesce(k.allow_phones, false) AS allow_phones,
       k.created_at AS created_at, k.revoked_at AS revoked_at
ORDER BY k.created_at
"""


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """Who presented a valid key."""

    key_id: str
    role: Role
    region_id: str | None
    name: str | None
    allow_phones: bool = False


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: str
    role: str
    region_id: str | None
    name: str | None
    allow_phones: bool
    created_at: datetime
    revoked_at: datetime | None


# Roles that may be granted raw phone numbers (analysts and machine clients never are).
PHONE_ROLES: Final = frozenset({Role.ADMIN, Role.COORDINATOR})
# Roles bound to a region subtree, and those that always see the whole city.
SCOPED_ROLES: Final = frozenset({Role.COORDINATOR, Role.SYSTEM})


def check_grant(role: Role, region_id: str | None, *, allow_phones: bool) -> None:
    """Raise ``ValueError`` for a role, region and permission that do not go together."""
    if role in SCOPED_ROLES and not region_id:
        raise ValueError(f"a {role.value} key needs a region (--region)")
    if role not in SCOPED_ROLES and region_id:
        raise ValueError(f"a {role.value} key reads the whole city; give it no region")
    if allow_phones and role not in PHONE_ROLES:
        raise ValueError(f"a {role.value} key may not read raw phone numbers")


def create_key(
    driver: Driver,
    database: str,
    *,
    role: Role,
    region_id: str | None,
    name: str | None,
    allow_phones: bool = False,
) -> str:
    """Create a key and return it in full; it cannot be shown again.

    Raises ``ValueError`` when the role, region and phone permission do not go together
    (:func:`check_grant`).
    """
    check_grant(role, region_id, allow_phones=allow_phones)
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    driver.execute_query(
        CREATE_KEY,
        id=key_id,
        hash=_hasher.hash(secret),
        role=role.value,
        region_id=region_id,
        name=name,
        allow_phones=allow_phones,
        database_=database,
    )
    return f"{PREFIX}_{key_id}_{secret}"


def revoke_key(driver: Driver, database: str, key_id: str) -> bool:
    """Revoke the key with public id ``key_id``; False when no active key has it."""
    records, _, _ = driver.execute_query(REVOKE_KEY, id=key_id, database_=database)
    return bool(records[0]["revoked"])


def list_keys(driver: Driver, database: str) -> list[KeyInfo]:
    records, _, _ = driver.execute_query(LIST_KEYS, database_=database, routing_="r")
    return [
        KeyInfo(
            r["id"],
            r["role"],
            r["region_id"],
            r["name"],
            r["allow_phones"],
            r["created_at"].to_native(),
            r["revoked_at"].to_native() if r["revoked_at"] else None,
        )
        for r in records
    ]


def split_key(key: str) -> tuple[str, str] | None:
    """``cb_<id>_<secret>`` → (id, secret); None for anything else."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


async def verify_key(driver: AsyncDriver, database: str, key: str) -> KeyOwner | None:
    """The owner of ``key`` when it is valid and not revoked; None otherwise."""
    parts = split_key(key)
    if parts is None:
        return None
    key_id, secret = parts
    records, _, _ = await driver.execute_query(
        KEY_BY_ID, id=key_id, database_=database, routing_="r"
    )
    if not records or records[0]["revoked"]:
        return None
    record = records[0]
    try:
        # argon2 is slow on purpose: off the event loop.
        await asyncio.to_thread(_hasher.verify, record["hash"], secret)
    except (VerificationError, InvalidHashError):
        return None
    return KeyOwner(
        key_id, Role(record["role"]), record["region_id"], record["name"], record["allow_phones"]
    )
