"""The shared sample: its CSV folder (English) and its workbook (Chinese) mean the same thing."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest

from graph.model import RegionLevel
from ingest.contract import TABLES
from ingest.validate import ValidatedDataset, validate_dataset

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "sample"
CSV_DIR = SAMPLE / "csv"
WORKBOOK = SAMPLE / "workbook.xlsx"


@pytest.fixture(scope="module")
def from_csv() -> ValidatedDataset:
    return validate_dataset(CSV_DIR)


@pytest.fixture(scope="module")
def from_workbook() -> ValidatedDataset:
    return validate_dataset(WORKBOOK)


def _csv_rows(table: str) -> list[dict[str, str]]:
    with (CSV_DIR / f"{table}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=repr)


@pytest.mark.parametrize("dataset", ["from_csv", "from_workbook"])
def test_sample_has_no_issue(dataset: str, request: pytest.FixtureRequest) -> None:
    result: ValidatedDataset = request.getfixturevalue(dataset)
    assert result.report.valid
    assert result.report.issues == ()
    for table in TABLES:
        stats = result.report.stats[table]
        expected = len(_csv_rows(table))
        assert (stats.rows_read, stats.rows_valid, stats.rows_rejected, stats.rows_merged) == (
            expected,
            expected,
            0,
            0,
        )


def test_csv_and_workbook_give_identical_tables(
    from_csv: ValidatedDataset, from_workbook: ValidatedDataset
) -> None:
    assert from_csv.tables.keys() == from_workbook.tables.keys() == TABLES.keys()
    for table in TABLES:
        assert _sorted(from_csv.tables[table]) == _sorted(from_workbook.tables[table]), table


def test_every_row_is_kept_with_its_id(from_csv: ValidatedDataset) -> None:
    for table in TABLES.values():
        if table.has_id:
            assert {r["id"] for r in from_csv.tables[table.name]} == {
                r["id"] for r in _csv_rows(table.name)
            }


def test_regions_carry_their_rank_and_come_parents_first(from_csv: ValidatedDataset) -> None:
    seen: set[str] = set()
    for row in from_csv.tables["regions"]:
        assert row["level_rank"] == RegionLevel(row["level"]).rank
        assert row["parent_id"] is None or row["parent_id"] in seen
        seen.add(row["id"])


@pytest.mark.parametrize("table", ["party_orgs", "skills"])
def test_self_referencing_tables_come_parents_first(from_csv: ValidatedDataset, table: str) -> None:
    ids = {row["id"] for row in from_csv.tables[table]}
    seen: set[str] = set()
    for row in from_csv.tables[table]:
        parent = row["parent_id"]
        assert parent is None or parent not in ids or parent in seen
        seen.add(row["id"])


def test_skill_references_resolve_to_skill_ids(from_csv: ValidatedDataset) -> None:
    skills = {row["id"]: row for row in from_csv.tables["skills"]}
    spelling = {s["id"]: {s["id"], s["name"], *s["aliases"]} for s in skills.values()}
    raw = _csv_rows("person_skills")
    assert len(from_csv.tables["person_skills"]) == len(raw)
    by_key = {(r["person_id"], r["skill_id"]) for r in from_csv.tables["person_skills"]}
    for row in raw:
        matches = [sid for sid, names in spelling.items() if row["skill"] in names]
        assert len(matches) == 1
        assert (row["person_id"], matches[0]) in by_key
    for row in from_csv.tables["person_skills"]:
        assert "skill" not in row
    for demand in from_csv.tables["demands"]:
        assert len(demand["required_skill_ids"]) == len(demand["required_skills"])
        assert all(sid in skills for sid in demand["required_skill_ids"])


def test_new_employment_group_follows_occupation(from_csv: ValidatedDataset) -> None:
    from graph.model import NEW_EMPLOYMENT_OCCUPATIONS

    raw = {r["id"]: r for r in _csv_rows("people")}
    for person in from_csv.tables["people"]:
        flag = raw[person["id"]]["new_employment_group"].lower() == "true"
        assert person["new_employment_group"] is (
            flag or raw[person["id"]]["occupation"] in NEW_EMPLOYMENT_OCCUPATIONS
        )


def test_checksum_is_order_independent_and_content_bound(
    tmp_path: Path, from_csv: ValidatedDataset
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(CSV_DIR, copy)
    assert validate_dataset(copy).report.checksum == from_csv.report.checksum
    renamed = tmp_path / "renamed"
    shutil.copytree(CSV_DIR, renamed)
    (renamed / "people.csv").rename(renamed / "人员.csv")
    assert validate_dataset(renamed).report.checksum == from_csv.report.checksum
    changed = tmp_path / "changed"
    shutil.copytree(CSV_DIR, changed)
    with (changed / "skills.csv").open("a", encoding="utf-8") as handle:
        handle.write("SK9999,新技能,,\n")
    assert validate_dataset(changed).report.checksum != from_csv.report.checksum


def test_typed_values(from_csv: ValidatedDataset) -> None:
    import datetime as dt

    demand = from_csv.tables["demands"][0]
    assert isinstance(demand["created_at"], dt.datetime)
    assert demand["created_at"].tzinfo is not None
    usage = from_csv.tables["resource_usages"][0]
    assert type(usage["used_on"]) is dt.date
    resource = from_csv.tables["resources"][0]
    assert isinstance(resource["scenarios"], list)
    assert isinstance(resource["shareable"], bool)
    for row in from_csv.tables["organizations"]:
        assert type(row["kind"]) is str  # plain codes, not enum members


def test_sample_unified_social_credit_codes() -> None:
    from ingest.rows import USCC_ALPHABET, looks_like_uscc, uscc_check_character

    codes = [r["id"] for r in _csv_rows("organizations") if looks_like_uscc(r["id"])]
    assert codes
    for code in codes:
        assert uscc_check_character(code[:17]) == code[17]
        for position in (0, 9, 16, 17):
            ch = code[position]
            other = USCC_ALPHABET[(USCC_ALPHABET.index(ch) + 1) % len(USCC_ALPHABET)]
            flipped = code[:position] + other + code[position + 1 :]
            assert uscc_check_character(flipped[:17]) != flipped[17]


def test_chinese_labels_and_typed_cells_mean_the_same(
    tmp_path: Path, from_csv: ValidatedDataset
) -> None:
    """The sample rewritten the way a Chinese office would type it: Chinese sheet and column
    names, Chinese enumeration labels, 是/否, real date cells and numbers, 、 between items."""
    import datetime as dt

    import openpyxl

    from ingest.contract import ENUM_LABELS, ColumnKind

    book = openpyxl.Workbook()
    book.remove(book.active)
    for table in TABLES.values():
        sheet = book.create_sheet(table.alias)
        sheet.append([column.alias for column in table.columns])
        for raw in _csv_rows(table.name):
            cells: list[object] = []
            for column in table.columns:
                text = raw[column.name]
                value: object = text
                if not text:
                    value = None
                elif column.kind is ColumnKind.ENUM:
                    assert column.enum is not None
                    labels = ENUM_LABELS[column.enum]
                    value = "、".join(labels[item] for item in text.split(";"))
                elif column.kind is ColumnKind.BOOLEAN:
                    value = "是" if text == "true" else "否"
                elif column.kind is ColumnKind.DATE:
                    value = dt.date.fromisoformat(text)
                elif column.kind in (ColumnKind.INTEGER, ColumnKind.NUMBER):
                    value = float(text)
                elif column.multi:
                    value = "，".join(text.split(";"))
                cells.append(value)
            sheet.append(cells)
    path = tmp_path / "中文.xlsx"
    book.save(path)
    result = validate_dataset(path)
    assert result.report.valid, result.report.issues[:5]
    for name in TABLES:
        assert _sorted(result.tables[name]) == _sorted(from_csv.tables[name]), name
