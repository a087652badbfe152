"""Regenerate docs/api.md: every example query run against the sample, answers as returned.

    python3 -m uv run python scripts/api_examples.py

Starts a throw-away local Neo4j, loads ../shared/sample, runs each example through the real
app and writes the page, so the documented answers are the ones the API gives.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from cobuild.settings import PROJECT_ROOT, LogFormat, Settings
from graph import runtime
from graph.connection import create_driver, wait_until_ready
from graph.migrations import migrate
from ingest.pipeline import run_ingest

SAMPLE = PROJECT_ROOT.parent / "shared" / "sample" / "csv"
OUT = PROJECT_ROOT / "docs" / "api.md"
MAX_LINES = 60

INTRO = """# The GraphQL API

`POST /graphql` (JSON body `{"query", "variables"}`) or `GET /graphql?query=…` for queries,
following the GraphQL-over-HTTP spec (checked by graphql-http's audit suite in
`tests/api/test_graphql_over_http.py`); GraphiQL at `/graphql` in a browser (not in production
unless `COBUILD_GRAPHIQL=true`). The full schema, with English and Chinese descriptions, is
[`api/schema.graphql`](../api/schema.graphql)
(`uv run cobuild export-schema` rewrites it; a test fails when it is stale).

Callers present an API key (`Authorization: Bearer cb_…` or `X-API-Key`), created with
`uv run cobuild keys create --role …`, or a bearer JWT (HS256/RS256, `iss`/`aud`/`exp`
checked); without one the answer is 401 (except in the demo). Coordinators and machine
clients read only their region subtree: ids outside it read as `NOT_FOUND`, lists, counts and
search cover only it, and partners or path nodes outside it come by name only (a partner's
`score` and `distanceKm` are then null); [security](security.md) has the table of who sees
what.
`Person.phone` is masked; `phone(unmasked: true)` needs a credential granted raw phones and
is written to the audit log (`auditLog`, admins only). Errors carry `extensions.code`:
`NOT_FOUND` for an unknown id (or one outside the caller's scope), `FORBIDDEN` for what the
caller's role may not do, `BAD_USER_INPUT` for an argument out of range, `UNAVAILABLE` while
Neo4j is down; anything unexpected is logged and reaches the client as a generic message.
Documents nested deeper than 12 fields, with more than 30 aliases or more than 3,000 tokens,
or whose estimated cost is over 50,000 (`QUERY_TOO_COSTLY`) are refused before they run
(`COBUILD_GRAPHQL_MAX_DEPTH`, `…_MAX_ALIASES`, `…_MAX_TOKENS`, `…_MAX_COST`); introspection is
exempt. Bodies over 100 KB get HTTP 413 (`PAYLOAD_TOO_LARGE`), more than 600 requests a
minute or 30 in one second from one key get HTTP 429 with `Retry-After` (`RATE_LIMITED`), a
query stopped by the database's transaction timeout gets `QUERY_TIMEOUT`. Every limit, its
setting and default: [security](security.md).

Lists are connections: `first` (default 50, at most 500), `after` (a cursor), `totalCount`,
`pageInfo { hasNextPage endCursor }`, `edges { cursor node }` or `nodes`, filters in
`where`, `orderBy` and `descending`. Nested ties are fetched with per-request DataLoaders: a
nested query costs one database round trip per tie and level, whatever the number of items.
The coverage questions' gap lists (uncovered organizations, blank areas, unclear affiliation,
marginal units) come a page at a time too: `page { total offset hasNextPage endCursor }` with
`items` in id order, while `counts` per region and the totals always cover every item. In
`coverage(…, first)` each list holds its first page (default 50); `uncoveredOrganizations`,
`blankAreas`, `unclearAffiliations` and `marginalUnits` take `first`/`after` to page on.

Ingest runs are one transaction each, so an answer shows the graph wholly before or wholly
after a run. The exception is a load an admin asked to write batch by batch (`--batched`, a
first load bigger than the heap): while one runs, answers carry
`extensions.ingest.batchedRunning { runId startedAt }` and a message, as they may show some of
its rows and not yet others.

