"""Validating a dataset: every rule of the contract, collected as issues, never raised.

:func:`validate_dataset` reads every table part (``ingest.read``), parses each row with its
``<Table>Row`` model (``ingest.rows``) and checks the row rules; then, across the whole
dataset (and the existing graph when ``known`` is given), the graph rules:

- ids are unique across all tables; an identical repeat is merged with a warning, a
  differing one rejects every row using the id;
- references resolve to a row of the right table (``owner_id`` to a unit, ``assignee_ids``
  to people …), skills by id, name or alias;
- a region's parent is of a strictly higher level; only top regions lack a parent;
- region, party-organisation and skill parent chains have no cycle;
- a row referring to a rejected row is rejected too (``reference-rejected``), repeatedly,
  until no valid row points at anything missing.

The result holds the valid rows as plain typed dicts for ``ingest.write`` and a
:class:`Report` of what was read, kept and rejected, and why.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import Any, Final, NamedTuple, Protocol

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from graph.model import RegionLevel
from ingest.contract import (
    ENUM_LABELS,
    MAX_CELL_CHARS,
    TABLES,
    Column,
    ColumnKind,
    Table,
    normalize_name,
    noun,
)
from ingest.errors import TEMPLATES, Issue, IssueCode, UnreadableFileError
from ingest.read import BadLine, DatasetSource, SourceFile, TablePart, open_dataset
from ingest.rows import ROW_MODELS, RowParser, cell_text, looks_like_citizen_id, split_multi

__all__ = [
    "KnownEntity",
    "KnownGraph",
    "Report",
    "TableStats",
    "ValidatedDataset",
    "validate_dataset",
]

_RANK: Final = {level.value: level.rank for level in RegionLevel}
_KNOWN_BATCH: Final = 20_000  # ids per KnownGraph.entities call

# Row states kept in one bytearray per table: a byte a row instead of a set of indices.
_VALID: Final = 1
_REJECTED: Final = 0
_MERGED: Final = 2

# lead_id must be one of party_ids (lead-not-a-party), which are checked as references.
_CHECKED_ELSEWHERE: Final = frozenset({("agreements", "lead_id")})

# Where the resolved skill ids of a skill column land.
_SKILL_FIELDS: Final = {"skill": "skill_id", "required_skills": "required_skill_ids"}

# Pairs (earlier, later) that must not be in the wrong order, per table.
_DATE_PAIRS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "party_orgs": (("founded_on", "valid_to"),),
    "resources": (("available_from", "available_to"),),
    "agreements": (("signed_on", "expires_on"),),
    "demands": (("created_at", "resolved_at"),),
}

_MASKED: Final = frozenset({IssueCode.INVALID_PHONE.value, IssueCode.NATIONAL_ID_AS_ID.value})


# --- the existing graph, as validation needs to see it -----------------------------------------


@dataclass(frozen=True, slots=True)
class KnownEntity:
    """An id already in the graph: the table its node came from and, for regions, its level."""

    table: str
    level: str | None = None


class KnownGraph(Protocol):
    """What validation asks of the existing graph when a dataset adds to it."""

    def entities(self, ids: Collection[str]) -> Mapping[str, KnownEntity]:
        """Return the ids among ``ids`` that exist in the graph, each with its table
        (English name) and, for regions, its level code; absent ids are left out.
        Called with at most 20,000 ids at a time."""
        ...

    def skills_by_name(self, names: Collection[str]) -> Mapping[str, Collection[str]]:
        """Return, for each of ``names`` equal to the name or an alias of one or more
        skills in the graph, the ids of those skills (a bare id string is taken as one id);
        names matching nothing are left out. Several ids make the name ambiguous."""
        ...


# --- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableStats:
    """Rows of one table: ``rows_read`` = ``rows_valid`` + ``rows_rejected`` + ``rows_merged``
    (identical repeats of another row)."""

    rows_read: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    rows_merged: int = 0


@dataclass(frozen=True)
class Report:
    """What validation found: counts per table, the issues (at most ``max_issues`` listed,
    all counted) and a checksum of the files that identifies the dataset."""

    source: str
    checksum: str
    stats: Mapping[str, TableStats]
    issues: tuple[Issue, ...]
    issue_count: int
    error_count: int
    warning_count: int
    counts: Mapping[str, int]  # issues per code, listed or not
    files: tuple[SourceFile, ...] = ()

    @property
    def valid(self) -> bool:
        """True when no error was found (warnings allowed)."""
        return self.error_count == 0

    @property
    def truncated(self) -> bool:
        """True when more issues were found than are listed."""
        return self.issue_count > len(self.issues)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict."""
        return {
            "valid": self.valid,
            "source": self.source,
            "checksum": self.checksum,
            "files": [
                {"name": f.name, "format": f.format, "encoding": f.encoding, "sha256": f.sha256}
                for f in self.files
            ],
            "stats": {
                name: {
                    "rows_read": s.rows_read,
                    "rows_valid": s.rows_valid,
                    "rows_rejected": s.rows_rejected,
                    "rows_merged": s.rows_merged,
                }
                for name, s in self.stats.items()
            },
            "issue_count": self.issue_count,
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "truncated": self.truncated,
            "counts": dict(self.counts),
            "issues": [issue.to_dict() for issue in self.issues],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return the report as JSON text (Chinese kept readable, not ``\\u`` escaped)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def write(self, path: Path) -> None:
        """Write the report to ``path``: the whole report as ``.json``, or the listed issues
        as ``.csv`` (UTF-8 with BOM, so Excel shows the Chinese).

        Raises:
            ValueError: the suffix is neither ``.json`` nor ``.csv``.
            OSError: the file cannot be written.
        """
        suffix = path.suffix.lower()
        if suffix == ".json":
            path.write_text(self.to_json() + "\n", encoding="utf-8")
        elif suffix == ".csv":
            names = list(Issue.__dataclass_fields__)
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=names)
                writer.writeheader()
                for issue in self.issues:
                    writer.writerow({k: _inert(v) for k, v in issue.to_dict().items()})
        else:
            raise ValueError(f"report path must end in .json or .csv: {path}")


