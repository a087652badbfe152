"""Reading a dataset: which files and sheets hold which tables, in which encoding, row by row.

A dataset is a folder of ``NAME.csv`` / ``NAME.jsonl`` files and ``.xlsx`` workbooks (each
sheet a table), a single workbook, a single CSV/JSONL file, or a mix; ``NAME`` is a table's
English name or Chinese alias. :func:`open_dataset` finds the tables, hashes every file and
settles each text file's encoding; :meth:`TablePart.records` and :meth:`TablePart.objects`
then yield rows lazily with their spreadsheet row (or JSONL line) numbers, so a million-row
table never sits in memory twice.

CSV and JSONL encodings are tried in order: strict UTF-8 (BOM or not), strict GB18030 (which
covers GBK, what Excel on a Chinese Windows saves), then charset-normalizer's best guess —
accepted only if the whole file decodes strictly with it, and reported as a warning. A file
no encoding decodes cleanly is not read at all (``encoding-unknown``): garbled Chinese would
be worse than a missing table.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import python_calamine
from charset_normalizer import from_bytes

from ingest.contract import TABLES, Table, table_for
from ingest.errors import (
    Issue,
    IssueCode,
    SourceNotFoundError,
    UnreadableFileError,
    UnsupportedSourceError,
)

FileFormat = Literal["csv", "jsonl", "xlsx"]

SUFFIXES: Final[dict[str, FileFormat]] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}

_CHUNK: Final = 1 << 20
_GUESS_SAMPLE: Final = 4 << 20  # charset-normalizer reads at most this much of a file

# The csv module's default cap (128 KiB) would crash on a huge cell; validation reports it
# as `cell-too-long` instead. 2**31 - 1 is the largest value every platform's C long takes.
_CSV_FIELD_LIMIT: Final = 2**31 - 1


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of the dataset: its name as given, format, text encoding and SHA-256."""

    name: str
    path: Path
    format: FileFormat
    sha256: str
    encoding: str | None = None  # CSV/JSONL only


@dataclass(frozen=True, slots=True)
class BadLine:
    """A JSONL line that is not a JSON object, and why."""

    reason: str


@dataclass(frozen=True, slots=True)
class TablePart:
    """The rows of one table held by one CSV/JSONL file or one workbook sheet."""

    table: Table
    given_name: str  # the file stem or sheet name as written
    file: SourceFile
    sheet: str | None = None
    _workbook: Any = field(default=None, repr=False, compare=False)

    @property
    def is_json_lines(self) -> bool:
        """True when rows come as JSON objects (:meth:`objects`), not cell lists."""
        return self.file.format == "jsonl"

    def records(self) -> Iterator[tuple[int, list[Any]]]:
        """Yield ``(row number, cells)`` of every non-blank record, the header first.

        CSV cells are strings; workbook cells are str, float, bool, date or datetime.

        Raises:
            UnreadableFileError: the file fails to read or decode part-way.
        """
        if self.file.format == "csv":
            return _csv_records(self.file)
        if self.file.format == "xlsx":
            return _sheet_records(self._workbook, self.sheet or "")
        raise TypeError("records() is for CSV files and sheets; use objects() for JSONL")

    def objects(self) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
        """Yield ``(line number, object or BadLine)`` for every non-blank JSONL line.

        Raises:
            UnreadableFileError: the file fails to read or decode part-way.
        """
        if self.file.format != "jsonl":
            raise TypeError("objects() is for JSONL files; use records()")
        return _json_lines(self.file)


@dataclass(frozen=True)
class DatasetSource:
    """What :func:`open_dataset` found: the files, the table parts, and file-level issues."""

    root: Path
    files: tuple[SourceFile, ...]
    parts: tuple[TablePart, ...]
    issues: tuple[Issue, ...]

    @property
    def checksum(self) -> str:
        """SHA-256 over the files' bytes, independent of file order and names."""
        return dataset_checksum(f.sha256 for f in self.files)


def dataset_checksum(digests: Iterable[str]) -> str:
    """Return the SHA-256 of the sorted hex digests of a dataset's files."""
    return hashlib.sha256("\n".join(sorted(digests)).encode("ascii")).hexdigest()


def open_dataset(source: Path) -> DatasetSource:
    """Return the tables a folder, workbook or single file holds, with file-level issues.

    Hidden files, Office lock files (``~$…``) and files of other types in a folder are
    ignored. Parts are ordered as the contract orders tables, then by file and sheet name,
    so that "the first of two rows" means the same for any file order.

    Raises:
        SourceNotFoundError: ``source`` does not exist.
        UnsupportedSourceError: ``source`` is a file of a type ingest does not read.
    """
    if not source.exists():
        raise SourceNotFoundError(f"no such file or folder: {source}")
    if source.is_dir():
        paths = sorted(
            p
            for p in source.iterdir()
            if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "~$"))
        )
    elif source.suffix.lower() in SUFFIXES:
        paths = [source]
    else:
        raise UnsupportedSourceError(f"not a folder, .csv, .jsonl or .xlsx file: {source}")

    files: list[SourceFile] = []
    parts: list[TablePart] = []
    issues: list[Issue] = []
    for path in paths:
        fmt = SUFFIXES[path.suffix.lower()]
        if fmt == "xlsx":
            _open_workbook(path, files, parts, issues)
        else:
            _open_text_file(path, fmt, files, parts, issues)
    if not parts and not any(i.severity == "error" for i in issues):
        issues.append(Issue.create(IssueCode.NO_TABLES, value=source.name or str(source)))
    order = {name: i for i, name in enumerate(TABLES)}
    parts.sort(key=lambda p: (order[p.table.name], p.file.name, p.sheet or ""))
    return DatasetSource(source, tuple(files), tuple(parts), tuple(issues))


