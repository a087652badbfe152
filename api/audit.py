"""``auditLog``: the unmasked reads of personal data, for admins only · 审计日志."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.context import Context
from api.errors import forbidden
from api.types import Connection, connection, page_window
from graph import audit
from graph.model import Role


@strawberry.type(name="AuditEvent", description="One read that showed personal data · 审计事件")
class AuditEventType:
    id: strawberry.ID
    at: datetime = strawberry.field(description="when (UTC)")
    subject: str = strawberry.field(description="who: api-key:<id>, jwt:<subject>")
    role: str
    client: str | None = strawberry.field(description="from where: the client address")
    operation: str | None = strawberry.field(description="the GraphQL operation name")
    field: str = strawberry.field(description="what was shown, e.g. Person.phone")
    entity_ids: list[str] = strawberry.field(description="whose")


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Unmasked reads of personal data, newest first (admins only; "
        "first ≤ 500, after = a cursor, since = from this moment) · 审计日志"
    )
    async def audit_log(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        since: datetime | None = None,
    ) -> Connection[AuditEventType]:
        ctx = info.context
        if ctx.principal.role is not Role.ADMIN:
            raise forbidden("only admins may read the audit log")
        size, offset = page_window(first, after)
        events, total = await audit.read_events(
            ctx.driver, ctx.database, since=since, first=size, offset=offset
        )

        async def counted() -> int:
            return total

        items = [
            AuditEventType(
                id=strawberry.ID(e.id),
                at=e.at,
                subject=e.subject,
                role=e.role,
                client=e.client,
                operation=e.operation,
                field=e.field,
                entity_ids=list(e.entity_ids),
            )
            for e in events
        ]
        return connection(items, offset, offset + len(items) < total, counted)
