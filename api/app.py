"""The FastAPI application: GraphQL at /graphql, health probes, one driver per process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request, Response
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from strawberry.fastapi import GraphQLRouter

from api.context import Context
from api.errors import unavailable
from api.headers import install_headers
from api.limits import install_limits
from api.loaders import build_loaders
from api.metrics import install_metrics
from api.routes import health, ingest
from api.routes.explorer import WEB_DIST, mount_explorer
from api.schema import build_schema
from api.security import CurrentPrincipal
from cobuild.logs import get_logger
from cobuild.settings import Settings
from graph.connection import create_async_driver, create_driver
from graph.errors import Neo4jUnavailableError

log = get_logger(__name__)


def create_app(settings: Settings, web_dist: Path = WEB_DIST) -> FastAPI:
    """Build the app for ``settings``; the driver opens at start-up and closes at shutdown.

    The explorer page (built into ``web_dist``) is served at ``/``.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.driver = create_async_driver(settings)
        # Ingest (upload) runs in worker threads on the synchronous driver.
        app.state.sync_driver = create_driver(settings, serving=True)
        try:
            yield
        finally:
            await app.state.driver.close()
            app.state.sync_driver.close()

    async def context_getter(request: Request, principal: CurrentPrincipal) -> Context:
        driver = request.app.state.driver
        scope = await principal.scope(driver, settings.neo4j_database)
        return Context(
            driver=driver,
            settings=settings,
            loaders=build_loaders(driver, settings.neo4j_database, scope),
            principal=principal,
            scope=scope,
            client=request.client.host if request.client else None,
        )

    app = FastAPI(title="cobuild", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    if settings.allow_anonymous:
        _announce_demo(app)
    install_metrics(app)
    # --- limits ---
    install_limits(app, settings)
    install_headers(app, settings)
    app.add_exception_handler(ServiceUnavailable, unavailable)
    app.add_exception_handler(SessionExpired, unavailable)
    app.add_exception_handler(Neo4jUnavailableError, unavailable)
    app.include_router(health.router)
    app.include_router(ingest.router)
    app.include_router(
        GraphQLRouter(
            build_schema(settings),
            context_getter=context_getter,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
        ),
        prefix="/graphql",
    )
    mount_explorer(app, web_dist)  # last: it answers every path no route took
    return app


DEMO_HEADER: Final = "X-Cobuild-Demo"
DEMO_WARNING: Final = "anonymous access is ON: DEMO ONLY, never expose this server"


def _announce_demo(app: FastAPI) -> None:
    """Every response of a server letting anonymous callers in says so (docs/security.md)."""
    log.warning("api.anonymous_access", warning=DEMO_WARNING)

    @app.middleware("http")
    async def demo_header(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers[DEMO_HEADER] = DEMO_WARNING
        return response