@dataclass(frozen=True)
class ValidatedDataset:
    """The valid, de-duplicated rows of each table and the report.

    ``tables`` has every contract table by English name (empty when absent). A row is a plain
    dict with every field of its ``<Table>Row`` model (``ingest.rows``) under the English
    column name: str, int, float, bool, ``date``, aware ``datetime``, ``list[str]`` (multi
    columns, never None), enumerations as English codes, None where empty without default.
    Derived keys: regions ``level_rank`` (``RegionLevel.rank``); person_skills ``skill_id``
    instead of ``skill``; demands ``required_skill_ids`` next to ``required_skills``; every
    row ``extra: dict[str, str]`` only with ``keep_extra``. Rows of regions, party_orgs and
    skills come parents first; valid rows never refer to a rejected or missing row.
    """

    tables: dict[str, list[dict[str, Any]]]
    report: Report

    @property
    def valid(self) -> bool:
        """True when the report has no error."""
        return self.report.valid


def validate_dataset(
    source: Path | DatasetSource,
    *,
    keep_extra: bool = False,
    known: KnownGraph | None = None,
    max_issues: int = 1000,
) -> ValidatedDataset:
    """Return the valid rows of the dataset at ``source`` (a path, or what
    :func:`ingest.read.open_dataset` found there) and the report of its issues.

    ``keep_extra`` keeps columns the contract does not know as ``extra: dict[str, str]``
    on each row (otherwise they are ``unknown-column`` warnings). ``known``, when given,
    resolves references and skill names against the existing graph too. ``max_issues``
    caps the issues listed in the report; all are counted.

    Raises:
        SourceNotFoundError: ``source`` does not exist.
        UnsupportedSourceError: ``source`` is a file of a type ingest does not read.
    """
    dataset = source if isinstance(source, DatasetSource) else open_dataset(Path(source))
    return _Validation(dataset, keep_extra=keep_extra, known=known, cap=max_issues).run()


# --- the work -----------------------------------------------------------------------------------


class _Issues:
    """Issues counted in full and listed up to a cap; past it, none is even formatted."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.listed: list[Issue] = []
        self.counts: Counter[str] = Counter()
        self.errors = 0
        self.warnings = 0

    def add(self, code: IssueCode, **fields: Any) -> None:
        value = fields.get("value")
        if type(value) is str and len(value) == 18 and looks_like_citizen_id(value):
            # a national ID number (rejected as a person id) must not spread through a report
            fields["value"] = _mask(value)
        self.counts[code.value] += 1
        if TEMPLATES[code].severity == "error":
            self.errors += 1
        else:
            self.warnings += 1
        if len(self.listed) < self.cap:
            self.listed.append(Issue.create(code, **fields))

    def extend(self, issues: Collection[Issue]) -> None:
        for issue in issues:
            self.counts[issue.code] += 1
            if issue.severity == "error":
                self.errors += 1
            else:
                self.warnings += 1
            if len(self.listed) < self.cap:
                self.listed.append(issue)


@dataclass
class _Part:
    """A table part being read, with the headers as written for each English column."""

    part: TablePart
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Rows:
    """One table's parsed rows: dicts, packed locations, and a state byte each."""

    table: Table
    rows: list[dict[str, Any]] = field(default_factory=list)
    locations: list[int] = field(default_factory=list)  # part index << 32 | row number
    state: bytearray = field(default_factory=bytearray)
    read: int = 0
    merged: int = 0


class _Seen(NamedTuple):
    """The first row using an id: its table, index in that table (-1 if invalid), location."""

    table: str
    position: int
    location: int


