"""The typed per-request GraphQL context."""

from __future__ import annotations

from dataclasses import dataclass

from neo4j import AsyncDriver
from strawberry.fastapi import BaseContext

from api.loaders import Loaders
from cobuild.settings import Settings


@dataclass
class Context(BaseContext):
    driver: AsyncDriver
    settings: Settings
    loaders: Loaders

    @property
    def database(self) -> str:
        return self.settings.neo4j_database
