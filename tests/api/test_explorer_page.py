"""The explorer page at ``/``: served from the built ``web/dist``, or told how to build it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from cobuild.settings import Settings


def test_missing_build_says_how_to_build(neo4j_settings: Settings, tmp_path: Path) -> None:
    settings = neo4j_settings.model_copy(update={"allow_anonymous": True})
    with TestClient(create_app(settings, web_dist=tmp_path / "dist")) as client:
        page = client.get("/")
        assert page.status_code == 503
        assert "scripts/setup.sh" in page.text
        assert "npm run build --prefix web" in page.text
        graphql = client.post("/graphql", json={"query": "{ __typename }"})
        assert graphql.json() == {"data": {"__typename": "Query"}}


def test_built_page_and_assets_are_served(neo4j_settings: Settings, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>共建图谱</title>", encoding="utf-8")
    (dist / "assets" / "app.js").write_text("console.log(1)", encoding="utf-8")
    settings = neo4j_settings.model_copy(update={"allow_anonymous": True})
    with TestClient(create_app(settings, web_dist=dist)) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "共建图谱" in page.text
        assert client.get("/assets/app.js").text == "console.log(1)"
        assert client.get("/healthz").json() == {"status": "ok"}
        graphql = client.post("/graphql", json={"query": "{ __typename }"})
        assert graphql.json() == {"data": {"__typename": "Query"}}
