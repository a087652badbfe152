"""The audit log: every read that showed personal data unmasked, as ``(:AuditEvent)`` nodes.

An event says who (``api-key:<id>``, ``jwt:<sub>``), with which role, when, what (the entity ids
and the field), from where (the client address) and through which GraphQL operation. It is
written *before* the clear values leave the server, so a read that is not recorded does not
happen. Admins read the log newest first (``auditLog``); nothing ever edits or deletes it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from neo4j import AsyncDriver

# Records one unmasked read (unique constraint audit_event_id).
RECORD_EVENT: Final = """
CREATE (e:AuditEvent {id: $id})
SET e.at = datetime($at), e.subject = $subject, e.role = $role, e.client = $client,
    e.operation = $operation, e.field = $field, e.entity_ids = $entity_ids
"""
# A page of events at or after $since, newest first (range index audit_event_at).
EVENTS: Final = """
MATCH (e:AuditEvent)
WHERE e.at >= datetime($since)
RETURN e.id AS id, e.at AS at, e.subject AS subject, e.role AS role, e.client AS client,
       e.operation AS operation, e.field AS field, e.entity_ids AS entity_ids
ORDER BY e.at DESC, e.id
SKIP $offset LIMIT $first
"""
# How many events at or after $since (range index audit_event_at).
COUNT_EVENTS: Final = "MATCH (e:AuditEvent) WHERE e.at >= datetime($since) RETURN count(e) AS n"

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: str
    at: datetime
    subject: str  # api-key:<id>, jwt:<sub>, anonymous
    role: str
    client: str | None  # the caller's address
    operation: str | None  # the GraphQL operation name, when it had one
    field: str  # what was shown, e.g. "Person.phone"
    entity_ids: tuple[str, ...]


async def record_read(
    driver: AsyncDriver,
    database: str,
    *,
    subject: str,
    role: str,
    client: str | None,
    operation: str | None,
    field: str,
    entity_ids: list[str],
) -> str:
    """Write one event and return its id (written before anything is shown)."""
    event_id = uuid.uuid4().hex
    await driver.execute_query(
        RECORD_EVENT,
        id=event_id,
        at=datetime.now(UTC).isoformat(),
        subject=subject,
        role=role,
        client=client,
        operation=operation,
        field=field,
        entity_ids=entity_ids,
        database_=database,
    )
    return event_id


async def read_events(
    driver: AsyncDriver,
    database: str,
    *,
    since: datetime | None,
    first: int,
    offset: int,
) -> tuple[list[AuditEvent], int]:
    """A page of events at or after ``since`` (all without), newest first, and their total."""
    moment = (since or _EPOCH).isoformat()
    records, _, _ = await driver.execute_query(
        EVENTS, since=moment, first=first, offset=offset, database_=database, routing_="r"
    )
    counted, _, _ = await driver.execute_query(
        COUNT_EVENTS, since=moment, database_=database, routing_="r"
    )
    events = [
        AuditEvent(
            r["id"],
            r["at"].to_native(),
            r["subject"],
            r["role"],
            r["client"],
            r["operation"],
            r["field"],
            tuple(r["entity_ids"]),
        )
        for r in records
    ]
    return events, int(counted[0]["n"])
