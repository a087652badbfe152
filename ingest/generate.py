"""Synthetic datasets that follow the data contract: one Chinese city, at any size.

``generate(scale, seed, out)`` writes the ten contract tables as UTF-8 CSV with the English
headers of ``TABLES`` (multi-valued cells joined with ``;``, dates ``YYYY-MM-DD``, datetimes
ISO 8601 with ``+08:00``) and returns a ``GenerateStats``. Scale 1 is about 10,000 nodes
(rows of every table but ``person_skills`` and ``resource_usages``), scale 100 about a million;
fractional scales give small test datasets.

The city is 青岛市 (its real districts first, invented ones beyond ten) → streets → communities
→ grids → compounds → buildings. Every organisation, person, community, road and phone number
is invented. The data carries what the questions look for:

- traditional units almost all under a party organisation, with 30–60 % members; new
  economic and social organisations mostly uncovered, with a few per cent; the new
  employment group (riders, couriers, drivers, streamers) under 1 %;
- joint, functional and temporary party organisations, some temporary ones expired; in every
  district one party organisation with no parent and one under an expired parent;
- cold grids and many buildings where no member lives (blank areas);
- in-service members reporting to the community they live in (双报到), activists too;
- rare skills (手语, 盲文, 无人机) that open demands need and few people have;
- resources that are unshareable, unavailable or past their period; agreements past expiry.

Deterministic: one ``random.Random(seed)`` drives everything, no set is ever iterated and all
dates count back from ``reference_date``; equal arguments give byte-identical files.
Streaming: rows are written street by street; only the current street's rows, the places of
the city and a few id lists stay in memory.
"""

from __future__ import annotations

import csv
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any, Final

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
from ingest import generate_names as words
from ingest.rows import USCC_ALPHABET as USCC_CHARSET
from ingest.rows import uscc_check_character

TABLES: Final[dict[str, tuple[str, ...]]] = {
    "regions": ("id", "name", "level", "parent_id", "lat", "lon", "population", "households"),
    "organizations": (
        "id", "name", "kind", "sector", "region_id", "address", "lat", "lon", "employees",
    ),
    "party_orgs": (
        "id", "name", "type", "parent_id", "region_id", "host_org_id", "covers_org_ids",
        "secretary_id", "founded_on", "valid_to",
    ),
    "people": (
        "id", "name", "gender", "birth_year", "is_party_member", "party_org_id",
        "employer_org_id", "occupation", "new_employment_group", "residence_region_id",
        "reports_to_party_org_id", "roles", "phone", "joined_on",
    ),
    "skills": ("id", "name", "parent_id", "aliases"),
    "person_skills": ("person_id", "skill", "level", "certified"),
    "resources": (
        "id", "name", "kind", "owner_id", "region_id", "lat", "lon", "capacity",
        "capacity_unit", "scenarios", "shareable", "status", "available_from", "available_to",
    ),
    "agreements": (
        "id", "name", "kind", "party_ids", "lead_id", "signed_on", "expires_on", "topics",
    ),
    "demands": (
        "id", "title", "region_id", "scenario", "required_skills", "required_resource_kinds",
        "urgency", "affected_people", "status", "created_at", "resolved_at", "assignee_ids",
        "resource_ids", "rating", "source",
    ),
    "resource_usages": ("resource_id", "user_id", "used_on", "effect_rating"),
}  # fmt: skip
EDGE_TABLES: Final = ("person_skills", "resource_usages")
NODE_TABLES: Final = tuple(t for t in TABLES if t not in EDGE_TABLES)
REFERENCE_DATE: Final = date(2026, 11, 22)

# Calibrated so that scale 1 lands near 10,000 nodes: about 190 nodes per community with its
# share of street, district and city units, a little fewer as streets grow with the scale.
NODES_PER_COMMUNITY: Final = 190.0

_ORG_CODE_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)

