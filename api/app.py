"""The FastAPI application: GraphQL at /graphql, health probes, one driver per process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from strawberry.fastapi import GraphQLRouter

from api.context import Context
from api.loaders import build_loaders
from api.metrics import install_metrics
from api.routes import health, ingest
from api.routes.explorer import WEB_DIST, mount_explorer
from api.schema import schema
from cobuild.settings import Settings
from graph.connection import create_async_driver, create_driver


def create_app(settings: Settings, web_dist: Path = WEB_DIST) -> FastAPI:
    """Build the app for ``settings``; the driver opens at start-up and closes at shutdown.

    The explorer page (built into ``web_dist``) is served at ``/``.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.driver = create_async_driver(settings)
        # Ingest (upload) runs in worker threads on the synchronous driver.
        app.state.sync_driver = create_driver(settings)
        try:
            yield
        finally:
            await app.state.driver.close()
            app.state.sync_driver.close()

    async def context_getter(request: Request) -> Context:
        driver = request.app.state.driver
        return Context(
            driver=driver,
            settings=settings,
            loaders=build_loaders(driver, settings.neo4j_database),
        )

    app = FastAPI(title="cobuild", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_metrics(app)
    app.include_router(health.router)
    app.include_router(ingest.router)
    app.include_router(
        GraphQLRouter(schema, context_getter=context_getter, graphql_ide="graphiql"),
        prefix="/graphql",
    )
    mount_explorer(app, web_dist)  # last: it answers every path no route took
    return app
