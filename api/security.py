"""Who is calling: API keys (``Authorization: Bearer cb_…`` or ``X-API-Key``) and roles.

Verified keys are cached for a minute (argon2 is deliberately slow, and runs in a worker
thread so it never blocks the event loop); a revoked key stops working within that minute.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, HTTPException, Request, status
from neo4j import AsyncDriver

from graph.keys import KeyOwner, verify_key
from graph.model import Role

CACHE_SECONDS: Final = 60.0
MAX_CACHED: Final = 10_000


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    region_id: str | None = None
    key_id: str | None = None
    anonymous: bool = False


_verified: dict[str, tuple[float, KeyOwner]] = {}


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


async def _owner(driver: AsyncDriver, database: str, key: str) -> KeyOwner | None:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    cached = _verified.get(digest)
    now = time.monotonic()
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    owner = await verify_key(driver, database, key)
    if owner is not None:
        if len(_verified) >= MAX_CACHED:
            # Expired entries only ever leave here: keep the cache from growing without end.
            for stale in [k for k, (at, _) in _verified.items() if now - at >= CACHE_SECONDS]:
                del _verified[stale]
        _verified[digest] = (now, owner)
    return owner


async def current_principal(request: Request) -> Principal:
    """The caller, from their key; anonymous callers only where the settings allow them.

    Raises 401 for a missing or invalid key.
    """
    settings = request.app.state.settings
    key = _presented_key(request)
    if key is None:
        if settings.allow_anonymous:
            return Principal(role=Role.ANALYST, anonymous=True)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "an API key is required (Authorization: Bearer cb_…)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    owner = await _owner(request.app.state.driver, settings.neo4j_database, key)
    if owner is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid or revoked API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Principal(owner.role, owner.region_id, owner.key_id)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only ``roles`` through (403 otherwise)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {principal.role.value} may not do this",
            )
        return principal

    return check


def clear_cache() -> None:
    """Forget verified keys (tests, and after a revocation on this process)."""
    _verified.clear()
