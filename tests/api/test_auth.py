"""Who gets in (API keys, bearer JWTs, the anonymous demo) and raw phones with their audit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from neo4j import Driver

from api.app import DEMO_HEADER, create_app
from api.security import clear_cache
from cobuild.settings import Settings
from graph.keys import check_grant, create_key, revoke_key
from graph.model import Role
from tests.api.tokens import AUDIENCE, ISSUER, SECRET, bearer, claims, jwt_settings, token

PHONE_KEY = Fernet.generate_key().decode("ascii")
NEAR_PHONE = "13912345678"
FAR_PHONE = "13698765432"

# Two regions side by side under a city, one person in each, phones encrypted as ingest does.
GRAPH = """
CREATE (city:Region {id: 'C', name: '测试市', level: 'city', level_rank: 1})
CREATE (a:Region {id: 'A', name: '甲街道', level: 'street', level_rank: 3})-[:PART_OF]->(city)
CREATE (b:Region {id: 'B', name: '乙街道', level: 'street', level_rank: 3})-[:PART_OF]->(city)
CREATE (:Person {id: 'P-A', name: '张近', is_party_member: true, phone_masked: $near_mask,
                 phone_encrypted: $near})-[:RESIDES_IN]->(a)
CREATE (:Person {id: 'P-B', name: '李远', is_party_member: true, phone_masked: $far_mask,
                 phone_encrypted: $far})-[:RESIDES_IN]->(b)
"""


@pytest.fixture
def graph(empty_graph: Driver, neo4j_settings: Settings) -> Driver:
    fernet = Fernet(PHONE_KEY.encode("ascii"))
    empty_graph.execute_query(
        GRAPH,
        near=fernet.encrypt(NEAR_PHONE.encode()).decode(),
        far=fernet.encrypt(FAR_PHONE.encode()).decode(),
        near_mask="139****5678",
        far_mask="136****5432",
        database_=neo4j_settings.neo4j_database,
    )
    clear_cache()
    return empty_graph


@pytest.fixture
def rsa_key(tmp_path: Path) -> tuple[Any, Path]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "sso-public.pem"
    pem.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, pem


@pytest.fixture
def client(
    graph: Driver, neo4j_settings: Settings, rsa_key: tuple[Any, Path]
) -> Iterator[TestClient]:
    settings = jwt_settings(
        neo4j_settings,
        jwt_rs256_public_key_file=rsa_key[1],
        phone_key=_secret(PHONE_KEY),
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)


def gql(client: TestClient, query: str, headers: dict[str, str], **variables: Any) -> Any:
    return client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


NAMES = "query Names { people { nodes { id name } } }"


# --- getting in ----------------------------------------------------------------------------------


def test_graphql_refuses_callers_without_credentials(client: TestClient) -> None:
    response = gql(client, NAMES, {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "required" in response.json()["detail"]
    assert DEMO_HEADER not in response.headers


def test_anonymous_demo_reads_as_an_analyst_and_says_so(
    graph: Driver, neo4j_settings: Settings
) -> None:
    settings = neo4j_settings.model_copy(update={"allow_anonymous": True})
    with TestClient(create_app(settings)) as demo:
        response = gql(demo, NAMES, {})
        assert response.status_code == 200
        assert "DEMO ONLY" in response.headers[DEMO_HEADER]
        assert {p["id"] for p in response.json()["data"]["people"]["nodes"]} == {"P-A", "P-B"}
        assert "DEMO ONLY" in demo.get("/healthz").headers[DEMO_HEADER]
        raw = gql(demo, '{ person(id: "P-A") { phone(unmasked: true) } }', {}).json()
        assert raw["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_anonymous_access_is_refused_in_production() -> None:
    with pytest.raises(ValueError, match="never on in production"):
        Settings(environment="production", allow_anonymous=True)


def test_hs256_and_rs256_tokens_get_in(client: TestClient, rsa_key: tuple[Any, Path]) -> None:
    hs = token(Role.ANALYST)
    rs = jwt.encode(claims(Role.ANALYST), rsa_key[0], algorithm="RS256")
    for credential in (hs, rs):
        response = gql(client, NAMES, bearer(credential))
        assert response.status_code == 200, response.text
        assert len(response.json()["data"]["people"]["nodes"]) == 2


def _refused_tokens(rsa_key: tuple[Any, Path]) -> dict[str, str]:
    pem = rsa_key[1]
    now = int(time.time())
    unsigned = jwt.encode(claims(Role.ADMIN), key=None, algorithm="none")  # type: ignore[arg-type]
    return {
        "expired": token(Role.ADMIN, exp=now - 3600, iat=now - 7200),
        "wrong issuer": token(Role.ADMIN, iss="https://elsewhere"),
        "wrong audience": token(Role.ADMIN, aud="another-api"),
        "wrong signature": jwt.encode(claims(Role.ADMIN), SECRET + "x", algorithm="HS256"),
        "alg none": unsigned,
        "unknown role": token("superuser"),
        "no role": jwt.encode(
            {k: v for k, v in claims(Role.ADMIN).items() if k != "role"}, SECRET, algorithm="HS256"
        ),
        "no exp": jwt.encode(
            {k: v for k, v in claims(Role.ADMIN).items() if k != "exp"}, SECRET, algorithm="HS256"
        ),
        "coordinator without region": token(Role.COORDINATOR),
        "analyst with phones": token(Role.ANALYST, phones=True),
        "RS256 public key as HS256 secret": _hmac_signed(claims(Role.ADMIN), pem.read_bytes()),
        "RS256 signed by another key": jwt.encode(
            claims(Role.ADMIN),
            rsa.generate_private_key(public_exponent=65537, key_size=2048),
            algorithm="RS256",
        ),
        "garbage": "not.a.token",
        "unknown API key": "cb_deadbeef_notasecret",
    }


def _hmac_signed(body: dict[str, Any], key: bytes) -> str:
    """An HS256 token signed with ``key`` by hand (PyJWT refuses a PEM as an HMAC secret:
    the algorithm-confusion attack it guards against, tried here on the server)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    head = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signing_input = f"{head}.{part(json.dumps(body).encode())}"
    signature = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{part(signature)}"


