"""Hostile and broken input never crashes validation and never turns into anything but text."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from neo4j import Driver
from pydantic_core import PydanticCustomError

from cobuild.settings import Settings
from ingest.contract import MAX_CELL_CHARS, TABLES, ColumnKind
from ingest.pipeline import run_ingest
from ingest.rows import split_multi
from ingest.validate import validate_dataset
from tests.hostile import DETACH_DELETE, HOSTILE
from tests.ingest.builders import (
    assert_messages,
    base,
    issues,
    only_issue,
    write_csv,
    write_dataset,
    write_jsonl,
)

CYPHER = DETACH_DELETE
SCRIPT = "<script>alert('党建')</script>"
FORMULA = '=HYPERLINK("http://example.invalid")'


def test_injection_looking_text_is_kept_as_inert_text(tmp_path: Path) -> None:
    tables = base()
    tables["organizations"][0]["name"] = CYPHER
    tables["organizations"][1]["address"] = SCRIPT
    tables["resources"][0]["scenarios"] = f"{SCRIPT};{CYPHER}"
    tables["skills"][1]["aliases"] = FORMULA
    result = validate_dataset(write_dataset(tmp_path, tables))
    assert result.report.valid, result.report.issues
    orgs = {row["id"]: row for row in result.tables["organizations"]}
    assert orgs["ORG-1"]["name"] == CYPHER
    assert orgs["ORG-2"]["address"] == SCRIPT
    assert result.tables["resources"][0]["scenarios"] == [SCRIPT, CYPHER]
    assert result.tables["skills"][1]["aliases"] == [FORMULA]


def test_hostile_ids_are_plain_ids(tmp_path: Path) -> None:
    tables = base()
    tables["skills"].append({"id": CYPHER, "name": SCRIPT, "parent_id": "SK1"})
    tables["person_skills"].append({"person_id": "P-2", "skill": SCRIPT})
    result = validate_dataset(write_dataset(tmp_path, tables))
    assert result.report.valid, result.report.issues
    assert result.tables["person_skills"][-1]["skill_id"] == CYPHER


def test_ten_megabyte_cell_is_cell_too_long(tmp_path: Path) -> None:
    tables = base()
    huge = "长" * (10 * 1024 * 1024)
    tables["people"][1]["occupation"] = huge
    result = validate_dataset(write_dataset(tmp_path, tables))
    issue = only_issue(result, "cell-too-long")
    assert (issue.table, issue.row, issue.column) == ("people", 3, "occupation")
    assert issue.value is not None
    assert len(issue.value) <= 200
    assert_messages(issue, str(len(huge)), str(MAX_CELL_CHARS))
    assert len(result.report.to_json()) < 100_000
    assert {row["id"] for row in result.tables["people"]} == {"P-1"}


def test_huge_cell_in_an_unknown_column_and_in_jsonl(tmp_path: Path) -> None:
    huge = "x" * (MAX_CELL_CHARS + 1)
    write_csv(tmp_path / "skills.csv", [{"id": "SK1", "name": "法律", "note": huge}])
    write_jsonl(tmp_path / "regions.jsonl", [{"id": "R1", "name": huge, "level": "city"}])
    result = validate_dataset(tmp_path)
    found = {(i.table, i.column) for i in issues(result, "cell-too-long")}
    assert found == {("skills", "note"), ("regions", "name")}
    assert result.tables["skills"] == []
    assert result.tables["regions"] == []


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "skills.csv").write_bytes(b"")
    (tmp_path / "regions.csv").write_bytes(b"\xef\xbb\xbf\r\n")
    (tmp_path / "people.jsonl").write_text("\n\n", encoding="utf-8")
    result = validate_dataset(tmp_path)
    found = issues(result, "empty-file")
    assert sorted(str(i.file) for i in found) == ["people.jsonl", "regions.csv", "skills.csv"]
    for issue in found:
        assert issue.row is None
        assert issue.severity == "error"
        assert_messages(issue)
    assert not result.report.valid


def test_header_only_file(tmp_path: Path) -> None:
    write_csv(tmp_path / "skills.csv", [], header=["id", "name"])
    result = validate_dataset(tmp_path)
    issue = only_issue(result, "no-rows")
    assert (issue.table, issue.file, issue.severity) == ("skills", "skills.csv", "warning")
    assert_messages(issue)
    assert result.report.valid


def test_ragged_rows(tmp_path: Path) -> None:
    (tmp_path / "skills.csv").write_text(
        "id,name,parent_id\nSK1,法律服务类,\nSK2,法律咨询\nSK3,调解,SK1,多余\nSK4,心理,SK1,,\n",
        encoding="utf-8",
    )
    result = validate_dataset(tmp_path)
    found = issues(result, "ragged-row")
    assert [(i.row, i.column) for i in found] == [(3, None), (4, None)]
    for issue in found:
        assert_messages(issue, "3")
    # trailing empty cells are not raggedness
    assert [row["id"] for row in result.tables["skills"]] == ["SK1", "SK4"]


def test_nul_bytes_and_control_characters(tmp_path: Path) -> None:
    (tmp_path / "skills.csv").write_bytes("id,name\nSK1,法\x00律\nSK2,\x1b[31m红\n".encode())
    result = validate_dataset(tmp_path)
    assert [row["name"] for row in result.tables["skills"]] == ["法\x00律", "\x1b[31m红"]


def test_deeply_nested_json_is_a_bad_line(tmp_path: Path) -> None:
    (tmp_path / "skills.jsonl").write_text(
        "[" * 100_000 + "]" * 100_000 + "\n" + json.dumps({"id": "SK1", "name": "法律"}) + "\n",
        encoding="utf-8",
    )
    result = validate_dataset(tmp_path)
    assert only_issue(result, "invalid-json").row == 1
    assert [row["id"] for row in result.tables["skills"]] == ["SK1"]


def test_unbalanced_quote_swallows_the_rest_without_crashing(tmp_path: Path) -> None:
    body = 'id,name\nSK1,"法律\n' + "SK2,调解\n" * 2000
    (tmp_path / "skills.csv").write_text(body, encoding="utf-8")
    result = validate_dataset(tmp_path)
    assert only_issue(result, "cell-too-long").row == 2
    assert result.tables["skills"] == []


def test_report_csv_is_inert_in_a_spreadsheet(tmp_path: Path) -> None:
    tables = base()
    tables["people"][1]["is_party_member"] = FORMULA
    result = validate_dataset(write_dataset(tmp_path / "data", tables))
    out = tmp_path / "report.csv"
    result.report.write(out)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    (row,) = rows
    assert row["code"] == "invalid-boolean"
    assert row["value"] == "'" + FORMULA


def test_hostile_header_is_clipped(tmp_path: Path) -> None:
    header = "列" * 50_000
    write_csv(tmp_path / "skills.csv", [{"id": "SK1", "name": "法律", header: "x"}])
    result = validate_dataset(tmp_path)
    issue = only_issue(result, "unknown-column")
    assert issue.column is not None
    assert len(issue.column) <= 200
    assert len(issue.message_en) < 400
    assert len(issue.message_zh) < 400


def _values(row: dict[str, Any]) -> list[Any]:
    flat: list[Any] = []
    for value in row.values():
        flat += value if isinstance(value, list) else [value]
    return flat


def _parts(text: str) -> list[str]:
    try:
        return split_multi(text)
    except PydanticCustomError:  # refused as a cell (below)
        return [text]


def test_every_column_keeps_hostile_text_verbatim_or_refuses_it_with_a_code(
    tmp_path: Path,
) -> None:
    """The whole hostile corpus in every column of every table: each value either comes
    out of validation verbatim (as text, to be written as a parameter; a blank one as missing)
    or is refused with a coded issue on that cell or its row; nothing crashes."""
    checked = 0
    for table in TABLES.values():
        if not base().get(table.name):
            continue
        for column in table.columns:
            for n, text in enumerate(HOSTILE):
                tables = base()
                tables[table.name][0][column.name] = text
                result = validate_dataset(
                    write_dataset(tmp_path / f"{table.name}-{column.name}-{n}", tables)
                )
                if not text.strip():  # a blank cell is a missing value: its row is kept whole
                    kept = len(result.tables[table.name]) == len(tables[table.name])
                else:  # a list column keeps each of the parts its separators cut the text into
                    parts = _parts(text) if column.multi else [text]
                    kept = any(
                        all(part in _values(row) for part in parts)
                        for row in result.tables[table.name]
                    )
                refused = [
                    i
                    for i in result.report.issues
                    # the cell itself, or the row refused for what the value did to it
                    if i.table == table.name and i.code and (i.column == column.name or i.row == 2)
                ]
                assert kept or refused, (table.name, column.name, text[:30])
                checked += 1
    assert checked >= 60 * len(HOSTILE)


def test_hostile_text_in_every_text_column_is_written_as_data(
    empty_graph: Driver, neo4j_settings: Settings, tmp_path: Path
) -> None:
    """Every free-text column of a real load holds an injection attempt: the load writes them
    verbatim, and a canary node outside the dataset survives."""
    db = neo4j_settings.neo4j_database
    empty_graph.execute_query("CREATE (:Canary {id: 'canary'})", database_=db)
    tables = base()
    poisoned: list[tuple[str, str, str]] = []
    for table in TABLES.values():
        rows = tables.get(table.name) or []
        for column in table.columns:
            if column.kind is ColumnKind.TEXT and rows and not column.multi:
                text = f"{CYPHER} {table.name}.{column.name}"
                rows[0][column.name] = text
                poisoned.append((table.name, column.name, text))
    assert len(poisoned) >= 8
    result = run_ingest(neo4j_settings, write_dataset(tmp_path, tables), driver=empty_graph)
    assert result.valid, result.report.issues[:3]
    for table_name, column_name, text in poisoned:
        records, _, _ = empty_graph.execute_query(
            "MATCH (n) WHERE any(k IN keys(n) WHERE n[k] = $text) RETURN count(n) AS n",
            text=text,
            database_=db,
        )
        assert records[0]["n"] == 1, (table_name, column_name)
    records, _, _ = empty_graph.execute_query(
        "MATCH (c:Canary {id: 'canary'}) DELETE c RETURN count(c) AS n", database_=db
    )
    assert records[0]["n"] == 1
