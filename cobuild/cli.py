"""The ``cobuild`` command: the local database, ingest, the demo and the API server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cobuild.logs import configure_logging, get_logger
from cobuild.settings import Settings, get_settings

app = typer.Typer(
    help="cobuild: knowledge graph for party-building-led grassroots governance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The local Neo4j (used when NEO4J_URI is unset).", no_args_is_help=True)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(help="API keys for other systems and people.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

log = get_logger("cobuild")


def _settings() -> Settings:
    settings = get_settings()
    configure_logging(settings)
    return settings


def _ensure_database(settings: Settings) -> None:
    """Start the local Neo4j if it is the target, wait for it, and apply migrations."""
    from graph import runtime
    from graph.connection import create_driver, wait_until_ready
    from graph.migrations import migrate

    if settings.uses_local_neo4j:
        runtime.start(settings)
    with create_driver(settings) as driver:
        wait_until_ready(driver)
        applied = migrate(driver, settings.neo4j_database)
        if applied:
            log.info("schema.migrated", versions=applied)


@db_app.command("start")
def db_start() -> None:
    """Start the local Neo4j (if not running) and apply schema migrations."""
    settings = _settings()
    if not settings.uses_local_neo4j:
        typer.echo(f"NEO4J_URI is set ({settings.neo4j_uri}): nothing to start; migrating it.")
    _ensure_database(settings)
    target = settings.neo4j_uri or settings.local_bolt_uri
    typer.echo(f"Neo4j ready at {target} (database {settings.neo4j_database})")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the local Neo4j cleanly."""
    from graph import runtime

    settings = _settings()
    stopped = runtime.stop(settings)
    typer.echo("stopped" if stopped else "not running")


@db_app.command("status")
def db_status() -> None:
    """Say whether the database answers, its version and what it holds."""
    from graph import runtime
    from graph.connection import create_driver
    from graph.migrations import applied_versions

    settings = _settings()
    if settings.uses_local_neo4j:
        state = runtime.status(settings)
        typer.echo(
            f"local Neo4j: {'running, pid ' + str(state.pid) if state.running else 'stopped'}"
        )
        typer.echo(f"  store: {state.home}")
        if not state.running:
            raise typer.Exit(code=1)
    with create_driver(settings) as driver:
        try:
            info = driver.get_server_info()
        except Exception as exc:
            typer.echo(f"not reachable: {exc}", err=True)
            raise typer.Exit(code=1) from exc
        versions = sorted(applied_versions(driver, settings.neo4j_database))
    typer.echo(f"  {info.address} {info.agent}, schema versions {versions}")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, coordinator, analyst or system")],
    region: Annotated[
        str | None, typer.Option(help="region id the key is scoped to (coordinator, system)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="who or what the key is for")] = None,
    allow_phones: Annotated[
        bool,
        typer.Option(
            "--allow-phones", help="may read raw phone numbers, audited (admin, coordinator)"
        ),
    ] = False,
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from graph.connection import create_driver
    from graph.keys import check_grant, create_key
    from graph.model import Role

    settings = _settings()
    try:
        chosen = Role(role)
    except ValueError:
        typer.echo(f"unknown role {role!r}: choose one of {[r.value for r in Role]}", err=True)
        raise typer.Exit(code=2) from None
    try:
        check_grant(chosen, region, allow_phones=allow_phones)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from None
    _ensure_database(settings)
    with create_driver(settings) as driver:
        key = create_key(
            driver,
            settings.neo4j_database,
            role=chosen,
            region_id=region,
            name=name,
            allow_phones=allow_phones,
        )
    typer.echo(key)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the id part of cb_<id>_…")]) -> None:
    """Revoke a key; it stops working within a minute on running servers."""
    from graph.connection import create_driver
    from graph.keys import revoke_key

    settings = _settings()
    with create_driver(settings) as driver:
        revoked = revoke_key(driver, settings.neo4j_database, key_id)
    typer.echo("revoked" if revoked else "no active key with that id")
    raise typer.Exit(code=int(not revoked))


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    from graph.connection import create_driver
    from graph.keys import list_keys

    settings = _settings()
    with create_driver(settings) as driver:
        for key in list_keys(driver, settings.neo4j_database):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            phones = "phones" if key.allow_phones else "-"
            typer.echo(
                f"{key.id}  {key.role:<11} {key.region_id or '-':<14} {phones:<6} {state}  "
                f"{key.name or ''}"
            )


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="a folder of table files, or one .xlsx workbook")],
    strict: Annotated[bool, typer.Option(help="write nothing if any row is bad")] = False,
    dry_run: Annotated[bool, typer.Option(help="validate only, write nothing")] = False,
    sync: Annotated[
        bool, typer.Option(help="the dataset is the full truth for its tables: retire the rest")
    ] = False,
    keep_extra: Annotated[
        bool, typer.Option(help="keep unknown columns as properties instead of warning")
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="write the issues to this .json or .csv file")
    ] = None,
    recheck: Annotated[
        bool,
        typer.Option(
            help="validate and compare every row even if the dataset is the one last loaded"
        ),
    ] = False,
    batched: Annotated[
        bool,
        typer.Option(
            help="write batch by batch instead of in one transaction (a first load too big for "
            "the heap); queries may see it part-written until it finishes"
        ),
    ] = False,
) -> None:
    """Load a dataset: parse, validate, write, all in one transaction.

    Exit status 1 when rows were rejected, 2 when nothing was loaded (no such path, or the run
    outgrew the memory Neo4j allows one transaction).
    """
    from ingest.errors import RunTooLargeError
    from ingest.pipeline import run_ingest
    from ingest.report_view import print_report

    settings = _settings()
    if not path.exists():
        typer.echo(f"no such file or folder: {path}", err=True)
        raise typer.Exit(code=2)
    if not dry_run:
        _ensure_database(settings)
    try:
        result = run_ingest(
            settings,
            path,
            strict=strict,
            dry_run=dry_run,
            sync=sync,
            keep_extra=keep_extra,
            recheck=recheck,
            batched=batched,
        )
    except RunTooLargeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from None
    print_report(result)
    if report is not None:
        result.report.write(report)
        typer.echo(f"report written to {report}")
    raise typer.Exit(code=int(not result.valid))


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="folder to write the CSV tables into")],
    scale: Annotated[float, typer.Option(help="1 ≈ 10k nodes, 100 ≈ 1M")] = 1.0,
    seed: Annotated[int, typer.Option(help="same seed, same dataset")] = 7,
) -> None:
    """Generate a realistic, contract-conforming dataset in Chinese."""
    from ingest.generate import generate as generate_dataset

    _settings()
    stats = generate_dataset(scale, seed, out)
    typer.echo(f"{stats.total_nodes} nodes in {stats.seconds:.1f}s → {out}")


