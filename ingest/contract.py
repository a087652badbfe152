"""The data contract (``shared/contract/data-contract.md``) as data.

Every table with its English name, Chinese alias and columns; every column with its aliases,
whether it is required, its kind, whether it is multi-valued, its enumeration and, for
references, the tables the id it holds may belong to. Names are resolved case-, width- and
whitespace-insensitively (``Person ID``, ``person_id`` and ``PERSON-ID`` are one column;
``居(村)委会`` and ``居（村）委会`` one label).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Final

from graph.model import (
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

MAX_CELL_CHARS: Final = 4000  # a longer cell is a `cell-too-long` error, whatever its column

# Separators of a multi-valued cell in CSV and workbooks (JSONL gives arrays).
MULTI_SEPARATORS: Final = (";", "；", "、", ",", "，")

# Dropped when comparing names: whitespace, underscores, hyphens, and the asterisk people copy
# from the contract's "required" marker.
_NAME_NOISE: Final = re.compile(r"[\s_\-*]+")


def normalize_name(text: str) -> str:
    """Return ``text`` folded for name comparison: NFKC (full-width → half-width), casefolded,
    without whitespace, ``_``, ``-`` or ``*``."""
    return _NAME_NOISE.sub("", unicodedata.normalize("NFKC", text).casefold())


class ColumnKind(enum.StrEnum):
    ID = "id"  # the row's own id
    REFERENCE = "reference"  # the id of another row (see Column.refs)
    SKILL = "skill"  # a skill id, name or alias
    TEXT = "text"
    ENUM = "enum"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    LATITUDE = "latitude"
    LONGITUDE = "longitude"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table as the contract defines it."""

    name: str
    kind: ColumnKind
    aliases: tuple[str, ...] = ()
    required: bool = False
    multi: bool = False
    enum: type[enum.StrEnum] | None = None
    refs: tuple[str, ...] = ()  # tables a REFERENCE may point into
    ref_levels: frozenset[RegionLevel] | None = None  # allowed levels when refs = regions

    @property
    def alias(self) -> str:
        """The Chinese alias (the English name where the contract gives none)."""
        return self.aliases[0] if self.aliases else self.name


@dataclass(frozen=True)
class Table:
    """One table of the contract: ``key`` names the columns that identify a row."""

    name: str
    alias: str
    noun_en: str  # "a region": how messages name a row of this table
    noun_zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ("id",)
    _by_name: Mapping[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Column] = {}
        for col in self.columns:
            for spelling in (col.name, *col.aliases):
                folded = normalize_name(spelling)
                if by_name.setdefault(folded, col) is not col:
                    raise ValueError(f"{self.name}: {spelling!r} names two columns")
        object.__setattr__(self, "_by_name", MappingProxyType(by_name))

    def column(self, header: str) -> Column | None:
        """Return the column a header (English or Chinese, any case or width) names, or None."""
        return self._by_name.get(normalize_name(header))

    @property
    def has_id(self) -> bool:
        """True when rows are identified by an ``id`` of their own."""
        return self.key == ("id",)

    @property
    def parent_column(self) -> Column | None:
        """The column referring to a row of the same table (regions, party orgs, skills)."""
        for col in self.columns:
            if col.name == "parent_id":
                return col
        return None


# --- enumerations: the Chinese labels of each English code ------------------------------------

