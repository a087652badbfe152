"""What one caller may ask of the service: a document's cost, a request's size and rate.

Depth, aliases and tokens are strawberry's own limiters (``api.schema.limits``); this module
adds what strawberry has no extension for. Every refusal is a clear, coded error, never a 500:

- ``QueryCostLimiter``: a document whose estimated cost exceeds ``graphql_max_cost`` is
  refused before it runs (GraphQL error ``QUERY_TOO_COSTLY``).
- ``BodySizeLimit``: a ``/graphql`` body larger than ``graphql_max_body_kb`` gets HTTP 413
  (``PAYLOAD_TOO_LARGE``), counted on the stream since Content-Length may lie or be absent.
- ``RateLimit``: more than ``rate_limit_per_minute`` requests a minute, or ``rate_limit_burst``
  within one second, from one key (or one address when anonymous) get HTTP 429 with
  ``Retry-After`` (``RATE_LIMITED``).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Iterator, Mapping
from typing import Any, Final

from fastapi import FastAPI
from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql.utilities import get_operation_ast
from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from api.errors import PAYLOAD_TOO_LARGE, QUERY_TOO_COSTLY, RATE_LIMITED
from api.types import DEFAULT_PAGE
from cobuild.settings import Settings

# Arguments that say how many items a list field returns.
PAGE_ARGUMENTS: Final = ("first", "limit")
# Items assumed for a list field without a page argument (ties, result lists).
UNPAGED_LIST: Final = 10
# Paths a rate limit never applies to: probes and scrapes must see the service as it is.
UNLIMITED_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})


# --- cost ------------------------------------------------------------------------------------
def _is_list(output: GraphQLOutputType) -> bool:
    inner = output.of_type if isinstance(output, GraphQLNonNull) else output
    return isinstance(inner, GraphQLList)


def _page(node: FieldNode, field: GraphQLField, variables: Mapping[str, Any]) -> int | None:
    """How many items ``node`` asks for, or None when the field takes no page argument."""
    for name in PAGE_ARGUMENTS:
        if name not in field.args:
            continue
        value: Any = field.args[name].default_value
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = variables.get(argument.value.name.value)
        # Out-of-range sizes are refused by the resolver; here only the estimate counts.
        return max(value, 0) if isinstance(value, int) else DEFAULT_PAGE
    return None


class _Estimate:
    """Walks one operation: each field costs 1, and what is below a list field costs once per
    item (its ``first``/``limit``, else the argument's default, else ``UNPAGED_LIST``)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType, paged: bool
    ) -> int:
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent, paged)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection(node.selection_set, target or parent, paged)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                if fragment is not None:  # validation refused unknown and cyclic fragments
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selection(fragment.selection_set, target or parent, paged)
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType, paged: bool) -> int:
        name = node.name.value
        # Introspection and __typename are free: GraphiQL's schema query must always run.
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 1 if not name.startswith("__") else 0
        field = parent.fields.get(name)
        if field is None or node.selection_set is None:
            return 1
        page = _page(node, field, self.variables)
        if page is not None:
            items = page
        elif _is_list(field.type) and not paged:
            items = UNPAGED_LIST
        else:
            # A connection's nodes/edges, or a result's list, are the page already counted.
            items = 1
        below = self.selection(node.selection_set, get_named_type(field.type), page is not None)
        return 1 + items * below


def document_cost(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The estimated cost of running ``operation_name`` of a validated ``document``."""
    operation = get_operation_ast(document, operation_name)
    root = schema.query_type
    if operation is None or root is None:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _Estimate(schema, fragments, variables or {}).selection(
        operation.selection_set, root, paged=False
    )


def too_costly(cost: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"query cost {cost} exceeds the limit of {limit}: ask for smaller pages (first/limit) "
        "or fewer nested lists",
        extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "maxCost": limit},
    )


class QueryCostLimiter(SchemaExtension):
    """Refuse a document whose estimated cost exceeds ``max_cost`` before any resolver runs."""

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            cost = document_cost(
                context.schema._schema, document, context.operation_name, context.variables
            )
            if cost > self.max_cost:
                # A result set here is returned as is: nothing executes.
                context.result = ExecutionResult(
                    data=None, errors=[too_costly(cost, self.max_cost)]
                )
        yield


# --- HTTP: body size and rate ------------------------------------------------------------------
async def _refuse(
    send: Send, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> None:
    """Answer with a GraphQL-shaped error body, so GraphQL clients read it as any other."""
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *((k.encode(), v.encode()) for k, v in (headers or {}).items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """ASGI middleware: a request to ``path`` with a body over ``max_bytes`` gets HTTP 413.

    The body is read here, up to the limit, before the application sees any of it: a GraphQL
    body is small, and refusing before the application starts leaves nothing half-done.
    """

    def __init__(self, app: ASGIApp, *, path: str, max_bytes: int) -> None:
        self.app = app
        self.path = path
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        refusal = f"request body larger than {self.max_bytes // 1024} KB"
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse(send, 413, PAYLOAD_TOO_LARGE, refusal)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await _refuse(send, 413, PAYLOAD_TOO_LARGE, refusal)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def client_key(scope: Scope) -> str:
    """Whom a request counts against: a digest of the presented credential, else the address.

    Keyed on what is presented, not on who it proves to be, so it needs no database and no
    authentication; a digest, so no key is kept in memory in the clear.
    """
    headers = dict(scope["headers"])
    credential = headers.get(b"authorization") or headers.get(b"x-api-key")
    if credential:
        return "key:" + hashlib.sha256(credential).hexdigest()[:32]
    client = scope.get("client")
    return "addr:" + (client[0] if client else "unknown")


class RateLimit:
    """ASGI middleware: per-key moving windows (a minute's rate and a second's burst).

    Counters live in this process's memory: several API processes each count on their own.
    """

    def __init__(self, app: ASGIApp, *, per_minute: int, burst: int) -> None:
        self.app = app
        self.windows: list[RateLimitItem] = [
            RateLimitItemPerSecond(burst),
            RateLimitItemPerMinute(per_minute),
        ]
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        key = client_key(scope)
        for window in self.windows:
            # Test every window before counting, so a refused request uses up none of them.
            if not await self.limiter.test(window, key):
                stats = await self.limiter.get_window_stats(window, key)
                retry = max(1, math.ceil(stats.reset_time - time.time()))
                message = (
                    f"more than {window.amount} requests per {window.GRANULARITY.name}: "
                    f"try again in {retry} s"
                )
                await _refuse(send, 429, RATE_LIMITED, message, {"retry-after": str(retry)})
                return
        for window in self.windows:
            await self.limiter.hit(window, key)
        await self.app(scope, receive, send)


def install_limits(app: FastAPI, settings: Settings) -> None:
    """The body size limit on ``/graphql`` and, unless switched off, the rate limit."""
    app.add_middleware(
        BodySizeLimit, path="/graphql", max_bytes=settings.graphql_max_body_kb * 1024
    )
    if settings.rate_limit_per_minute:
        app.add_middleware(
            RateLimit, per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
        )