def test_bad_tokens_are_refused(client: TestClient, rsa_key: tuple[Any, Path]) -> None:
    for why, credential in _refused_tokens(rsa_key).items():
        response = gql(client, NAMES, bearer(credential))
        assert response.status_code == 401, (why, response.text)
        assert response.json()["detail"], why


def test_tokens_are_refused_where_none_are_configured(
    graph: Driver, neo4j_settings: Settings
) -> None:
    with TestClient(create_app(neo4j_settings)) as plain:
        response = gql(plain, NAMES, bearer(token(Role.ADMIN)))
        assert response.status_code == 401
        assert "not accepted" in response.json()["detail"]


def test_api_keys_get_in_until_revoked(
    client: TestClient, graph: Driver, neo4j_settings: Settings
) -> None:
    db = neo4j_settings.neo4j_database
    key = create_key(graph, db, role=Role.COORDINATOR, region_id="A", name="street A")
    response = gql(client, NAMES, {"X-API-Key": key})
    assert [p["id"] for p in response.json()["data"]["people"]["nodes"]] == ["P-A"]
    assert revoke_key(graph, db, key.split("_")[1])
    clear_cache()
    assert gql(client, NAMES, bearer(key)).status_code == 401


@pytest.mark.parametrize(
    ("role", "region", "phones"),
    [
        (Role.COORDINATOR, None, False),
        (Role.SYSTEM, None, False),
        (Role.ADMIN, "A", False),
        (Role.ANALYST, "A", False),
        (Role.ANALYST, None, True),
        (Role.SYSTEM, "A", True),
    ],
)
def test_grants_that_do_not_go_together(role: Role, region: str | None, phones: bool) -> None:
    with pytest.raises(ValueError, match="key"):
        check_grant(role, region, allow_phones=phones)


# --- raw phones and the audit log ---------------------------------------------------------------

