"""Entity queries against peers (issue #7): this API, @neo4j/graphql and raw Cypher, one run.

On the scale's bench store (``bench.queries``' ``var/bench/db-queries-scale-N``, loaded when
missing), three ways to read the same data answer the same three entity queries:

- (a) **cobuild**: this API (``cobuild serve`` in its own process, anonymous demo access, no
  rate limit) over HTTP;
- (b) **@neo4j/graphql**: the official library (``bench/peers/server.mjs``, equivalent type
  definitions) in a bare Node HTTP server over the same Neo4j;
- (c) **raw Cypher**: the equivalent Cypher through the Python async driver, no HTTP.

The queries: **unit** — an organization by id with its party organisations and 20 members of
each; **list** — organizations of a sector, 20 sorted by name; **nested** — a street's 10
communities, 5 organizations of each, 5 employees of each (depth 3 below the street). Each
(peer, query, concurrency) runs closed-loop for ``--seconds`` with 1, 4 and 16 clients,
cycling through a seeded sample of arguments; an answer counts when it has data and no errors.
Throughput, p50 and p99 are reported, with the goal ratios: cobuild's throughput ≥ 1.5×
@neo4j/graphql's, cobuild's latency ≤ 1.3× raw Cypher's.

    python3 -m uv run python -m bench.peers --scales 10 --seconds 15

Writes ``bench/results/peers.json`` and prints the Markdown table for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import httpx
from neo4j import AsyncDriver

from bench.ingest import RESULTS, machine
from bench.queries import loaded_database
from cobuild.logs import configure_logging
from cobuild.settings import PROJECT_ROOT, Settings
from graph import runtime
from graph.connection import create_async_driver

PEER_DIR: Final = PROJECT_ROOT / "bench" / "peers"
CONCURRENCY: Final = (1, 4, 16)
SAMPLE_SIZE: Final = 200

# --- the three queries, three ways ----------------------------------------------------------------

COBUILD_QUERIES: Final = {
    "unit": """query($id: ID!) { organization(id: $id) { id name
      partyOrgs(first: 10) { nodes { id name members(first: 20) { nodes { id name } } } } } }""",
    "list": """query($sector: String!) {
      organizations(where: {sector: $sector}, first: 20, orderBy: NAME) { nodes { id name } } }""",
    "nested": """query($id: ID!) { region(id: $id) { id name
      children(first: 10) { nodes { id name
        organizations(first: 5) { nodes { id name
          employedPeople(first: 5) { nodes { id name } } } } } } } }""",
}
PEER_QUERIES: Final = {
    "unit": """query($id: ID!) { organizations(where: {id: {eq: $id}}) { id name
      partyOrgs(limit: 10, sort: [{id: ASC}]) { id name
        members(limit: 20, sort: [{id: ASC}]) { id name } }
      coveringPartyOrgs(limit: 10, sort: [{id: ASC}]) { id name
        members(limit: 20, sort: [{id: ASC}]) { id name } } } }""",
    "list": """query($sector: String!) {
      organizations(where: {sector: {eq: $sector}}, limit: 20, sort: [{name: ASC}, {id: ASC}]) {
        id name } }""",
    "nested": """query($id: ID!) { regions(where: {id: {eq: $id}}) { id name
      children(limit: 10, sort: [{name: ASC}]) { id name
        organizations(limit: 5, sort: [{name: ASC}]) { id name
          employedPeople(limit: 5, sort: [{name: ASC}]) { id name } } } } }""",
}
RAW_QUERIES: Final = {
    "unit": """
MATCH (o:Organization {id: $id})
RETURN o {.id, .name, party_orgs: COLLECT {
  MATCH (o)<-[:SET_UP_IN|COVERS]-(po:PartyOrg)
  WITH po ORDER BY po.id LIMIT 10
  RETURN po {.id, .name, members: COLLECT {
    MATCH (po)<-[:MEMBER_OF]-(p:Person) WITH p ORDER BY p.id LIMIT 20 RETURN p {.id, .name}
  }}
}} AS unit
""",
    "list": """
MATCH (o:Organization {sector: $sector})
WITH o ORDER BY o.name, o.id LIMIT 20
RETURN collect(o {.id, .name}) AS organizations
""",
    "nested": """
