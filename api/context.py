"""The typed per-request GraphQL context."""

from __future__ import annotations

from dataclasses import dataclass, field

from neo4j import AsyncDriver
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from api.loaders import Loaders
from api.security import Principal
from cobuild.settings import Settings
from queries.scope import Scope


@dataclass
class Context(BaseContext):
    driver: AsyncDriver
    settings: Settings
    loaders: Loaders
    principal: Principal
    scope: Scope  # what the caller may read; every query function takes it
    client: str | None = None  # the caller's address, for the audit log
    # Raw phone reads of this request, batched per operation (api.phones).
    phone_reveals: dict[str | None, DataLoader[str, str | None]] = field(default_factory=dict)

    @property
    def database(self) -> str:
        return self.settings.neo4j_database