Other endpoints: `POST /ingest` (dataset upload: admins, or coordinators for their region;
see [ingest](ingest.md)), `/healthz`, `/readyz` (503 when Neo4j does not answer), `/metrics`
(Prometheus).

Every example below was run against the sample dataset (`../shared/sample`) by
`scripts/api_examples.py`; the answers are what the API returned (long lists cut).
"""

# Written by hand (the answer trimmed to what drawing needs), kept at the end of the entities.
HAND_WRITTEN = {
    "Entities": """### What the explorer page draws: neighbourhoods and subgraphs

`neighbourhood(ids, tieKinds, asOf, limit)` gives the neighbours of up to 500 nodes of any kind
through the chosen kinds of tie (`HIERARCHY`, `AGREEMENT`, `MEMBERSHIP`, `EMPLOYMENT`,
`REPORTING`, `RESOURCE`, `SKILL`, `DEMAND`, `PLACE`; all when none), at most `limit` ≤ 500 of
them (those tied to most of the given nodes first, then by id) with `total` and `truncated`;
agreements not in force and party organisations past `valid_to` at `asOf` are left out, retired
data never appears. `subgraph(ids, asOf)` gives up to 500 nodes by id with every tie among them
(unknown ids in `missing`). Each node carries what drawing needs: kind, `category` (organization
kind, party organisation type, resource kind …), sector, employees, party members, roles,
`lat`/`lon` (inherited from the region when missing), the chain of `regions` it sits in, its
validity bounds and whether it is `active` at `asOf` — never a phone number
([`queries/neighbourhood.py`](../queries/neighbourhood.py), [the explorer](explorer.md)).

```graphql
{
  neighbourhood(ids: ["91370202MAEXC1JF4N"], tieKinds: [HIERARCHY, EMPLOYMENT],
                asOf: "2027-01-01", limit: 3) {
    total truncated
    nodes { id kind name category lat lon regions active }
    edges { source target relationship tie }
  }
}
```

