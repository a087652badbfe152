"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers (says nothing about Neo4j)."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Neo4j answers: 200 when ready, 503 when not (load balancers stop routing here)."""
    driver = request.app.state.driver
    try:
        await driver.verify_connectivity()
    except (ServiceUnavailable, SessionExpired, Neo4jError, OSError) as exc:
        return JSONResponse({"status": "unavailable", "neo4j": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ready"})