ENUM_LABELS: Final[Mapping[type[enum.StrEnum], Mapping[str, str]]] = MappingProxyType(
    {
        RegionLevel: {
            "province": "省",
            "city": "市",
            "district": "区/县",
            "street": "街道/镇",
            "community": "社区/村",
            "grid": "网格",
            "compound": "小区",
            "building": "楼栋",
        },
        OrgKind: {
            "agency": "党政机关",
            "public_institution": "事业单位",
            "state_owned": "国有企业",
            "private_enterprise": "非公企业",
            "social_organization": "社会组织",
            "platform_company": "平台企业",
            "residents_committee": "居(村)委会",
            "property_management": "物业企业",
            "school": "学校",
            "hospital": "医院",
            "other": "其他",
        },
        Sector: {
            "traditional": "传统领域",
            "new_economic": "新经济组织",
            "new_social": "新社会组织",
        },
        PartyOrgType: {
            "committee": "党委",
            "working_committee": "党工委",
            "general_branch": "党总支",
            "branch": "党支部",
            "joint_branch": "联合党支部",
            "functional": "功能型党组织",
            "temporary": "临时党组织",
        },
        Gender: {"male": "男", "female": "女"},
        PersonRole: {
            "secretary": "书记",
            "committee_member": "委员",
            "grid_worker": "网格员",
            "building_leader": "楼栋长",
            "volunteer": "志愿者",
            "party_worker": "党务工作者",
            "activist": "入党积极分子",
        },
        ResourceKind: {
            "venue": "场地",
            "fund": "资金",
            "equipment": "设备",
            "service": "服务",
            "volunteer_team": "志愿队伍",
            "expertise": "专业力量",
            "data": "数据",
            "other": "其他",
        },
        ResourceStatus: {"available": "可用", "in_use": "使用中", "unavailable": "不可用"},
        AgreementKind: {
            "pairing": "结对共建",
            "alliance": "党建联盟",
            "joint_meeting": "联席会议",
            "project": "共建项目",
        },
        DemandStatus: {
            "open": "待派单",
            "assigned": "已派单",
            "resolved": "已办结",
            "closed": "已关闭",
        },
        DemandSource: {
            "resident": "居民点单",
            "hotline": "12345热线",
            "grid_report": "网格上报",
            "platform": "平台派单",
        },
    }
)

_PAREN: Final = re.compile(r"\(([^()]+)\)")


def label_variants(label: str) -> set[str]:
    """Return every spelling a label accepts: the whole, and each part of ``a/b`` or ``a(b)c``.

    ``区/县`` → 区/县, 区, 县; ``居(村)委会`` → 居(村)委会, 居委会, 村委会 (the bracketed text
    stands in for as many characters before it).
    """
    whole = unicodedata.normalize("NFKC", label)
    variants = {whole}
    if "/" in whole:
        variants.update(part for part in whole.split("/") if part)
    match = _PAREN.search(whole)
    if match:
        before, inner, after = whole[: match.start()], match.group(1), whole[match.end() :]
        variants.add(before + after)
        variants.add(before[: max(0, len(before) - len(inner))] + inner + after)
    return variants


@cache
def enum_lookup(enum_cls: type[enum.StrEnum]) -> Mapping[str, str]:
    """Return folded spelling → English code for an enumeration (codes and Chinese labels).

    Raises:
        ValueError: two members share a spelling (a contract mistake, caught at import).
    """
    lookup: dict[str, str] = {}
    labels = ENUM_LABELS[enum_cls]
    for member in enum_cls:
        code = member.value
        for spelling in {code, *label_variants(labels[code])}:
            folded = normalize_name(spelling)
            if lookup.setdefault(folded, code) != code:
                raise ValueError(f"{enum_cls.__name__}: {spelling!r} means two codes")
    return MappingProxyType(lookup)


def enum_code(enum_cls: type[enum.StrEnum], text: str) -> str | None:
    """Return the English code ``text`` spells (code or Chinese label), or None."""
    return enum_lookup(enum_cls).get(normalize_name(text))


def allowed_values(enum_cls: type[enum.StrEnum]) -> str:
    """Return the codes and labels of an enumeration for a message: ``male 男, female 女``."""
    labels = ENUM_LABELS[enum_cls]
    return ", ".join(f"{member.value} {labels[member.value]}" for member in enum_cls)


# --- tables ---------------------------------------------------------------------------------

_K = ColumnKind
_UNITS: Final = ("organizations", "party_orgs")
_RESIDENCE_LEVELS: Final = frozenset(
    {RegionLevel.COMMUNITY, RegionLevel.GRID, RegionLevel.COMPOUND, RegionLevel.BUILDING}
)


def _id() -> Column:
    return Column("id", _K.ID, ("编号",), required=True)


def _ref(name: str, alias: str, *refs: str, required: bool = False, multi: bool = False) -> Column:
    return Column(name, _K.REFERENCE, (alias,), required=required, multi=multi, refs=refs)


def _lat_lon() -> tuple[Column, Column]:
    return Column("lat", _K.LATITUDE, ("纬度",)), Column("lon", _K.LONGITUDE, ("经度",))


