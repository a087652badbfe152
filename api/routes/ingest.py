"""Upload a dataset for ingest: the same pipeline and report as ``cobuild ingest``.

Other systems POST one file as multipart form data: an ``.xlsx`` workbook, a ``.zip`` of
table files, or a single ``NAME.csv`` / ``NAME.jsonl`` table (the file name says the table).
Admins load anything; a coordinator loads data of its region subtree only: an upload with any
row reaching outside is refused whole (403, the rows listed) and nothing is written
(``ingest.scope``), and ``sync`` (which retires what the upload lacks, city-wide) is theirs
to use only as admins.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Request, UploadFile, status
from fastapi.concurrency import run_in_threadpool

from api.security import Principal, require_roles
from graph.model import Role
from ingest.errors import RunTooLargeError
from ingest.known import Neo4jKnownGraph
from ingest.pipeline import run_ingest
from ingest.read import open_dataset
from ingest.scope import OutsideRow, rows_outside
from ingest.validate import validate_dataset

router = APIRouter(tags=["ingest"])

TABLE_SUFFIXES: Final = frozenset({".csv", ".jsonl"})
WORKBOOK_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
MAX_ZIP_MEMBERS: Final = 200
CHUNK: Final = 1024 * 1024


def _bad(detail: str, code: int = status.HTTP_400_BAD_REQUEST) -> HTTPException:
    return HTTPException(code, detail)


async def _save(upload: UploadFile, target: Path, limit: int) -> None:
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise _bad(
                    f"upload larger than {limit // CHUNK} MB",
                    status.HTTP_413_CONTENT_TOO_LARGE,
                )
            out.write(chunk)


def _extract(archive: Path, into: Path, limit: int) -> None:
    """Unpack table files only, refusing path tricks and zip bombs."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.infolist() if not m.is_dir()]
            if len(members) > MAX_ZIP_MEMBERS:
                raise _bad(f"zip holds more than {MAX_ZIP_MEMBERS} files")
            if sum(m.file_size for m in members) > limit * 5:
                raise _bad("zip expands to more than five times the upload limit")
            for member in members:
                name = PurePosixPath(member.filename)
                if name.name.startswith(".") or "__MACOSX" in name.parts:
                    continue
                suffix = name.suffix.lower()
                if suffix not in TABLE_SUFFIXES | WORKBOOK_SUFFIXES:
                    continue
                # Flatten: only the file name counts, so "../x" cannot escape the folder.
                with bundle.open(member) as source, (into / name.name).open("wb") as out:
                    shutil.copyfileobj(source, out)
    except zipfile.BadZipFile as exc:
        raise _bad(f"not a readable zip file: {exc}") from exc


@router.post("/ingest")
async def upload_dataset(
    request: Request,
    file: UploadFile,
    principal: Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.COORDINATOR))],
    strict: bool = False,
    dry_run: bool = False,
    sync: bool = False,
    keep_extra: bool = False,
    recheck: bool = False,
    batched: bool = False,
) -> dict[str, Any]:
    """Validate and load the uploaded dataset; return the report and what was written.

    ``valid`` false means rows were rejected (listed in ``report.issues``); with ``strict``
    or ``dry_run`` nothing was written. ``unchanged_since`` names the run whose dataset this
    one repeats exactly (every row skipped without validating again; ``recheck`` forces it).
    A run is one transaction (``atomic``: queries never see it part-written); one that
    outgrows the memory Neo4j allows a transaction is rolled back and answered 413.
    ``batched`` (admins only) writes batch by batch instead: a first load too big for the heap,
    which queries may see part-written until it finishes.
    """
    settings = request.app.state.settings
    if principal.role is Role.COORDINATOR and sync:
        raise _bad(
            "sync retires what an upload lacks in the whole city: admins only",
            status.HTTP_403_FORBIDDEN,
        )
    if principal.role is Role.COORDINATOR and batched:
        raise _bad(
            "a batched load may be seen part-written by everyone querying: admins only",
            status.HTTP_403_FORBIDDEN,
        )
    limit = settings.max_upload_mb * CHUNK
    filename = PurePosixPath(file.filename or "").name
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in TABLE_SUFFIXES | WORKBOOK_SUFFIXES | {".zip"}:
        raise _bad("upload an .xlsx workbook, a .zip of table files, or NAME.csv / NAME.jsonl")
    with tempfile.TemporaryDirectory(prefix="cobuild-upload-") as tmp:
        folder = Path(tmp) / "dataset"
        folder.mkdir()
        if suffix == ".zip":
            archive = Path(tmp) / "upload.zip"
            await _save(file, archive, limit)
            _extract(archive, folder, limit)
            source = folder
        elif suffix in WORKBOOK_SUFFIXES:
            source = folder / f"upload{suffix}"
            await _save(file, source, limit)
        else:
            await _save(file, folder / filename, limit)
            source = folder
        if principal.role is Role.COORDINATOR:
            await _stays_in_region(request, source, principal, keep_extra=keep_extra)
        try:
            result = await run_in_threadpool(
                run_ingest,
                settings,
                source,
                strict=strict,
                dry_run=dry_run,
                sync=sync,
                keep_extra=keep_extra,
                recheck=recheck,
                batched=batched,
                driver=request.app.state.sync_driver,
                user=principal.subject,
            )
        except RunTooLargeError as exc:
            raise _bad(str(exc), status.HTTP_413_CONTENT_TOO_LARGE) from exc
    return {**result.summary(), "report": result.report.to_dict()}


MAX_LISTED: Final = 200


async def _stays_in_region(
    request: Request, source: Path, principal: Principal, *, keep_extra: bool
) -> None:
    """Raise 403 listing the rows of the upload outside the coordinator's region."""
    settings = request.app.state.settings
    driver = request.app.state.sync_driver
    region = principal.region_id or ""

    def check() -> list[OutsideRow]:
        known = Neo4jKnownGraph(driver, settings.neo4j_database)
        dataset = validate_dataset(open_dataset(source), keep_extra=keep_extra, known=known)
        return rows_outside(driver, settings.neo4j_database, region, dataset.tables)

    outside = await run_in_threadpool(check)
    if outside:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            {
                "message": f"{len(outside)} rows reach outside region {region}: "
                "nothing was written",
                "rows_outside_region": [row.to_dict() for row in outside[:MAX_LISTED]],
                "count": len(outside),
            },
        )