```json
{
  "data": {
    "neighbourhood": {
      "total": 4,
      "truncated": true,
      "nodes": [
        {
          "id": "P-370202-90001",
          "kind": "PERSON",
          "name": "丁强",
          "category": null,
          "lat": 36.057714,
          "lon": 120.358534,
          "regions": ["370202001001W03X01B03", "370202001001W03X01", "370202001001W03",
                      "370202001001", "370202001", "370202", "370200"],
          "active": true
        },
        … (two more people)
      ],
      "edges": [
        {
          "source": "P-370202-90001",
          "target": "91370202MAEXC1JF4N",
          "relationship": "EMPLOYED_BY",
          "tie": "EMPLOYMENT"
        },
        … (two more)
      ]
    }
  }
}
```
""",
}

EXAMPLES: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "Entities",
        "An organization, its party organisations and employees",
        """query($id: ID!) {
  organization(id: $id) {
    name sector employees
    region { name parent { name } }
    partyOrgs { nodes { name type } }
    employedPeople(first: 3) { totalCount nodes { name isPartyMember phone } }
  }
}""",
        {"id": "91370202MAEXC1JF4N"},
    ),
    (
        "Entities",
        "New economic organizations in a street, largest first",
        """{
  organizations(where: {regionId: "370202001", sector: "new_economic"},
                orderBy: EMPLOYEES, descending: true, first: 3) {
    totalCount
    nodes { id name employees }
    pageInfo { hasNextPage endCursor }
  }
}""",
        {},
    ),
    (
        "Entities",
        "Chinese full-text search",
        """{
  search(text: "八大关", limit: 5) {
    score
    entity { __typename ... on PartyOrg { id name } ... on Region { id name }
             ... on Organization { id name } ... on Resource { id name } }
  }
}""",
        {},
    ),
    (
        "1. Cross-unit pathways (跨单位联结路径)",
        "How two units are linked",
        """{
  pathways(from: "52370202MJ9350153T", to: "91370202MAWD6KY27P") {
    paths {
      length explanation
      nodes { id name kind }
      steps { ties { kind relationship direction } }
    }
  }
}""",
        {},
    ),
    (
        "2. Resource-sharing partners (资源共享伙伴)",
        "Partners for a need, with every score component",
        """{
  partners(unit: "PO-370202001002",
           need: {scenario: "老年助餐", resourceKinds: [VENUE, FUND]}, radiusKm: 3, limit: 3) {
    partners {
      rank score distanceKm unit { id name }
      components { name weight value contribution detail }
      resources { id name kind }
    }
  }
}""",
        {},
    ),
    (
        "3. Coverage gaps (覆盖盲区)",
        "Everything for one street",
        """{
  coverage(regionId: "370202003") {
    uncoveredOrganizations { bySector { sector organizations uncovered } items { name reason } }
    memberRatios { total { sectors { sector ratio { numerator denominator percent } }
                           newEmploymentGroup { numerator denominator percent } } }
    blankAreas { level areas }
    unclearAffiliations { items { partyOrg { id name } problem reason } }
    skillGaps { streets { street { name } gaps { skillName reason } } }
    resourceGaps { streets { street { name } gaps { scenario reason } } }
    marginalUnits { units }
  }
}""",
        {},
    ),
    (
        "3. Coverage gaps (覆盖盲区)",
        "A city's marginal units, a page at a time",
        """{
  marginalUnits(first: 2) {
    units
    page { total offset hasNextPage endCursor }
    counts { region { name } count }
    items { id name partner { name } reason }
  }
}""",
        {},
    ),
    (
        "4. Matching people to demands (智能匹配与派单)",
        "Candidates for one demand",
        """{
  matchDemand(demandId: "DM-370202-90005", limit: 3) {
    totalCandidates
    candidates { rank person { id name } fit reasons }
  }
}""",
        {},
    ),
    (
        "4. Matching people to demands (智能匹配与派单)",
        "An optimal assignment for a community (capacity 2)",
        """{
  assignDemands(regionId: "370202002001", capacity: 2) {
    totalFit greedyAssigned greedyTotalFit
    assigned { demand { id title } person { id name } fit }
    unassigned { demand { id title } why whyEn }
  }
}""",
        {},
    ),
    (
        "5. Network measures (网络分析)",
        "Brokers on the horizontal network",
        """{
  brokers(limit: 3) { exact brokers { rank unit { id name } betweenness } }
}""",
        {},
    ),
    (
        "5. Network measures (网络分析)",
        "Clusters and the horizontal collaboration index per street",
        """{
  clusters(minSize: 3) { modularity clusters { size mainScenarios { scenario count } } }
  collaboration(level: STREET, limit: 3) {
    regions { region { id name } index }
  }
}""",
        {},
    ),
]


def _cut(text: str) -> str:
    lines = text.splitlines()
    if len(lines) <= MAX_LINES:
        return text
    return "\n".join([*lines[:MAX_LINES], "  … (cut)"])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cobuild-examples-") as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            local_bolt_port=runtime.free_port(),
            allow_anonymous=True,
            log_format=LogFormat.JSON,
            log_level="WARNING",
        )
        runtime.start(settings)
        try:
            with create_driver(settings) as driver:
                wait_until_ready(driver)
                migrate(driver, settings.neo4j_database)
                run_ingest(settings, SAMPLE, driver=driver)
            parts = [INTRO]
            section = ""
            with TestClient(create_app(settings)) as client:
                for heading, title, query, variables in EXAMPLES:
                    if heading != section:
                        if section in HAND_WRITTEN:
                            parts.append(HAND_WRITTEN[section])
                        parts.append(f"## {heading}\n")
                        section = heading
                    answer = client.post(
                        "/graphql", json={"query": query, "variables": variables}
                    ).json()
                    shown = json.dumps(answer, ensure_ascii=False, indent=2)
                    block = f"### {title}\n\n```graphql\n{query}\n```\n"
                    if variables:
                        block += f"\nvariables: `{json.dumps(variables, ensure_ascii=False)}`\n"
                    block += f"\n```json\n{_cut(shown)}\n```\n"
                    parts.append(block)
            OUT.write_text("\n".join(parts), encoding="utf-8")
        finally:
            runtime.stop(settings)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
