"""The API's probes and a first GraphQL query against the real Neo4j."""

from __future__ import annotations

from fastapi.testclient import TestClient
from neo4j import Driver

from api.app import create_app
from cobuild.settings import Settings
from graph.keys import create_key
from graph.model import Role


def test_health_ready_and_graphql(empty_graph: Driver, neo4j_settings: Settings) -> None:
    empty_graph.execute_query(
        "CREATE (:Region {id: 'R1', name: '市南区'})"
        "-[:PART_OF]->(:Region {id: 'R0', name: '青岛市'})",
        database_=neo4j_settings.neo4j_database,
    )
    key = create_key(
        empty_graph, neo4j_settings.neo4j_database, role=Role.ADMIN, region_id=None, name="t"
    )
    with TestClient(create_app(neo4j_settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}
        response = client.post(
            "/graphql",
            json={"query": "{ graphStats { nodes { name count } relationships { name count } } }"},
            headers={"Authorization": f"Bearer {key}"},
        )
        data = response.json()["data"]["graphStats"]
        assert {"name": "Region", "count": 2} in data["nodes"]
        assert {"name": "PART_OF", "count": 1} in data["relationships"]


def test_readyz_is_503_when_neo4j_is_unreachable() -> None:
    settings = Settings(neo4j_uri="bolt://127.0.0.1:1", neo4j_password="x")
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"


def test_metrics_count_requests(empty_graph: Driver, neo4j_settings: Settings) -> None:
    with TestClient(create_app(neo4j_settings)) as client:
        client.get("/healthz")
        client.get("/healthz")
        text = client.get("/metrics").text
    assert 'cobuild_http_requests_total{method="GET",route="/healthz",status="200"} 2.0' in text
    assert "cobuild_http_request_seconds_bucket" in text
