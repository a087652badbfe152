"""The API's error vocabulary: expected errors carry a code, unexpected ones are masked.

GraphQL error codes (``extensions.code``):
├── UNAUTHENTICATED  no or a bad credential            (HTTP 401 before GraphQL runs)
├── FORBIDDEN        the caller's role may not do this (never for data outside the scope:
│                    that reads as NOT_FOUND, so its existence does not leak)
├── NOT_FOUND        an id names nothing, or nothing the caller may see
│                                                     (queries.errors.NotFoundError)
├── BAD_USER_INPUT   an argument is out of range      (queries.errors.BadArgumentError)
├── UNAVAILABLE      Neo4j does not answer right now  (driver ServiceUnavailable …)
└── INTERNAL_SERVER_ERROR  anything else: message masked for clients, logged in full
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from graphql import GraphQLError
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from strawberry.extensions import MaskErrors, SchemaExtension

from cobuild.logs import get_logger
from queries.errors import BadArgumentError, NotFoundError

log = get_logger(__name__)

NOT_FOUND: Final = "NOT_FOUND"
FORBIDDEN: Final = "FORBIDDEN"
BAD_USER_INPUT: Final = "BAD_USER_INPUT"
UNAVAILABLE: Final = "UNAVAILABLE"
CODED: Final = frozenset(
    {NOT_FOUND, FORBIDDEN, BAD_USER_INPUT, UNAVAILABLE, "GRAPHQL_VALIDATION_FAILED"}
)


def not_found(what: str, ident: str) -> GraphQLError:
    return GraphQLError(f"{what} {ident!r} not found", extensions={"code": NOT_FOUND})


def forbidden(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": FORBIDDEN})


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": BAD_USER_INPUT})


class CodedErrors(SchemaExtension):
    """Gives the query layer's expected exceptions their GraphQL codes."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        for error in result.errors:
            original = error.original_error
            if isinstance(original, NotFoundError):
                error.extensions = {**(error.extensions or {}), "code": NOT_FOUND}
            elif isinstance(original, BadArgumentError):
                error.extensions = {**(error.extensions or {}), "code": BAD_USER_INPUT}
            elif isinstance(original, ServiceUnavailable | SessionExpired):
                error.message = "the database is unavailable right now; try again shortly"
                error.extensions = {**(error.extensions or {}), "code": UNAVAILABLE}


def _should_mask(error: GraphQLError) -> bool:
    code = (error.extensions or {}).get("code")
    if code in CODED or error.original_error is None:
        return False
    log.error("graphql.unexpected", message=error.message, path=error.path, exc_info=error)
    return True


def masking() -> MaskErrors:
    """Unexpected errors reach clients as one generic message with INTERNAL_SERVER_ERROR."""
    return MaskErrors(
        should_mask_error=_should_mask,
        error_message="internal error; it has been logged",
    )