class _Validation:
    def __init__(
        self, dataset: DatasetSource, *, keep_extra: bool, known: KnownGraph | None, cap: int
    ) -> None:
        self.dataset = dataset
        self.keep_extra = keep_extra
        self.known = known
        self.issues = _Issues(cap)
        self.issues.extend(dataset.issues)
        self.parts: list[_Part] = []
        self.tables = {name: _Rows(table) for name, table in TABLES.items()}
        self.seen: dict[str, _Seen] = {}
        self.rejected: set[str] = set()  # dataset ids whose rows are not loaded
        self.conflicted: set[str] = set()  # ids whose duplicate-id-conflict was reported
        self.invalid_skills: list[tuple[str, str | None, list[str]]] = []
        self.known_entities: dict[str, KnownEntity] = {}
        self.where = (
            ("this dataset", "本数据集")
            if known is None
            else ("this dataset or the graph", "本数据集或图谱")
        )

    # --- orchestration ----------------------------------------------------------------------

    def run(self) -> ValidatedDataset:
        for part in self.dataset.parts:
            self._read_part(part)
        self._consult_known()
        before = len(self.rejected)
        self._check_references()
        self._check_cycles()
        if len(self.rejected) > before:
            self._cascade()
        for rows in self.tables.values():
            if not rows.table.has_id:
                self._merge_keyless(rows)
        return ValidatedDataset(self._output(), self._report())

    # --- locations --------------------------------------------------------------------------

    def _at(self, rows: _Rows, index: int, name: str | None = None) -> dict[str, Any]:
        return self._located(rows.locations[index], rows.table.name, name)

    def _located(self, location: int, table: str, name: str | None = None) -> dict[str, Any]:
        info = self.parts[location >> 32]
        column = None if name is None else info.headers.get(name, name)
        return {
            "table": table,
            "file": info.part.file.name,
            "sheet": info.part.sheet,
            "row": location & 0xFFFFFFFF,
            "column": column,
        }

    def _describe(self, location: int) -> tuple[str, str]:
        info = self.parts[location >> 32]
        row = location & 0xFFFFFFFF
        sheet_en = f" sheet {info.part.sheet}" if info.part.sheet else ""
        sheet_zh = f"工作表“{info.part.sheet}”" if info.part.sheet else ""
        return (
            f"{info.part.file.name}{sheet_en} row {row}",
            f"{info.part.file.name}{sheet_zh}第 {row} 行",
        )

    # --- reading ----------------------------------------------------------------------------

    def _read_part(self, part: TablePart) -> None:
        index = len(self.parts)
        info = _Part(part)
        self.parts.append(info)
        rows = self.tables[part.table.name]
        first_row = len(rows.rows)
        where = {"table": part.table.name, "file": part.file.name, "sheet": part.sheet}
        try:
            if part.is_json_lines:
                got_any = self._read_objects(index, info, rows)
            else:
                got_any = self._read_records(index, info, rows)
        except UnreadableFileError as exc:
            self.issues.add(IssueCode.UNREADABLE_FILE, **where, row=exc.row, reason=exc.reason)
            self._reject_part(rows, first_row)
            return
        if got_any is None:
            self.issues.add(IssueCode.EMPTY_FILE, **where)
        elif not got_any:
            self.issues.add(IssueCode.NO_ROWS, **where)

    def _reject_part(self, rows: _Rows, first_row: int) -> None:
        """Reject every row a part contributed: a file never half-loads."""
        has_id = rows.table.has_id
        for index in range(first_row, len(rows.rows)):
            if rows.state[index] == _VALID:
                rows.state[index] = _REJECTED
                if has_id:
                    self.rejected.add(rows.rows[index]["id"])

    def _read_records(self, index: int, info: _Part, rows: _Rows) -> bool | None:
        """Read a CSV file or sheet; return None without a header, else whether rows came."""
        table = info.part.table
        records = info.part.records()
        header = next(records, None)
        if header is None:
            return None
        columns, extras, usable = self._header(info, [cell_text_safe(h) for h in header[1]])
        width = len(header[1])
        parser = _PARSERS[table.name]
        is_csv = info.part.file.format == "csv"
        names = [name for _, name in columns]
        pick = _picker([i for i, _ in columns])
        parse_cells = parser.positional(names) if usable else None
        got_any = False
        for number, cells in records:
            got_any = True
            rows.read += 1
            location = index << 32 | number
            if len(cells) != width:
                if len(cells) < width or any(c != "" for c in cells[width:]):
                    self._ragged(rows, location, len(cells), width, cells, columns)
                    continue
                cells = cells[:width]
            values = pick(cells)
            if parse_cells is None:
                self._invalid(rows, location, dict(zip(names, values, strict=True)))
                continue
            # CSV cells are all str: one C-level sum clears almost every row at once
            if not (is_csv and sum(map(len, cells)) <= MAX_CELL_CHARS) and self._too_long(
                rows, location, cells, info, columns, extras
            ):
                self._invalid(rows, location, dict(zip(names, values, strict=True)))
                continue
            extra = None
            if self.keep_extra:
                extra = {h: t for i, h in extras if (t := cell_text_safe(cells[i])) is not None}
            try:
                row = parse_cells(values)
            except PydanticCustomError:
                # the slow path lists every bad cell, not just the first
                self._parse(rows, location, dict(zip(names, values, strict=True)), parser, extra)
                continue
            self._accept(rows, location, row, extra)
        return got_any

    def _header(
        self, info: _Part, header: list[str | None]
    ) -> tuple[list[tuple[int, str]], list[tuple[int, str]], bool]:
        """Map header cells to columns; return (index, column) pairs, (index, header) pairs of
        unknown columns, and False when the file cannot be used (a column missing or twice)."""
        table = info.part.table
        where = {"table": table.name, "file": info.part.file.name, "sheet": info.part.sheet}
        columns: list[tuple[int, str]] = []
        extras: list[tuple[int, str]] = []
        usable = True
        for i, text in enumerate(header):
            if text is None:
                continue
            column = table.column(text)
            if column is None:
                extras.append((i, text))
                if not self.keep_extra:
                    self.issues.add(
                        IssueCode.UNKNOWN_COLUMN,
                        **where,
                        column=text,
                        table_en=table.name,
                        table_zh=table.alias,
                    )
            elif column.name in info.headers:
                usable = False
                self.issues.add(
                    IssueCode.DUPLICATE_COLUMN,
                    **where,
                    column=text,
                    other_column=info.headers[column.name],
                    name=column.name,
                )
            else:
                columns.append((i, column.name))
                info.headers[column.name] = text
        for column in table.columns:
            if column.required and column.name not in info.headers:
                usable = False
                self.issues.add(
                    IssueCode.MISSING_COLUMN, **where, column=column.name, alias=column.alias
                )
        return columns, extras, usable

    def _too_long(
        self,
        rows: _Rows,
        location: int,
        cells: list[Any],
        info: _Part,
        columns: list[tuple[int, str]],
        extras: list[tuple[int, str]],
    ) -> bool:
        names = dict(columns)
        names.update(extras)
        found = False
        for i, cell in enumerate(cells):
            if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                found = True
                where = self._located(location, rows.table.name)
                where["column"] = info.headers.get(names.get(i, ""), names.get(i))
                self.issues.add(
                    IssueCode.CELL_TOO_LONG,
                    **where,
                    value=cell[:200],
                    length=len(cell),
                    limit=MAX_CELL_CHARS,
                )
        return found

    def _ragged(
        self,
        rows: _Rows,
        location: int,
        count: int,
        width: int,
        cells: list[Any],
        columns: list[tuple[int, str]],
    ) -> None:
        self.issues.add(
            IssueCode.RAGGED_ROW,
            **self._located(location, rows.table.name),
            count=count,
            expected=width,
        )
        data = {name: cells[i] for i, name in columns if i < len(cells)}
        self._invalid(rows, location, data)

    def _read_objects(self, index: int, info: _Part, rows: _Rows) -> bool | None:
        """Read a JSONL file; return None when it has no line, else whether rows came."""
        table = info.part.table
        parser = _PARSERS[table.name]
        names: dict[str, Column | None] = {}
        got_any: bool | None = None
        for number, obj in info.part.objects():
            got_any = True
            rows.read += 1
            location = index << 32 | number
            if isinstance(obj, BadLine):
                self.issues.add(
                    IssueCode.INVALID_JSON,
                    **self._located(location, table.name),
                    reason=obj.reason,
                )
                self._invalid(rows, location, {})
                continue
            data: dict[str, Any] = {}
            extra: dict[str, str] = {}
            bad = False
            for key, value in obj.items():
                if key not in names:
                    names[key] = column = table.column(key)
                    if column is None and not self.keep_extra:
                        self.issues.add(
                            IssueCode.UNKNOWN_COLUMN,
                            table=table.name,
                            file=info.part.file.name,
                            column=key,
                            table_en=table.name,
                            table_zh=table.alias,
                        )
                    elif column is not None:
                        info.headers.setdefault(column.name, key)
                column = names[key]
                if _json_too_long(value):
                    bad = True
                    self.issues.add(
                        IssueCode.CELL_TOO_LONG,
                        **{**self._located(location, table.name), "column": key},
                        value=str(value)[:200],
                        length=_json_length(value),
                        limit=MAX_CELL_CHARS,
                    )
                elif column is None:
                    if self.keep_extra and value is not None and value != "":
                        extra[key] = _json_text(value)
                elif column.name in data:
                    bad = True
                    self.issues.add(
                        IssueCode.DUPLICATE_COLUMN,
                        **{**self._located(location, table.name), "column": key},
                        other_column=info.headers.get(column.name, column.name),
                        name=column.name,
                    )
                else:
                    data[column.name] = value
            if bad:
                self._invalid(rows, location, data)
                continue
            self._parse(rows, location, data, parser, extra if self.keep_extra else None)
        return got_any

    # --- one row ----------------------------------------------------------------------------

    def _parse(
        self,
        rows: _Rows,
        location: int,
        data: dict[str, Any],
        parser: RowParser,
        extra: dict[str, str] | None,
    ) -> None:
        table = rows.table
        try:
            row = parser(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                name = str(error["loc"][0]) if error["loc"] else None
                code = error["type"]
                ctx = dict(error.get("ctx") or {})
                value = ctx.pop("item", error["input"])
                if code == "missing":
                    code, value = IssueCode.MISSING_REQUIRED.value, None
                elif code not in _CODES:
                    code = IssueCode.INVALID_TYPE.value
                    ctx = {
                        "kind": type(value).__name__,
                        "expected_en": "text",
                        "expected_zh": "文本",
                    }
                if code in _MASKED and value is not None:
                    value = _mask(str(value))
                self.issues.add(
                    IssueCode(code),
                    **self._located(location, table.name, name),
                    value=value,
                    **ctx,
                )
            self._invalid(rows, location, data)
            return
        self._accept(rows, location, row, extra)

    def _accept(
        self, rows: _Rows, location: int, row: dict[str, Any], extra: dict[str, str] | None
    ) -> None:
        """Check a parsed row's own rules, then keep it (or record it as invalid)."""
        table = rows.table
        problems = _row_rules(table.name, row)
        if problems:
            for code, name, value, params in problems:
                self.issues.add(
                    code, **self._located(location, table.name, name), value=value, **params
                )
            self._invalid(rows, location, row)
            return
        if table.name == "regions":
            row["level_rank"] = _RANK[row["level"]]
        if extra is not None:
            row["extra"] = extra
        self._keep(rows, location, row)

    def _keep(self, rows: _Rows, location: int, row: dict[str, Any]) -> None:
        """Append a row that passed its own rules, unless its id says otherwise."""
        table = rows.table
        index = len(rows.rows)
        if table.has_id:
            key = row["id"]
            seen = self.seen.get(key)
            if seen is None:
                self.seen[key] = _Seen(table.name, index, location)
            elif seen.table == table.name and seen.position >= 0 and self._same(seen, row):
                other_en, other_zh = self._describe(seen.location)
                self.issues.add(
                    IssueCode.DUPLICATE_ROW,
                    **self._located(location, table.name, "id"),
                    value=key,
                    other_en=other_en,
                    other_zh=other_zh,
                )
                rows.merged += 1
                return
            else:
                self._conflict(seen, key, location, table.name, this_valid=True)
                rows.rows.append(row)
                rows.locations.append(location)
                rows.state.append(_REJECTED)
                return
        rows.rows.append(row)
        rows.locations.append(location)
        rows.state.append(_VALID)

    def _same(self, seen: _Seen, row: dict[str, Any]) -> bool:
        rows = self.tables[seen.table]
        return rows.state[seen.position] == _VALID and rows.rows[seen.position] == row

    def _conflict(
        self, seen: _Seen, key: str, location: int, table: str, *, this_valid: bool
    ) -> None:
        """Reject every row using ``key``: the first one (once) and this one."""
        other_en, other_zh = self._describe(seen.location)
        if this_valid:
            self.issues.add(
                IssueCode.DUPLICATE_ID_CONFLICT,
                **self._located(location, table, "id"),
                value=key,
                other_en=other_en,
                other_zh=other_zh,
            )
        if seen.position >= 0 and key not in self.conflicted:
            first = self.tables[seen.table]
            if first.state[seen.position] == _VALID:
                first.state[seen.position] = _REJECTED
                this_en, this_zh = self._describe(location)
                self.issues.add(
                    IssueCode.DUPLICATE_ID_CONFLICT,
                    **self._at(first, seen.position, "id"),
                    value=key,
                    other_en=this_en,
                    other_zh=this_zh,
                )
        self.conflicted.add(key)
        self.rejected.add(key)

    def _invalid(self, rows: _Rows, location: int, data: dict[str, Any]) -> None:
        """Record a row that failed: its id, if readable, is rejected for everything using it
        (the row's own issues are already listed)."""
        key = cell_text_safe(data.get("id"))
        table = rows.table.name
        if table == "skills" and key is not None:
            aliases = data.get("aliases")
            try:
                alias_list = [] if aliases is None else split_multi(aliases)
            except PydanticCustomError:
                alias_list = []
            self.invalid_skills.append((key, cell_text_safe(data.get("name")), alias_list))
        if key is None or not rows.table.has_id:
            return
        seen = self.seen.get(key)
        if seen is None:
            self.seen[key] = _Seen(table, -1, location)
        else:
            self._conflict(seen, key, location, table, this_valid=False)
        self.rejected.add(key)

    # --- the existing graph -----------------------------------------------------------------

    def _consult_known(self) -> None:
        if self.known is None:
            return
        wanted: set[str] = set(self.seen)
        for rows in self.tables.values():
            fields = [c for c in rows.table.columns if c.kind in _LOOKED_UP]
            for index, row in enumerate(rows.rows):
                if rows.state[index] != _VALID:
                    continue
                for column in fields:
                    value = row[column.name]
                    if value is None:
                        continue
                    for target in value if column.multi else (value,):
                        if target not in self.seen:
                            wanted.add(target)
        batch = list(wanted)
        for start in range(0, len(batch), _KNOWN_BATCH):
            self.known_entities.update(self.known.entities(batch[start : start + _KNOWN_BATCH]))
        for key, entity in self.known_entities.items():
            seen = self.seen.get(key)
            if seen is None or seen.table == entity.table or seen.position < 0:
                continue
            rows = self.tables[seen.table]
            if rows.state[seen.position] != _VALID:
                continue
            rows.state[seen.position] = _REJECTED
            self.rejected.add(key)
            en, zh = (
                noun([entity.table]) if entity.table in TABLES else (entity.table, entity.table)
            )
            self.issues.add(
                IssueCode.DUPLICATE_ID_CONFLICT,
                **self._at(rows, seen.position, "id"),
                value=key,
                other_en=f"the graph ({en})",
                other_zh=f"图谱（{zh}）",
            )

    def _table_of(self, key: str) -> str | None:
        seen = self.seen.get(key)
        if seen is not None:
            return seen.table
        entity = self.known_entities.get(key)
        return None if entity is None else entity.table

    def _rank_of(self, key: str, region_ranks: Mapping[str, int]) -> int | None:
        if key in region_ranks:
            return region_ranks[key]
        if key in self.seen:
            return None  # a rejected region: the row is rejected for that instead
        entity = self.known_entities.get(key)
        if entity is None or entity.level not in _RANK:
            return None
        return _RANK[entity.level]

    # --- references ---------------------------------------------------------------------------

    def _check_references(self) -> None:
        regions = self.tables["regions"]
        region_ranks = {
            row["id"]: row["level_rank"]
            for i, row in enumerate(regions.rows)
            if regions.state[i] == _VALID
        }
        top_rank = min(region_ranks.values(), default=0)
        skills = self._resolve_skills()
        rejected = self.rejected
        for rows in self.tables.values():
            table = rows.table
            columns = [
                (c, c.ref_levels is None)
                for c in table.columns
                if c.kind is ColumnKind.REFERENCE and (table.name, c.name) not in _CHECKED_ELSEWHERE
            ]
            skill_columns = [c for c in table.columns if c.kind is ColumnKind.SKILL]
            is_region = table.name == "regions"
            for index, row in enumerate(rows.rows):
                if rows.state[index] != _VALID:
                    continue
                problems: list[tuple[IssueCode, str, Any, dict[str, Any]]] = []
                for column, plain in columns:
                    value = row[column.name]
                    if value is None:
                        continue
                    for target in value if column.multi else (value,):
                        # the common case, decided without a call: a valid row of the right table
                        seen = self.seen.get(target)
                        if (
                            plain
                            and seen is not None
                            and seen.table in column.refs
                            and target not in rejected
                        ):
                            continue
                        problem = self._reference(column, target, region_ranks)
                        if problem is not None:
                            problems.append((problem[0], column.name, target, problem[1]))
                for column in skill_columns:
                    self._skill_column(row, column, skills, problems)
                if is_region:
                    self._region_rules(row, region_ranks, top_rank, problems)
                if problems:
                    self._reject(rows, index, problems)

    def _reference(
        self, column: Column, target: str, region_ranks: Mapping[str, int]
    ) -> tuple[IssueCode, dict[str, Any]] | None:
        actual = self._table_of(target)
        if actual is None:
            return IssueCode.UNKNOWN_REFERENCE, {
                "where_en": self.where[0],
                "where_zh": self.where[1],
            }
        if actual not in column.refs:
            expected_en, expected_zh = noun(column.refs)
            actual_en, actual_zh = noun([actual]) if actual in TABLES else (actual, actual)
            return IssueCode.WRONG_REFERENCE_KIND, {
                "expected_en": expected_en,
                "expected_zh": expected_zh,
                "actual_en": actual_en,
                "actual_zh": actual_zh,
            }
        if target in self.rejected:
            return IssueCode.REFERENCE_REJECTED, {}
        if column.ref_levels is not None:
            rank = self._rank_of(target, region_ranks)
            if rank is not None and rank not in _ranks(column.ref_levels):
                levels = [lv for lv in RegionLevel if lv in column.ref_levels]
                labels = ENUM_LABELS[RegionLevel]
                level = list(RegionLevel)[rank]
                return IssueCode.WRONG_REFERENCE_KIND, {
                    "expected_en": "a " + ", ".join(lv.value for lv in levels) + " region",
                    "expected_zh": "、".join(labels[lv.value] for lv in levels) + "级区划",
                    "actual_en": f"a {level.value} region",
                    "actual_zh": f"{labels[level.value]}级区划",
                }
        return None

    def _region_rules(
        self,
        row: dict[str, Any],
        region_ranks: Mapping[str, int],
        top_rank: int,
        problems: list[tuple[IssueCode, str, Any, dict[str, Any]]],
    ) -> None:
        labels = ENUM_LABELS[RegionLevel]
        level = row["level"]
        parent = row["parent_id"]
        if parent is None:
            if row["level_rank"] > top_rank:
                top = list(RegionLevel)[top_rank].value
                problems.append(
                    (
                        IssueCode.MISSING_PARENT,
                        "parent_id",
                        None,
                        {
                            "level_en": level,
                            "level_zh": labels[level],
                            "top_en": top,
                            "top_zh": labels[top],
                        },
                    )
                )
            return
        if self._table_of(parent) != "regions":
            return  # reported as a reference problem
        rank = self._rank_of(parent, region_ranks)
        if rank is not None and rank >= row["level_rank"]:
            parent_level = list(RegionLevel)[rank].value
            problems.append(
                (
                    IssueCode.REGION_LEVEL_ORDER,
                    "parent_id",
                    parent,
                    {
                        "parent_level_en": parent_level,
                        "parent_level_zh": labels[parent_level],
                        "level_en": level,
                        "level_zh": labels[level],
                    },
                )
            )

    def _reject(
        self, rows: _Rows, index: int, problems: list[tuple[IssueCode, str, Any, dict[str, Any]]]
    ) -> None:
        rows.state[index] = _REJECTED
        if rows.table.has_id:
            self.rejected.add(rows.rows[index]["id"])
        for code, name, value, params in problems:
            self.issues.add(code, **self._at(rows, index, name), value=value, **params)

    # --- skills -------------------------------------------------------------------------------

    def _resolve_skills(self) -> dict[str, tuple[str | None, IssueCode | None, dict[str, Any]]]:
        """Resolve every distinct skill reference once: id, then name, then alias, dataset
        first, then the graph. Return value → (skill id, or the problem and its params)."""
        values: set[str] = set()
        for rows in (self.tables["person_skills"], self.tables["demands"]):
            for index, row in enumerate(rows.rows):
                if rows.state[index] != _VALID:
                    continue
                if "skill" in row:
                    values.add(row["skill"])
                else:
                    values.update(row["required_skills"])
        if not values:
            return {}
        names: dict[str, set[str]] = {}
        aliases: dict[str, set[str]] = {}
        skills = self.tables["skills"]
        for row in skills.rows:
            names.setdefault(normalize_name(row["name"]), set()).add(row["id"])
            for alias in row["aliases"]:
                aliases.setdefault(normalize_name(alias), set()).add(row["id"])
        for key, name, alias_list in self.invalid_skills:
            if name:
                names.setdefault(normalize_name(name), set()).add(key)
            for alias in alias_list:
                aliases.setdefault(normalize_name(alias), set()).add(key)
        resolved: dict[str, tuple[str | None, IssueCode | None, dict[str, Any]]] = {}
        pending: list[str] = []
        for value in values:
            if self._table_of(value) == "skills":
                resolved[value] = (value, None, {})
                continue
            folded = normalize_name(value)
            found = names.get(folded) or aliases.get(folded)
            if found:
                resolved[value] = _one_skill(found)
            else:
                pending.append(value)
        graph: Mapping[str, Collection[str]] = {}
        if pending and self.known is not None:
            graph = self.known.skills_by_name(pending)
        for value in pending:
            answer = graph.get(value, ())
            # one id given as a bare string must not become a set of its characters
            found_ids = {answer} if isinstance(answer, str) else set(answer)
            if found_ids:
                resolved[value] = _one_skill(found_ids)
            else:
                resolved[value] = (
                    None,
                    IssueCode.UNKNOWN_SKILL,
                    {"where_en": self.where[0], "where_zh": self.where[1]},
                )
        return resolved

    def _skill_column(
        self,
        row: dict[str, Any],
        column: Column,
        skills: Mapping[str, tuple[str | None, IssueCode | None, dict[str, Any]]],
        problems: list[tuple[IssueCode, str, Any, dict[str, Any]]],
    ) -> None:
        target = _SKILL_FIELDS[column.name]
        if column.multi:
            ids: list[str] = []
            for value in row[column.name]:
                found, code, params = skills[value]
                if code is not None:
                    problems.append((code, column.name, value, params))
                elif found is not None:
                    if found in self.rejected:
                        problems.append((IssueCode.REFERENCE_REJECTED, column.name, value, {}))
                    if found not in ids:
                        ids.append(found)
            row[target] = ids
        else:
            value = row.pop(column.name)
            found, code, params = skills[value]
            if code is not None:
                problems.append((code, column.name, value, params))
            elif found is not None and found in self.rejected:
                problems.append((IssueCode.REFERENCE_REJECTED, column.name, value, {}))
            row[target] = found

    # --- cycles and the cascade ---------------------------------------------------------------

    def _check_cycles(self) -> None:
        for rows in self.tables.values():
            if rows.table.parent_column is None:
                continue
            alive = {row["id"]: i for i, row in enumerate(rows.rows) if rows.state[i] == _VALID}
            parent_of = {
                key: rows.rows[i]["parent_id"]
                for key, i in alive.items()
                if rows.rows[i]["parent_id"] in alive
            }
            for cycle in _cycles(parent_of):
                shown = cycle if len(cycle) <= 8 else [*cycle[:7], "…"]
                text = " → ".join([*shown, cycle[0]])
                for key in cycle:
                    self._reject(
                        rows,
                        alive[key],
                        [(IssueCode.PARENT_CYCLE, "parent_id", parent_of[key], {"cycle": text})],
                    )

    def _cascade(self) -> None:
        """Reject rows referring to rejected rows until none is left."""
        plans = []
        for rows in self.tables.values():
            fields = [
                (c.name, c.multi, c.name)
                for c in rows.table.columns
                if c.kind is ColumnKind.REFERENCE
            ]
            fields += [
                (_SKILL_FIELDS[c.name], c.multi, c.name)
                for c in rows.table.columns
                if c.kind is ColumnKind.SKILL
            ]
            if fields:
                plans.append((rows, fields))
        rejected = self.rejected
        changed = True
        while changed:
            changed = False
            for rows, fields in plans:
                state = rows.state
                for index, row in enumerate(rows.rows):
                    if state[index] != _VALID:
                        continue
                    for name, multi, shown in fields:
                        value = row[name]
                        if value is None:
                            continue
                        hit = (
                            next((t for t in value if t in rejected), None)
                            if multi
                            else (value if value in rejected else None)
                        )
                        if hit is not None:
                            self._reject(
                                rows, index, [(IssueCode.REFERENCE_REJECTED, shown, hit, {})]
                            )
                            changed = True
                            break

    def _merge_keyless(self, rows: _Rows) -> None:
        """Merge identical repeats of a row without id; reject differing ones."""
        key_names = rows.table.key
        first: dict[tuple[Any, ...], int] = {}
        conflicted: set[tuple[Any, ...]] = set()
        for index, row in enumerate(rows.rows):
            if rows.state[index] != _VALID:
                continue
            key = tuple(row[name] for name in key_names)
            earlier = first.get(key)
            if earlier is None:
                first[key] = index
                continue
            shown = "/".join(str(part) for part in key)
            if key not in conflicted and rows.rows[earlier] == row:
                other_en, other_zh = self._describe(rows.locations[earlier])
                self.issues.add(
                    IssueCode.DUPLICATE_ROW,
                    **self._at(rows, index, key_names[0]),
                    value=shown,
                    other_en=other_en,
                    other_zh=other_zh,
                )
                rows.state[index] = _MERGED
                rows.merged += 1
                continue
            this_en, this_zh = self._describe(rows.locations[index])
            if key not in conflicted:
                conflicted.add(key)
                other_en, other_zh = self._describe(rows.locations[earlier])
                rows.state[earlier] = _REJECTED
                self.issues.add(
                    IssueCode.DUPLICATE_ID_CONFLICT,
                    **self._at(rows, earlier, key_names[0]),
                    value=shown,
                    other_en=this_en,
                    other_zh=this_zh,
                )
            other_en, other_zh = self._describe(rows.locations[earlier])
            rows.state[index] = _REJECTED
            self.issues.add(
                IssueCode.DUPLICATE_ID_CONFLICT,
                **self._at(rows, index, key_names[0]),
                value=shown,
                other_en=other_en,
                other_zh=other_zh,
            )

    # --- results ------------------------------------------------------------------------------

    def _output(self) -> dict[str, list[dict[str, Any]]]:
        tables: dict[str, list[dict[str, Any]]] = {}
        for name, rows in self.tables.items():
            kept = [row for i, row in enumerate(rows.rows) if rows.state[i] == _VALID]
            if rows.table.parent_column is not None:
                kept = _parents_first(kept)
            tables[name] = kept
        return tables

    def _report(self) -> Report:
        stats = {}
        for name, rows in self.tables.items():
            valid = rows.state.count(_VALID)
            stats[name] = TableStats(
                rows_read=rows.read,
                rows_valid=valid,
                rows_rejected=rows.read - valid - rows.merged,
                rows_merged=rows.merged,
            )
        return Report(
            source=str(self.dataset.root),
            checksum=self.dataset.checksum,
            stats=stats,
            issues=tuple(self.issues.listed),
            issue_count=self.issues.errors + self.issues.warnings,
            error_count=self.issues.errors,
            warning_count=self.issues.warnings,
            counts=dict(self.issues.counts),
            files=self.dataset.files,
        )


# --- helpers ------------------------------------------------------------------------------------

_CODES: Final = frozenset(code.value for code in IssueCode)
_PARSERS: Final = {name: RowParser(model) for name, model in ROW_MODELS.items()}
_LOOKED_UP: Final = frozenset({ColumnKind.REFERENCE, ColumnKind.SKILL})


def cell_text_safe(value: Any) -> str | None:
    """Return a cell as text like :func:`ingest.rows.cell_text`, or None where it has none."""
    try:
        return cell_text(value)
    except PydanticCustomError:
        return None


def _inert(value: Any) -> Any:
    """Keep a spreadsheet from running a cell copied from the data as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _mask(text: str) -> str:
    """Hide the middle of personal numbers (phones, ID numbers) shown in a report."""
    if len(text) <= 4:
        return "*" * len(text)
    keep = min(3, len(text) // 4)
    return text[:keep] + "*" * (len(text) - 2 * keep) + text[-keep:]


def _picker(indices: list[int]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """Return a function taking the cells at ``indices`` out of a row, as a tuple, in C."""
    if len(indices) == 1:
        only = indices[0]
        return lambda cells: (cells[only],)
    if not indices:
        return lambda cells: ()
    return itemgetter(*indices)


def _json_length(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return max((_json_length(v) for v in value), default=0)
    return 0


def _json_too_long(value: Any) -> bool:
    return _json_length(value) > MAX_CELL_CHARS


def _json_text(value: Any) -> str:
    text = cell_text_safe(value)
    if text is None:
        return json.dumps(value, ensure_ascii=False)
    return text


@cache
def _ranks(levels: frozenset[RegionLevel]) -> frozenset[int]:
    return frozenset(_RANK[level.value] for level in levels)


def _one_skill(ids: Collection[str]) -> tuple[str | None, IssueCode | None, dict[str, Any]]:
    if len(ids) == 1:
        return next(iter(ids)), None, {}
    return None, IssueCode.AMBIGUOUS_SKILL, {"candidates": ", ".join(sorted(ids)[:8])}


def _row_rules(table: str, row: dict[str, Any]) -> list[tuple[IssueCode, str, Any, dict[str, Any]]]:
    """Return the problems of a parsed row with rules spanning its columns."""
    problems: list[tuple[IssueCode, str, Any, dict[str, Any]]] = []
    if "lat" in row and (row["lat"] is None) != (row["lon"] is None):
        missing = "lon" if row["lon"] is None else "lat"
        given = "lat" if missing == "lon" else "lon"
        problems.append(
            (
                IssueCode.INVALID_COORDINATE,
                missing,
                None,
                {
                    "reason_en": f"{given} is given without {missing}; a point needs both",
                    "reason_zh": f"只填了{given}而缺少{missing}，坐标需同时填写经纬度",
                },
            )
        )
    for earlier, later in _DATE_PAIRS.get(table, ()):
        first, last = row[earlier], row[later]
        if first is not None and last is not None and last < first:
            problems.append(
                (
                    IssueCode.DATE_ORDER,
                    later,
                    last.isoformat(),
                    {"other_column": earlier, "other_value": first.isoformat()},
                )
            )
    if table == "people" and row["is_party_member"] and row["party_org_id"] is None:
        problems.append((IssueCode.MEMBER_WITHOUT_PARTY_ORG, "party_org_id", None, {}))
    elif table == "agreements":
        parties = row["party_ids"]
        if len(parties) < 2:
            problems.append(
                (IssueCode.AGREEMENT_TOO_FEW_PARTIES, "party_ids", parties, {"count": len(parties)})
            )
        lead = row["lead_id"]
        if lead is not None and lead not in parties:
            problems.append(
                (IssueCode.LEAD_NOT_A_PARTY, "lead_id", lead, {"other_column": "party_ids"})
            )
    return problems


def _cycles(parent_of: Mapping[str, str]) -> Iterator[list[str]]:
    """Yield each cycle of a parent map once, as the ids along it. O(n)."""
    state: dict[str, int] = {}  # 1 on the current walk, 2 finished
    for start in parent_of:
        if start in state:
            continue
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in state:
            state[node] = 1
            path.append(node)
            node = parent_of.get(node)
        if node is not None and state[node] == 1:
            yield path[path.index(node) :]
        for visited in path:
            state[visited] = 2


def _parents_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return rows ordered by depth in their parent chain (stable within a depth)."""
    parent_of = {row["id"]: row["parent_id"] for row in rows}
    depth: dict[str, int] = {}
    for start in parent_of:
        chain: list[str] = []
        node = start
        while node not in depth:
            chain.append(node)
            parent = parent_of.get(node)
            if parent is None or parent not in parent_of:
                base = -1
                break
            node = parent
        else:
            base = depth[node]
        for key in reversed(chain):
            base += 1
            depth[key] = base
    return sorted(rows, key=lambda row: depth[row["id"]])
