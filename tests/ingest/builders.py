"""A tiny valid dataset to break one rule at a time, and writers for its file formats."""

from __future__ import annotations

import copy
import csv
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ingest.contract import TABLES
from ingest.errors import Issue
from ingest.validate import ValidatedDataset

Tables = dict[str, list[dict[str, Any]]]

_BASE: Tables = {
    "regions": [
        {"id": "R1", "name": "青岛市", "level": "city", "lat": "36.07", "lon": "120.38"},
        {"id": "R2", "name": "市南区", "level": "district", "parent_id": "R1"},
        {"id": "R3", "name": "八大关街道", "level": "street", "parent_id": "R2"},
        {"id": "R4", "name": "太平角社区", "level": "community", "parent_id": "R3"},
    ],
    "organizations": [
        {
            "id": "ORG-1",
            "name": "青岛某信息技术有限公司",
            "kind": "private_enterprise",
            "sector": "new_economic",
            "region_id": "R3",
            "employees": "12",
        },
        {
            "id": "ORG-2",
            "name": "太平角社区居委会",
            "kind": "residents_committee",
            "sector": "traditional",
            "region_id": "R4",
        },
    ],
    "party_orgs": [
        {"id": "PO-1", "name": "中共青岛市委员会", "type": "committee", "region_id": "R1"},
        {
            "id": "PO-2",
            "name": "太平角社区党委",
            "type": "committee",
            "parent_id": "PO-1",
            "region_id": "R4",
            "host_org_id": "ORG-2",
            "secretary_id": "P-1",
            "founded_on": "2001-07-01",
        },
    ],
    "people": [
        {
            "id": "P-1",
            "name": "张三",
            "is_party_member": "true",
            "party_org_id": "PO-2",
            "employer_org_id": "ORG-2",
            "residence_region_id": "R4",
            "roles": "secretary",
            "phone": "19900001234",
        },
        {"id": "P-2", "name": "李四", "is_party_member": "false", "occupation": "外卖骑手"},
    ],
    "skills": [
        {"id": "SK1", "name": "法律服务类"},
        {"id": "SK2", "name": "法律咨询", "parent_id": "SK1", "aliases": "法律援助咨询"},
    ],
    "person_skills": [{"person_id": "P-1", "skill": "法律咨询", "level": "4", "certified": "是"}],
    "resources": [
        {
            "id": "RS-1",
            "name": "社区活动室",
            "kind": "venue",
            "owner_id": "PO-2",
            "region_id": "R4",
            "scenarios": "养老服务;法律援助",
        }
    ],
    "agreements": [
        {
            "id": "AG-1",
            "name": "结对共建协议",
            "kind": "pairing",
            "party_ids": "PO-2;ORG-1",
            "lead_id": "PO-2",
            "signed_on": "2024-01-01",
        }
    ],
    "demands": [
        {
            "id": "DM-1",
            "title": "法律咨询进社区",
            "region_id": "R4",
            "required_skills": "SK2",
            "status": "open",
            "created_at": "2025-01-01T10:00:00+08:00",
            "assignee_ids": "P-1",
            "resource_ids": "RS-1",
        }
    ],
    "resource_usages": [{"resource_id": "RS-1", "user_id": "DM-1", "used_on": "2025-01-02"}],
}


def base() -> Tables:
    """Return a fresh copy of the valid base dataset (English columns, CSV-style text)."""
    return copy.deepcopy(_BASE)


def columns_of(table: str, rows: Iterable[dict[str, Any]]) -> list[str]:
    """Return the contract columns the rows use, in contract order, then any others."""
    used = {key for row in rows for key in row}
    ordered = [c.name for c in TABLES[table].columns if c.name in used]
    return ordered + sorted(used - set(ordered))


def write_csv(
    path: Path,
    rows: list[dict[str, Any]],
    *,
    header: list[str] | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Write rows as CSV with ``header`` (default: the columns the rows use)."""
    header = header or columns_of(path.stem, rows)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(name, "") for name in header])
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write rows as JSON lines."""
    path.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    return path


def write_dataset(folder: Path, tables: Tables) -> Path:
    """Write every table as ``NAME.csv`` in ``folder``; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        write_csv(folder / f"{name}.csv", rows)
    return folder


def issues(result: ValidatedDataset, code: str) -> list[Issue]:
    """Return the listed issues with ``code``."""
    return [issue for issue in result.report.issues if issue.code == code]


def only_issue(result: ValidatedDataset, code: str) -> Issue:
    """Return the one issue with ``code``, failing if there is none or several."""
    found = issues(result, code)
    assert len(found) == 1, (code, result.report.issues)
    return found[0]


def ids(result: ValidatedDataset, table: str) -> set[str]:
    """Return the ids of the valid rows of ``table``."""
    return {row["id"] for row in result.tables[table]}


_CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_messages(issue: Issue, *fragments: str) -> None:
    """Both messages are filled (no template names left), the Chinese one is Chinese, and each
    fragment appears in both."""
    for message in (issue.message_en, issue.message_zh):
        assert message
        assert "{" not in message
        assert "?" not in message.replace("？", "")
        for fragment in fragments:
            assert fragment in message, (fragment, message)
    assert _CJK.search(issue.message_zh), issue.message_zh
    assert issue.message_en != issue.message_zh
