"""Security headers on every response; GraphiQL's own policy; CORS closed unless configured."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.headers import STRICT_CSP, inline_script_hashes
from cobuild.settings import Environment, Settings
from graph.model import Role
from tests.api.tokens import bearer, jwt_settings, token

# Nothing here reaches Neo4j: a driver pointed at a closed port is enough.
# Headers do not depend on who calls: the demo's anonymous access keeps these tests offline.
OFFLINE = Settings(neo4j_uri="bolt://127.0.0.1:1", neo4j_password="x", allow_anonymous=True)
ORIGIN = "https://explorer.example.org"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(OFFLINE)) as test_client:
        yield test_client


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (d.split() for d in csp.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def test_every_response_carries_the_strict_policy(client: TestClient) -> None:
    for response in (
        client.get("/healthz"),
        client.get("/no-such-page"),
        client.post("/graphql", json={"query": "{ __typename }"}),
    ):
        headers = response.headers
        assert headers["content-security-policy"] == STRICT_CSP
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
    policy = _directives(STRICT_CSP)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["worker-src"] == ["'self'", "blob:"]  # the explorer's layout worker only
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_graphiql_may_load_its_pinned_cdn_and_only_its_own_inline_script(
    client: TestClient,
) -> None:
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    policy = _directives(page.headers["content-security-policy"])
    scripts = re.findall(r"<script>(.*?)</script>", page.text, flags=re.DOTALL)
    assert scripts, "GraphiQL's page has an inline bootstrap script"
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "https://unpkg.com" in policy["script-src"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # every external script is from the allowed CDN and pinned by integrity
    for tag in re.findall(r"<script[^>]*\bsrc=[^>]*>", page.text):
        assert 'src="https://unpkg.com/' in tag
        assert "integrity=" in tag


def test_production_serves_no_graphiql_unless_asked() -> None:
    """GraphiQL's files come from a public CDN: a production server does not offer the page
    (the API still answers at /graphql), unless COBUILD_GRAPHIQL turns it on — and then only
    to a caller with a credential, like every other request."""
    production = jwt_settings(
        OFFLINE.model_copy(update={"environment": Environment.PRODUCTION, "allow_anonymous": False})
    )
    analyst = {**bearer(token(Role.ANALYST)), "accept": "text/html"}
    with TestClient(create_app(production)) as client:
        page = client.get("/graphql", headers=analyst)
        assert page.status_code == 404
        assert "graphiql" not in page.text.lower()
        assert page.headers["content-security-policy"] == STRICT_CSP
        answer = client.post("/graphql", json={"query": "{ __typename }"}, headers=analyst)
        assert answer.json() == {"data": {"__typename": "Query"}}
    asked = production.model_copy(update={"graphiql": True})
    with TestClient(create_app(asked)) as client:
        assert client.get("/graphql", headers={"accept": "text/html"}).status_code == 401
        page = client.get("/graphql", headers=analyst)
        assert page.status_code == 200
        assert "https://unpkg.com" in page.headers["content-security-policy"]


def test_inline_script_hashes_ignore_external_scripts() -> None:
    html = '<script src="/a.js"></script><script>alert(1)</script><p>x</p>'
    digest = base64.b64encode(hashlib.sha256(b"alert(1)").digest()).decode()
    assert inline_script_hashes(html) == [f"'sha256-{digest}'"]


def test_cors_is_closed_by_default(client: TestClient) -> None:
    preflight = client.options(
        "/graphql",
        headers={"origin": ORIGIN, "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = client.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": ORIGIN})
    assert simple.json() == {"data": {"__typename": "Query"}}
    assert "access-control-allow-origin" not in simple.headers


def test_cors_allows_exactly_the_configured_origins() -> None:
    settings = OFFLINE.model_copy(update={"cors_origins": [ORIGIN]})
    with TestClient(create_app(settings)) as test_client:
        preflight = test_client.options(
            "/graphql",
            headers={
                "origin": ORIGIN,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization,content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        other = test_client.options(
            "/graphql",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers


def test_cors_origins_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COBUILD_CORS_ORIGINS", f"{ORIGIN}, https://b.example")
    assert Settings().cors_origins == [ORIGIN, "https://b.example"]
    monkeypatch.setenv("COBUILD_CORS_ORIGINS", "")
    assert Settings().cors_origins == []
