"""The one settings class of cobuild, read from the environment (prefix ``COBUILD_``).

The Neo4j connection also answers to the conventional ``NEO4J_URI``, ``NEO4J_USER`` (or
``NEO4J_USERNAME``), ``NEO4J_PASSWORD`` and ``NEO4J_DATABASE``. With no URI set, cobuild runs
its own local Neo4j (``graph.runtime``) and keeps its store and password under ``data_dir``.
"""

from __future__ import annotations

import enum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    DEMO = "demo"
    PRODUCTION = "production"


class LogFormat(enum.StrEnum):
    AUTO = "auto"  # console on a terminal, JSON lines otherwise
    CONSOLE = "console"
    JSON = "json"


class Settings(BaseSettings):
    """Configuration of every cobuild process: CLI, ingest, API."""

    model_config = SettingsConfigDict(
        env_prefix="COBUILD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Environment = Environment.DEVELOPMENT

    # --- Neo4j -------------------------------------------------------------------------
    neo4j_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("COBUILD_NEO4J_URI", "NEO4J_URI"),
        description="bolt://, neo4j:// (routing) or +s variants; unset = run the local Neo4j",
    )
    neo4j_user: str = Field(
        default="neo4j",
        validation_alias=AliasChoices("COBUILD_NEO4J_USER", "NEO4J_USER", "NEO4J_USERNAME"),
    )
    neo4j_password: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("COBUILD_NEO4J_PASSWORD", "NEO4J_PASSWORD"),
    )
    neo4j_database: str = Field(
        default="neo4j",
        validation_alias=AliasChoices("COBUILD_NEO4J_DATABASE", "NEO4J_DATABASE"),
    )
    neo4j_max_connection_pool_size: int = 50
    neo4j_transaction_timeout_s: float = 30.0

    # --- the local Neo4j (used only when neo4j_uri is unset) -----------------------------
    data_dir: Path = PROJECT_ROOT / "var"
    local_bolt_host: str = "127.0.0.1"
    local_bolt_port: int = 7687
    local_heap: str = "1g"
    local_pagecache: str = "512m"
    local_start_timeout_s: float = 90.0
    local_neo4j_conf: dict[str, str] = Field(
        default_factory=dict,
        description="further Neo4j settings for the local server, as JSON "
        '(e.g. {"db.memory.transaction.max": "2g"})',
    )
    launcher_jar: Path = PROJECT_ROOT / "launcher" / "target" / "cobuild-neo4j.jar"
    java: str = "java"

    # --- ingest --------------------------------------------------------------------------
    phone_key: SecretStr | None = Field(
        default=None,
        description="Fernet key (urlsafe base64, 32 bytes) that encrypts phone numbers at rest; "
        "without it only a masked form and a salted hash are stored",
    )
    ingest_batch_size: int = Field(default=5000, ge=1, le=50_000)
    ingest_writers: int = Field(
        default=2, ge=1, le=8, description="write transactions in flight at a batched run"
    )
    ingest_transaction_timeout_s: float = Field(
        default=3600.0, ge=0, description="time limit of a run's one transaction (0: none)"
    )

    # --- API ---------------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = 8000

    allow_anonymous: bool = Field(
        default=False,
        description="serve callers without a key as read-only analysts; the demo turns this on",
    )
    max_upload_mb: int = Field(default=200, ge=1)
    # Abusive GraphQL documents are refused before anything runs (introspection not counted).
    graphql_max_depth: int = Field(default=12, ge=2, description="deepest field nesting")
    graphql_max_aliases: int = Field(default=30, ge=1, description="aliases in one document")
    graphql_max_tokens: int = Field(default=3000, ge=100, description="tokens in one document")

    # --- limits --------------------------------------------------------------------------
    # What one caller may ask of the service (docs/security.md, "Limits").
    graphql_max_cost: int = Field(
        default=50_000, ge=1, description="estimated cost of one document (lists × their page)"
    )
    graphql_max_body_kb: int = Field(default=100, ge=1, description="a /graphql request body")
    rate_limit_per_minute: int = Field(
        default=600, ge=0, description="requests per key (or address) per minute; 0 = no limit"
    )
    rate_limit_burst: int = Field(
        default=30, ge=1, description="requests per key (or address) within any one second"
    )
    neo4j_retry_s: float = Field(
        default=5.0, ge=0, description="how long a read retries while Neo4j does not answer"
    )
    graphiql: bool | None = Field(
        default=None,
        description=(
            "serve the GraphiQL page at GET /graphql (its files come from unpkg.com); "
            "default: on, except in production"
        ),
    )
    # Comma-separated in the environment: COBUILD_CORS_ORIGINS=https://a.example,https://b.example
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins allowed to call from a browser; empty = none"
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    # --- security (docs/security.md) ----------------------------------------------------
    # Bearer JWTs from single sign-on or other systems: HS256 with a shared secret and/or
    # RS256 with the issuer's public key; iss, aud and exp are required and checked.
    jwt_hs256_secret: SecretStr | None = Field(
        default=None, description="shared HS256 secret (at least 32 bytes); unset = no HS256"
    )
    jwt_rs256_public_key_file: Path | None = Field(
        default=None, description="PEM file of the RS256 public key; unset = no RS256"
    )
    jwt_issuer: str | None = Field(default=None, description="the required iss")
    jwt_audience: str | None = Field(default=None, description="the required aud")
    jwt_role_claim: str = "role"
    jwt_region_claim: str = "region_id"
    jwt_scope_claim: str = Field(
        default="scope", description="space-separated permissions; phones:read = raw phones"
    )
    jwt_leeway_s: int = Field(default=30, ge=0, le=300, description="clock skew allowed")

    # --- logs --------------------------------------------------------------------------
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.AUTO

    @model_validator(mode="after")
    def _external_neo4j_needs_password(self) -> Self:
        if (
            self.neo4j_uri
            and self.neo4j_password is None
            and self.environment is Environment.PRODUCTION
        ):
            raise ValueError("NEO4J_PASSWORD must be set when NEO4J_URI is set in production")
        return self

    @model_validator(mode="after")
    def _security_holds_together(self) -> Self:
        if self.jwt_enabled and not (self.jwt_issuer and self.jwt_audience):
            raise ValueError("JWTs need COBUILD_JWT_ISSUER and COBUILD_JWT_AUDIENCE")
        secret = self.jwt_hs256_secret
        if secret is not None and len(secret.get_secret_value().encode("utf-8")) < 32:
            raise ValueError("COBUILD_JWT_HS256_SECRET must be at least 32 bytes")
        if self.allow_anonymous and self.environment is Environment.PRODUCTION:
            raise ValueError("anonymous access (COBUILD_ALLOW_ANONYMOUS) is never on in production")
        return self

    @property
    def graphiql_enabled(self) -> bool:
        """True when GET /graphql serves the GraphiQL page (off in production unless asked)."""
        if self.graphiql is not None:
            return self.graphiql
        return self.environment is not Environment.PRODUCTION

    @property
    def jwt_enabled(self) -> bool:
        """True when bearer JWTs are accepted (a secret or a public key is configured)."""
        return self.jwt_hs256_secret is not None or self.jwt_rs256_public_key_file is not None

    @property
    def uses_local_neo4j(self) -> bool:
        """True when cobuild runs its own Neo4j process instead of connecting to a server."""
        return not self.neo4j_uri

    @property
    def local_neo4j_home(self) -> Path:
        return self.data_dir / "neo4j"

    @property
    def local_bolt_uri(self) -> str:
        return f"bolt://{self.local_bolt_host}:{self.local_bolt_port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built once; tests build their own ``Settings`` instead."""
    return Settings()