def _table(
    name: str,
    alias: str,
    nouns: tuple[str, str],
    columns: Iterable[Column],
    key: tuple[str, ...] = ("id",),
) -> Table:
    return Table(name, alias, nouns[0], nouns[1], tuple(columns), key)


_TABLES: Final = (
    _table(
        "regions",
        "区划",
        ("a region", "区划"),
        [
            _id(),
            Column("name", _K.TEXT, ("名称",), required=True),
            Column("level", _K.ENUM, ("层级",), required=True, enum=RegionLevel),
            _ref("parent_id", "上级区划", "regions"),
            *_lat_lon(),
            Column("population", _K.INTEGER, ("人口",)),
            Column("households", _K.INTEGER, ("户数",)),
        ],
    ),
    _table(
        "organizations",
        "单位",
        ("an organization", "单位"),
        [
            _id(),
            Column("name", _K.TEXT, ("名称",), required=True),
            Column("kind", _K.ENUM, ("类型",), required=True, enum=OrgKind),
            Column("sector", _K.ENUM, ("领域",), required=True, enum=Sector),
            _ref("region_id", "所在区划", "regions", required=True),
            Column("address", _K.TEXT, ("地址",)),
            *_lat_lon(),
            Column("employees", _K.INTEGER, ("从业人数",)),
        ],
    ),
    _table(
        "party_orgs",
        "党组织",
        ("a party organisation", "党组织"),
        [
            _id(),
            Column("name", _K.TEXT, ("名称",), required=True),
            Column("type", _K.ENUM, ("类型",), required=True, enum=PartyOrgType),
            _ref("parent_id", "上级党组织", "party_orgs"),
            _ref("region_id", "所在区划", "regions", required=True),
            _ref("host_org_id", "依托单位", "organizations"),
            _ref("covers_org_ids", "覆盖单位", "organizations", multi=True),
            _ref("secretary_id", "书记", "people"),
            Column("founded_on", _K.DATE, ("成立日期",)),
            Column("valid_to", _K.DATE, ("撤销日期",)),
        ],
    ),
    _table(
        "people",
        "人员",
        ("a person", "人员"),
        [
            _id(),
            Column("name", _K.TEXT, ("姓名",), required=True),
            Column("gender", _K.ENUM, ("性别",), enum=Gender),
            Column("birth_year", _K.INTEGER, ("出生年份",)),
            Column("is_party_member", _K.BOOLEAN, ("是否党员",), required=True),
            _ref("party_org_id", "所在党组织", "party_orgs"),
            _ref("employer_org_id", "工作单位", "organizations"),
            Column("occupation", _K.TEXT, ("职业",)),
            Column("new_employment_group", _K.BOOLEAN, ("新就业群体",)),
            Column(
                "residence_region_id",
                _K.REFERENCE,
                ("居住区划",),
                refs=("regions",),
                ref_levels=_RESIDENCE_LEVELS,
            ),
            _ref("reports_to_party_org_id", "报到党组织", "party_orgs"),
            Column("roles", _K.ENUM, ("角色",), multi=True, enum=PersonRole),
            Column("phone", _K.PHONE, ("手机号",)),
            Column("joined_on", _K.DATE, ("入党日期",)),
        ],
    ),
    _table(
        "skills",
        "技能",
        ("a skill", "技能"),
        [
            _id(),
            Column("name", _K.TEXT, ("名称",), required=True),
            _ref("parent_id", "上级类别", "skills"),
            Column("aliases", _K.TEXT, ("别名",), multi=True),
        ],
    ),
    _table(
        "person_skills",
        "人员技能",
        ("a person's skill", "人员技能"),
        [
            _ref("person_id", "人员编号", "people", required=True),
            Column("skill", _K.SKILL, ("技能",), required=True, refs=("skills",)),
            Column("level", _K.INTEGER, ("熟练度",)),
            Column("certified", _K.BOOLEAN, ("持证",)),
        ],
        key=("person_id", "skill_id"),
    ),
    _table(
        "resources",
        "资源",
        ("a resource", "资源"),
        [
            _id(),
            Column("name", _K.TEXT, ("名称",), required=True),
            Column("kind", _K.ENUM, ("类型",), required=True, enum=ResourceKind),
            _ref("owner_id", "所属单位", *_UNITS, required=True),
            _ref("region_id", "所在区划", "regions", required=True),
            *_lat_lon(),
            Column("capacity", _K.NUMBER, ("容量",)),
            Column("capacity_unit", _K.TEXT, ("单位",)),
            Column("scenarios", _K.TEXT, ("适用场景",), multi=True),
            Column("shareable", _K.BOOLEAN, ("可共享",)),
            Column("status", _K.ENUM, ("状态",), enum=ResourceStatus),
            Column("available_from", _K.DATE, ("可用开始日期",)),
            Column("available_to", _K.DATE, ("可用结束日期",)),
        ],
    ),
    _table(
        "agreements",
        "共建协议",
        ("an agreement", "共建协议"),
        [
            _id(),
            Column("name", _K.TEXT, ("名称",), required=True),
            Column("kind", _K.ENUM, ("类型",), required=True, enum=AgreementKind),
            _ref("party_ids", "共建方", *_UNITS, required=True, multi=True),
            _ref("lead_id", "牵头方", *_UNITS),
            Column("signed_on", _K.DATE, ("签订日期",)),
            Column("expires_on", _K.DATE, ("到期日期",)),
            Column("topics", _K.TEXT, ("共建内容",), multi=True),
        ],
    ),
    _table(
        "demands",
        "诉求",
        ("a demand", "诉求"),
        [
            _id(),
            Column("title", _K.TEXT, ("标题",), required=True),
            _ref("region_id", "所在区划", "regions", required=True),
            Column("scenario", _K.TEXT, ("场景",)),
            Column("required_skills", _K.SKILL, ("所需技能",), multi=True, refs=("skills",)),
            Column(
                "required_resource_kinds", _K.ENUM, ("所需资源类型",), multi=True, enum=ResourceKind
            ),
            Column("urgency", _K.INTEGER, ("紧急程度",)),
            Column("affected_people", _K.INTEGER, ("影响人数",)),
            Column("status", _K.ENUM, ("状态",), required=True, enum=DemandStatus),
            Column("created_at", _K.DATETIME, ("提出时间",), required=True),
            Column("resolved_at", _K.DATETIME, ("办结时间",)),
            _ref("assignee_ids", "承接人", "people", multi=True),
            _ref("resource_ids", "使用资源", "resources", multi=True),
            Column("rating", _K.INTEGER, ("评价",)),
            Column("source", _K.ENUM, ("来源",), enum=DemandSource),
        ],
    ),
    _table(
        "resource_usages",
        "资源使用记录",
        ("a resource usage", "资源使用记录"),
        [
            _ref("resource_id", "资源编号", "resources", required=True),
            _ref("user_id", "使用方", *_UNITS, "demands", required=True),
            Column("used_on", _K.DATE, ("使用日期",), required=True),
            Column("effect_rating", _K.INTEGER, ("效果评价",)),
        ],
        key=("resource_id", "user_id", "used_on"),
    ),
)

# Every table by English name, in an order where a table comes after those it refers to
# (people and party orgs refer to each other; skills come after people but before their use).
TABLES: Final[Mapping[str, Table]] = MappingProxyType({t.name: t for t in _TABLES})


def _table_lookup() -> Mapping[str, Table]:
    lookup: dict[str, Table] = {}
    for table in _TABLES:
        for spelling in (table.name, table.alias):
            lookup[normalize_name(spelling)] = table
    return MappingProxyType(lookup)


_TABLE_LOOKUP: Final = _table_lookup()


def table_for(name: str) -> Table | None:
    """Return the table a file stem or sheet name (English or Chinese) names, or None."""
    return _TABLE_LOOKUP.get(normalize_name(name))


def noun(tables: Iterable[str]) -> tuple[str, str]:
    """Return how messages name a row of any of ``tables``: ("a region or …", "区划或…")."""
    chosen = [TABLES[name] for name in tables]
    return " or ".join(t.noun_en for t in chosen), "或".join(t.noun_zh for t in chosen)


# Fail at import, not mid-load, if a label or alias spells two things.
for _enum_cls in ENUM_LABELS:
    enum_lookup(_enum_cls)
