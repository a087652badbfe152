"""The issue vocabulary and the report: every code has both messages; JSON and CSV output."""

from __future__ import annotations

import csv
import json
import re
import string
from pathlib import Path

import pytest

from ingest.errors import TEMPLATES, VALUE_CHARS, Issue, IssueCode
from ingest.validate import validate_dataset
from tests.ingest.builders import base, write_dataset

_KEBAB = re.compile(r"[a-z]+(-[a-z]+)*")


def test_every_code_is_kebab_case_with_both_messages() -> None:
    assert set(TEMPLATES) == set(IssueCode)
    for code, template in TEMPLATES.items():
        assert _KEBAB.fullmatch(code.value)
        assert template.severity in ("error", "warning")
        en = {name for _, name, _, _ in string.Formatter().parse(template.en) if name}
        zh = {name for _, name, _, _ in string.Formatter().parse(template.zh) if name}
        # the two languages say the same thing, so they need the same facts (zh may omit the
        # English-only ones and vice versa, but never invent a fact of its own)
        assert {n.removesuffix("_zh") for n in zh} <= {n.removesuffix("_en") for n in en} | {
            "table"
        }, code


def test_the_brief_codes_exist() -> None:
    required = [
        "missing-required",
        "invalid-enum",
        "invalid-boolean",
        "invalid-date",
        "invalid-number",
        "out-of-range",
        "invalid-uscc",
        "invalid-phone",
        "invalid-coordinate",
        "unknown-reference",
        "wrong-reference-kind",
        "reference-rejected",
        "region-level-order",
        "parent-cycle",
        "duplicate-id-conflict",
        "member-without-party-org",
        "agreement-too-few-parties",
        "lead-not-a-party",
        "date-order",
        "ambiguous-skill",
        "unknown-skill",
        "cell-too-long",
        "ragged-row",
        "empty-file",
        "no-rows",
        "unknown-column",
        "unknown-table",
        "missing-column",
        "encoding-unknown",
        "unreadable-file",
    ]
    assert set(required) <= {code.value for code in IssueCode}
    assert TEMPLATES[IssueCode.NO_ROWS].severity == "warning"
    assert TEMPLATES[IssueCode.UNKNOWN_COLUMN].severity == "warning"
    assert TEMPLATES[IssueCode.UNKNOWN_TABLE].severity == "warning"


def test_issue_values_are_clipped() -> None:
    issue = Issue.create(IssueCode.INVALID_ENUM, column="level", value="乡" * 10_000, allowed="x")
    assert issue.value is not None
    assert len(issue.value) == VALUE_CHARS
    assert len(issue.message_en) < 300
    assert len(issue.message_zh) < 300


def test_missing_parameters_do_not_crash() -> None:
    issue = Issue.create(IssueCode.DATE_ORDER)
    assert "?" in issue.message_en
    assert "?" in issue.message_zh


@pytest.fixture
def bad_result(tmp_path: Path):
    tables = base()
    tables["people"][1]["is_party_member"] = "也许"
    tables["people"][0]["微信"] = "x"
    return validate_dataset(write_dataset(tmp_path / "data", tables))


def test_report_json(bad_result, tmp_path: Path) -> None:
    report = bad_result.report
    data = json.loads(report.to_json())
    assert data["valid"] is False
    assert data["error_count"] == 1
    assert data["warning_count"] == 1
    assert data["stats"]["people"] == {
        "rows_read": 2,
        "rows_valid": 1,
        "rows_rejected": 1,
        "rows_merged": 0,
    }
    assert data["checksum"] == report.checksum
    assert len(report.checksum) == 64
    assert {f["name"] for f in data["files"]} == {f"{t}.csv" for t in base()}
    codes = [i["code"] for i in data["issues"]]
    assert sorted(codes) == ["invalid-boolean", "unknown-column"]
    assert "也许" in report.to_json()  # Chinese stays readable
    out = tmp_path / "report.json"
    report.write(out)
    assert json.loads(out.read_text(encoding="utf-8")) == data


def test_report_csv(bad_result, tmp_path: Path) -> None:
    out = tmp_path / "issues.csv"
    bad_result.report.write(out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["code"] for r in rows] == [i.code for i in bad_result.report.issues]
    row = next(r for r in rows if r["code"] == "invalid-boolean")
    assert (row["file"], row["row"], row["column"], row["value"]) == (
        "people.csv",
        "3",
        "is_party_member",
        "也许",
    )
    assert row["message_zh"]


def test_report_rejects_other_suffixes(bad_result, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.json or \.csv"):
        bad_result.report.write(tmp_path / "report.txt")
