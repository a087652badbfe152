"""One bad input per contract rule: the issue's code, position and messages, and what loads."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any, LiteralString

import pytest
from neo4j import Driver

from cobuild.settings import Settings
from ingest.contract import TABLES, ColumnKind
from ingest.known import Neo4jKnownGraph
from ingest.validate import ValidatedDataset, validate_dataset
from tests.ingest.builders import (
    Tables,
    assert_messages,
    base,
    ids,
    issues,
    only_issue,
    write_csv,
    write_dataset,
)


def run(tmp_path: Path, tables: Tables, **options: Any) -> ValidatedDataset:
    return validate_dataset(write_dataset(tmp_path / "data", tables), **options)


def assert_closed(result: ValidatedDataset, known: Collection[str] = ()) -> None:
    """No valid row refers to anything that is not itself loaded (or already in the graph)."""
    loaded = {
        row["id"]: name for name, rows in result.tables.items() for row in rows if "id" in row
    }
    for name, rows in result.tables.items():
        refs = [
            (c.name, c.multi, c.refs)
            for c in TABLES[name].columns
            if c.kind is ColumnKind.REFERENCE
        ]
        if name == "person_skills":
            refs.append(("skill_id", False, ("skills",)))
        if name == "demands":
            refs.append(("required_skill_ids", True, ("skills",)))
        for row in rows:
            for column, multi, tables in refs:
                value = row[column]
                for target in value if multi else ([] if value is None else [value]):
                    assert target in known or loaded.get(target) in tables, (name, column, target)


def test_base_dataset_is_valid(tmp_path: Path) -> None:
    result = run(tmp_path, base())
    assert result.report.valid
    assert result.report.issues == ()
    assert_closed(result)


# --- cells --------------------------------------------------------------------------------------


def test_missing_required(tmp_path: Path) -> None:
    tables = base()
    tables["people"][1]["name"] = "  "
    result = run(tmp_path, tables)
    issue = only_issue(result, "missing-required")
    assert (issue.table, issue.file, issue.row, issue.column) == ("people", "people.csv", 3, "name")
    assert_messages(issue, "name")
    assert ids(result, "people") == {"P-1"}
    assert result.report.stats["people"].rows_rejected == 1


def test_invalid_enum(tmp_path: Path) -> None:
    tables = base()
    tables["organizations"][0]["sector"] = "新兴领域"
    result = run(tmp_path, tables)
    issue = only_issue(result, "invalid-enum")
    assert (issue.row, issue.column, issue.value) == (2, "sector", "新兴领域")
    assert_messages(issue, "新兴领域", "new_economic 新经济组织")


def test_invalid_enum_in_a_multi_valued_cell(tmp_path: Path) -> None:
    tables = base()
    tables["people"][0]["roles"] = "书记;班长"
    result = run(tmp_path, tables)
    issue = only_issue(result, "invalid-enum")
    assert (issue.row, issue.column, issue.value) == (2, "roles", "班长")
    assert_messages(issue, "班长")


def test_invalid_boolean(tmp_path: Path) -> None:
    tables = base()
    tables["people"][1]["is_party_member"] = "不是"
    result = run(tmp_path, tables)
    issue = only_issue(result, "invalid-boolean")
    assert (issue.row, issue.column, issue.value) == (3, "is_party_member", "不是")
    assert_messages(issue, "不是", "是/否")


def test_invalid_date(tmp_path: Path) -> None:
    tables = base()
    tables["resource_usages"][0]["used_on"] = "2025-02-30"
    result = run(tmp_path, tables)
    issue = only_issue(result, "invalid-date")
    assert (issue.table, issue.row, issue.column, issue.value) == (
        "resource_usages",
        2,
        "used_on",
        "2025-02-30",
    )
    assert_messages(issue, "2025-02-30", "YYYY年M月D日")


def test_invalid_datetime(tmp_path: Path) -> None:
    tables = base()
    tables["demands"][0]["created_at"] = "上周五"
    result = run(tmp_path, tables)
    issue = only_issue(result, "invalid-datetime")
    assert (issue.row, issue.column, issue.value) == (2, "created_at", "上周五")
    assert_messages(issue, "上周五", "ISO 8601")
    # the usage referred to the rejected demand
    assert only_issue(result, "reference-rejected").table == "resource_usages"


def test_invalid_number(tmp_path: Path) -> None:
    tables = base()
    tables["organizations"][0]["employees"] = "十二"
    result = run(tmp_path, tables)
    issue = only_issue(result, "invalid-number")
    assert (issue.row, issue.column, issue.value) == (2, "employees", "十二")
    assert_messages(issue, "十二")
    assert "整数" in issue.message_zh


def test_out_of_range(tmp_path: Path) -> None:
    tables = base()
    tables["person_skills"][0]["level"] = "6"
    result = run(tmp_path, tables)
    issue = only_issue(result, "out-of-range")
    assert (issue.table, issue.row, issue.column, issue.value) == ("person_skills", 2, "level", "6")
    assert_messages(issue, "1–5", "level")


def test_invalid_uscc(tmp_path: Path) -> None:
    tables = base()
    valid = "91370202MAEXC1JF4N"  # from the sample, valid
    tables["organizations"][0]["id"] = valid[:-1] + "M"
    for agreement in tables["agreements"]:
        agreement["party_ids"] = agreement["party_ids"].replace("ORG-1", valid[:-1] + "M")
    result = run(tmp_path, tables)
    issue = only_issue(result, "invalid-uscc")
    assert (issue.row, issue.column, issue.value) == (2, "id", valid[:-1] + "M")
    assert_messages(issue, valid[:-1] + "M")
    assert "N" in issue.message_en
    assert "校验码应为 N" in issue.message_zh
    # the agreement between the bad organisation and PO-2 goes with it
    rejected = only_issue(result, "reference-rejected")
    assert (rejected.table, rejected.column) == ("agreements", "party_ids")
    assert_closed(result)


def test_invalid_phone_is_masked(tmp_path: Path) -> None:
    tables = base()
    tables["people"][0]["phone"] = "12345678901"
    result = run(tmp_path, tables)
    issue = only_issue(result, "invalid-phone")
    assert (issue.row, issue.column) == (2, "phone")
    assert issue.value is not None
    assert "*" in issue.value
    assert "45678" not in issue.value
    assert "45678" not in issue.message_en + issue.message_zh
    assert_messages(issue, issue.value)


def test_national_id_as_person_id(tmp_path: Path) -> None:
    body = "11010519491231002"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    citizen = body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    tables = base()
    tables["people"][1]["id"] = citizen
    tables["person_skills"].append({"person_id": citizen, "skill": "SK1"})
    result = run(tmp_path, tables)
    issue = only_issue(result, "national-id-as-id")
    assert (issue.row, issue.column) == (3, "id")
    # nor does the number spread through the rows that refer to it
    rejected = only_issue(result, "reference-rejected")
    assert rejected.table == "person_skills"
    assert rejected.value is not None
    assert citizen not in rejected.value + rejected.message_en + rejected.message_zh
    assert issue.value is not None
    assert citizen not in issue.value
    assert_messages(issue)


@pytest.mark.parametrize(
    ("change", "column"),
    [({"lat": "95"}, "lat"), ({"lon": "181"}, "lon"), ({"lat": "36.0", "lon": ""}, "lon")],
)
def test_invalid_coordinate(tmp_path: Path, change: dict[str, str], column: str) -> None:
    tables = base()
    tables["regions"][0].update(change)
    result = run(tmp_path, tables)
    issue = only_issue(result, "invalid-coordinate")
    assert (issue.table, issue.row, issue.column) == ("regions", 2, column)
    assert_messages(issue, column)
    # every region hangs from R1; whatever sits in a region goes with it
    assert result.tables["regions"] == []
    assert result.tables["organizations"] == []
    assert ids(result, "people") == {"P-2"}
    assert_closed(result)


# --- references ---------------------------------------------------------------------------------


def test_unknown_reference(tmp_path: Path) -> None:
    tables = base()
    tables["organizations"][0]["region_id"] = "R9"
    result = run(tmp_path, tables)
    issue = only_issue(result, "unknown-reference")
    assert (issue.table, issue.row, issue.column, issue.value) == (
        "organizations",
        2,
        "region_id",
        "R9",
    )
    assert_messages(issue, "R9", "region_id")
    assert "ORG-1" not in ids(result, "organizations")
    assert_closed(result)


def test_wrong_reference_kind(tmp_path: Path) -> None:
    tables = base()
    tables["resources"][0]["owner_id"] = "P-1"
    result = run(tmp_path, tables)
    issue = only_issue(result, "wrong-reference-kind")
    assert (issue.table, issue.row, issue.column, issue.value) == (
        "resources",
        2,
        "owner_id",
        "P-1",
    )
    assert_messages(issue, "P-1")
    assert "a person" in issue.message_en
    assert "单位或党组织" in issue.message_zh
    assert_closed(result)


def test_residence_must_be_a_community_or_below(tmp_path: Path) -> None:
    tables = base()
    tables["people"][0]["residence_region_id"] = "R3"  # a street
    result = run(tmp_path, tables)
    issue = only_issue(result, "wrong-reference-kind")
    assert (issue.row, issue.column, issue.value) == (2, "residence_region_id", "R3")
    assert_messages(issue, "R3")
    assert "street" in issue.message_en
    assert "街道" in issue.message_zh


def test_reference_rejected_cascades_so_nothing_half_loads(tmp_path: Path) -> None:
    tables = base()
    tables["regions"][3]["level"] = "社团"  # R4, where the community lives, is bad
    result = run(tmp_path, tables)
    assert only_issue(result, "invalid-enum").value == "社团"
    cascade = issues(result, "reference-rejected")
    assert {(i.table, i.column, i.value) for i in cascade} >= {
        ("organizations", "region_id", "R4"),
        ("party_orgs", "region_id", "R4"),
        ("people", "party_org_id", "PO-2"),
        ("person_skills", "person_id", "P-1"),
        ("resources", "owner_id", "PO-2"),
        ("demands", "region_id", "R4"),
        ("resource_usages", "resource_id", "RS-1"),
    }
    for issue in cascade:
        assert_messages(issue, issue.column or "")
    assert ids(result, "regions") == {"R1", "R2", "R3"}
    assert ids(result, "people") == {"P-2"}
    assert ids(result, "organizations") == {"ORG-1"}
    assert result.tables["agreements"] == []
    assert_closed(result)


def test_region_level_order(tmp_path: Path) -> None:
    tables = base()
    tables["regions"].append({"id": "R5", "name": "某区", "level": "district", "parent_id": "R3"})
    result = run(tmp_path, tables)
    issue = only_issue(result, "region-level-order")
    assert (issue.row, issue.column, issue.value) == (6, "parent_id", "R3")
    assert_messages(issue, "R3")
    assert "district" in issue.message_en
    assert "区/县" in issue.message_zh
    assert ids(result, "regions") == {"R1", "R2", "R3", "R4"}


def test_region_without_parent_below_the_top(tmp_path: Path) -> None:
    tables = base()
    tables["regions"].append({"id": "R5", "name": "第3网格", "level": "grid"})
    result = run(tmp_path, tables)
    issue = only_issue(result, "missing-parent")
    assert (issue.row, issue.column) == (6, "parent_id")
    assert_messages(issue, "parent_id")
    assert "city" in issue.message_en
    assert "grid" in issue.message_en
    assert "（市）" in issue.message_zh
    assert "网格" in issue.message_zh


def test_parent_cycle(tmp_path: Path) -> None:
    tables = base()
    tables["skills"] = [
        {"id": "SK1", "name": "法律服务类", "parent_id": "SK3"},
        {"id": "SK2", "name": "法律咨询", "parent_id": "SK1", "aliases": "法律援助咨询"},
        {"id": "SK3", "name": "法律大类", "parent_id": "SK2"},
        {"id": "SK4", "name": "法律小类", "parent_id": "SK3"},
    ]
    result = run(tmp_path, tables)
    cycle = issues(result, "parent-cycle")
    assert sorted((i.row, i.column) for i in cycle) == [
        (2, "parent_id"),
        (3, "parent_id"),
        (4, "parent_id"),
    ]
    for issue in cycle:
        assert_messages(issue, "SK1", "SK2", "SK3")
    # SK4 hangs below the cycle; the demand and the person's skill need SK2
    assert {(i.table, i.value) for i in issues(result, "reference-rejected")} == {
        ("skills", "SK3"),
        ("person_skills", "SK2"),  # the resolved id of 法律咨询
        ("demands", "SK2"),
        ("resource_usages", "DM-1"),
    }
    assert result.tables["skills"] == []
    assert_closed(result)


def test_party_org_cycle(tmp_path: Path) -> None:
    tables = base()
    tables["party_orgs"][0]["parent_id"] = "PO-2"
    result = run(tmp_path, tables)
    assert sorted(str(i.value) for i in issues(result, "parent-cycle")) == ["PO-1", "PO-2"]
    assert result.tables["party_orgs"] == []
    assert_closed(result)


def test_duplicate_id_across_tables(tmp_path: Path) -> None:
    tables = base()
    tables["skills"].append({"id": "P-2", "name": "社区服务"})
    result = run(tmp_path, tables)
    found = issues(result, "duplicate-id-conflict")
    assert sorted((i.table, i.row, i.column) for i in found) == [
        ("people", 3, "id"),
        ("skills", 4, "id"),
    ]
    for issue in found:
        assert_messages(issue, "P-2")
    assert "people.csv row 3" in found[1].message_en or "people.csv row 3" in found[0].message_en
    assert "P-2" not in ids(result, "people") | ids(result, "skills")
    assert_closed(result)


def test_identical_duplicate_is_merged(tmp_path: Path) -> None:
    tables = base()
    tables["people"].append(dict(tables["people"][1]))
    tables["people"][2]["is_party_member"] = "否"  # same value, other spelling
    result = run(tmp_path, tables)
    issue = only_issue(result, "duplicate-row")
    assert (issue.severity, issue.row, issue.column, issue.value) == ("warning", 4, "id", "P-2")
    assert_messages(issue, "P-2", "people.csv")
    assert "row 3" in issue.message_en
    assert "第 3 行" in issue.message_zh
    assert result.report.valid
    assert [r["id"] for r in result.tables["people"]] == ["P-1", "P-2"]
    stats = result.report.stats["people"]
    assert (stats.rows_read, stats.rows_valid, stats.rows_rejected, stats.rows_merged) == (
        3,
        2,
        0,
        1,
    )


def test_differing_duplicate_rejects_both(tmp_path: Path) -> None:
    tables = base()
    tables["people"].append({**tables["people"][1], "name": "李五"})
    result = run(tmp_path, tables)
    found = issues(result, "duplicate-id-conflict")
    assert sorted(i.row or 0 for i in found) == [3, 4]
    assert ids(result, "people") == {"P-1"}


def test_duplicate_keyless_rows(tmp_path: Path) -> None:
    tables = base()
    skill = tables["person_skills"][0]
    tables["person_skills"] += [
        {**skill, "skill": "SK2"},
        {**skill, "skill": "法律援助咨询", "level": "2"},
    ]
    result = run(tmp_path, tables)
    # all three name the same skill; the third disagrees on the level
    assert sorted(i.row or 0 for i in issues(result, "duplicate-id-conflict")) == [2, 4]
    assert [i.row for i in issues(result, "duplicate-row")] == [3]
    assert result.tables["person_skills"] == []


def test_member_without_party_org(tmp_path: Path) -> None:
    tables = base()
    tables["people"][1]["is_party_member"] = "是"
    result = run(tmp_path, tables)
    issue = only_issue(result, "member-without-party-org")
    assert (issue.row, issue.column) == (3, "party_org_id")
    assert_messages(issue, "party_org_id")


def test_agreement_too_few_parties(tmp_path: Path) -> None:
    tables = base()
    tables["agreements"][0]["party_ids"] = "PO-2；PO-2"
    result = run(tmp_path, tables)
    issue = only_issue(result, "agreement-too-few-parties")
    assert (issue.row, issue.column, issue.value) == (2, "party_ids", "PO-2")
    assert_messages(issue, "party_ids", "1")


def test_lead_not_a_party(tmp_path: Path) -> None:
    tables = base()
    tables["agreements"][0]["lead_id"] = "ORG-2"
    result = run(tmp_path, tables)
    issue = only_issue(result, "lead-not-a-party")
    assert (issue.row, issue.column, issue.value) == (2, "lead_id", "ORG-2")
    assert_messages(issue, "ORG-2", "party_ids")


@pytest.mark.parametrize(
    ("table", "change", "column"),
    [
        (
            "resources",
            {"available_from": "2025-06-01", "available_to": "2025/05/31"},
            "available_to",
        ),
        ("agreements", {"signed_on": "2024-01-01", "expires_on": "2023年12月31日"}, "expires_on"),
        ("party_orgs", {"founded_on": "2001-07-01", "valid_to": "2000-01-01"}, "valid_to"),
        ("demands", {"resolved_at": "2024-12-31T23:00:00+08:00"}, "resolved_at"),
    ],
)
def test_date_order(tmp_path: Path, table: str, change: dict[str, str], column: str) -> None:
    tables = base()
    tables[table][-1].update(change)
    result = run(tmp_path, tables)
    issue = only_issue(result, "date-order")
    assert (issue.table, issue.column) == (table, column)
    assert issue.row == len(tables[table]) + 1
    assert_messages(issue, column)


def test_ambiguous_skill(tmp_path: Path) -> None:
    tables = base()
    tables["skills"] += [
        {"id": "SK3", "name": "人民调解", "parent_id": "SK1", "aliases": "调解"},
        {"id": "SK4", "name": "家庭调解", "parent_id": "SK1", "aliases": "调解"},
    ]
    tables["person_skills"][0]["skill"] = "调解"
    result = run(tmp_path, tables)
    issue = only_issue(result, "ambiguous-skill")
    assert (issue.table, issue.row, issue.column, issue.value) == (
        "person_skills",
        2,
        "skill",
        "调解",
    )
    assert_messages(issue, "调解", "SK3", "SK4")


def test_skill_by_name_alias_or_id_in_any_case(tmp_path: Path) -> None:
    tables = base()
    tables["skills"].append({"id": "SK3", "name": "Excel 数据处理", "parent_id": "SK1"})
    tables["person_skills"] = [
        {"person_id": "P-1", "skill": "法律援助咨询"},
        {"person_id": "P-2", "skill": "excel数据处理"},
    ]
    tables["demands"][0]["required_skills"] = "SK3、法律咨询"
    result = run(tmp_path, tables)
    assert result.report.valid, result.report.issues
    assert [r["skill_id"] for r in result.tables["person_skills"]] == ["SK2", "SK3"]
    assert result.tables["demands"][0]["required_skill_ids"] == ["SK3", "SK2"]
    assert result.tables["demands"][0]["required_skills"] == ["SK3", "法律咨询"]


def test_unknown_skill(tmp_path: Path) -> None:
    tables = base()
    tables["demands"][0]["required_skills"] = "SK2;无人机操作"
    result = run(tmp_path, tables)
    issue = only_issue(result, "unknown-skill")
    assert (issue.table, issue.row, issue.column, issue.value) == (
        "demands",
        2,
        "required_skills",
        "无人机操作",
    )
    assert_messages(issue, "无人机操作")
    assert result.tables["demands"] == []
    assert_closed(result)


# --- files and headers --------------------------------------------------------------------------


def test_unknown_column_is_a_warning_unless_kept(tmp_path: Path) -> None:
    tables = base()
    tables["people"][0]["微信号"] = "zhang3"
    result = run(tmp_path, tables)
    issue = only_issue(result, "unknown-column")
    assert (issue.severity, issue.table, issue.row, issue.column) == (
        "warning",
        "people",
        None,
        "微信号",
    )
    assert_messages(issue, "微信号", "--keep-extra")
    assert result.report.valid
    assert "extra" not in result.tables["people"][0]

    kept = validate_dataset(tmp_path / "data", keep_extra=True)
    assert issues(kept, "unknown-column") == []
    assert [p["extra"] for p in kept.tables["people"]] == [{"微信号": "zhang3"}, {}]
    assert "extra" not in kept.tables["regions"][0] or kept.tables["regions"][0]["extra"] == {}


def test_missing_column(tmp_path: Path) -> None:
    tables = base()
    for person in tables["people"]:
        del person["is_party_member"]
    result = run(tmp_path, tables)
    issue = only_issue(result, "missing-column")
    assert (issue.table, issue.file, issue.row, issue.column) == (
        "people",
        "people.csv",
        None,
        "is_party_member",
    )
    assert_messages(issue, "is_party_member", "是否党员")
    assert result.tables["people"] == []
    assert result.report.stats["people"].rows_rejected == 2
    # rows referring to those people are rejected, not reported as unknown
    assert issues(result, "unknown-reference") == []
    assert_closed(result)


def test_duplicate_column(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    write_csv(
        folder / "skills.csv",
        [{"id": "SK1", "name": "法律", "名称": "法律服务"}],
        header=["id", "name", "名称"],
    )
    result = validate_dataset(folder)
    issue = only_issue(result, "duplicate-column")
    assert (issue.table, issue.column) == ("skills", "名称")
    assert_messages(issue, "名称", "name")
    assert result.tables["skills"] == []


def test_max_issues_caps_the_list_but_counts_all(tmp_path: Path) -> None:
    tables = base()
    tables["people"] += [
        {"id": f"P-{i}", "name": "某人", "is_party_member": "也许"} for i in range(10, 40)
    ]
    result = run(tmp_path, tables, max_issues=5)
    assert len(result.report.issues) == 5
    assert result.report.truncated
    assert result.report.counts["invalid-boolean"] == 30
    assert result.report.error_count == 30
    assert result.report.stats["people"].rows_rejected == 30


# --- the existing graph -------------------------------------------------------------------------


def _graph(driver: Driver, settings: Settings, cypher: LiteralString) -> Neo4jKnownGraph:
    """The real database holding what ``cypher`` creates, as validation sees it."""
    driver.execute_query(cypher, database_=settings.neo4j_database)
    return Neo4jKnownGraph(driver, settings.neo4j_database)


def test_references_resolve_in_the_known_graph(
    tmp_path: Path, empty_graph: Driver, neo4j_settings: Settings
) -> None:
    tables = base()
    tables["people"][1].update(residence_region_id="G-OLD", employer_org_id="ORG-OLD")
    tables["regions"].append(
        {"id": "B1", "name": "1号楼", "level": "building", "parent_id": "X-OLD"}
    )
    tables["person_skills"].append({"person_id": "P-2", "skill": "无人机操作"})
    graph = _graph(
        empty_graph,
        neo4j_settings,
        "CREATE (:Region {id: 'G-OLD', name: '第1网格', level: 'grid'}), "
        "(:Region {id: 'X-OLD', name: '海景花园', level: 'compound'}), "
        "(:Organization:Unit {id: 'ORG-OLD', name: '某公司'}), "
        "(:Skill {id: 'SK-OLD', name: '无人机操作', aliases: []})",
    )
    without = run(tmp_path, tables)
    assert {i.value for i in issues(without, "unknown-reference")} == {"G-OLD", "ORG-OLD", "X-OLD"}
    assert only_issue(without, "unknown-skill").value == "无人机操作"
    assert "this dataset" in only_issue(without, "unknown-skill").message_en

    result = validate_dataset(tmp_path / "data", known=graph)
    assert result.report.valid, result.report.issues
    assert result.tables["person_skills"][-1]["skill_id"] == "SK-OLD"
    assert_closed(result, known={"G-OLD", "ORG-OLD", "X-OLD", "SK-OLD"})


def test_known_graph_kinds_and_levels_are_checked(
    tmp_path: Path, empty_graph: Driver, neo4j_settings: Settings
) -> None:
    tables = base()
    tables["people"][1]["residence_region_id"] = "S-OLD"
    tables["organizations"][0]["region_id"] = "P-OLD"
    tables["regions"].append(
        {"id": "B1", "name": "1号楼", "level": "building", "parent_id": "B-OLD"}
    )
    graph = _graph(
        empty_graph,
        neo4j_settings,
        "CREATE (:Region {id: 'S-OLD', name: '某街道', level: 'street'}), "
        "(:Person {id: 'P-OLD', name: '某人'}), "
        "(:Region {id: 'B-OLD', name: '2号楼', level: 'building'})",
    )
    result = validate_dataset(write_dataset(tmp_path / "data", tables), known=graph)
    assert {(i.column, i.value) for i in issues(result, "wrong-reference-kind")} == {
        ("residence_region_id", "S-OLD"),
        ("region_id", "P-OLD"),
    }
    assert only_issue(result, "region-level-order").value == "B-OLD"
    assert "unknown-reference" not in result.report.counts


def test_id_used_by_another_kind_in_the_graph(
    tmp_path: Path, empty_graph: Driver, neo4j_settings: Settings
) -> None:
    graph = _graph(empty_graph, neo4j_settings, "CREATE (:Person {id: 'SK1', name: '某人'})")
    result = validate_dataset(write_dataset(tmp_path / "data", base()), known=graph)
    issue = only_issue(result, "duplicate-id-conflict")
    assert (issue.table, issue.value) == ("skills", "SK1")
    assert_messages(issue, "SK1")
    assert "graph" in issue.message_en
    assert "图谱" in issue.message_zh
    assert result.tables["skills"] == []
    assert_closed(result)


def test_ambiguous_skill_in_the_graph(
    tmp_path: Path, empty_graph: Driver, neo4j_settings: Settings
) -> None:
    tables = base()
    tables["person_skills"][0]["skill"] = "调解"
    graph = _graph(
        empty_graph,
        neo4j_settings,
        "CREATE (:Skill {id: 'SK-A', name: '调解', aliases: []}), "
        "(:Skill {id: 'SK-B', name: '矛盾调解', aliases: ['调解']})",
    )
    result = validate_dataset(write_dataset(tmp_path / "data", tables), known=graph)
    issue = only_issue(result, "ambiguous-skill")
    assert_messages(issue, "SK-A", "SK-B")


def test_a_skill_known_to_the_graph_by_alias(
    tmp_path: Path, empty_graph: Driver, neo4j_settings: Settings
) -> None:
    tables = base()
    tables["person_skills"][0]["skill"] = "无人机操作"
    graph = _graph(
        empty_graph,
        neo4j_settings,
        "CREATE (:Skill {id: 'SK-OLD', name: '无人机', aliases: ['无人机操作']})",
    )
    result = validate_dataset(write_dataset(tmp_path / "data", tables), known=graph)
    assert result.report.valid, result.report.issues
    assert result.tables["person_skills"][0]["skill_id"] == "SK-OLD"
