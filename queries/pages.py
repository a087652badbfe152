"""Pages of long answers: opaque cursors over offsets, and where a page stands.

Entity lists (``api.types``) and coverage gap lists (``queries.coverage``) page the same way:
``first`` items after a cursor that encodes the offset reached.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from queries.errors import BadArgumentError


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode("ascii")


def decode_cursor(cursor: str | None) -> int:
    """The offset after ``cursor``'s item (0 without one); a malformed cursor is a bad
    argument."""
    if cursor is None:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode("ascii")).decode().partition(":")
        offset = int(number)
    except (ValueError, UnicodeError) as exc:
        raise BadArgumentError(f"malformed cursor {cursor!r}") from exc
    if kind != "o" or offset < 0:
        raise BadArgumentError(f"malformed cursor {cursor!r}")
    return offset + 1


@dataclass(frozen=True, slots=True)
class Page:
    """Which items of a list an answer holds · 分页信息: how many there are in all, from
    which offset, and the cursor to pass as after for the next page (none on the last)."""

    total: int
    offset: int
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, total: int, offset: int, shown: int) -> Page:
        more = offset + shown < total
        return cls(total, offset, more, encode_cursor(offset + shown - 1) if more else None)