@app.command("export-schema")
def export_schema(
    out: Annotated[Path, typer.Option(help="where to write the SDL")] = Path("api/schema.graphql"),
) -> None:
    """Write the GraphQL schema (SDL) to the file kept in the repo for review."""
    from api.schema import schema

    out.write_text(str(schema) + "\n", encoding="utf-8")
    typer.echo(f"schema written to {out}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
) -> None:
    """Serve the API (GraphQL at /graphql) against the configured Neo4j."""
    import uvicorn

    from api.app import create_app

    settings = _settings()
    _ensure_database(settings)
    uvicorn.run(
        create_app(settings),
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_config=None,
    )


@app.command()
def demo(
    scale: Annotated[float, typer.Option(help="generator scale: 1 ≈ 10k nodes")] = 1.0,
    seed: Annotated[int, typer.Option(help="generator seed")] = 7,
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """Bring everything up with generated demo data: Neo4j, the data, the API."""
    import uvicorn

    from api.app import create_app

    # The demo is for a laptop: callers without a key read as analysts.
    settings = _settings().model_copy(update={"allow_anonymous": True})
    _ensure_database(settings)
    out = settings.data_dir / "demo" / f"scale-{scale:g}-seed-{seed}"
    _load_demo(settings, out, scale, seed)
    url = f"http://{settings.api_host}:{settings.api_port}"
    typer.echo(
        "\n".join(
            [
                "",
                "!" * 78,
                "!!  DEMO ONLY: ANONYMOUS ACCESS IS ON. Anyone who reaches this port reads",
                "!!  the whole graph as an analyst. Never expose it; never load real data.",
                "!" * 78,
                "cobuild demo is up.",
                f"  GraphQL + GraphiQL: {url}/graphql",
                f"  health:             {url}/healthz   readiness: {url}/readyz",
                f"  Neo4j (Bolt):       {settings.neo4j_uri or settings.local_bolt_uri}",
                "",
            ]
        )
    )
    if serve_api:
        uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port)


def _load_demo(settings: Settings, out: Path, scale: float, seed: int) -> None:
    """Generate the demo dataset once and load it (a re-load of unchanged data is cheap)."""
    from ingest.generate import generate
    from ingest.pipeline import run_ingest

    if not (out / "regions.csv").exists():
        stats = generate(scale, seed, out)
        log.info("demo.generated", out=str(out), nodes=stats.total_nodes)
    # Batch by batch: it loads before the API serves, so no one sees it part-written, and a
    # larger --scale outgrows the heap as one transaction (docs/ingest.md).
    result = run_ingest(settings, out, batched=True)
    if not result.valid:
        # The generator's own tests keep this from happening; say so loudly if it does.
        typer.echo(f"demo data had {result.report.error_count} errors", err=True)
