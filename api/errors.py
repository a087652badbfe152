"""The API's error vocabulary: expected errors carry a code, unexpected ones are masked.

GraphQL error codes (``extensions.code``):
├── UNAUTHENTICATED  no or a bad credential            (HTTP 401 before GraphQL runs)
├── FORBIDDEN        the caller's role may not do this (never for data outside the scope:
│                    that reads as NOT_FOUND, so its existence does not leak)
├── NOT_FOUND        an id names nothing, or nothing the caller may see
│                                                     (queries.errors.NotFoundError)
├── BAD_USER_INPUT   an argument is out of range      (queries.errors.BadArgumentError)
├── UNAVAILABLE      Neo4j does not answer right now  (driver ServiceUnavailable …)
├── QUERY_TIMEOUT    the database stopped a query that ran past its transaction timeout
├── QUERY_TOO_COSTLY the document's estimated cost is over the limit     (api.limits)
├── PAYLOAD_TOO_LARGE  HTTP 413: the request body is over the limit     (api.limits)
├── RATE_LIMITED     HTTP 429: too many requests from one key or address (api.limits)
└── INTERNAL_SERVER_ERROR  anything else: message masked for clients, logged in full
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from fastapi import Request
from fastapi.responses import JSONResponse
from graphql import GraphQLError
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired
from strawberry.extensions import MaskErrors, SchemaExtension

from cobuild.logs import get_logger
from queries.errors import BadArgumentError, NotFoundError

log = get_logger(__name__)

NOT_FOUND: Final = "NOT_FOUND"
FORBIDDEN: Final = "FORBIDDEN"
BAD_USER_INPUT: Final = "BAD_USER_INPUT"
UNAVAILABLE: Final = "UNAVAILABLE"
QUERY_TIMEOUT: Final = "QUERY_TIMEOUT"
QUERY_TOO_COSTLY: Final = "QUERY_TOO_COSTLY"
PAYLOAD_TOO_LARGE: Final = "PAYLOAD_TOO_LARGE"
RATE_LIMITED: Final = "RATE_LIMITED"
CODED: Final = frozenset(
    {
        NOT_FOUND,
        FORBIDDEN,
        BAD_USER_INPUT,
        UNAVAILABLE,
        QUERY_TIMEOUT,
        QUERY_TOO_COSTLY,
        "GRAPHQL_VALIDATION_FAILED",
    }
)
# Neo4j's status codes for a transaction stopped by db.transaction.timeout (server or client).
TIMED_OUT_CODES: Final = frozenset(
    {
        "Neo.ClientError.Transaction.TransactionTimedOut",
        "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
    }
)


UNAVAILABLE_MESSAGE: Final = "the database is unavailable right now; try again shortly"
# Seconds a client is told to wait while Neo4j is down (a restart takes about this long).
RETRY_AFTER_S: Final = 10


async def unavailable(request: Request, exc: Exception) -> JSONResponse:
    """REST endpoints while Neo4j is down: HTTP 503 with Retry-After, never a 500."""
    log.warning("neo4j.unavailable", path=request.url.path, error=type(exc).__name__)
    return JSONResponse(
        {"detail": UNAVAILABLE_MESSAGE, "code": UNAVAILABLE},
        status_code=503,
        headers={"retry-after": str(RETRY_AFTER_S)},
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
                error.message = UNAVAILABLE_MESSAGE
                error.extensions = {**(error.extensions or {}), "code": UNAVAILABLE}
            elif isinstance(original, Neo4jError) and original.code in TIMED_OUT_CODES:
                error.message = (
                    "the query ran past the database's time limit and was stopped; "
                    "narrow it (a smaller region, fewer items) and try again"
                )
                error.extensions = {**(error.extensions or {}), "code": QUERY_TIMEOUT}


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
