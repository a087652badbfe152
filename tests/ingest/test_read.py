"""Reading datasets: encodings, workbooks, JSON lines, folders and single files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from ingest.errors import SourceNotFoundError, UnsupportedSourceError
from ingest.read import open_dataset
from ingest.validate import validate_dataset
from tests.ingest.builders import (
    assert_messages,
    base,
    issues,
    only_issue,
    write_csv,
    write_dataset,
    write_jsonl,
)

SKILLS = [
    {"id": "SK1", "name": "法律服务类", "aliases": "法律类"},
    {"id": "SK2", "name": "矛盾调解", "parent_id": "SK1", "aliases": "纠纷调解；人民调解员"},
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_encodings_decode_to_the_right_chinese(tmp_path: Path, encoding: str) -> None:
    chinese = {"id": "编号", "name": "名称", "parent_id": "上级类别", "aliases": "别名"}
    rows = [{chinese[k]: v for k, v in row.items()} for row in SKILLS]
    write_csv(tmp_path / "技能.csv", rows, header=list(chinese.values()), encoding=encoding)
    result = validate_dataset(tmp_path)
    assert result.report.valid, result.report.issues
    assert result.tables["skills"] == [
        {"id": "SK1", "name": "法律服务类", "parent_id": None, "aliases": ["法律类"]},
        {
            "id": "SK2",
            "name": "矛盾调解",
            "parent_id": "SK1",
            "aliases": ["纠纷调解", "人民调解员"],
        },
    ]
    expected = {"utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig"}.get(encoding, "gb18030")
    assert [f.encoding for f in result.report.files] == [expected]


def test_gb18030_file_is_not_read_as_utf8(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "skills.csv", SKILLS, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    (file,) = open_dataset(tmp_path).files
    assert file.encoding == "gb18030"


def test_a_guessed_encoding_is_a_warning(tmp_path: Path) -> None:
    # UTF-16 with BOM: neither UTF-8 nor GB18030, but unambiguous to a detector.
    text = "id,name\r\nSK1,法律服务类\r\nSK2,矛盾调解\r\n"
    (tmp_path / "skills.csv").write_bytes(text.encode("utf-16"))
    result = validate_dataset(tmp_path)
    issue = only_issue(result, "encoding-guessed")
    assert issue.severity == "warning"
    assert issue.file == "skills.csv"
    assert [row["name"] for row in result.tables["skills"]] == ["法律服务类", "矛盾调解"]


def test_undecodable_file_is_never_garbled(tmp_path: Path) -> None:
    (tmp_path / "skills.csv").write_bytes(b"id,name\n" + bytes(range(128, 256)) * 40)
    result = validate_dataset(tmp_path)
    issue = only_issue(result, "encoding-unknown")
    assert (issue.file, issue.table, issue.row, issue.severity) == (
        "skills.csv",
        "skills",
        None,
        "error",
    )
    assert_messages(issue, "GB18030")
    assert result.tables["skills"] == []
    assert not result.report.valid


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_workbook_typed_cells(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "data.xlsx",
        {
            "资源使用记录": [
                ["资源编号", "使用方", "使用日期", "效果评价"],
                [1001, "DM-1", dt.date(2025, 3, 26), 5],
                ["1002", "DM-1", dt.datetime(2025, 3, 27, 0, 0), 4.0],
            ],
        },
    )
    part = open_dataset(path).parts[0]
    rows = list(part.records())
    assert rows[1][1][2] == dt.date(2025, 3, 26)  # a real date cell
    result = validate_dataset(path)
    # the ids refer to nothing in this one-sheet dataset; the typed values are what is checked
    assert {i.code for i in result.report.issues} == {"unknown-reference"}
    assert {(i.row, i.column, i.value) for i in issues(result, "unknown-reference")} == {
        (2, "资源编号", "1001"),
        (2, "使用方", "DM-1"),
        (3, "资源编号", "1002"),
        (3, "使用方", "DM-1"),
    }


def test_workbook_rows_keep_their_spreadsheet_numbers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "技能"
    sheet["B3"], sheet["C3"] = "编号", "名称"  # header on row 3, starting in column B
    sheet["B4"], sheet["C4"] = "SK1", "法律服务类"
    sheet["B6"], sheet["C6"] = "SK2", ""  # row 5 blank; row 6 misses its name
    book.save(tmp_path / "book.xlsx")
    result = validate_dataset(tmp_path / "book.xlsx")
    issue = only_issue(result, "missing-required")
    assert (issue.file, issue.sheet, issue.row, issue.column) == ("book.xlsx", "技能", 6, "名称")
    assert [r["id"] for r in result.tables["skills"]] == ["SK1"]


def test_workbook_unknown_and_blank_sheets(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "data.xlsx",
        {"技能": [["id", "name"], ["SK1", "法律"]], "说明": [["这是说明"]], "Sheet2": []},
    )
    result = validate_dataset(path)
    issue = only_issue(result, "unknown-table")
    assert (issue.sheet, issue.value, issue.severity) == ("说明", "说明", "warning")
    assert_messages(issue, "说明")
    assert result.report.valid


def test_jsonl_arrays_and_typed_values(tmp_path: Path) -> None:
    tables = base()
    demand = dict(tables["demands"][0])
    tables["demands"] = []
    write_dataset(tmp_path, tables)
    (tmp_path / "demands.csv").unlink()
    demand.update(
        required_skills=["SK2", "法律援助咨询"],
        assignee_ids=["P-1"],
        resource_ids=["RS-1"],
        urgency=4,
        affected_people=12,
        required_resource_kinds=["venue", "资金"],
    )
    write_jsonl(tmp_path / "诉求.jsonl", [demand])
    result = validate_dataset(tmp_path)
    assert result.report.valid, result.report.issues
    (row,) = result.tables["demands"]
    assert row["required_skill_ids"] == ["SK2"]
    assert row["required_resource_kinds"] == ["venue", "fund"]
    assert (row["urgency"], row["affected_people"]) == (4, 12)


def test_jsonl_and_csv_mean_the_same(tmp_path: Path) -> None:
    tables = base()
    csv_dir = write_dataset(tmp_path / "csv", tables)
    json_dir = tmp_path / "jsonl"
    json_dir.mkdir()
    for name, rows in tables.items():
        converted = []
        for row in rows:
            out: dict[str, object] = {}
            for key, value in row.items():
                out[key] = value.split(";") if ";" in value else value
            converted.append(out)
        write_jsonl(json_dir / f"{name}.jsonl", converted)
    assert validate_dataset(csv_dir).tables == validate_dataset(json_dir).tables


def test_jsonl_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "skills.jsonl").write_text(
        '{"id": "SK1", "name": "法律"}\n\n[1, 2]\n{"id": "SK2", "name": \n',
        encoding="utf-8",
    )
    result = validate_dataset(tmp_path)
    found = issues(result, "invalid-json")
    assert [(i.row, i.table) for i in found] == [(3, "skills"), (4, "skills")]
    for issue in found:
        assert_messages(issue)
    assert [r["id"] for r in result.tables["skills"]] == ["SK1"]


def test_a_single_csv_file_is_a_dataset(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "skills.csv", SKILLS)
    result = validate_dataset(path)
    assert result.report.valid
    assert len(result.tables["skills"]) == 2


def test_folder_mixes_formats_and_ignores_other_files(tmp_path: Path) -> None:
    write_csv(tmp_path / "skills.csv", SKILLS[:1])
    _workbook(
        tmp_path / "more.xlsx", {"技能": [["id", "name", "parent_id"], ["SK2", "矛盾调解", "SK1"]]}
    )
    (tmp_path / "README.md").write_text("notes", encoding="utf-8")
    (tmp_path / "~$more.xlsx").write_bytes(b"lock")
    (tmp_path / ".hidden.csv").write_text("x", encoding="utf-8")
    result = validate_dataset(tmp_path)
    assert result.report.valid, result.report.issues
    assert [r["id"] for r in result.tables["skills"]] == ["SK1", "SK2"]
    assert sorted(f.name for f in result.report.files) == ["more.xlsx", "skills.csv"]


def test_unknown_table_file(tmp_path: Path) -> None:
    write_csv(tmp_path / "skills.csv", SKILLS)
    write_csv(tmp_path / "volunteers.csv", [{"id": "V1"}], header=["id"])
    result = validate_dataset(tmp_path)
    issue = only_issue(result, "unknown-table")
    assert (issue.file, issue.value, issue.severity) == ("volunteers.csv", "volunteers", "warning")
    assert result.report.valid


def test_no_tables(tmp_path: Path) -> None:
    write_csv(tmp_path / "notes.csv", [{"a": "1"}], header=["a"])
    result = validate_dataset(tmp_path)
    assert {i.code for i in result.report.issues} == {"unknown-table", "no-tables"}
    assert not result.report.valid


def test_missing_and_unsupported_sources(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError):
        validate_dataset(tmp_path / "nowhere")
    (tmp_path / "data.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UnsupportedSourceError):
        validate_dataset(tmp_path / "data.txt")


def test_corrupt_workbook_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    result = validate_dataset(tmp_path)
    issue = only_issue(result, "unreadable-file")
    assert issue.file == "broken.xlsx"
    assert_messages(issue)