_KM_PER_DEG_LAT: Final = 111.0
_KM_PER_DEG_LON: Final = 111.0 * math.cos(math.radians(words.CITY_CENTRE[0]))
_NUMERALS: Final = "一二三四五六七八九十"
_SKILL_INDEX: Final = {s[1]: i for i, s in enumerate(words.SKILLS)}
_NEG_OCCUPATIONS: Final = tuple(sorted(NEW_EMPLOYMENT_OCCUPATIONS))
_NEG_EXTRA: Final = ("网约家政服务员", "同城跑腿员")  # new forms of work, flagged by hand
_DEMAND_STATUSES: Final = tuple(DemandStatus)
_DEMAND_SOURCES: Final = tuple(DemandSource)
_RESOURCE_STATUSES: Final = tuple(ResourceStatus)
_DONE: Final = (DemandStatus.RESOLVED, DemandStatus.CLOSED)
_DEFAULT_OCCUPATION: Final = {
    OrgKind.AGENCY: "公务员", OrgKind.HOSPITAL: "医生", OrgKind.SCHOOL: "教师",
    OrgKind.SOCIAL_ORGANIZATION: "社工",
}  # fmt: skip
_FEMALE_SHARE: Final = {
    "外卖骑手": 0.1, "快递员": 0.15, "货车司机": 0.03, "网约车司机": 0.1, "护士": 0.92,
    "教师": 0.72, "养老护理员": 0.8, "家政服务员": 0.9, "育婴师": 0.95, "社区工作者": 0.7,
    "保安": 0.05, "维修工": 0.05, "电梯维保工": 0.05, "消防工程师": 0.15, "网络主播": 0.6,
    "社工": 0.75, "家庭主妇": 1.0, "网约家政服务员": 0.9,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class GenerateStats:
    """What ``generate`` wrote: rows per table, nodes (rows of node tables) and seconds."""

    counts: dict[str, int]
    total_nodes: int
    seconds: float


def _org_code_check(first8: str) -> str:
    """The GB 11714 check character of a 9-character organisation code's first 8."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(first8, _ORG_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def generate(
    scale: float, seed: int, out: Path, *, reference_date: date = REFERENCE_DATE
) -> GenerateStats:
    """Write a dataset of about ``10_000 * scale`` nodes into the folder ``out``.

    Returns the rows written per table, the node count and the seconds taken. ``out`` is
    created if missing; table files already in it are overwritten. Raises ``ValueError``
    when ``scale`` is not positive.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    with _Sink(out) as sink:
        _Generator(scale, seed, sink, reference_date).run()
    counts = dict(sink.counts)
    return GenerateStats(
        counts=counts,
        total_nodes=sum(counts[t] for t in NODE_TABLES),
        seconds=round(time.perf_counter() - started, 3),
    )


class _Sink:
    """The ten table files, open for writing, with a row count each."""

    def __init__(self, out: Path) -> None:
        self._out = out
        self._files: list[IO[str]] = []
        self._writers: dict[str, Any] = {}  # csv writers; typeshed names their type privately
        self.counts: dict[str, int] = dict.fromkeys(TABLES, 0)

    def __enter__(self) -> _Sink:
        for table, columns in TABLES.items():
            path = self._out / f"{table}.csv"
            handle = path.open("w", encoding="utf-8", newline="", buffering=1 << 20)
            self._files.append(handle)
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            self._writers[table] = writer
        return self

    def __exit__(self, *_: object) -> None:
        for handle in self._files:
            handle.close()

    def write(self, table: str, rows: Sequence[Sequence[object]]) -> None:
        self._writers[table].writerows(rows)
        self.counts[table] += len(rows)


# -- what is held in memory until written --------------------------------------------------------


@dataclass(slots=True)
class _Place:
    id: str
    name: str
    lat: float
    lon: float
    population: int = 0
    children: list[_Place] = field(default_factory=list)
    cold: bool = False  # a grid where no party member lives: a planted blank area


@dataclass(slots=True)
class _Community:
    place: _Place
    street: _Street
    po_id: str  # its party committee; the id follows from the place, so it is known early
    rc_id: str = ""
    branches: list[_PartyOrg] = field(default_factory=list)
    grid_branch: tuple[_PartyOrg, _Place] | None = None


@dataclass(slots=True)
class _Org:
    id: str
    name: str
    kind: str
    sector: str
    region_id: str
    address: str
    lat: float
    lon: float
    employees: int
    brand: str
    community: _Community | None
    show_coords: bool = True


@dataclass(slots=True)
class _PartyOrg:
    id: str
    name: str
    type: str
    parent_id: str | None
    region_id: str
    founded_on: date
    host_org_id: str | None = None
    covers: list[str] = field(default_factory=list)
    valid_to: date | None = None
    secretary_id: str | None = None
    members: list[_Person] = field(default_factory=list)  # those written in the same batch


@dataclass(slots=True)
class _Person:
    id: str
    name: str
    gender: str
    birth_year: int
    party_org_id: str | None
    employer_id: str | None
    occupation: str
    neg: str
    residence: str | None
    home: _Community | None
    roles: list[str]
    phone: str | None
    joined_on: date | None
    reports_to: str | None = None
    skills: list[tuple[int, int, bool]] = field(default_factory=list)  # index, level, cert.


@dataclass(slots=True)
class _Resource:
    id: str
    owner_id: str
    scenarios: tuple[str, ...]
    available_from: date | None
    available_to: date | None


@dataclass(slots=True)
class _Batch:
    """Rows of one street (or district, or the city) waiting to be written together."""

    regions: list[list[object]] = field(default_factory=list)
    orgs: list[_Org] = field(default_factory=list)
    party_orgs: list[_PartyOrg] = field(default_factory=list)
    people: list[_Person] = field(default_factory=list)
    resources: list[list[object]] = field(default_factory=list)
    resource_refs: list[_Resource] = field(default_factory=list)
    agreements: list[list[object]] = field(default_factory=list)
    demands: list[list[object]] = field(default_factory=list)
    usages: list[list[object]] = field(default_factory=list)
    units: list[str] = field(default_factory=list)  # who may use the batch's resources


@dataclass(slots=True)
class _District:
    code: str
    name: str
    lat: float
    lon: float
    urban: bool
    po: _PartyOrg
    platform_po: _PartyOrg
    batch: _Batch
    communities: list[_Community] = field(default_factory=list)
    street_wcs: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    properties: list[str] = field(default_factory=list)
    socials: list[str] = field(default_factory=list)
    population: int = 0


@dataclass(slots=True)
class _Street:
    place: _Place
    district: _District
    index: int
    roads: list[str]
    wc: _PartyOrg
    ne_joint: _PartyOrg
    ns_joint: _PartyOrg
    business: _PartyOrg | None
    plant_orphan: bool
    batch: _Batch = field(default_factory=_Batch)
    communities: list[_Community] = field(default_factory=list)


# -- the generator --------------------------------------------------------------------------------


class _Generator:
    def __init__(self, scale: float, seed: int, sink: _Sink, reference_date: date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
        self.scale = scale
        self.sink = sink
        self.ref = reference_date
        self.ref_ord = reference_date.toordinal()
        self.counters: dict[tuple[str, str], int] = {}
        self.used_codes: set[str] = set()
        self.used_names: set[str] = set()
        self.city_batch = _Batch()
        self.city_homes: list[_Community] = []
        self.city_wcs: list[str] = []
        self.city_units: list[str] = []
        self.neg_quota = 0.0
        self.member_quota: dict[str, float] = {}
        self.surname_weights: list[float] = []
        total = 0.0
        for rank in range(len(words.SURNAMES)):
            total += 1.0 / (rank + 6)
            self.surname_weights.append(total)
        self.top = self.party_org(
            self.city_batch, "", f"中共{words.CITY_NAME}委员会", PartyOrgType.COMMITTEE, None,
            words.CITY_CODE, date(1949, 6, 2), po_id=f"PO-{words.CITY_CODE}",
        )  # fmt: skip

    # -- small helpers --------------------------------------------------------------------------

    def next_id(self, kind: str, area: str, width: int) -> str:
        key = (kind, area)
        n = self.counters.get(key, 0) + 1
        self.counters[key] = n
        return f"{kind}-{area}-{n:0{width}d}"

    def past(self, min_days: int, max_days: int) -> date:
        """A date between ``max_days`` and ``min_days`` before the reference date."""
        return date.fromordinal(self.ref_ord - self.rng.randint(min_days, max_days))

    def near(self, lat: float, lon: float, km: float) -> tuple[float, float]:
        rng = self.rng
        return (
            round(lat + rng.gauss(0.0, km) / _KM_PER_DEG_LAT, 6),
            round(lon + rng.gauss(0.0, km) / _KM_PER_DEG_LON, 6),
        )

    def at_distance(self, km_range: tuple[float, float]) -> tuple[float, float]:
        """A point at a random bearing and distance from the city centre."""
        angle = self.rng.uniform(0, 2 * math.pi)
        dist = self.rng.uniform(*km_range)
        lat, lon = words.CITY_CENTRE
        return (
            round(lat + dist * math.sin(angle) / _KM_PER_DEG_LAT, 6),
            round(lon + dist * math.cos(angle) / _KM_PER_DEG_LON, 6),
        )

    def unique(self, candidates: Sequence[str], fallback: str) -> str:
        """The first unused name among ``candidates`` and ``fallback``, else ``fallback``
        numbered until unused."""
        for name in (*candidates, fallback):
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        n = 2
        while f"{fallback}（{n}）" in self.used_names:
            n += 1
        self.used_names.add(f"{fallback}（{n}）")
        return f"{fallback}（{n}）"

    def stem(self) -> str:
        return self.rng.choice(words.PLACE_FIRST) + self.rng.choice(words.PLACE_SECOND)

    def brand(self) -> str:
        return self.rng.choice(words.BRAND_FIRST) + self.rng.choice(words.BRAND_SECOND)

    def roads(self, n: int) -> list[str]:
        return [self.stem() + self.rng.choice(words.ROAD_SUFFIXES) for _ in range(n)]

    def uscc(self, type_code: str, division: str, modern: bool) -> str:
        """A fresh unified social credit code: ``type_code`` (registration authority and kind),
        the division, a GB 11714 organisation code (``MA…``/``MJ…`` when ``modern``, the older
        all-digit form otherwise) and the GB 32100 check character."""
        rng = self.rng
        while True:
            if modern:
                body8 = ("MJ" if type_code[0] == "5" else "MA") + "".join(
                    rng.choice(USCC_CHARSET) for _ in range(6)
                )
            else:
                body8 = f"{rng.randrange(10**8):08d}"
            first17 = type_code + division + body8 + _org_code_check(body8)
            code = first17 + uscc_check_character(first17)
            if code not in self.used_codes:
                self.used_codes.add(code)
                return code

    def binomial(self, n: int, p: float) -> int:
        rng = self.rng
        if n > 60:  # the normal approximation: exact draws would dominate at scale 100
            value = round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))
            return min(n, max(0, value))
        return sum(1 for _ in range(n) if rng.random() < p)

    def neg_member(self) -> bool:
        """Whether the next new-employment worker is a party member: about one in 170, spread
        evenly rather than drawn, so that small datasets stay under 1 % too."""
        self.neg_quota += 0.006
        if self.neg_quota >= 1.0:
            self.neg_quota -= 1.0
            return True
        return False

    def person_name(self, gender: str) -> str:
        rng = self.rng
        surname = rng.choices(words.SURNAMES, cum_weights=self.surname_weights)[0]
        pool = words.GIVEN_FEMALE if gender == Gender.FEMALE else words.GIVEN_MALE
        if rng.random() < 0.3:
            return surname + rng.choice(pool)
        first = rng.choice(pool) if rng.random() < 0.6 else rng.choice(words.GIVEN_NEUTRAL)
        second = rng.choice(pool)
        return surname + first + (second if second != first else rng.choice(words.GIVEN_NEUTRAL))

    # -- the run --------------------------------------------------------------------------------

    def run(self) -> None:
        self.sink.write("skills", [
            [sid, name, parent, ";".join(aliases)] for sid, name, parent, aliases in words.SKILLS
        ])  # fmt: skip
        self.sink.write("regions", [
            [words.CITY_CODE, words.CITY_NAME, RegionLevel.CITY, "", *words.CITY_CENTRE, "", ""]
        ])  # fmt: skip
        city_units = self.city_units_setup()
        per_community = NODES_PER_COMMUNITY / (1 + 0.05 * math.log10(max(1.0, self.scale)))
        n_communities = max(1, round((10_000 * self.scale - 150) / per_community))
        # Invented districts take codes 370220–370279, clear of the real ones.
        n_districts = min(n_communities, max(1, round(3 * self.scale**0.35)), 70)
        per_street = 5.0 * max(1.0, self.scale) ** 0.2
        n_streets = min(n_communities, max(n_districts, round(n_communities / per_street)))
        streets_per_district = self.partition(n_streets, n_districts)
        communities_per_street = self.partition(n_communities, n_streets)
        cursor = 0
        for index, n in enumerate(streets_per_district):
            self.district(index, communities_per_street[cursor : cursor + n])
            cursor += n
        self.city_finish(city_units)

    def partition(self, total: int, parts: int) -> list[int]:
        """``total`` split into ``parts`` positive, uneven shares."""
        weights = [self.rng.uniform(0.5, 1.5) for _ in range(parts)]
        scale = (total - parts) / sum(weights)
        shares = [1 + int(w * scale) for w in weights]
        for _ in range(total - sum(shares)):
            shares[self.rng.randrange(parts)] += 1
        return shares

    # -- the city -------------------------------------------------------------------------------

    def city_units_setup(self) -> list[tuple[_Org, float, _PartyOrg | None]]:
        """City-level units; their staff are drawn at the end, once every home exists."""
        rng, batch, code = self.rng, self.city_batch, words.CITY_CODE
        result = []
        # Past the list, only units with a brand repeat: a second 民政局 would be odd.
        branded = [u for u in words.CITY_UNITS if "{brand}" in u.pattern or not u.pattern]
        for i in range(max(3, round(4 + 2 * math.log2(1 + self.scale)))):
            spec = words.CITY_UNITS[i] if i < len(words.CITY_UNITS) else rng.choice(branded)
            brand = self.brand()
            resources = spec.resources
            if spec.pattern:
                lat, lon = self.near(*words.CITY_CENTRE, 2.5)
                name = spec.pattern.format(
                    city=words.CITY_NAME, short=words.CITY_SHORT, brand=brand
                )
                modern = spec.sector != Sector.TRADITIONAL
            else:
                # A perfect partner for many needs that sits too far from the urban core.
                lat, lon = self.at_distance((14.0, 22.0))
                industry = rng.choice(words.INDUSTRIES)
                name, resources, modern = f"山东{brand}{industry.suffix}", industry.resources, True
            org = self.org(
                batch, self.unique([name], name), spec.kind, spec.sector,
                self.uscc(spec.type_code, code, modern), rng.randint(*spec.employees), brand,
                code, lat, lon, f"{words.CITY_NAME}{self.roads(1)[0]}{rng.randint(1, 300)}号",
            )  # fmt: skip
            self.city_units.append(org.id)
            po = None
            if spec.party_org:
                po = self.party_org(
                    batch, code, f"{org.name}{spec.party_org}", PartyOrgType.COMMITTEE,
                    self.top.id, code, self.past(5000, 15000), host=org.id,
                )  # fmt: skip
                self.city_units.append(po.id)
            for template in resources:
                self.resource(batch, template, org.id, code, lat, lon, brand=brand, name=org.name)
            result.append((org, spec.member_ratio, po))
        return result

    def city_finish(self, city_units: list[tuple[_Org, float, _PartyOrg | None]]) -> None:
        rng, batch = self.rng, self.city_batch
        for org, ratio, po in city_units:
            for _ in range(self.binomial(org.employees, ratio)):
                home = rng.choice(self.city_homes)
                self.staff(batch, org, home, po.id if po else home.po_id, po)
            for _ in range(rng.randint(0, 2)):
                self.staff(batch, org, rng.choice(self.city_homes), None, None)
        for org, _, _ in city_units:
            if org.kind == OrgKind.SOCIAL_ORGANIZATION and len(self.city_wcs) >= 2:
                # A city-wide alliance across districts: the brokers of question 5.
                wcs = rng.sample(self.city_wcs, min(len(self.city_wcs), rng.randint(3, 10)))
                name = f"{words.CITY_NAME}“红色{org.brand}”志愿服务联盟"
                self.agreement(batch, name, AgreementKind.ALLIANCE, [org.id, *wcs], org.id,
                               expiry="never")  # fmt: skip
            if org.kind == OrgKind.HOSPITAL:
                for home in rng.sample(self.city_homes, min(len(self.city_homes), 4)):
                    self.agreement(batch, f"{_short(org.name)}与{home.place.name}医疗结对共建协议",
                                   AgreementKind.PAIRING, [org.id, home.po_id], org.id)  # fmt: skip
        nearby = [c.po_id for c in rng.sample(self.city_homes, min(30, len(self.city_homes)))]
        self.usages(batch, self.city_units + nearby)
        self.flush(batch)

    # -- districts ------------------------------------------------------------------------------

    def district(self, index: int, street_sizes: list[int]) -> None:
        rng = self.rng
        if index < len(words.DISTRICTS):
            code, name, lat, lon, urban = words.DISTRICTS[index]
        else:
            extra = index - len(words.DISTRICTS)
            stems = words.EXTRA_DISTRICT_STEMS
            name = f"{stems[extra % len(stems)]}{'新' * (extra // len(stems))}区"
            code, urban = f"3702{20 + extra:02d}", False
            lat, lon = self.at_distance((25.0, 40.0))
        batch = _Batch()
        po = self.party_org(
            batch, code, f"中共{name}委员会", PartyOrgType.COMMITTEE, self.top.id, code,
            date(rng.randint(1950, 1995), 7, 1), po_id=f"PO-{code}",
        )  # fmt: skip
        platform_po = self.party_org(
            batch, code, f"{name}快递外卖行业功能型党支部", PartyOrgType.FUNCTIONAL, po.id, code,
            self.past(1200, 2800),
        )  # fmt: skip
        district = _District(code, name, lat, lon, urban, po, platform_po, batch)
        self.city_units.append(po.id)
        agencies = self.district_agencies(district)
        spread = 1.0 + 0.6 * math.sqrt(len(street_sizes))
        for s_index, size in enumerate(street_sizes):
            self.street(district, s_index, size, self.near(lat, lon, spread))
        self.district_finish(district, agencies)

    def district_agencies(self, district: _District) -> list[tuple[_Org, _PartyOrg]]:
        rng, batch = self.rng, district.batch
        n = min(len(words.DISTRICT_AGENCIES), max(2, round(2 + 1.5 * self.scale**0.5)))
        roads = self.roads(6)
        result = []
        for i in sorted(rng.sample(range(len(words.DISTRICT_AGENCIES)), n)):
            suffix, resources = words.DISTRICT_AGENCIES[i]
            lat, lon = self.near(district.lat, district.lon, 1.0)
            org = self.org(
                batch, f"{district.name}{suffix}", OrgKind.AGENCY, Sector.TRADITIONAL,
                self.uscc("11", district.code, False), rng.randint(20, 50), suffix,
                district.code, lat, lon,
                f"{district.name}{rng.choice(roads)}{rng.randint(1, 400)}号",
            )  # fmt: skip
            po = self.party_org(
                batch, district.code, f"{org.name}机关党支部", PartyOrgType.BRANCH,
                district.po.id, district.code, self.past(5000, 14000), host=org.id,
            )  # fmt: skip
            for template in resources:
                owner = po.id if rng.random() < 0.3 else org.id
                self.resource(batch, template, owner, district.code, lat, lon,
                              district=district.name)  # fmt: skip
            result.append((org, po))
        return result

    def district_finish(self, district: _District, agencies: list[tuple[_Org, _PartyOrg]]) -> None:
        rng, batch = self.rng, district.batch
        for org, po in agencies:
            for _ in range(max(3, self.binomial(org.employees, rng.uniform(0.4, 0.6)))):
                self.staff(batch, org, rng.choice(district.communities), po.id, po)
        # A party worker of a district bureau runs the platform branch.
        staff = [p for p in batch.people if p.party_org_id is not None and not p.roles]
        if staff:
            worker = rng.choice(staff)
            worker.roles.append(PersonRole.SECRETARY)
            district.platform_po.secretary_id = worker.id
        population = district.population
        batch.regions.append([
            district.code, district.name, RegionLevel.DISTRICT, words.CITY_CODE, district.lat,
            district.lon, population, round(population / 2.6),
        ])  # fmt: skip
        # Cross-street ties: the brokers and the lateral network the seeds find weak.
        if district.platforms:
            n = min(len(district.platforms), rng.randint(2, 8))
            parties = [district.platform_po.id, *rng.sample(district.platforms, n)]
            parties += rng.sample(district.street_wcs, min(2, len(district.street_wcs)))
            self.agreement(batch, f"{district.name}新就业群体“红色驿站”党建联盟",
                           AgreementKind.ALLIANCE, parties, district.platform_po.id)  # fmt: skip
        if len(district.properties) >= 2:
            n = min(len(district.properties), rng.randint(2, 8))
            self.agreement(batch, f"{district.name}“红色物业”党建联盟", AgreementKind.ALLIANCE,
                           [district.po.id, *rng.sample(district.properties, n)],
                           district.po.id)  # fmt: skip
        for _ in range(len(district.street_wcs) // 4):
            wcs = rng.sample(district.street_wcs, rng.randint(2, 3))
            socials = rng.sample(district.socials, min(len(district.socials), rng.randint(1, 2)))
            self.agreement(batch, f"{district.name}{self.stem()}片区党建联盟",
                           AgreementKind.ALLIANCE, [*wcs, *socials], wcs[0])  # fmt: skip
        self.usages(batch, batch.units + district.street_wcs)
        self.flush(batch)

    # -- streets --------------------------------------------------------------------------------

    def street(
        self, district: _District, index: int, size: int, centre: tuple[float, float]
    ) -> None:
        rng = self.rng
        sid = f"{district.code}{index + 1:03d}"
        town = not district.urban and rng.random() < 0.3
        pattern = words.TOWN_PATTERN if town else rng.choice(words.STREET_PATTERNS)
        candidates = [pattern.format(stem=self.stem()) for _ in range(6)]
        sname = self.unique(candidates, candidates[0])
        short = sname.removesuffix("街道").removesuffix("镇")
        batch = _Batch()
        wc = self.party_org(
            batch, sid, f"中共{sname}委员会" if town else f"{sname}党工委",
            PartyOrgType.COMMITTEE if town else PartyOrgType.WORKING_COMMITTEE, district.po.id,
            sid, date(rng.randint(1995, 2015), 7, 1), po_id=f"PO-{sid}",
        )  # fmt: skip
        joint_parent = wc.id if rng.random() < 0.7 else district.po.id
        ne_joint, ns_joint = (
            self.party_org(batch, sid, f"{sname}{what}联合党支部", PartyOrgType.JOINT_BRANCH,
                           joint_parent, sid, self.past(800, 6000))
            for what in ("非公企业", "社会组织")
        )  # fmt: skip
        # The first street of every district carries the planted findings.
        planted = index == 0
        business = None
        if planted or rng.random() < 0.35:
            business = self.party_org(
                batch, sid, f"{short}商圈功能型党支部", PartyOrgType.FUNCTIONAL, wc.id, sid,
                self.past(300, 2500),
            )  # fmt: skip
        street = _Street(
            _Place(sid, sname, *centre), district, index, self.roads(rng.randint(6, 10)), wc,
            ne_joint, ns_joint, business, planted or rng.random() < 0.05, batch,
        )  # fmt: skip
        district.street_wcs.append(wc.id)
        self.city_wcs.append(wc.id)

        self.places(street, size)
        office = self.street_units(street)
        if planted or rng.random() < 0.3:
            self.temporary(street, expired=planted or rng.random() < 0.5)
        for community in street.communities:
            self.community(street, community)
        self.street_resources(street, office)
        self.street_demands(street)
        self.street_agreements(street)
        outsiders = rng.sample(district.batch.units, min(3, len(district.batch.units)))
        self.usages(batch, batch.units + outsiders)
        district.population += street.place.population
        self.flush(batch)
        district.communities += street.communities
        self.city_homes += street.communities

    def places(self, street: _Street, size: int) -> None:
        """The street's communities, grids, compounds and buildings, and their region rows."""
        rng, sp = self.rng, street.place
        for c in range(size):
            cid = f"{sp.id}{c + 1:03d}"
            options = [f"{self.stem()}{rng.choice(words.PLACE_GEO)}社区" for _ in range(4)]
            options += [f"{rng.choice(street.roads)}社区", f"{self.stem()}社区"]
            cp = _Place(cid, self.unique(options, options[0]), *self.near(sp.lat, sp.lon, 0.8))
            n_grids = rng.randint(3, 6)
            # About a third of communities have a grid no member lives in; a district's first
            # always has one.
            planted = street.index == 0 and c == 0
            cold = rng.randrange(n_grids) if rng.random() < 0.35 or planted else -1
            for g in range(n_grids):
                grid = _Place(f"{cid}W{g + 1:02d}", f"第{g + 1}网格",
                              *self.near(cp.lat, cp.lon, 0.25), cold=g == cold)  # fmt: skip
                names: list[str] = []
                for x in range(rng.randint(1, 4)):
                    name = self.stem() + rng.choice(words.COMPOUND_SUFFIXES)
                    while name in names:
                        name = self.stem() + rng.choice(words.COMPOUND_SUFFIXES)
                    names.append(name)
                    compound = _Place(f"{grid.id}X{x + 1:02d}", name,
                                      *self.near(grid.lat, grid.lon, 0.1))  # fmt: skip
                    style = "号楼" if rng.random() < 0.6 else "栋"
                    for b in range(rng.randint(2, 5)):
                        building = _Place(
                            f"{compound.id}B{b + 1:02d}", f"{b + 1}{style}",
                            *self.near(compound.lat, compound.lon, 0.04), rng.randint(40, 320),
                        )  # fmt: skip
                        compound.children.append(building)
                        compound.population += building.population
                    grid.children.append(compound)
                    grid.population += compound.population
                cp.children.append(grid)
                cp.population += grid.population
            sp.population += cp.population
            street.communities.append(_Community(cp, street, f"PO-{cid}"))
        rows = street.batch.regions
        rows.append(_region_row(sp, RegionLevel.STREET, street.district.code))
        for community in street.communities:
            cp = community.place
            rows.append(_region_row(cp, RegionLevel.COMMUNITY, sp.id))
            for grid in cp.children:
                rows.append(_region_row(grid, RegionLevel.GRID, cp.id))
                for compound in grid.children:
                    rows.append(_region_row(compound, RegionLevel.COMPOUND, grid.id))
                    for building in compound.children:
                        rows.append(_region_row(building, RegionLevel.BUILDING, compound.id))

    def street_units(self, street: _Street) -> _Org:
        """The street office (host of the working committee), and clinic, police, inspectors."""
        rng, district, batch = self.rng, street.district, street.batch
        sname = street.place.name
        first = street.communities[0]
        office = self.local_org(
            street, first, f"{sname}办事处", OrgKind.AGENCY, Sector.TRADITIONAL,
            self.uscc("11", district.code, False), rng.randint(30, 60), sname,
        )  # fmt: skip
        street.wc.host_org_id = office.id
        for i in range(max(3, self.binomial(office.employees, rng.uniform(0.45, 0.65)))):
            home = self.local_home(street, first)
            person = self.staff(batch, office, home, street.wc.id, street.wc)
            if i == 0:
                person.roles.append(PersonRole.SECRETARY)
                street.wc.secretary_id = person.id
            elif i < 6:
                person.roles.append(
                    PersonRole.COMMITTEE_MEMBER if i < 4 else PersonRole.PARTY_WORKER
                )
        for suffix, kind, type_code, size, chance, po_type, occupation in words.STREET_UNITS:
            if rng.random() >= chance and street.index > 0:
                continue
            community = rng.choice(street.communities)
            name = sname + suffix
            if suffix == "派出所":
                name = f"{words.CITY_NAME}公安局{district.name}分局{sname}派出所"
            org = self.local_org(
                street, community, name, kind, Sector.TRADITIONAL,
                self.uscc(type_code, district.code, False), rng.randint(*size), sname,
            )  # fmt: skip
            po_name = "党总支" if po_type == PartyOrgType.GENERAL_BRANCH else "党支部"
            po = self.party_org(
                batch, org.region_id, f"{name}{po_name}", po_type, street.wc.id, org.region_id,
                self.past(1500, 9000), host=org.id,
            )  # fmt: skip
            for _ in range(max(3, self.binomial(org.employees, rng.uniform(0.3, 0.55)))):
                occ = "护士" if occupation == "医生" and rng.random() < 0.5 else occupation
                home = self.local_home(street, community)
                self.staff(batch, org, home, po.id, po, occupation=occ)
            self.unit_resources(batch, org)
        return office

    def temporary(self, street: _Street, expired: bool) -> None:
        """A construction project with its temporary party branch, possibly ended already."""
        rng, district, batch = self.rng, street.district, street.batch
        community = rng.choice(street.communities)
        project = rng.choice(words.PROJECTS)
        short = street.place.name.removesuffix("街道").removesuffix("镇")
        name = f"山东{self.brand()}城建集团有限公司{short}{project}项目部"
        org = self.local_org(
            street, community, self.unique([name], name), OrgKind.STATE_OWNED,
            Sector.TRADITIONAL, self.uscc("91", district.code, True), rng.randint(30, 90), short,
        )  # fmt: skip
        if expired:
            valid_to = self.past(60, 900)
            founded = valid_to - timedelta(days=rng.randint(300, 1000))
        else:
            founded = self.past(60, 700)
            valid_to = date.fromordinal(self.ref_ord + rng.randint(60, 900))
        temp = self.party_org(
            batch, street.place.id, f"{short}{project}项目临时党支部", PartyOrgType.TEMPORARY,
            street.wc.id, street.place.id, founded, host=org.id,
        )  # fmt: skip
        temp.valid_to = valid_to
        # Once the project ends its members are kept by the working committee again.
        keeper = street.wc if expired else temp
        for _ in range(max(3, self.binomial(org.employees, rng.uniform(0.3, 0.5)))):
            home = self.local_home(street, community)
            occupation = rng.choice(("工程师", "项目经理", "技术员"))
            self.staff(batch, org, home, keeper.id, keeper, occupation=occupation)
        self.unit_resources(batch, org)
        if expired and street.business is not None:
            # Set up under the project and never moved when it ended: unclear affiliation.
            street.business.parent_id = temp.id

    # -- communities ----------------------------------------------------------------------------

    def community(self, street: _Street, community: _Community) -> None:
        rng, batch = self.rng, street.batch
        cp = community.place
        rc = self.local_org(
            street, community, f"{cp.name}居民委员会", OrgKind.RESIDENTS_COMMITTEE,
            Sector.TRADITIONAL, self.next_id("ORG", street.district.code, 5), 0,
            cp.name.removesuffix("社区"), region_id=cp.id,
        )  # fmt: skip
        community.rc_id = rc.id
        po = self.party_org(
            batch, cp.id, f"{cp.name}党委", PartyOrgType.COMMITTEE, street.wc.id, cp.id,
            date(rng.randint(2000, 2020), 7, 1), host=rc.id, po_id=community.po_id,
        )  # fmt: skip
        for b in range(rng.choice((1, 1, 2, 2, 3))):
            community.branches.append(self.party_org(
                batch, cp.id, f"{cp.name}第{_NUMERALS[b]}党支部", PartyOrgType.BRANCH, po.id,
                cp.id, self.past(400, 8000),
            ))  # fmt: skip
        if rng.random() < 0.35:
            grid = rng.choice([g for g in cp.children if not g.cold])
            grid_po = self.party_org(
                batch, cp.id, f"{cp.name}{grid.name}党支部", PartyOrgType.BRANCH, po.id, grid.id,
                self.past(200, 3000),
            )  # fmt: skip
            community.grid_branch = (grid_po, grid)

        # The residents' committee: community workers, and one grid worker per grid.
        staff = 0
        for i in range(rng.randint(5, 10)):
            member = i == 0 or rng.random() < 0.7
            person = self.staff(batch, rc, community, po.id if member else None, po,
                                occupation="社区工作者")  # fmt: skip
            staff += 1
            if i == 0:  # the secretary who also chairs the committee (一肩挑)
                person.roles.append(PersonRole.SECRETARY)
                po.secretary_id = person.id
            elif member and i < 4:
                person.roles.append(PersonRole.COMMITTEE_MEMBER)
            elif i < 6:
                person.roles.append(PersonRole.PARTY_WORKER if member else PersonRole.VOLUNTEER)
        for grid in cp.children:
            member = not grid.cold and rng.random() < 0.45
            person = self.staff(batch, rc, community, po.id if member else None, po,
                                occupation="网格员", grid=grid)  # fmt: skip
            person.roles.append(PersonRole.GRID_WORKER)
            staff += 1
        rc.employees = staff + rng.randint(0, 3)

        self.traditional_units(street, community)
        self.economic_units(street, community)
        self.social_units(street, community)
        self.residents(street, community, po)
        for template, owner, chance in words.COMMUNITY_RESOURCES:
            if rng.random() < chance:
                owner_id = po.id if owner == "po" else rc.id
                self.resource(batch, template, owner_id, cp.id, cp.lat, cp.lon, name=cp.name)

    def traditional_units(self, street: _Street, community: _Community) -> None:
        """Schools, clinics, public institutions and utilities: nearly all with a branch."""
        rng, district, batch = self.rng, street.district, street.batch
        cp = community.place
        short = cp.name.removesuffix("社区")
        road = rng.choice(street.roads)
        school, public, brand = OrgKind.SCHOOL, OrgKind.PUBLIC_INSTITUTION, self.brand()
        specs: list[tuple[str, str, str, tuple[int, int], str]] = []
        if rng.random() < 0.35 or _showcase(street, community):
            specs.append(rng.choice((
                (f"{words.CITY_SHORT}{road}小学", school, "12", (40, 110), "教师"),
                (f"{district.name}{brand}幼儿园", school, "12", (15, 40), "教师"),
                (f"{words.CITY_NAME}{brand}实验小学", school, "12", (50, 120), "教师"),
                (f"{words.CITY_SHORT}{road}中学", school, "12", (60, 140), "教师"),
            )))  # fmt: skip
        if rng.random() < 0.12:
            specs.append((f"{cp.name}卫生服务站", OrgKind.HOSPITAL, "12", (6, 18), "医生"))
        if rng.random() < 0.2:
            specs.append(rng.choice((
                (f"{cp.name}综合养老服务站", public, "12", (6, 20), "事业单位职员"),
                (f"{district.name}图书馆{short}分馆", public, "12", (4, 12), "事业单位职员"),
                (f"{district.name}少年宫{short}活动站", public, "12", (4, 12), "教师"),
            )))  # fmt: skip
        if rng.random() < 0.15:
            utility = rng.choice(words.UTILITIES)
            specs.append((f"{words.CITY_SHORT}{brand}{utility}{short}服务站",
                          OrgKind.STATE_OWNED, "91", (10, 40), "技术员"))  # fmt: skip
        for name, kind, type_code, size, occupation in specs:
            branch = "校区" if kind == OrgKind.SCHOOL else "分部"
            org = self.local_org(
                street, community, self.unique([name, f"{name}{short}{branch}"], name), kind,
                Sector.TRADITIONAL, self.uscc(type_code, district.code, rng.random() < 0.3),
                rng.randint(*size), short,
            )  # fmt: skip
            po = None
            if org.employees >= 12 or rng.random() < 0.6:
                general = org.employees >= 50 and kind != OrgKind.STATE_OWNED
                po = self.party_org(
                    batch, org.region_id, f"{org.name}{'党总支' if general else '党支部'}",
                    PartyOrgType.GENERAL_BRANCH if general else PartyOrgType.BRANCH,
                    street.wc.id, org.region_id, self.past(700, 12000), host=org.id,
                )  # fmt: skip
            count = self.binomial(org.employees, rng.uniform(0.3, 0.6))
            for _ in range(max(3, count) if po else count):
                occ = "护士" if occupation == "医生" and rng.random() < 0.5 else occupation
                home = self.local_home(street, community)
                keeper = po.id if po else (home or community).po_id
                self.staff(batch, org, home, keeper, po, occupation=occ)
            self.unit_resources(batch, org)

    def economic_units(self, street: _Street, community: _Community) -> None:
        """Private enterprises and shops, property companies and platform sites."""
        rng, district, batch = self.rng, street.district, street.batch
        cp = community.place
        sname = street.place.name
        for _ in range(rng.randint(3, 9)):
            shop = rng.random() < 0.3
            brand = self.brand()
            if shop:
                industry = rng.choice(words.SHOPS)
                options = [f"{b}{industry.suffix}" for b in (brand, self.brand())]
                options.append(f"{rng.choice(street.roads)}{brand}{industry.suffix}")
                name = self.unique(options, f"{sname.removesuffix('街道')}{options[0]}")
                org_id = self.uscc("92", district.code, True)
            else:
                industry = rng.choice(words.INDUSTRIES)
                prefix = words.CITY_SHORT if rng.random() < 0.85 else "山东"
                brands = (brand, self.brand(), self.brand())
                options = [f"{prefix}{b}{industry.suffix}" for b in brands]
                name = self.unique(options, f"{options[0]}{sname}分公司")
                org_id = (self.next_id("ORG", district.code, 5) if rng.random() < 0.1
                          else self.uscc("91", district.code, rng.random() < 0.85))  # fmt: skip
            org = self.local_org(
                street, community, name, OrgKind.PRIVATE_ENTERPRISE, Sector.NEW_ECONOMIC,
                org_id, rng.randint(*industry.employees), brand,
            )  # fmt: skip
            r = rng.random()
            mode = "none"
            if shop and street.business is not None and r < 0.3:
                mode = "business"
            elif not shop and (org.employees >= 25 and (street.plant_orphan or r < 0.12)):
                mode = "own"
            elif not shop and r < 0.25:
                mode = "joint"
            self.staff_unit(street, community, org, mode, industry.occupations,
                            (0.05, 0.12), 0.05, 0.012)  # fmt: skip
            if rng.random() < 0.3:
                for template in industry.resources:
                    self.resource(batch, template, org.id, org.region_id, org.lat, org.lon,
                                  brand=brand, name=org.name)  # fmt: skip

        # Property companies: about one per community, a quarter of them "红色物业" with a branch.
        for _ in range(rng.choice((1, 1, 2) if _showcase(street, community) else (0, 1, 1, 1, 2))):
            brand = self.brand()
            brands = (brand, self.brand(), self.brand())
            options = [f"{words.CITY_SHORT}{b}物业服务有限公司" for b in brands]
            org_id = (self.uscc("91", district.code, True) if rng.random() < 0.9
                      else self.next_id("ORG", district.code, 5))  # fmt: skip
            org = self.local_org(
                street, community, self.unique(options, f"{options[0]}{sname}分公司"),
                OrgKind.PROPERTY_MANAGEMENT, Sector.NEW_ECONOMIC, org_id, rng.randint(15, 70),
                brand,
            )  # fmt: skip
            r = rng.random()
            mode = "own" if r < 0.25 else "joint" if r < 0.4 else "none"
            self.staff_unit(street, community, org, mode, ("物业管家", "维修工", "保安"),
                            (0.06, 0.12), 0.05, 0.015)  # fmt: skip
            district.properties.append(org.id)
            self.unit_resources(batch, org)

        # Platform sites: a station master and riders, couriers or drivers.
        if rng.random() < 0.45 or (community is street.communities[0] and not district.platforms):
            platform, site, worker = rng.choice(words.PLATFORM_BRANDS)
            name = f"{platform}{words.CITY_SHORT}{cp.name.removesuffix('社区')}{site}"
            org_id = (self.next_id("ORG", district.code, 5) if rng.random() < 0.4
                      else self.uscc("91", district.code, True))  # fmt: skip
            org = self.local_org(
                street, community, self.unique([name], name), OrgKind.PLATFORM_COMPANY,
                Sector.NEW_ECONOMIC, org_id, rng.randint(15, 60), platform,
            )  # fmt: skip
            functional = district.platform_po if rng.random() < 0.6 else None
            if functional is not None:
                functional.covers.append(org.id)
            district.platforms.append(org.id)
            # Station masters are members far more often than the riders they manage.
            for i in range(1 + round(org.employees * rng.uniform(0.3, 0.6))):
                home = self.local_home(street, community)
                keeper = None
                if (rng.random() < 0.3) if i == 0 else self.neg_member():
                    keeper = functional.id if functional else (home or community).po_id
                occupation = "站长" if i == 0 else worker
                self.staff(batch, org, home, keeper, None, occupation=occupation)
            self.unit_resources(batch, org)

    def social_units(self, street: _Street, community: _Community) -> None:
        """Social organizations and, now and then, a law firm."""
        rng, district, batch = self.rng, street.district, street.batch
        for _ in range(
            rng.choice((1, 2, 2, 3) if _showcase(street, community) else (0, 1, 1, 2, 2, 3))
        ):
            spec = rng.choice(words.SOCIAL_KINDS)
            prefix = rng.choice((district.name, street.place.name, words.CITY_NAME))
            brands = [self.brand() for _ in range(3)]
            options = [spec.pattern.format(prefix=prefix, brand=b) for b in brands]
            org_id = (self.uscc(spec.type_code, district.code, True) if rng.random() < 0.88
                      else self.next_id("ORG", district.code, 5))  # fmt: skip
            org = self.local_org(
                street, community, self.unique(options, options[0]), OrgKind.SOCIAL_ORGANIZATION,
                Sector.NEW_SOCIAL, org_id, rng.randint(*spec.employees), brands[0],
            )  # fmt: skip
            r = rng.random()
            mode = "own" if org.employees >= 15 and r < 0.15 else "joint" if r < 0.35 else "none"
            self.staff_unit(street, community, org, mode, spec.occupations, (0.1, 0.2), 0.1,
                            0.055)  # fmt: skip
            district.socials.append(org.id)
            if rng.random() < 0.8:
                for template in spec.resources:
                    self.resource(batch, template, org.id, org.region_id, org.lat, org.lon,
                                  brand=org.brand, name=org.name)  # fmt: skip
        if rng.random() < 0.12 or _showcase(street, community):
            brands = [self.brand() for _ in range(2)]
            options = [f"山东{b}律师事务所" for b in brands]
            org = self.local_org(
                street, community, self.unique(options, options[0]), OrgKind.OTHER,
                Sector.NEW_SOCIAL, self.uscc("31", district.code, False), rng.randint(8, 40),
                brands[0],
            )  # fmt: skip
            mode = "own" if org.employees >= 15 and rng.random() < 0.5 else "none"
            self.staff_unit(street, community, org, mode, ("律师", "律师", "职员"), (0.1, 0.2),
                            0.08, 0.05)  # fmt: skip
            district.socials.append(org.id)
            self.unit_resources(batch, org)

    def staff_unit(
        self,
        street: _Street,
        community: _Community,
        org: _Org,
        mode: str,
        occupations: Sequence[str],
        own_ratio: tuple[float, float],
        covered_ratio: float,
        bare_ratio: float,
    ) -> None:
        """Members and a few other staff of a new economic or social organization.

        ``mode`` says which party organisation covers it: ``own`` (a branch set up in it),
        ``joint`` (the street's joint branch), ``business`` (the street's business-district
        branch) or ``none``; members of an uncovered one are kept where they live.
        """
        rng, batch = self.rng, street.batch
        po: _PartyOrg | None = None
        if mode == "own":
            orphan = street.plant_orphan and org.sector == Sector.NEW_ECONOMIC
            street.plant_orphan = street.plant_orphan and not orphan
            po = self.party_org(
                batch, org.region_id, f"{org.name}党支部", PartyOrgType.BRANCH,
                None if orphan else street.wc.id, org.region_id, self.past(200, 4000),
                host=org.id,
            )  # fmt: skip
            members = max(3, self.binomial(org.employees, rng.uniform(*own_ratio)))
        else:
            if mode == "joint":
                po = street.ne_joint if org.sector == Sector.NEW_ECONOMIC else street.ns_joint
            elif mode == "business":
                po = street.business
            if po is not None:
                if po.host_org_id is None:
                    po.host_org_id = org.id
                else:
                    po.covers.append(org.id)
            # Expected members carried over from unit to unit rather than drawn, so that even
            # a small dataset's ratio lands near the intended one.
            quota = self.member_quota.get(org.sector, 0.5)
            quota += org.employees * (covered_ratio if po else bare_ratio)
            members = min(int(quota), org.employees)
            self.member_quota[org.sector] = quota - members
        members = min(members, org.employees)
        # Riders, drivers and streamers are members far more rarely than office staff.
        settled = [o for o in occupations if o not in NEW_EMPLOYMENT_OCCUPATIONS] or ["职员"]
        for _ in range(members):
            home = self.local_home(street, community)
            keeper = po.id if po else (home or community).po_id
            self.staff(batch, org, home, keeper, po, occupation=rng.choice(settled))
        for _ in range(min(org.employees - members, rng.choice((0, 1, 1, 2, 3)))):
            home = self.local_home(street, community)
            person = self.staff(batch, org, home, None, None, occupation=rng.choice(occupations))
            if home is not None and rng.random() < 0.08:
                person.roles.append(PersonRole.ACTIVIST)
                person.reports_to = home.po_id

    def residents(self, street: _Street, community: _Community, po: _PartyOrg) -> None:
        """Retired members, volunteers, building leaders, activists and new-form workers."""
        rng, batch = self.rng, street.batch
        for _ in range(rng.randint(5, 12)):
            grid = None
            branch = rng.choice(community.branches)
            if community.grid_branch is not None and rng.random() < 0.3:
                branch, grid = community.grid_branch
            person = self.person(
                batch, "退休", (60, 90), branch.id, branch, None, community,
                self.home_in(community, True, grid),
            )  # fmt: skip
            r = rng.random()
            if r < 0.35:
                person.roles.append(PersonRole.VOLUNTEER)
            if r > 0.75:
                person.roles.append(PersonRole.BUILDING_LEADER)
        for _ in range(rng.randint(3, 8)):
            occupation = rng.choice(
                ("退休", "退休", "在校大学生", "家庭主妇", "自由职业", "务工人员")
            )
            age = {"退休": (60, 85), "在校大学生": (19, 24)}.get(occupation, (25, 60))
            person = self.person(
                batch, occupation, age, None, None, None, community,
                self.home_in(community, False),
            )  # fmt: skip
            r = rng.random()
            if r < 0.6:
                person.roles.append(PersonRole.VOLUNTEER)
            if r > 0.5 and occupation in ("退休", "家庭主妇", "自由职业"):
                person.roles.append(PersonRole.BUILDING_LEADER)
            if occupation == "在校大学生" and rng.random() < 0.3:
                person.roles = [PersonRole.ACTIVIST, PersonRole.VOLUNTEER]
                person.reports_to = community.po_id
        for _ in range(rng.randint(1, 4)):
            member = self.neg_member()
            self.person(
                batch, rng.choice(_NEG_OCCUPATIONS + _NEG_EXTRA), (20, 50),
                po.id if member else None, po if member else None, None, community,
                self.home_in(community, member),
            )  # fmt: skip

    # -- people ---------------------------------------------------------------------------------

    def local_home(self, street: _Street, community: _Community) -> _Community | None:
        """Where an employee lives: mostly near work, some elsewhere in the street, a few
        outside the dataset."""
        r = self.rng.random()
        if r < 0.03:
            return None
        if r < 0.65 or len(street.communities) == 1:
            return community
        return self.rng.choice(street.communities)

    def home_in(self, community: _Community, member: bool, grid: _Place | None = None) -> str:
        """A residence in ``community``: the community itself or a grid, compound or building
        in it (in ``grid`` when given), never in a cold grid for a party member."""
        rng = self.rng
        cp = community.place
        r = rng.random()
        if grid is None:
            if r < 0.06:
                return cp.id
            grid = rng.choice([g for g in cp.children if not g.cold] if member else cp.children)
        if r < 0.18:
            return grid.id
        compound = rng.choice(grid.children)
        if r < 0.42:
            return compound.id
        return rng.choice(compound.children).id

    def staff(
        self,
        batch: _Batch,
        org: _Org,
        home: _Community | None,
        keeper_id: str | None,
        po: _PartyOrg | None,
        *,
        occupation: str | None = None,
        grid: _Place | None = None,
    ) -> _Person:
        """An employee of ``org``: a party member kept at ``keeper_id`` unless that is None.

        In-service members kept outside their home community report there (双报到) about
        half of the time.
        """
        member = keeper_id is not None
        residence = self.home_in(home, member, grid) if home is not None else None
        person = self.person(
            batch, occupation or _DEFAULT_OCCUPATION.get(OrgKind(org.kind), "职员"), (23, 59),
            keeper_id, po if po is not None and po.id == keeper_id else None, org, home,
            residence,
        )  # fmt: skip
        if (
            member
            and home is not None
            and keeper_id != home.po_id
            and org.kind != OrgKind.RESIDENTS_COMMITTEE
            and self.rng.random() < 0.5
        ):
            person.reports_to = home.po_id
        return person

    def person(
        self,
        batch: _Batch,
        occupation: str,
        age: tuple[int, int],
        party_org_id: str | None,
        member_of: _PartyOrg | None,
        employer: _Org | None,
        home: _Community | None,
        residence: str | None,
    ) -> _Person:
        """A person; ``member_of`` is the party organisation (of this batch) keeping them,
        given so that it can pick its secretary among its members."""
        rng = self.rng
        if home is not None:
            area = home.street.district.code
        else:
            area = employer.region_id[:6] if employer is not None else words.CITY_CODE
        gender = Gender.FEMALE if rng.random() < _FEMALE_SHARE.get(occupation, 0.5) else Gender.MALE
        birth_year = self.ref.year - rng.randint(*age)
        joined = None
        if party_org_id is not None:
            # Most join in their twenties or early thirties; never before 18 or 1950.
            year = max(birth_year + 18 + round(rng.triangular(0, 30, 6)), 1950)
            first = date(min(year, self.ref.year), 1, 1).toordinal()
            joined = date.fromordinal(min(first + rng.randrange(365), self.ref_ord - 30))
            if joined.year < birth_year + 18:
                joined = date(birth_year + 18, 7, 1)
        if occupation in NEW_EMPLOYMENT_OCCUPATIONS:
            neg = "true" if rng.random() < 0.85 else ""  # the occupation alone says enough
        elif occupation in _NEG_EXTRA:
            neg = "true"
        else:
            neg = "false" if rng.random() < 0.4 else ""
        person = _Person(
            id=self.next_id("P", area, 6), name=self.person_name(gender), gender=gender,
            birth_year=birth_year, party_org_id=party_org_id,
            employer_id=employer.id if employer is not None else None, occupation=occupation,
            neg=neg, residence=residence, home=home, roles=[],
            phone=f"19900{rng.randrange(1_000_000):06d}" if rng.random() < 0.55 else None,
            joined_on=joined,
        )  # fmt: skip
        for skill, chance, certified in words.OCCUPATION_SKILLS.get(occupation, ()):
            if rng.random() < chance:
                sure = rng.random() < certified
                level = rng.choice((3, 4, 4, 5, 5) if sure else (1, 2, 2, 3, 3, 3, 4, 5))
                person.skills.append((_SKILL_INDEX[skill], level, sure))
        if member_of is not None:
            member_of.members.append(person)
        batch.people.append(person)
        return person

    # -- units ----------------------------------------------------------------------------------

    def org(
        self,
        batch: _Batch,
        name: str,
        kind: str,
        sector: str,
        org_id: str,
        employees: int,
        brand: str,
        region_id: str,
        lat: float,
        lon: float,
        address: str,
        community: _Community | None = None,
    ) -> _Org:
        org = _Org(org_id, name, kind, sector, region_id, address, lat, lon, employees, brand,
                   community)  # fmt: skip
        batch.orgs.append(org)
        batch.units.append(org_id)
        return org

    def local_org(
        self,
        street: _Street,
        community: _Community,
        name: str,
        kind: str,
        sector: str,
        org_id: str,
        employees: int,
        brand: str,
        *,
        region_id: str | None = None,
    ) -> _Org:
        """A unit in ``community``; one in ten is located only to its street, and one in ten
        has no coordinates of its own."""
        rng = self.rng
        cp = community.place
        lat, lon = self.near(cp.lat, cp.lon, 0.35)
        if region_id is None:
            region_id = cp.id if rng.random() < 0.9 else street.place.id
        address = f"{street.district.name}{rng.choice(street.roads)}{rng.randint(1, 400)}号"
        org = self.org(street.batch, name, kind, sector, org_id, employees, brand, region_id,
                       lat, lon, address, community)  # fmt: skip
        org.show_coords = rng.random() < 0.9
        return org

    def party_org(
        self,
        batch: _Batch,
        area: str,
        name: str,
        po_type: str,
        parent_id: str | None,
        region_id: str,
        founded: date,
        *,
        host: str | None = None,
        po_id: str | None = None,
    ) -> _PartyOrg:
        """A party organisation, numbered within the district of ``area`` unless ``po_id``."""
        po = _PartyOrg(
            id=po_id or self.next_id("PO", area[:6], 5), name=name, type=po_type,
            parent_id=parent_id, region_id=region_id, founded_on=founded, host_org_id=host,
        )  # fmt: skip
        batch.party_orgs.append(po)
        batch.units.append(po.id)
        return po

    def resource(
        self,
        batch: _Batch,
        template: words.ResourceTemplate,
        owner_id: str,
        region_id: str,
        lat: float,
        lon: float,
        *,
        brand: str = "",
        name: str = "",
        district: str = "",
    ) -> None:
        rng = self.rng
        name_t, kind, (low, high), unit, scenarios = template
        title = name_t.format(brand=brand, name=name, district=district, city=words.CITY_NAME)
        capacity: int | None = None
        if high > 0:
            capacity = rng.randint(low, high)
            if unit == "元":
                capacity = max(10000, round(capacity, -4))
        r = rng.random()
        start: date | None = None
        end: date | None = None
        if r < 0.15:
            start = self.past(30, 2500)
        elif r < 0.25:
            start = self.past(30, 1500)
            end = date.fromordinal(self.ref_ord + rng.randint(30, 1500))
        elif r < 0.33:  # a pilot or a lease that has ended
            end = self.past(20, 900)
            start = end - timedelta(days=rng.randint(180, 1500))
        status = rng.choices(_RESOURCE_STATUSES, cum_weights=(80, 92, 100))[0]
        shareable = rng.random() < (0.25 if kind == ResourceKind.DATA else 0.87)
        tags = tuple(rng.sample(scenarios, rng.randint(1, len(scenarios))))
        show = rng.random() < 0.6
        res = _Resource(self.next_id("RS", region_id[:6], 6), owner_id, tags, start, end)
        batch.resources.append([
            res.id, title, kind, owner_id, region_id, lat if show else None, lon if show else None,
            capacity, unit if capacity is not None else None, ";".join(tags), _bool(shareable),
            status, start, end,
        ])  # fmt: skip
        batch.resource_refs.append(res)

    def unit_resources(self, batch: _Batch, org: _Org) -> None:
        """What a school, clinic, property company, utility or platform site shares."""
        for template in words.UNIT_RESOURCES.get(org.kind, ()):
            if self.rng.random() < 0.7:
                self.resource(batch, template, org.id, org.region_id, org.lat, org.lon,
                              brand=org.brand, name=org.name)  # fmt: skip

    def street_resources(self, street: _Street, office: _Org) -> None:
        sp = street.place
        for template, owner, chance in words.STREET_RESOURCES:
            if self.rng.random() < chance:
                owner_id = street.wc.id if owner == "wc" else office.id
                self.resource(street.batch, template, owner_id, sp.id, sp.lat, sp.lon,
                              name=sp.name)  # fmt: skip

    # -- demands, agreements, usages ------------------------------------------------------------

    def street_demands(self, street: _Street) -> None:
        """Each community's demands, taken on by people who live or report there."""
        batch = street.batch
        local: dict[str, list[_Person]] = {c.po_id: [] for c in street.communities}
        for person in batch.people:
            at_home = person.home is not None and person.home.street is street
            if at_home and person.home is not None:
                local[person.home.po_id].append(person)
            if person.reports_to in local and not (
                at_home and person.home is not None and person.home.po_id == person.reports_to
            ):
                local[person.reports_to].append(person)
        by_scenario: dict[str, list[_Resource]] = {}
        for res in batch.resource_refs:
            for tag in res.scenarios:
                by_scenario.setdefault(tag, []).append(res)
        for community in street.communities:
            self.demands(street, community, local[community.po_id], by_scenario)

    def demands(
        self,
        street: _Street,
        community: _Community,
        local: list[_Person],
        by_scenario: dict[str, list[_Resource]],
    ) -> None:
        rng, batch = self.rng, street.batch
        cp = community.place
        holders: dict[int, list[_Person]] = {}
        for person in local:
            for index, _, _ in person.skills:
                holders.setdefault(index, []).append(person)
        helpers = [p for p in local if p.roles and PersonRole.SECRETARY not in p.roles] or local
        for _ in range(rng.randint(6, 14)):
            title_t, scenario, skills, kinds, urgency, affected = rng.choice(words.DEMANDS)
            grid = rng.choice(cp.children)
            compound = rng.choice(grid.children)
            building = rng.choice(compound.children)
            title = title_t.format(community=cp.name, compound=compound.name,
                                   building=compound.name + building.name)  # fmt: skip
            if "{building}" in title_t:
                region = building.id
            elif "{compound}" in title_t:
                region = compound.id if rng.random() < 0.7 else grid.id
            else:
                region = rng.choice((cp.id, cp.id, grid.id, compound.id, building.id))
            # A third were raised in the last two months, where the open ones are.
            age = rng.randint(0, 60) if rng.random() < 0.3 else rng.randint(60, 1100)
            created = self.ref_ord - age
            if age < 20:
                status = DemandStatus.OPEN if rng.random() < 0.65 else DemandStatus.ASSIGNED
            else:
                weights = (25, 60, 95, 100) if age < 60 else (5, 10, 85, 100)
                status = rng.choices(_DEMAND_STATUSES, cum_weights=weights)[0]
            done = min(self.ref_ord, created + rng.randint(1, 30))
            indices = [_SKILL_INDEX[s] for s in skills]
            assignees: list[_Person] = []
            if status in (DemandStatus.ASSIGNED, DemandStatus.RESOLVED):
                pool = helpers
                if indices:
                    first = holders.get(indices[0], [])
                    every = [p for p in first if set(indices) <= {s[0] for s in p.skills}]
                    pool = every or first or helpers
                if pool:
                    assignees = rng.sample(pool, min(len(pool), 1 if rng.random() < 0.8 else 2))
                else:
                    status = DemandStatus.OPEN
            demand_id = self.next_id("DM", street.district.code, 6)
            resources: list[_Resource] = []
            options = by_scenario.get(scenario, [])
            if options and status != DemandStatus.OPEN and rng.random() < 0.5:
                resources = [rng.choice(options)]
            rating = None
            if status == DemandStatus.RESOLVED:
                rating = rng.choices((1, 2, 3, 4, 5), cum_weights=(3, 8, 23, 60, 100))[0]
                for res in resources:
                    effect = max(1, min(5, rating + rng.choice((-1, 0, 0, 1))))
                    used = date.fromordinal(rng.randint(created, done))
                    batch.usages.append([res.id, demand_id, used, effect])
            batch.demands.append([
                demand_id, title, region, scenario, ";".join(map(self.skill_ref, indices)),
                ";".join(kinds), rng.randint(*urgency), rng.randint(*affected), status,
                self.moment(created), self.moment(done) if status in _DONE else None,
                ";".join(p.id for p in assignees), ";".join(r.id for r in resources), rating,
                rng.choices(_DEMAND_SOURCES, cum_weights=(40, 60, 85, 100))[0],
            ])  # fmt: skip

    def moment(self, day: int) -> str:
        """An ISO 8601 time in office hours, Beijing time, on the day with ordinal ``day``."""
        minute = self.rng.choice(("00", "15", "30", "45"))
        return f"{date.fromordinal(day)}T{self.rng.randint(8, 21):02d}:{minute}:00+08:00"

    def skill_ref(self, index: int) -> str:
        """A skill as a coordinator would write it: by name, id or an alias."""
        sid, name, _, aliases = words.SKILLS[index]
        r = self.rng.random()
        if r < 0.55:
            return name
        if r < 0.88:
            return sid
        return self.rng.choice(aliases)

    def agreement(
        self,
        batch: _Batch,
        name: str,
        kind: str,
        parties: list[str],
        lead: str,
        *,
        expiry: str = "maybe",
        topics: Sequence[str] = (),
    ) -> None:
        """An agreement among ``parties`` (duplicates dropped; none if fewer than two stay)
        about ``topics`` (else a few random scenarios). ``expiry``: ``never``, ``past`` (it
        has expired) or ``maybe`` (more than half have an end date, some of them past)."""
        rng = self.rng
        unique = list(dict.fromkeys(parties))
        if len(unique) < 2:
            return
        area = lead.split("-")[1][:6] if lead[:3] in ("PO-", "ORG") else lead[2:8]
        signed = self.past(30, 3650)
        expires_on = None
        if expiry == "past":
            signed = self.past(800, 3650)
            expires_on = min(signed + timedelta(days=365 * rng.randint(1, 3)), self.past(1, 30))
        elif expiry == "maybe" and rng.random() < 0.6:
            expires_on = signed + timedelta(days=365 * rng.randint(1, 5))
        if not topics:
            topics = rng.sample(words.SCENARIOS, rng.randint(1, 3))
        batch.agreements.append([
            self.next_id("AG", area, 5), name, kind, ";".join(unique), lead, signed, expires_on,
            ";".join(topics),
        ])  # fmt: skip

    def street_agreements(self, street: _Street) -> None:
        """The street's alliance, and pairings, joint meetings and projects per community."""
        rng, batch = self.rng, street.batch
        partners = [
            o for o in batch.orgs if o.kind not in (OrgKind.AGENCY, OrgKind.RESIDENTS_COMMITTEE)
        ]
        branches = [
            p.id for p in batch.party_orgs if p.host_org_id and p.type == PartyOrgType.BRANCH
        ]
        # Pairings are about what the partner brings, when it brings something.
        offers: dict[str, list[str]] = {}
        for res in batch.resource_refs:
            offers.setdefault(res.owner_id, []).extend(res.scenarios)
        members = [c.po_id for c in street.communities]
        members += rng.sample(branches, min(len(branches), rng.randint(0, 2)))
        members += [o.id for o in rng.sample(partners, min(len(partners), rng.randint(1, 3)))]
        self.agreement(batch, f"{street.place.name}区域化党建联盟", AgreementKind.ALLIANCE,
                       [street.wc.id, *members], street.wc.id, expiry="never")  # fmt: skip
        for community in street.communities:
            cname = community.place.name
            near = [o for o in partners if o.community is community]
            if not near:
                continue
            # A district's first community always has one pairing that has run out.
            showcase = _showcase(street, community)
            for i in range(rng.choice((1, 2) if showcase else (0, 1, 1, 2))):
                partner = rng.choice(near)
                topics = list(dict.fromkeys(offers.get(partner.id, [])))[:3]
                self.agreement(batch, f"{cname}与{_short(partner.name)}结对共建协议",
                               AgreementKind.PAIRING, [community.po_id, partner.id],
                               community.po_id, topics=topics,
                               expiry="past" if showcase and i == 0 else "maybe")  # fmt: skip
            properties = [o.id for o in near if o.kind == OrgKind.PROPERTY_MANAGEMENT]
            if properties and rng.random() < 0.35:
                self.agreement(batch, f"{cname}“红色物业”三方联席会议",
                               AgreementKind.JOINT_MEETING,
                               [community.po_id, community.rc_id, *properties], community.po_id,
                               expiry="never")  # fmt: skip
            if len(near) >= 2 and rng.random() < 0.3:
                a, b = rng.sample(near, 2)
                topic = rng.choice(words.SCENARIOS)
                self.agreement(batch, f"{_short(a.name)}与{_short(b.name)}{topic}共建项目",
                               AgreementKind.PROJECT, [a.id, b.id], a.id,
                               topics=[topic])  # fmt: skip

    def usages(self, batch: _Batch, users: list[str]) -> None:
        """Past uses of the batch's resources by units around them, within their period."""
        rng = self.rng
        for res in batch.resource_refs:
            n = rng.choices((0, 1, 2, 3, 4), cum_weights=(35, 65, 85, 95, 100))[0]
            first = self.ref_ord - 1100
            last = self.ref_ord
            if res.available_from is not None:
                first = max(first, res.available_from.toordinal())
            if res.available_to is not None:
                last = min(last, res.available_to.toordinal())
            if first > last or not users:
                continue
            # A use is known by resource, user and day: never two of one user on one day.
            seen: list[tuple[str, int]] = []
            for _ in range(n):
                user, day = rng.choice(users), rng.randint(first, last)
                if user != res.owner_id and (user, day) not in seen:
                    seen.append((user, day))
                    rating = rng.choices((1, 2, 3, 4, 5), cum_weights=(2, 7, 27, 65, 100))[0]
                    batch.usages.append([res.id, user, date.fromordinal(day), rating])

    # -- writing --------------------------------------------------------------------------------

    def flush(self, batch: _Batch) -> None:
        """Pick the secretaries still missing, write the batch and forget it."""
        rng, sink = self.rng, self.sink
        for po in batch.party_orgs:
            free = [p for p in po.members if PersonRole.SECRETARY not in p.roles]
            if po.secretary_id is None and free and rng.random() < 0.92:
                chosen = rng.choice(free)
                chosen.roles.insert(0, PersonRole.SECRETARY)
                po.secretary_id = chosen.id
                others = [p for p in free if p is not chosen and not p.roles]
                if len(others) >= 4:
                    for p in rng.sample(others, rng.randint(1, 3)):
                        p.roles.append(PersonRole.COMMITTEE_MEMBER)
        sink.write("regions", batch.regions)
        sink.write("organizations", [
            [o.id, o.name, o.kind, o.sector, o.region_id, o.address,
             o.lat if o.show_coords else None, o.lon if o.show_coords else None, o.employees]
            for o in batch.orgs
        ])  # fmt: skip
        sink.write("party_orgs", [
            [p.id, p.name, p.type, p.parent_id, p.region_id, p.host_org_id, ";".join(p.covers),
             p.secretary_id, p.founded_on, p.valid_to]
            for p in batch.party_orgs
        ])  # fmt: skip
        sink.write("people", [
            [p.id, p.name, p.gender, p.birth_year, _bool(p.party_org_id is not None),
             p.party_org_id, p.employer_id, p.occupation, p.neg, p.residence, p.reports_to,
             ";".join(dict.fromkeys(p.roles)), p.phone, p.joined_on]
            for p in batch.people
        ])  # fmt: skip
        sink.write("person_skills", [
            [p.id, self.skill_ref(index), level, _bool(certified)]
            for p in batch.people
            for index, level, certified in p.skills
        ])  # fmt: skip
        sink.write("resources", batch.resources)
        sink.write("agreements", batch.agreements)
        sink.write("demands", batch.demands)
        sink.write("resource_usages", batch.usages)
        # Written rows are dropped, so memory stays bounded by the largest street.
        for po in batch.party_orgs:
            po.members.clear()
        for rows in (
            batch.regions, batch.orgs, batch.party_orgs, batch.people, batch.resources,
            batch.resource_refs, batch.agreements, batch.demands, batch.usages, batch.units,
        ):  # fmt: skip
            rows.clear()


def _showcase(street: _Street, community: _Community) -> bool:
    """Whether this is a district's first community, which has a unit of every kind so that
    even the smallest dataset shows them all."""
    return street.index == 0 and community is street.communities[0]


def _region_row(place: _Place, level: str, parent: str) -> list[object]:
    population = place.population
    return [place.id, place.name, level, parent, place.lat, place.lon, population,
            round(population / 2.6)]  # fmt: skip


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _short(name: str) -> str:
    """A unit's name as people say it in an agreement title."""
    for prefix in (words.CITY_NAME, words.CITY_SHORT, "山东"):
        name = name.removeprefix(prefix)
    return name
