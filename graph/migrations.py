"""Versioned, idempotent schema migrations, applied at every start.

A migration is applied once per database and recorded as a ``(:SchemaMigration)`` node.
Its statements are all idempotent, so a start interrupted half-way simply applies the
same version again. New versions are appended; a released version is never edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, LiteralString

from neo4j import Driver

from graph import schema
from graph.errors import MigrationError


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[LiteralString, ...]


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(
        1,
        "uniqueness constraints, lookup and point indexes, Chinese full-text index",
        (*schema.CONSTRAINTS, *schema.INDEXES, *schema.FULLTEXT),
    ),
    Migration(2, "API keys", (schema.API_KEY_CONSTRAINT,)),
    Migration(3, "new employment group indexes", schema.NEW_EMPLOYMENT_INDEXES),
    Migration(4, "audit log of unmasked reads", schema.AUDIT_INDEXES),
    Migration(5, "blank areas paged in id order", (schema.REGION_LEVEL_ID_INDEX,)),
    Migration(6, "entity lists in name order", schema.NAME_ORDER_INDEXES),
)

# Which versions this database already has.
APPLIED_VERSIONS: Final = "MATCH (m:SchemaMigration) RETURN collect(m.version) AS versions"
# Records one applied version.
RECORD_MIGRATION: Final = """
MERGE (m:SchemaMigration {version: $version})
SET m.description = $description, m.applied_at = datetime($applied_at)
"""


def applied_versions(driver: Driver, database: str) -> set[int]:
    """Return the migration versions recorded in ``database``."""
    records, _, _ = driver.execute_query(APPLIED_VERSIONS, database_=database, routing_="r")
    return set(records[0]["versions"])


def migrate(driver: Driver, database: str, *, index_timeout_s: int = 300) -> list[int]:
    """Apply every migration not yet recorded, in order, and wait for indexes to come online.

    Returns the versions applied by this call (empty when the schema was up to date).
    Raises ``MigrationError`` naming the version and statement that failed.
    """
    done = applied_versions(driver, database)
    applied: list[int] = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        for statement in migration.statements:
            try:
                # Schema commands cannot share a transaction with writes: one auto-commit each.
                driver.execute_query(statement, database_=database)
            except Exception as exc:
                raise MigrationError(
                    f"migration {migration.version} failed at: {statement}: {exc}"
                ) from exc
        driver.execute_query(schema.AWAIT_INDEXES, timeout_s=index_timeout_s, database_=database)
        driver.execute_query(
            RECORD_MIGRATION,
            version=migration.version,
            description=migration.description,
            applied_at=datetime.now(UTC).isoformat(),
            database_=database,
        )
        applied.append(migration.version)
    return applied