# --- text files ----------------------------------------------------------------------------


def _open_text_file(
    path: Path,
    fmt: FileFormat,
    files: list[SourceFile],
    parts: list[TablePart],
    issues: list[Issue],
) -> None:
    table = table_for(path.stem)
    try:
        digest, encoding, guessed = _hash_and_decode(path, detect=table is not None)
    except OSError as exc:
        issues.append(
            Issue.create(IssueCode.UNREADABLE_FILE, file=path.name, reason=exc.strerror or exc)
        )
        return
    source_file = SourceFile(path.name, path, fmt, digest, encoding)
    files.append(source_file)
    if table is None:
        issues.append(Issue.create(IssueCode.UNKNOWN_TABLE, file=path.name, value=path.stem))
        return
    if encoding is None:
        issues.append(Issue.create(IssueCode.ENCODING_UNKNOWN, table=table.name, file=path.name))
        return
    if guessed:
        issues.append(
            Issue.create(
                IssueCode.ENCODING_GUESSED, table=table.name, file=path.name, encoding=encoding
            )
        )
    parts.append(TablePart(table, path.stem, source_file))


def _hash_and_decode(path: Path, *, detect: bool) -> tuple[str, str | None, bool]:
    """Return the file's SHA-256, the first encoding that decodes all of it, and whether that
    encoding was a guess. Each candidate costs one streaming pass; most files need one."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8-sig")("strict")
    utf8_ok = detect
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
    if not detect:
        return digest.hexdigest(), None, False
    if utf8_ok and _finishes(utf8):
        return digest.hexdigest(), "utf-8-sig", False
    if _decodes(path, "gb18030"):
        return digest.hexdigest(), "gb18030", False
    with path.open("rb") as handle:
        sample = handle.read(_GUESS_SAMPLE)
    best = from_bytes(sample).best()
    if best is not None and _decodes(path, best.encoding):
        return digest.hexdigest(), best.encoding, True
    return digest.hexdigest(), None, False


def _finishes(decoder: codecs.IncrementalDecoder) -> bool:
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decodes(path: Path, encoding: str) -> bool:
    try:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
    except LookupError:
        return False
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
    return _finishes(decoder)


def _csv_records(file: SourceFile) -> Iterator[tuple[int, list[Any]]]:
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    row = 0
    try:
        with file.path.open(encoding=file.encoding, errors="strict", newline="") as handle:
            for cells in csv.reader(handle):
                row += 1  # blank lines count: spreadsheet programs show them as rows
                if any(cells):
                    yield row, cells
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UnreadableFileError(str(exc), row or None) from exc


def _json_lines(file: SourceFile) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    line = 0
    try:
        with file.path.open(encoding=file.encoding, errors="strict") as handle:
            for text in handle:
                line += 1
                text = text.strip()
                if not text:
                    continue
                try:
                    value = json.loads(text)
                except (ValueError, RecursionError) as exc:
                    # JSONDecodeError, a number too long to parse, or nesting deep enough to
                    # exhaust the parser's stack
                    yield line, BadLine(str(exc) or type(exc).__name__)
                    continue
                if isinstance(value, dict):
                    yield line, value
                else:
                    yield line, BadLine(f"a JSON {type(value).__name__}, not an object")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFileError(str(exc), line or None) from exc


# --- workbooks -----------------------------------------------------------------------------


def _open_workbook(
    path: Path, files: list[SourceFile], parts: list[TablePart], issues: list[Issue]
) -> None:
    try:
        digest, _, _ = _hash_and_decode(path, detect=False)
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = [
            meta.name
            for meta in workbook.sheets_metadata
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
    except (OSError, python_calamine.CalamineError, ValueError) as exc:
        issues.append(Issue.create(IssueCode.UNREADABLE_FILE, file=path.name, reason=exc))
        return
    source_file = SourceFile(path.name, path, "xlsx", digest)
    files.append(source_file)
    for sheet in sheets:
        table = table_for(sheet)
        if table is not None:
            parts.append(TablePart(table, sheet, source_file, sheet, workbook))
        elif not _sheet_is_blank(workbook, sheet):
            # an empty "Sheet1" left over from a template is not worth a warning
            issues.append(
                Issue.create(IssueCode.UNKNOWN_TABLE, file=path.name, sheet=sheet, value=sheet)
            )


def _sheet_is_blank(workbook: Any, sheet: str) -> bool:
    try:
        return workbook.get_sheet_by_name(sheet).start is None
    except (python_calamine.CalamineError, ValueError):
        return False


def _sheet_records(workbook: Any, sheet: str) -> Iterator[tuple[int, list[Any]]]:
    row = 0
    try:
        # iter_rows starts at the sheet's first row (even if blank), so rows keep their
        # spreadsheet numbers
        for cells in workbook.get_sheet_by_name(sheet).iter_rows():
            row += 1
            if any(cell != "" for cell in cells):
                yield row, cells
    except (python_calamine.CalamineError, ValueError) as exc:
        raise UnreadableFileError(str(exc), row or None) from exc