RAW = 'query Reveal { person(id: "P-A") { id phone(unmasked: true) } }'
MASKED = 'query Look { person(id: "P-A") { id phone } }'
LOG = (
    "query Log($since: DateTime) { auditLog(since: $since) "
    "{ totalCount nodes { id at subject role client operation field entityIds } } }"
)


def _log(client: TestClient, **variables: Any) -> Any:
    body = gql(client, LOG, bearer(token(Role.ADMIN, subject="auditor")), **variables).json()
    assert "errors" not in body, body
    return body["data"]["auditLog"]


def test_an_unmasked_read_shows_the_number_and_is_audited_first(client: TestClient) -> None:
    assert _log(client)["totalCount"] == 0
    masked = gql(client, MASKED, bearer(token(Role.ADMIN, phones=True))).json()
    assert masked["data"]["person"]["phone"] == "139****5678"
    assert _log(client)["totalCount"] == 0  # a masked read is not audited

    revealed = gql(client, RAW, bearer(token(Role.ADMIN, subject="alice", phones=True))).json()
    assert revealed["data"]["person"]["phone"] == NEAR_PHONE
    log = _log(client)
    assert log["totalCount"] == 1
    event = log["nodes"][0]
    assert event["subject"] == "jwt:alice"
    assert event["role"] == "admin"
    assert event["operation"] == "Reveal"
    assert event["field"] == "Person.phone"
    assert event["entityIds"] == ["P-A"]
    assert event["client"] == "testclient"
    assert _log(client, since="2999-01-01T00:00:00Z")["totalCount"] == 0


def test_many_unmasked_reads_of_one_request_make_one_event(client: TestClient) -> None:
    query = "query Everyone { people { nodes { id phone(unmasked: true) } } }"
    body = gql(client, query, bearer(token(Role.ADMIN, phones=True))).json()
    phones = {p["id"]: p["phone"] for p in body["data"]["people"]["nodes"]}
    assert phones == {"P-A": NEAR_PHONE, "P-B": FAR_PHONE}
    log = _log(client)
    assert log["totalCount"] == 1
    assert log["nodes"][0]["entityIds"] == ["P-A", "P-B"]


@pytest.mark.parametrize(
    "credential",
    [
        token(Role.ADMIN),  # no phones:read
        token(Role.ANALYST),
        token(Role.SYSTEM, "A"),
        token(Role.COORDINATOR, "A"),
    ],
)
def test_unmasked_reads_need_the_permission(client: TestClient, credential: str) -> None:
    body = gql(client, RAW, bearer(credential)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert NEAR_PHONE not in str(body)
    assert _log(client)["totalCount"] == 0


def test_a_coordinator_with_the_permission_reads_phones_of_its_scope_only(
    client: TestClient,
) -> None:
    headers = bearer(token(Role.COORDINATOR, "A", subject="street-a", phones=True))
    assert gql(client, RAW, headers).json()["data"]["person"]["phone"] == NEAR_PHONE
    far = gql(client, 'query Far { person(id: "P-B") { phone(unmasked: true) } }', headers).json()
    assert far["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert FAR_PHONE not in str(far)
    assert "李远" not in str(far)
    assert [e["entityIds"] for e in _log(client)["nodes"]] == [["P-A"]]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.COORDINATOR, Role.SYSTEM])
def test_only_admins_read_the_audit_log(client: TestClient, role: Role) -> None:
    region = "A" if role in (Role.COORDINATOR, Role.SYSTEM) else None
    body = gql(client, LOG, bearer(token(role, region, phones=role is Role.COORDINATOR))).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None


def test_token_settings_must_hold_together() -> None:
    with pytest.raises(ValueError, match="ISSUER"):
        Settings(jwt_hs256_secret=_secret(SECRET), jwt_audience=AUDIENCE)
    with pytest.raises(ValueError, match="32 bytes"):
        Settings(jwt_hs256_secret=_secret("short"), jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    assert Settings(jwt_hs256_secret=_secret(SECRET), jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
