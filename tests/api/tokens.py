"""Real bearer tokens for the API tests: signed with PyJWT, verified by the app as in use."""

from __future__ import annotations

import time
from typing import Any

import jwt

from cobuild.settings import Settings
from graph.model import Role

ISSUER = "https://sso.test.cobuild"
AUDIENCE = "cobuild-api"
SECRET = "test-hs256-secret-that-is-long-enough-0123456789"


def jwt_settings(settings: Settings, **extra: Any) -> Settings:
    """``settings`` accepting HS256 tokens of the test issuer (plus ``extra`` overrides)."""
    return settings.model_copy(
        update={
            "jwt_hs256_secret": _secret(SECRET),
            "jwt_issuer": ISSUER,
            "jwt_audience": AUDIENCE,
            **extra,
        }
    )


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)


def claims(
    role: Role | str,
    region: str | None = None,
    *,
    subject: str = "tester",
    phones: bool = False,
    lifetime_s: int = 3 * 3600,  # made at collection: outlive a long suite
    **extra: Any,
) -> dict[str, Any]:
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "iat": now,
        "exp": now + lifetime_s,
        "role": role.value if isinstance(role, Role) else role,
    }
    if region is not None:
        body["region_id"] = region
    if phones:
        body["scope"] = "graph:read phones:read"
    return {**body, **extra}


def token(role: Role | str, region: str | None = None, **kwargs: Any) -> str:
    """An HS256 token for ``role`` (scoped to ``region``) signed with the test secret."""
    return jwt.encode(claims(role, region, **kwargs), SECRET, algorithm="HS256")


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}
