"""A coordinator loads data of its own region only: anything reaching outside is refused whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from api.app import create_app
from cobuild.settings import Settings
from graph.model import Role
from tests.api.tokens import bearer, jwt_settings, token

REGIONS = """id,name,level,parent_id,lat,lon,population,households
C,测试市,city,,36.06,120.38,,
A,甲街道,street,C,36.05,120.35,,
B,乙街道,street,C,36.07,120.40,,
"""
ORG_HEADER = "id,name,kind,sector,region_id,address,lat,lon,employees\n"
# Valid credit codes (from the sample), placed here in street A or B.
ORG_A = "51370200MJ31139740,甲街道志愿服务联合会,social_organization,new_social,A,,,,8\n"
ORG_B = "11370202965347158J,乙街道教育体育局,agency,traditional,B,,,,14\n"
ORG_B_MOVED = "11370202965347158J,乙街道教育体育局,agency,traditional,A,,,,14\n"
ADMIN = bearer(token(Role.ADMIN))
COORDINATOR = bearer(token(Role.COORDINATOR, "A"))


@pytest.fixture
def client(empty_graph: Driver, neo4j_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(jwt_settings(neo4j_settings))) as test_client:
        loaded = _upload(test_client, "regions.csv", REGIONS, ADMIN)
        assert loaded.status_code == 200, loaded.text
        yield test_client


def _upload(
    client: TestClient, name: str, text: str, headers: dict[str, str], **params: str
) -> Any:
    files = {"file": (name, text.encode("utf-8"), "text/csv")}
    return client.post("/ingest", files=files, headers=headers, params=params)


def _organizations(driver: Driver, settings: Settings) -> set[str]:
    records, _, _ = driver.execute_query(
        "MATCH (n:Organization) RETURN collect(n.id) AS ids", database_=settings.neo4j_database
    )
    return set(records[0]["ids"])


def test_a_row_outside_the_region_refuses_the_whole_upload(
    client: TestClient, empty_graph: Driver, neo4j_settings: Settings
) -> None:
    response = _upload(client, "organizations.csv", ORG_HEADER + ORG_A + ORG_B, COORDINATOR)
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert detail["count"] == 1
    assert detail["rows_outside_region"] == [
        {
            "table": "organizations",
            "key": "11370202965347158J",
            "reason": "region_id is not in your region",
        }
    ]
    assert "nothing was written" in detail["message"]
    assert _organizations(empty_graph, neo4j_settings) == set()


def test_rows_inside_the_region_are_loaded(
    client: TestClient, empty_graph: Driver, neo4j_settings: Settings
) -> None:
    response = _upload(client, "organizations.csv", ORG_HEADER + ORG_A, COORDINATOR)
    assert response.status_code == 200, response.text
    assert _organizations(empty_graph, neo4j_settings) == {"51370200MJ31139740"}
    child = REGIONS.splitlines()[0] + "\nA1,甲一社区,community,A,,,,\n"
    assert _upload(client, "regions.csv", child, COORDINATOR).status_code == 200


def test_an_entity_outside_cannot_be_moved_in(
    client: TestClient, empty_graph: Driver, neo4j_settings: Settings
) -> None:
    assert _upload(client, "organizations.csv", ORG_HEADER + ORG_B, ADMIN).status_code == 200
    response = _upload(client, "organizations.csv", ORG_HEADER + ORG_B_MOVED, COORDINATOR)
    assert response.status_code == 403
    assert response.json()["detail"]["rows_outside_region"][0]["reason"] == (
        "it exists outside your region"
    )
    records, _, _ = empty_graph.execute_query(
        "MATCH (:Organization {id: '11370202965347158J'})-[:IN_REGION]->(r) RETURN r.id AS id",
        database_=neo4j_settings.neo4j_database,
    )
    assert [r["id"] for r in records] == ["B"]


def test_regions_elsewhere_skills_and_sync_are_not_a_coordinator_s(client: TestClient) -> None:
    elsewhere = REGIONS.splitlines()[0] + "\nB1,乙一社区,community,B,,,,\n"
    assert _upload(client, "regions.csv", elsewhere, COORDINATOR).status_code == 403
    skills = "id,name,parent_id,aliases\nSK-T,测试技能,,\n"
    refused = _upload(client, "skills.csv", skills, COORDINATOR)
    assert refused.status_code == 403
    assert refused.json()["detail"]["rows_outside_region"][0]["table"] == "skills"
    synced = _upload(client, "organizations.csv", ORG_HEADER + ORG_A, COORDINATOR, sync="true")
    assert synced.status_code == 403
    assert "admins only" in synced.json()["detail"]
    batched = _upload(client, "organizations.csv", ORG_HEADER + ORG_A, COORDINATOR, batched="true")
    assert batched.status_code == 403
    assert "admins only" in batched.json()["detail"]
    assert (
        _upload(client, "organizations.csv", ORG_HEADER + ORG_A, ADMIN, batched="true").json()[
            "atomic"
        ]
        is False
    )
    for role, region in ((Role.ANALYST, None), (Role.SYSTEM, "A")):
        headers = bearer(token(role, region))
        assert _upload(client, "organizations.csv", ORG_HEADER + ORG_A, headers).status_code == 403
