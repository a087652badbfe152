"""The synthetic dataset generator: deterministic, the right size, and true to the contract.

Pure tests: they read the CSV files back with the standard library, no database. The
contract's column names and the check-character rule are restated here on purpose, so the
generator is checked against the contract and not against itself.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from graph.model import (
    NEW_EMPLOYMENT_OCCUPATIONS,
    AgreementKind,
    DemandSource,
    DemandStatus,
    Gender,
    OrgKind,
    PartyOrgType,
    PersonRole,
    RegionLevel,
    ResourceKind,
    ResourceStatus,
    Sector,
)
from ingest.generate import REFERENCE_DATE, generate

CONTRACT_COLUMNS = {
    "regions": ["id", "name", "level", "parent_id", "lat", "lon", "population", "households"],
    "organizations": [
        "id", "name", "kind", "sector", "region_id", "address", "lat", "lon", "employees",
    ],
    "party_orgs": [
        "id", "name", "type", "parent_id", "region_id", "host_org_id", "covers_org_ids",
        "secretary_id", "founded_on", "valid_to",
    ],
    "people": [
        "id", "name", "gender", "birth_year", "is_party_member", "party_org_id",
        "employer_org_id", "occupation", "new_employment_group", "residence_region_id",
        "reports_to_party_org_id", "roles", "phone", "joined_on",
    ],
    "skills": ["id", "name", "parent_id", "aliases"],
    "person_skills": ["person_id", "skill", "level", "certified"],
    "resources": [
        "id", "name", "kind", "owner_id", "region_id", "lat", "lon", "capacity",
        "capacity_unit", "scenarios", "shareable", "status", "available_from", "available_to",
    ],
    "agreements": [
        "id", "name", "kind", "party_ids", "lead_id", "signed_on", "expires_on", "topics",
    ],
    "demands": [
        "id", "title", "region_id", "scenario", "required_skills", "required_resource_kinds",
        "urgency", "affected_people", "status", "created_at", "resolved_at", "assignee_ids",
        "resource_ids", "rating", "source",
    ],
    "resource_usages": ["resource_id", "user_id", "used_on", "effect_rating"],
}  # fmt: skip
NODE_TABLES = [t for t in CONTRACT_COLUMNS if t not in ("person_skills", "resource_usages")]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
RESIDENCE_LEVELS = {
    RegionLevel.COMMUNITY,
    RegionLevel.GRID,
    RegionLevel.COMPOUND,
    RegionLevel.BUILDING,
}


@dataclass
class Dataset:
    folder: Path
    tables: dict[str, list[dict[str, str]]]
    headers: dict[str, list[str]]

    def by_id(self, table: str) -> dict[str, dict[str, str]]:
        return {row["id"]: row for row in self.tables[table]}


def load(folder: Path) -> Dataset:
    tables, headers = {}, {}
    for table in CONTRACT_COLUMNS:
        with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            tables[table] = list(reader)
            headers[table] = list(reader.fieldnames or [])
    return Dataset(folder, tables, headers)


def multi(cell: str) -> list[str]:
    return [part for part in cell.split(";") if part]


def day(cell: str) -> date:
    return date.fromisoformat(cell)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    folder = tmp_path_factory.mktemp("scale0.1")
    generate(0.1, 11, folder)
    return load(folder)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    folder = tmp_path_factory.mktemp("scale1")
    stats = generate(1, 7, folder)
    assert stats.total_nodes == sum(stats.counts[t] for t in NODE_TABLES)
    return load(folder)


@pytest.fixture(params=["small", "full"])
def dataset(request: pytest.FixtureRequest) -> Dataset:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


# -- determinism and size ------------------------------------------------------------------------


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    first, again, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(0.1, 3, first)
    generate(0.1, 3, again)
    generate(0.1, 4, other)
    for table in CONTRACT_COLUMNS:
        name = f"{table}.csv"
        assert (first / name).read_bytes() == (again / name).read_bytes(), table
    assert any(
        (first / f"{t}.csv").read_bytes() != (other / f"{t}.csv").read_bytes()
        for t in CONTRACT_COLUMNS
    )


def test_reference_date_moves_the_dates(tmp_path: Path) -> None:
    generate(0.05, 3, tmp_path / "a", reference_date=date(2030, 1, 1))
    created = [row["created_at"] for row in load(tmp_path / "a").tables["demands"]]
    assert max(created) > "2028-01-01"
    assert max(created) < "2030-01-02"


@pytest.mark.parametrize(("scale", "target"), [(0.1, 1_000), (1, 10_000)])
def test_size_is_near_the_target(tmp_path: Path, scale: float, target: int) -> None:
    stats = generate(scale, 5, tmp_path)
    assert 0.7 * target <= stats.total_nodes <= 1.3 * target
    written = load(tmp_path)
    assert stats.counts == {t: len(rows) for t, rows in written.tables.items()}
    assert stats.seconds >= 0


def test_tiny_and_fractional_scales_work(tmp_path: Path) -> None:
    stats = generate(0.01, 1, tmp_path)
    assert stats.counts["regions"] > 5
    assert stats.counts["people"] > 10


def test_scale_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(0, 1, tmp_path)


def test_more_scale_more_districts_streets_and_communities(small: Dataset, full: Dataset) -> None:
    def levels(data: Dataset) -> Counter[str]:
        return Counter(row["level"] for row in data.tables["regions"])

    few, many = levels(small), levels(full)
    for level in ("district", "street", "community"):
        assert many[level] > few[level]


# -- form ----------------------------------------------------------------------------------------


def test_headers_are_the_contract_columns(dataset: Dataset) -> None:
    assert dataset.headers == CONTRACT_COLUMNS


def test_ids_are_unique_across_the_dataset(dataset: Dataset) -> None:
    ids = Counter(row["id"] for table in NODE_TABLES for row in dataset.tables[table])
    assert [i for i, n in ids.items() if n > 1] == []
    # Internal person ids, never anything shaped like a national ID number.
    assert all(re.fullmatch(r"P-\d{6}-\d{6}", row["id"]) for row in dataset.tables["people"])


def test_every_18_character_org_id_has_a_valid_check_character(dataset: Dataset) -> None:
    codes = [row["id"] for row in dataset.tables["organizations"]]
    long = [c for c in codes if len(c) == 18]
    assert len(long) > 0.6 * len(codes)
    for code in long:
        assert all(c in USCC_CHARS for c in code), code
        total = sum(USCC_CHARS.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
        assert USCC_CHARS[(31 - total % 31) % 31] == code[17], code
    assert all(c.startswith("ORG-") for c in codes if len(c) != 18)


def test_every_value_of_every_enumeration_occurs(full: Dataset) -> None:
    t = full.tables
    assert {r["level"] for r in t["regions"]} == set(RegionLevel) - {RegionLevel.PROVINCE}
    assert {r["kind"] for r in t["organizations"]} == set(OrgKind)
    assert {r["sector"] for r in t["organizations"]} == set(Sector)
    assert {r["type"] for r in t["party_orgs"]} == set(PartyOrgType)
    assert {r["kind"] for r in t["resources"]} == set(ResourceKind)
    assert {r["status"] for r in t["resources"]} == set(ResourceStatus)
    assert {r["kind"] for r in t["agreements"]} == set(AgreementKind)
    assert {r["status"] for r in t["demands"]} == set(DemandStatus)
    assert {r["source"] for r in t["demands"]} == set(DemandSource)
    assert {r["gender"] for r in t["people"]} == set(Gender)
    assert {role for r in t["people"] for role in multi(r["roles"])} == set(PersonRole)


def test_enumerations_dates_and_numbers_are_well_formed(dataset: Dataset) -> None:
    t = dataset.tables
    assert {r["level"] for r in t["regions"]} <= set(RegionLevel)
    assert {r["kind"] for r in t["organizations"]} == set(OrgKind)
    assert {r["type"] for r in t["party_orgs"]} == set(PartyOrgType)
    assert {r["kind"] for r in t["resources"]} <= set(ResourceKind)
    assert {r["status"] for r in t["resources"]} <= set(ResourceStatus)
    assert {r["kind"] for r in t["agreements"]} <= set(AgreementKind)
    assert {r["status"] for r in t["demands"]} <= set(DemandStatus)
    assert {r["source"] for r in t["demands"]} <= set(DemandSource)
    assert {r["gender"] for r in t["people"]} <= set(Gender)
    assert {role for r in t["people"] for role in multi(r["roles"])} <= set(PersonRole)
    for row in t["regions"]:
        if row["level"] != RegionLevel.CITY:
            assert int(row["population"]) >= 0
            assert int(row["households"]) >= 0
        assert 35.0 < float(row["lat"]) < 37.5
        assert 119.0 < float(row["lon"]) < 121.5
    for row in t["people"]:
        assert row["is_party_member"] in ("true", "false")
        assert 1930 < int(row["birth_year"]) < 2010
        assert row["phone"] == "" or re.fullmatch(r"199\d{8}", row["phone"])
        assert bool(row["joined_on"]) == (row["is_party_member"] == "true")
        if row["joined_on"]:
            assert int(row["birth_year"]) + 18 <= day(row["joined_on"]).year
            assert day(row["joined_on"]) <= REFERENCE_DATE
    for row in t["demands"]:
        created = datetime.fromisoformat(row["created_at"])
        assert created.tzinfo is not None
        assert created.date() <= REFERENCE_DATE
        if row["resolved_at"]:
            assert datetime.fromisoformat(row["resolved_at"]) >= created
        assert 1 <= int(row["urgency"]) <= 5
        assert int(row["affected_people"]) >= 0
    for row in t["resources"]:
        if row["available_from"] and row["available_to"]:
            assert day(row["available_from"]) <= day(row["available_to"])
        assert row["capacity"] == "" or int(row["capacity"]) > 0
    for row in t["agreements"]:
        assert day(row["signed_on"]) <= REFERENCE_DATE
        assert not row["expires_on"] or day(row["signed_on"]) < day(row["expires_on"])
    for row in t["party_orgs"]:
        assert not row["valid_to"] or day(row["founded_on"]) < day(row["valid_to"])
    for row in t["resource_usages"]:
        assert day(row["used_on"]) <= REFERENCE_DATE
        assert 1 <= int(row["effect_rating"]) <= 5
    for row in t["person_skills"]:
        assert 1 <= int(row["level"]) <= 5
        assert row["certified"] in ("true", "false")


# -- references ----------------------------------------------------------------------------------


def test_regions_nest_strictly_under_one_city(dataset: Dataset) -> None:
    regions = dataset.by_id("regions")
    roots = [r for r in regions.values() if not r["parent_id"]]
    assert [r["level"] for r in roots] == [RegionLevel.CITY]
    for row in regions.values():
        if row["parent_id"]:
            parent = regions[row["parent_id"]]
            assert RegionLevel(parent["level"]).rank < RegionLevel(row["level"]).rank


def test_references_resolve_to_the_right_kind(dataset: Dataset) -> None:
    regions = dataset.by_id("regions")
    orgs = dataset.by_id("organizations")
    party_orgs = dataset.by_id("party_orgs")
    people = dataset.by_id("people")
    resources = dataset.by_id("resources")
    demands = dataset.by_id("demands")
    units = orgs.keys() | party_orgs.keys()
    for row in orgs.values():
        assert row["region_id"] in regions
    for row in party_orgs.values():
        assert row["region_id"] in regions
        assert not row["parent_id"] or row["parent_id"] in party_orgs
        assert not row["host_org_id"] or row["host_org_id"] in orgs
        assert all(c in orgs for c in multi(row["covers_org_ids"]))
        assert not row["secretary_id"] or row["secretary_id"] in people
    for row in people.values():
        member = row["is_party_member"] == "true"
        assert (row["party_org_id"] in party_orgs) if member else not row["party_org_id"]
        assert not row["employer_org_id"] or row["employer_org_id"] in orgs
        if row["reports_to_party_org_id"]:  # 双报到 is to a community party organisation
            where = party_orgs[row["reports_to_party_org_id"]]["region_id"]
            assert regions[where]["level"] == RegionLevel.COMMUNITY
        if row["residence_region_id"]:
            assert regions[row["residence_region_id"]]["level"] in RESIDENCE_LEVELS
    for row in resources.values():
        assert row["owner_id"] in units
        assert row["region_id"] in regions
    for row in dataset.tables["agreements"]:
        parties = multi(row["party_ids"])
        assert len(set(parties)) == len(parties) >= 2
        assert all(p in units for p in parties)
        assert row["lead_id"] in parties
    for row in demands.values():
        assert row["region_id"] in regions
        assert all(p in people for p in multi(row["assignee_ids"]))
        assert all(r in resources for r in multi(row["resource_ids"]))
        assert set(multi(row["required_resource_kinds"])) <= set(ResourceKind)
    uses = Counter(
        (r["resource_id"], r["user_id"], r["used_on"]) for r in dataset.tables["resource_usages"]
    )
    assert max(uses.values()) == 1  # a use is known by resource, user and day
    for row in dataset.tables["resource_usages"]:
        assert row["resource_id"] in resources
        assert row["user_id"] in units or row["user_id"] in demands
    for row in dataset.tables["person_skills"]:
        assert row["person_id"] in people


def test_party_orgs_have_one_top_and_no_cycles(dataset: Dataset) -> None:
    party_orgs = dataset.by_id("party_orgs")
    regions = dataset.by_id("regions")
    parentless = [p for p in party_orgs.values() if not p["parent_id"]]
    tops = [p for p in parentless if regions[p["region_id"]]["level"] == RegionLevel.CITY]
    assert len(tops) == 1
    for start in party_orgs:
        seen, current = set(), start
        while party_orgs[current]["parent_id"]:
            assert current not in seen, f"cycle through {current}"
            seen.add(current)
            current = party_orgs[current]["parent_id"]


def test_skills_form_a_taxonomy_and_every_skill_reference_resolves(dataset: Dataset) -> None:
    skills = dataset.by_id("skills")
    names: dict[str, str] = {}
    for row in skills.values():
        for name in [row["id"], row["name"], *multi(row["aliases"])]:
            assert name not in names, f"{name} names two skills"
            names[name] = row["id"]
        assert not row["parent_id"] or row["parent_id"] in skills

    def depth(skill_id: str) -> int:
        parent = skills[skill_id]["parent_id"]
        return 1 if not parent else 1 + depth(parent)

    assert max(depth(s) for s in skills) >= 2
    assert all(row["skill"] in names for row in dataset.tables["person_skills"])
    for row in dataset.tables["demands"]:
        assert all(s in names for s in multi(row["required_skills"]))


def test_demands_follow_their_status(dataset: Dataset) -> None:
    for row in dataset.tables["demands"]:
        status = row["status"]
        assert bool(row["assignee_ids"]) == (status in ("assigned", "resolved"))
        assert bool(row["rating"]) == (status == "resolved")
        assert bool(row["resolved_at"]) == (status in ("resolved", "closed"))
        if row["rating"]:
            assert 1 <= int(row["rating"]) <= 5


# -- realism: what the questions look for ---------------------------------------------------------


def member_ratios(data: Dataset) -> dict[str, float]:
    orgs = data.by_id("organizations")
    employees: Counter[str] = Counter()
    for row in orgs.values():
        employees[row["sector"]] += int(row["employees"])
    members: Counter[str] = Counter()
    neg_people = neg_members = 0
    for row in data.tables["people"]:
        member = row["is_party_member"] == "true"
        if member and row["employer_org_id"]:
            members[orgs[row["employer_org_id"]]["sector"]] += 1
        if row["new_employment_group"] == "true" or row["occupation"] in NEW_EMPLOYMENT_OCCUPATIONS:
            neg_people += 1
            neg_members += member
    ratios: dict[str, float] = {s: members[s] / employees[s] for s in Sector}
    ratios["neg"] = neg_members / neg_people
    return ratios


def test_member_ratios_show_the_sector_imbalance(dataset: Dataset) -> None:
    ratios = member_ratios(dataset)
    assert 0.25 <= ratios[Sector.TRADITIONAL] <= 0.65
    assert 0.005 <= ratios[Sector.NEW_ECONOMIC] < 0.10
    assert 0.03 <= ratios[Sector.NEW_SOCIAL] <= 0.18
    assert ratios["neg"] < 0.03
    assert ratios[Sector.NEW_ECONOMIC] < ratios[Sector.NEW_SOCIAL] < ratios[Sector.TRADITIONAL]


def test_new_organizations_are_mostly_uncovered(full: Dataset) -> None:
    orgs = full.by_id("organizations")
    covered = set()
    for row in full.tables["party_orgs"]:
        if not row["valid_to"] or day(row["valid_to"]) >= REFERENCE_DATE:
            covered.update([row["host_org_id"], *multi(row["covers_org_ids"])])
    share: dict[str, float] = {}
    for sector in Sector:
        in_sector = [o for o in orgs if orgs[o]["sector"] == sector]
        share[sector] = sum(o not in covered for o in in_sector) / len(in_sector)
    assert share[Sector.NEW_ECONOMIC] > 0.5
    assert share[Sector.NEW_SOCIAL] > 0.4
    assert share[Sector.TRADITIONAL] < 0.25


def test_expired_and_unclear_things_exist(dataset: Dataset) -> None:
    t = dataset.tables
    assert any(r["expires_on"] and day(r["expires_on"]) < REFERENCE_DATE for r in t["agreements"])
    assert any(r["expires_on"] == "" for r in t["agreements"])
    assert any(
        r["available_to"] and day(r["available_to"]) < REFERENCE_DATE for r in t["resources"]
    )
    temporary = [r for r in t["party_orgs"] if r["type"] == PartyOrgType.TEMPORARY]
    assert temporary
    assert all(r["valid_to"] for r in temporary)
    expired = {r["id"] for r in temporary if day(r["valid_to"]) < REFERENCE_DATE}
    assert expired
    regions = dataset.by_id("regions")
    orphans = [
        r
        for r in t["party_orgs"]
        if not r["parent_id"] and regions[r["region_id"]]["level"] != RegionLevel.CITY
    ]
    under_expired = [r for r in t["party_orgs"] if r["parent_id"] in expired]
    assert orphans
    assert under_expired
    assert any(r["status"] != "available" for r in t["resources"])
    assert any(r["shareable"] == "false" for r in t["resources"])


def test_blank_areas_and_double_reporting_exist(dataset: Dataset) -> None:
    regions = dataset.by_id("regions")
    occupied: set[str] = set()

    def mark(region_id: str) -> None:
        while region_id:
            occupied.add(region_id)
            region_id = regions[region_id]["parent_id"]

    for row in dataset.tables["people"]:
        if row["is_party_member"] == "true" and row["residence_region_id"]:
            mark(row["residence_region_id"])
    for row in dataset.tables["party_orgs"]:
        mark(row["region_id"])
    blank = Counter(r["level"] for r in regions.values() if r["id"] not in occupied)
    assert blank[RegionLevel.GRID] > 0
    assert blank[RegionLevel.BUILDING] > 0
    reporting = [r for r in dataset.tables["people"] if r["reports_to_party_org_id"]]
    assert any(r["is_party_member"] == "true" for r in reporting)
    assert any(PersonRole.ACTIVIST in multi(r["roles"]) for r in reporting)


def test_names_look_chinese_and_places_follow_naming_patterns(full: Dataset) -> None:
    regions = full.tables["regions"]
    by_level: dict[str, list[str]] = {}
    for row in regions:
        by_level.setdefault(row["level"], []).append(row["name"])
    assert all(n.endswith(("街道", "镇")) for n in by_level["street"])
    assert all(n.endswith("社区") for n in by_level["community"])
    assert all(re.fullmatch(r"第\d+网格", n) for n in by_level["grid"])
    assert all(re.fullmatch(r"\d+(号楼|栋)", n) for n in by_level["building"])
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", r["name"]) for r in full.tables["people"])
    names = [r["name"] for r in full.tables["organizations"]]
    assert len(set(names)) == len(names)
