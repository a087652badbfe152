"""The contract as data: names, aliases, enumeration labels, and the models that follow it."""

from __future__ import annotations

import pytest

from graph.model import OrgKind, PersonRole, RegionLevel, ResourceStatus
from ingest.contract import (
    ENUM_LABELS,
    TABLES,
    ColumnKind,
    enum_code,
    label_variants,
    normalize_name,
    table_for,
)
from ingest.rows import ROW_MODELS


@pytest.mark.parametrize(
    ("spelling", "table"),
    [
        ("regions", "regions"),
        ("区划", "regions"),
        (" Regions ", "regions"),
        ("PERSON_SKILLS", "person_skills"),
        ("Person Skills", "person_skills"),
        ("人员技能", "person_skills"),
        ("资源使用记录", "resource_usages"),
        ("党组织", "party_orgs"),
    ],
)
def test_table_names_in_english_or_chinese(spelling: str, table: str) -> None:
    found = table_for(spelling)
    assert found is not None
    assert found.name == table


def test_unknown_table_name() -> None:
    assert table_for("Sheet1") is None


@pytest.mark.parametrize(
    ("table", "header", "column"),
    [
        ("regions", "上级区划", "parent_id"),
        ("regions", " Parent ID ", "parent_id"),
        ("regions", "编号", "id"),
        ("regions", "纬度", "lat"),
        ("regions", "经度", "lon"),
        ("person_skills", "人员编号", "person_id"),
        ("resource_usages", "资源编号", "resource_id"),
        ("resources", "可用开始日期", "available_from"),
        ("resources", "可用结束日期", "available_to"),
        ("resources", "AVAILABLE-FROM", "available_from"),
        ("people", "是否党员", "is_party_member"),
        ("people", "id*", "id"),
        ("people", "姓 名", "name"),
        ("organizations", "ｉｄ", "id"),  # full-width letters
    ],
)
def test_column_aliases(table: str, header: str, column: str) -> None:
    found = TABLES[table].column(header)
    assert found is not None
    assert found.name == column


def test_every_alias_of_the_contract_resolves() -> None:
    for table in TABLES.values():
        for column in table.columns:
            for spelling in (column.name, *column.aliases):
                assert table.column(spelling) is column


@pytest.mark.parametrize(
    ("enum_cls", "text", "code"),
    [
        (RegionLevel, "区/县", "district"),
        (RegionLevel, "区", "district"),
        (RegionLevel, "县", "district"),
        (RegionLevel, "街道/镇", "street"),
        (RegionLevel, "街道", "street"),
        (RegionLevel, "镇", "street"),
        (RegionLevel, "村", "community"),
        (RegionLevel, "Street", "street"),
        (OrgKind, "居(村)委会", "residents_committee"),
        (OrgKind, "居（村）委会", "residents_committee"),
        (OrgKind, "居委会", "residents_committee"),
        (OrgKind, "村委会", "residents_committee"),
        (OrgKind, "Private Enterprise", "private_enterprise"),
        (ResourceStatus, "in-use", "in_use"),
        (ResourceStatus, "使用中", "in_use"),
        (PersonRole, "入党积极分子", "activist"),
    ],
)
def test_enum_codes_and_labels(enum_cls: type, text: str, code: str) -> None:
    assert enum_code(enum_cls, text) == code


def test_unknown_enum_label() -> None:
    assert enum_code(RegionLevel, "乡") is None
    assert enum_code(OrgKind, "委会") is None


def test_label_variants() -> None:
    assert label_variants("居(村)委会") == {"居(村)委会", "居委会", "村委会"}
    assert label_variants("区/县") == {"区/县", "区", "县"}
    assert label_variants("网格") == {"网格"}


def test_every_enum_member_has_a_label() -> None:
    for enum_cls, labels in ENUM_LABELS.items():
        assert set(labels) == {member.value for member in enum_cls}


def test_normalize_name() -> None:
    assert normalize_name(" Person_ID ") == normalize_name("person id") == "personid"
    assert normalize_name("（村）") == "(村)"


def test_models_follow_the_contract() -> None:
    """Each <Table>Row has exactly the contract's columns, required where the contract says."""
    for name, table in TABLES.items():
        model = ROW_MODELS[name]
        assert model.__name__.endswith("Row")
        assert list(model.model_fields) == [c.name for c in table.columns]
        for column in table.columns:
            assert model.model_fields[column.name].is_required() == column.required, (
                name,
                column.name,
            )


def test_references_point_at_tables_with_ids() -> None:
    for table in TABLES.values():
        for column in table.columns:
            if column.kind in (ColumnKind.REFERENCE, ColumnKind.SKILL):
                assert column.refs
                assert all(TABLES[ref].has_id for ref in column.refs)
            if column.kind is ColumnKind.ENUM:
                assert column.enum is not None