MATCH (r:Region {id: $id})
RETURN r {.id, .name, children: COLLECT {
  MATCH (r)<-[:PART_OF]-(c:Region) WITH c ORDER BY c.name LIMIT 10
  RETURN c {.id, .name, organizations: COLLECT {
    MATCH (c)<-[:IN_REGION]-(o:Organization) WITH o ORDER BY o.name LIMIT 5
    RETURN o {.id, .name, people: COLLECT {
      MATCH (o)<-[:EMPLOYED_BY]-(p:Person) WITH p ORDER BY p.name LIMIT 5 RETURN p {.id, .name}
    }}
  }}
}} AS region
""",
}

# Arguments drawn from the store: organizations with a party organisation set up in or covering
# them, the sectors, streets with communities.
SAMPLE_ARGUMENTS: Final = """
CALL () {
  MATCH (o:Organization)<-[:SET_UP_IN|COVERS]-(:PartyOrg)
  WITH DISTINCT o.id AS id ORDER BY id
  RETURN collect(id) AS units
}
CALL () {
  MATCH (o:Organization) WITH DISTINCT o.sector AS sector ORDER BY sector
  RETURN collect(sector) AS sectors
}
CALL () {
  MATCH (s:Region {level: 'street'})<-[:PART_OF]-(:Region {level: 'community'})
  WITH DISTINCT s.id AS id ORDER BY id
  RETURN collect(id) AS streets
}
RETURN units, sectors, streets
"""


@dataclass(frozen=True, slots=True)
class Run:
    peer: str
    query: str
    concurrency: int
    seconds: float
    answered: int
    errors: int
    throughput_rps: float
    p50_ms: float
    p99_ms: float


Ask = Callable[[dict[str, Any]], Awaitable[bool]]


async def closed_loop(
    ask: Ask, arguments: Sequence[dict[str, Any]], clients: int, seconds: float
) -> tuple[list[float], int]:
    """``clients`` loops asking one after another until ``seconds`` pass: the latencies (ms)
    of the answered calls, and how many failed."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        nonlocal errors
        index = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                ok = await ask(arguments[index % len(arguments)])
            except Exception:  # a failed call is counted, not raised: the run goes on
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1
            index += clients

    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies, errors


def graphql_asker(client: httpx.AsyncClient, url: str, query: str) -> Ask:
    async def ask(variables: dict[str, Any]) -> bool:
        response = await client.post(url, json={"query": query, "variables": variables})
        body = response.json()
        return response.status_code == 200 and not body.get("errors") and bool(body.get("data"))

    return ask


def cypher_asker(driver: AsyncDriver, database: str, query: str) -> Ask:
    async def ask(variables: dict[str, Any]) -> bool:
        records, _, _ = await driver.execute_query(
            query, variables, database_=database, routing_="r"
        )
        return bool(records)

    return ask


