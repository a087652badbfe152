"""Raw phone numbers: shown only to callers with the permission, each read audited first.

A ``phone(unmasked: true)`` read is batched per request and operation: one read of the
stored cipher text for every person asked (in the caller's scope only), one audit event
naming them all, then the numbers are decrypted with the configured key. Without a key
nothing but the masked form was stored, and the masked form is what is shown (nothing to
audit).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from api.errors import forbidden
from graph.audit import record_read
from ingest.phones import PhoneVault
from queries.entities import phone_ciphers

if TYPE_CHECKING:
    from api.context import Context

FIELD = "Person.phone"


def _loader(context: Context, operation: str | None) -> DataLoader[str, str | None]:
    async def reveal(ids: Sequence[str]) -> list[str | None]:
        stored = await phone_ciphers(context.driver, context.database, list(ids), context.scope)
        key = context.settings.phone_key
        # The salt only matters for hashing on ingest; revealing needs the key alone.
        vault = PhoneVault(key.get_secret_value() if key else None, secrets.token_bytes(16))
        revealed = {
            ident: vault.reveal(entry.cipher) if entry.cipher else None
            for ident, entry in stored.items()
        }
        shown = sorted(ident for ident, phone in revealed.items() if phone is not None)
        if shown:
            principal = context.principal
            await record_read(
                context.driver,
                context.database,
                subject=principal.subject,
                role=principal.role.value,
                client=context.client,
                operation=operation,
                field=FIELD,
                entity_ids=shown,
            )
        return [revealed.get(i) or (stored[i].masked if i in stored else None) for i in ids]

    return DataLoader(load_fn=reveal)


async def unmasked_phone(info: Info[Context, None], person_id: str) -> str | None:
    """The clear number of ``person_id`` (its masked form without a stored cipher).

    Raises FORBIDDEN for a caller whose credential does not grant raw phones.
    """
    context = info.context
    if not context.principal.may_see_phones:
        raise forbidden(
            "this credential may not read raw phone numbers (an admin or coordinator key "
            "created with --allow-phones, or a token with phones:read)"
        )
    named = info.operation.name if info.operation else None
    operation = named.value if named else None
    loader = context.phone_reveals.get(operation)
    if loader is None:
        loader = context.phone_reveals[operation] = _loader(context, operation)
    return await loader.load(person_id)
