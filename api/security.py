"""Who is calling: API keys (``Authorization: Bearer cb_…`` or ``X-API-Key``), bearer JWTs
(``Authorization: Bearer <jwt>``, HS256 or RS256), and what their role lets them read.

Verified keys are cached for a minute (argon2 is deliberately slow, and runs in a worker
thread so it never blocks the event loop); a revoked key stops working within that minute.
A JWT is verified on every request (signature with the configured key for its ``alg`` only,
``iss``, ``aud``, ``exp`` required); its role, region and permissions come from claims
named in the settings. Every refusal is a 401 that says what was wrong with the credential,
never anything about the data.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Final

import jwt
from fastapi import Depends, HTTPException, Request, status
from neo4j import AsyncDriver

from cobuild.settings import Settings
from graph.keys import SCOPED_ROLES, KeyOwner, check_grant, split_key, verify_key
from graph.model import Role
from queries.scope import Scope, scope_of

CACHE_SECONDS: Final = 60.0
MAX_CACHED: Final = 10_000


PHONES_PERMISSION: Final = "phones:read"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who calls: role, region subtree (scoped roles), raw-phone permission, and who for
    the audit log (``api-key:<id>``, ``jwt:<sub>`` or ``anonymous``)."""

    role: Role
    region_id: str | None = None
    key_id: str | None = None
    anonymous: bool = False
    subject: str = "anonymous"
    may_see_phones: bool = False

    @property
    def scope_region(self) -> str | None:
        """The region subtree this caller may read; None (the whole city) for admins and
        analysts."""
        return self.region_id if self.role in SCOPED_ROLES else None

    async def scope(self, driver: AsyncDriver, database: str) -> Scope:
        """What this caller may read (one read of the region subtree when scoped)."""
        return await scope_of(
            driver, database, self.scope_region, may_see_phones=self.may_see_phones
        )


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


@lru_cache(maxsize=4)
def _public_key(path: Path) -> str:
    return path.read_text(encoding="ascii")


def _verify_jwt(token: str, settings: Settings) -> Principal:
    """The principal a bearer JWT states; raises 401 for any fault of the token."""
    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
    except jwt.InvalidTokenError as exc:
        raise _unauthorized(f"malformed token: {exc}") from exc
    key: Any
    if algorithm == "HS256" and settings.jwt_hs256_secret is not None:
        key = settings.jwt_hs256_secret.get_secret_value()
    elif algorithm == "RS256" and settings.jwt_rs256_public_key_file is not None:
        key = _public_key(settings.jwt_rs256_public_key_file)
    else:
        # Never "none", and never a key of one algorithm used as another's.
        raise _unauthorized(f"token algorithm {algorithm!r} is not accepted")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway_s,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.InvalidTokenError as exc:
        raise _unauthorized(f"invalid token: {exc}") from exc
    try:
        role = Role(str(claims.get(settings.jwt_role_claim)))
    except ValueError:
        raise _unauthorized(
            f"token claim {settings.jwt_role_claim!r} names no role "
            f"(one of {', '.join(r.value for r in Role)})"
        ) from None
    region = claims.get(settings.jwt_region_claim)
    permissions = claims.get(settings.jwt_scope_claim) or ""
    if isinstance(permissions, str):
        permissions = permissions.split()
    phones = PHONES_PERMISSION in permissions
    if region is not None and not isinstance(region, str):
        raise _unauthorized(f"token claim {settings.jwt_region_claim!r} must be a region id")
    try:
        check_grant(role, region, allow_phones=phones)
    except ValueError as exc:
        raise _unauthorized(f"token grants do not go together: {exc}") from None
    return Principal(role, region, subject=f"jwt:{claims['sub']}", may_see_phones=phones)


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
    """The caller, from their key or token; anonymous callers (read-only analysts) only
    where the settings allow them (the demo).

    Raises 401 for a missing, invalid, expired or revoked credential.
    """
    settings: Settings = request.app.state.settings
    key = _presented_key(request)
    if key is None:
        if settings.allow_anonymous:
            return Principal(role=Role.ANALYST, anonymous=True)
        raise _unauthorized("an API key (Authorization: Bearer cb_…) or a bearer token is required")
    if split_key(key) is None and key.count(".") == 2:
        if not settings.jwt_enabled:
            raise _unauthorized("bearer tokens are not accepted by this server")
        return _verify_jwt(key, settings)
    owner = await _owner(request.app.state.driver, settings.neo4j_database, key)
    if owner is None:
        raise _unauthorized("invalid or revoked API key")
    return Principal(
        owner.role,
        owner.region_id,
        owner.key_id,
        subject=f"api-key:{owner.key_id}",
        may_see_phones=owner.allow_phones,
    )


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