# --- the servers ---------------------------------------------------------------------------------


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            httpx.post(url, json={"query": "{ __typename }"}, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered at {url}")


@dataclass(frozen=True)
class Memory:
    cobuild_rss_mb: float | None
    peer_rss_mb: float | None
    neo4j_rss_mb: float | None
    neo4j_heap_used_mb: float
    neo4j_heap_committed_mb: float
    neo4j_page_cache_configured: str
    neo4j_store_mb: float


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


@contextmanager
def served(command: list[str], env: dict[str, str], url: str, cwd: Path) -> Iterator[Server]:
    process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
        command, env={**os.environ, **env}, cwd=cwd, stdout=subprocess.DEVNULL
    )
    try:
        _wait_for(url, process)
        yield Server(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def cobuild_server(settings: Settings) -> Any:
    port = runtime.free_port()
    env = {
        "COBUILD_NEO4J_URI": settings.local_bolt_uri,
        "COBUILD_NEO4J_PASSWORD": runtime.local_password(settings),
        "COBUILD_ALLOW_ANONYMOUS": "true",
        "COBUILD_RATE_LIMIT_PER_MINUTE": "0",
        "COBUILD_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "cobuild", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return served(command, env, f"http://127.0.0.1:{port}/graphql", PROJECT_ROOT)


def peer_server(settings: Settings) -> Any:
    port = runtime.free_port()
    env = {
        "NEO4J_URI": settings.local_bolt_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": runtime.local_password(settings),
        "NEO4J_DATABASE": settings.neo4j_database,
        "PORT": str(port),
    }
    return served(["node", "server.mjs"], env, f"http://127.0.0.1:{port}/graphql", PEER_DIR)


# --- one scale -----------------------------------------------------------------------------------


def _percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return round(values[0], 1) if values else float("nan")
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1)


# The JVM's heap (page cache lies outside it; Community exposes no page cache bean).
HEAP: Final = """
CALL dbms.queryJmx('java.lang:type=Memory') YIELD attributes
RETURN attributes.HeapMemoryUsage.value.properties AS heap
"""


def _rss_mb(pid: int | None) -> float | None:
    """A process's resident set and its peak, from /proc (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            lines = dict(line.split(":", 1) for line in status if ":" in line)
    except (OSError, TypeError):
        return None
    return round(int(lines["VmRSS"].split()[0]) / 1024, 1)


def _store_mb(settings: Settings) -> float:
    databases = settings.data_dir / "neo4j" / "data" / "databases" / settings.neo4j_database
    found = sum(f.stat().st_size for f in databases.rglob("*") if f.is_file())
    return round(found / 2**20, 1)


async def memory(settings: Settings, driver: AsyncDriver, ours: Server, theirs: Server) -> Memory:
    """Memory of the three after the runs: both servers' RSS, Neo4j's heap, RSS and store."""
    records, _, _ = await driver.execute_query(HEAP, database_="system")
    heap = records[0]["heap"]
    return Memory(
        cobuild_rss_mb=_rss_mb(ours.pid),
        peer_rss_mb=_rss_mb(theirs.pid),
        neo4j_rss_mb=_rss_mb(runtime.status(settings).pid),
        neo4j_heap_used_mb=round(heap["used"] / 2**20, 1),
        neo4j_heap_committed_mb=round(heap["committed"] / 2**20, 1),
        neo4j_page_cache_configured=settings.local_pagecache,
        neo4j_store_mb=_store_mb(settings),
    )


async def measure(settings: Settings, seconds: float, seed: int) -> tuple[list[Run], Memory]:
    driver = create_async_driver(settings)
    database = settings.neo4j_database
    try:
        records, _, _ = await driver.execute_query(SAMPLE_ARGUMENTS, database_=database)
        pool = records[0]
        rng = random.Random(seed)
        arguments = {
            "unit": [
                {"id": i} for i in rng.sample(pool["units"], min(SAMPLE_SIZE, len(pool["units"])))
            ],
            "list": [{"sector": s} for s in pool["sectors"]],
            "nested": [
                {"id": i}
                for i in rng.sample(pool["streets"], min(SAMPLE_SIZE, len(pool["streets"])))
            ],
        }
        runs: list[Run] = []
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
        with cobuild_server(settings) as ours, peer_server(settings) as theirs:
            async with httpx.AsyncClient(timeout=60, limits=limits) as client:
                peers: dict[str, Callable[[str], Ask]] = {
                    "cobuild": lambda q: graphql_asker(client, ours.url, COBUILD_QUERIES[q]),
                    "@neo4j/graphql": lambda q: graphql_asker(client, theirs.url, PEER_QUERIES[q]),
                    "raw Cypher": lambda q: cypher_asker(driver, database, RAW_QUERIES[q]),
                }
                for query, args in arguments.items():
                    for name, make in peers.items():
                        ask = make(query)
                        # Warm-up: plans, JIT, connection pools.
                        await closed_loop(ask, args, 4, min(5.0, seconds))
                        for clients in CONCURRENCY:
                            latencies, errors = await closed_loop(ask, args, clients, seconds)
                            run = Run(
                                peer=name,
                                query=query,
                                concurrency=clients,
                                seconds=seconds,
                                answered=len(latencies),
                                errors=errors,
                                throughput_rps=round(len(latencies) / seconds, 1),
                                p50_ms=_percentile(latencies, 50),
                                p99_ms=_percentile(latencies, 99),
                            )
                            print(f"  {run}", flush=True)
                            runs.append(run)
                used = await memory(settings, driver, ours, theirs)
                print(f"  {used}", flush=True)
        return runs, used
    finally:
        await driver.close()


def verdicts(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """Per query and concurrency: cobuild's throughput over @neo4j/graphql's (goal ≥ 1.5) and
    cobuild's p50 over raw Cypher's (goal ≤ 1.3)."""
    out = []
    index = {(r.peer, r.query, r.concurrency): r for r in runs}
    for (peer, query, clients), ours in index.items():
        if peer != "cobuild":
            continue
        theirs = index[("@neo4j/graphql", query, clients)]
        raw = index[("raw Cypher", query, clients)]
        throughput = ours.throughput_rps / theirs.throughput_rps if theirs.throughput_rps else None
        latency = ours.p50_ms / raw.p50_ms if raw.p50_ms else None
        out.append(
            {
                "query": query,
                "concurrency": clients,
                "throughput_vs_neo4j_graphql": round(throughput, 2) if throughput else None,
                "throughput_met": throughput is not None and throughput >= 1.5,
                "p50_vs_raw_cypher": round(latency, 2) if latency else None,
                "latency_met": latency is not None and latency <= 1.3,
            }
        )
    return out


def markdown(result: dict[str, Any]) -> str:
    lines: list[str] = []
    for scale in result["scales"]:
        lines += [
            f"Scale {scale['scale']:g}, {result['seconds']:g} s per cell:",
            "",
            "| query | clients | peer | answered/s | p50 ms | p99 ms | errors |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['query']} | {r['concurrency']} | {r['peer']} | {r['throughput_rps']:,} "
            f"| {r['p50_ms']:,} | {r['p99_ms']:,} | {r['errors']} |"
            for r in scale["runs"]
        ]
        lines += [
            "",
            "| query | clients | throughput ÷ @neo4j/graphql (goal ≥ 1.5) "
            "| p50 ÷ raw Cypher (goal ≤ 1.3) |",
            "|---|---|---|---|",
        ]
        for v in scale["goals"]:
            t = (
                "–"
                if v["throughput_vs_neo4j_graphql"] is None
                else f"{v['throughput_vs_neo4j_graphql']}×"
            )
            p = "–" if v["p50_vs_raw_cypher"] is None else f"{v['p50_vs_raw_cypher']}×"
            t += " met" if v["throughput_met"] else " **missed**"
            p += " met" if v["latency_met"] else " **missed**"
            lines.append(f"| {v['query']} | {v['concurrency']} | {t} | {p} |")
        m = scale.get("memory")
        if m:
            lines += [
                "",
                "| memory after the runs | MB |",
                "|---|---|",
                f"| cobuild API process RSS | {m['cobuild_rss_mb']} |",
                f"| @neo4j/graphql process RSS | {m['peer_rss_mb']} |",
                f"| Neo4j heap used / committed | {m['neo4j_heap_used_mb']} / "
                f"{m['neo4j_heap_committed_mb']} |",
                f"| Neo4j process RSS (heap, page cache, native) | {m['neo4j_rss_mb']} |",
                f"| store on disk (page cache configured: "
                f"{m['neo4j_page_cache_configured']}) | {m['neo4j_store_mb']} |",
            ]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[10.0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per (peer, query, clients)")
    parser.add_argument("--seed", type=int, default=7, help="dataset seed")
    parser.add_argument("--sample-seed", type=int, default=4, help="seed of the arguments")
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="4g")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded store")
    args = parser.parse_args()
    configure_logging(Settings(log_level="WARNING"))
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    scales = []
    for scale in args.scales:
        settings = loaded_database(scale, args.seed, args.heap, args.pagecache, args.reuse)
        try:
            print(f"scale {scale:g}:", flush=True)
            runs, used = asyncio.run(measure(settings, args.seconds, args.sample_seed))
        finally:
            runtime.stop(settings)
        scales.append(
            {
                "scale": scale,
                "runs": [asdict(r) for r in runs],
                "goals": verdicts(runs),
                "memory": asdict(used),
            }
        )
    result = {
        "started": started,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(),
        "seconds": args.seconds,
        "scales": scales,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "peers.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
