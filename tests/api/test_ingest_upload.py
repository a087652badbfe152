"""The upload endpoint: authenticated, same pipeline and report as the CLI, safe with archives."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from api.app import create_app
from api.security import clear_cache
from cobuild.settings import Settings
from graph.keys import create_key, revoke_key
from graph.model import Role
from tests.conftest import SAMPLE


@pytest.fixture
def client(empty_graph: Driver, neo4j_settings: Settings) -> Iterator[TestClient]:
    clear_cache()
    with TestClient(create_app(neo4j_settings)) as test_client:
        yield test_client


def _key(driver: Driver, settings: Settings, role: Role, region: str | None = None) -> str:
    return create_key(driver, settings.neo4j_database, role=role, region_id=region, name="test")


def _count(driver: Driver, settings: Settings, label: str) -> int:
    records, _, _ = driver.execute_query(
        "MATCH (n) WHERE $label IN labels(n) RETURN count(n) AS n",
        label=label,
        database_=settings.neo4j_database,
    )
    return int(records[0]["n"])


def test_admin_uploads_a_workbook(
    client: TestClient, empty_graph: Driver, neo4j_settings: Settings
) -> None:
    key = _key(empty_graph, neo4j_settings, Role.ADMIN)
    with (SAMPLE / "workbook.xlsx").open("rb") as handle:
        response = client.post(
            "/ingest",
            files={"file": ("样例.xlsx", handle)},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is True
    assert body["written"] is True
    assert body["report"]["stats"]["people"]["rows_valid"] == 201
    assert _count(empty_graph, neo4j_settings, "Person") == 201
    records, _, _ = empty_graph.execute_query(
        "MATCH (r:IngestRun {id: $id}) RETURN r.user AS user",
        id=body["run_id"],
        database_=neo4j_settings.neo4j_database,
    )
    assert records[0]["user"].startswith("api-key:")


def test_zip_of_tables_with_a_bad_row_reports_it(
    client: TestClient, empty_graph: Driver, neo4j_settings: Settings
) -> None:
    key = _key(empty_graph, neo4j_settings, Role.ADMIN)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.write(SAMPLE / "csv" / "regions.csv", "tables/regions.csv")
        bundle.writestr("../../escape.csv", "id,name\nx,y\n")  # flattened, never written outside
        bundle.writestr(
            "organizations.csv",
            "id,name,kind,sector,region_id\nORG-X,某公司,no-such-kind,traditional,370202\n",
        )
    response = client.post(
        "/ingest",
        files={"file": ("tables.zip", buffer.getvalue())},
        headers={"X-API-Key": key},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is False
    issue = next(i for i in body["report"]["issues"] if i["code"] == "invalid-enum")
    assert (issue["file"], issue["row"], issue["column"]) == ("organizations.csv", 2, "kind")
    assert issue["message_zh"]
    assert issue["message_en"]
    assert _count(empty_graph, neo4j_settings, "Region") == 159
    assert _count(empty_graph, neo4j_settings, "Organization") == 0


def test_strict_upload_writes_nothing(
    client: TestClient, empty_graph: Driver, neo4j_settings: Settings
) -> None:
    key = _key(empty_graph, neo4j_settings, Role.ADMIN)
    table = "id,name,level,parent_id\nR1,青岛市,city,\nR2,市南区,不是层级,R1\n"
    response = client.post(
        "/ingest?strict=true",
        files={"file": ("regions.csv", table.encode("utf-8"))},
        headers={"X-API-Key": key},
    )
    assert response.status_code == 200
    assert response.json()["written"] is False
    assert _count(empty_graph, neo4j_settings, "Region") == 0


def test_who_may_upload(client: TestClient, empty_graph: Driver, neo4j_settings: Settings) -> None:
    files = {"file": ("regions.csv", b"id,name,level\nR1,x,city\n")}
    assert client.post("/ingest", files=files).status_code == 401
    assert client.post("/ingest", files=files, headers={"X-API-Key": "cb_x_y"}).status_code == 401
    analyst = _key(empty_graph, neo4j_settings, Role.ANALYST)
    assert client.post("/ingest", files=files, headers={"X-API-Key": analyst}).status_code == 403
    admin = _key(empty_graph, neo4j_settings, Role.ADMIN)
    revoke_key(empty_graph, neo4j_settings.neo4j_database, admin.split("_")[1])
    clear_cache()
    assert client.post("/ingest", files=files, headers={"X-API-Key": admin}).status_code == 401


def test_bad_uploads_get_clear_errors(
    client: TestClient, empty_graph: Driver, neo4j_settings: Settings
) -> None:
    key = _key(empty_graph, neo4j_settings, Role.ADMIN)
    headers = {"X-API-Key": key}
    not_zip = client.post("/ingest", files={"file": ("x.zip", b"not a zip")}, headers=headers)
    assert not_zip.status_code == 400
    assert "zip" in not_zip.json()["detail"]
    exe = client.post("/ingest", files={"file": ("x.exe", b"MZ")}, headers=headers)
    assert exe.status_code == 400


def test_oversized_upload_is_refused(empty_graph: Driver, neo4j_settings: Settings) -> None:
    clear_cache()
    settings = neo4j_settings.model_copy(update={"max_upload_mb": 1})
    key = _key(empty_graph, neo4j_settings, Role.ADMIN)
    with TestClient(create_app(settings)) as small:
        response = small.post(
            "/ingest",
            files={"file": ("regions.csv", b"x" * (2 * 1024 * 1024))},
            headers={"X-API-Key": key},
        )
    assert response.status_code == 413
