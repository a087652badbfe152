"""One pydantic model per table, ``<Table>Row``, parsing every value format of the contract.

A cell arrives as text (CSV), as a typed workbook cell (float, bool, date, datetime) or as a
JSON value (JSONL, where multi-valued cells are arrays). The field types below turn each into
one typed value: text stripped, empty cells ``None`` (or the column's default), enumerations
their English code, multi-valued cells ``list[str]`` without empties or repeats, naive
datetimes in China Standard Time (UTC+8). A bad cell raises a pydantic error whose ``type``
is the :class:`~ingest.errors.IssueCode` and whose ``ctx`` fills the issue's messages.

Rules spanning rows or columns (date order, party membership, references) are checked by
``ingest.validate``; the models only derive ``new_employment_group`` from the occupation.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from operator import call
from typing import Annotated, Any, Final, NoReturn, cast

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, model_validator
from pydantic_core import PydanticCustomError

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
from ingest.contract import (
    ENUM_LABELS,
    MULTI_SEPARATORS,
    allowed_values,
    enum_lookup,
    normalize_name,
)
from ingest.errors import IssueCode

CHINA_STANDARD_TIME: Final = dt.timezone(dt.timedelta(hours=8))

_SPLIT: Final = re.compile("[" + "".join(MULTI_SEPARATORS) + "]")
_DATE: Final = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_CN_DATE: Final = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_THOUSANDS: Final = re.compile(r"\d{1,3}(?:,\d{3})+")
_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}")
_PHONE_NOISE: Final = str.maketrans("", "", " \t-()（）.")
_BOOLEANS: Final[dict[str, bool]] = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "是": True,
    "否": False,
    "y": True,
    "n": False,
}

# GB 32100-2015: the code alphabet (no I, O, S, V, Z) and the weights of positions 1–17.
USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE: Final = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11643-1999 (居民身份证号码): weights and check characters of ISO 7064 MOD 11-2.
_CITIZEN_ID: Final = re.compile(
    r"[1-9][0-9]{5}((?:18|19|20)[0-9]{2})([0-9]{2})([0-9]{2})[0-9]{3}[0-9X]"
)
_CITIZEN_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CITIZEN_CHECK: Final = "10X98765432"


def _fail(code: IssueCode, **ctx: Any) -> NoReturn:
    raise PydanticCustomError(code.value, code.value, ctx or None)


# --- scalars -------------------------------------------------------------------------------


def cell_text(value: Any) -> str | None:
    """Return a cell as stripped text, None when empty.

    Workbook numbers lose a spurious ``.0`` (an id typed as 370200 arrives as 370200.0).

    Raises:
        PydanticCustomError: ``invalid-type`` for a JSON object or array.
    """
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, int | dt.date | dt.time | dt.timedelta):
        return value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
    _fail(IssueCode.INVALID_TYPE, kind=type(value).__name__, expected_en="text", expected_zh="文本")


def _required_text(value: Any) -> str:
    text = value.strip() if type(value) is str else cell_text(value)
    if not text:
        _fail(IssueCode.MISSING_REQUIRED)
    return text


def split_multi(value: Any) -> list[str]:
    """Return the items of a multi-valued cell (a JSON array, or text split on ``;；、,，``),
    stripped, without empties or repeats.

    Raises:
        PydanticCustomError: ``invalid-type`` for an item that is a JSON object or array.
    """
    if value is None:
        return []
    if isinstance(value, list | tuple):
        texts = (cell_text(item) for item in value)
        return list(dict.fromkeys(t for t in texts if t))
    text = cell_text(value)
    if text is None:
        return []
    parts = _SPLIT.split(text)
    if len(parts) == 1:
        return parts
    items: list[str] = []
    for part in parts:
        part = part.strip()
        if part and part not in items:
            items.append(part)
    return items


def _required_items(value: Any) -> list[str]:
    items = split_multi(value)
    if not items:
        _fail(IssueCode.MISSING_REQUIRED)
    return items


def _boolean(value: Any) -> bool | None:
    if type(value) is str:
        key = value.strip().lower()
        if not key:
            return None
        found = _BOOLEANS.get(key)
        if found is None:
            found = _BOOLEANS.get(unicodedata.normalize("NFKC", key).lower())
            if found is None:
                _fail(IssueCode.INVALID_BOOLEAN)
        return found
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    _fail(IssueCode.INVALID_BOOLEAN)


def _boolean_with(default: bool | None, *, required: bool = False) -> Callable[[Any], bool | None]:
    def parse(value: Any) -> bool | None:
        # the common case without a further call: a code exactly as written
        found = _BOOLEANS.get(value) if type(value) is str else None
        if found is None:
            found = _boolean(value)
        if found is None:
            if required:
                _fail(IssueCode.MISSING_REQUIRED)
            return default
        return found

    return parse


def _integer(value: Any) -> int | None:
    kind = type(value)
    if kind is int:
        return int(value)
    if kind is str:
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            pass
        if _THOUSANDS.fullmatch(text):
            return int(text.replace(",", ""))
        try:
            number = float(text)
        except ValueError:
            _fail(IssueCode.INVALID_NUMBER, expected_en="a whole number", expected_zh="整数")
        if number.is_integer():
            return int(number)
    elif kind is float:
        if value.is_integer():
            return int(value)
    elif value is None:
        return None
    _fail(IssueCode.INVALID_NUMBER, expected_en="a whole number", expected_zh="整数")


def _integer_in(
    low: int, high: int | None, default: int | None = None
) -> Callable[[Any], int | None]:
    bounds = f"{low}–{high}" if high is not None else f"≥ {low}"

    def parse(value: Any) -> int | None:
        try:  # plain digits, the common case, without a further call
            number: int | None = int(value) if type(value) is str else _integer(value)
        except ValueError:
            number = _integer(value)
        if number is None:
            return default
        if number < low or (high is not None and number > high):
            _fail(IssueCode.OUT_OF_RANGE, bounds=bounds)
        return number

    return parse


def _number(value: Any) -> float | None:
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            _fail(IssueCode.INVALID_NUMBER, expected_en="a number", expected_zh="数字")
    elif value is None:
        return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        _fail(IssueCode.INVALID_NUMBER, expected_en="a number", expected_zh="数字")
    if not math.isfinite(number):
        _fail(IssueCode.INVALID_NUMBER, expected_en="a finite number", expected_zh="有限数值")
    return number


def _non_negative_number(value: Any) -> float | None:
    number = _number(value)
    if number is not None and number < 0:
        _fail(IssueCode.OUT_OF_RANGE, bounds="≥ 0")
    return number


def _coordinate(limit: float, axis_en: str, axis_zh: str) -> Callable[[Any], float | None]:
    def parse(value: Any) -> float | None:
        try:
            number = _number(value)
        except PydanticCustomError:
            _fail(
                IssueCode.INVALID_COORDINATE,
                reason_en=f"not a decimal {axis_en}",
                reason_zh=f"不是十进制{axis_zh}",
            )
        if number is not None and not -limit <= number <= limit:
            _fail(
                IssueCode.INVALID_COORDINATE,
                reason_en=f"a WGS84 {axis_en} lies between -{limit:g} and {limit:g}",
                reason_zh=f"WGS84 {axis_zh}应在 -{limit:g} 到 {limit:g} 之间",
            )
        return number

    return parse


def _date_from_text(text: str) -> dt.date | None:
    match = _DATE.fullmatch(text)
    if match is not None:
        year, month, day = match.group(1, 3, 4)
    else:
        match = _CN_DATE.fullmatch(text)
        if match is None:
            return None
        year, month, day = match.groups()
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _date(value: Any) -> dt.date | None:
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            try:  # YYYY-MM-DD, by far the most common, parsed in C
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        found = _date_from_text(text)
        if found is not None:
            return found
        try:
            stamp = dt.datetime.fromisoformat(text)
        except ValueError:
            _fail(IssueCode.INVALID_DATE)
        if stamp.time() != dt.time(0):
            _fail(IssueCode.INVALID_DATE)
        return stamp.date()
    if isinstance(value, dt.datetime):
        # a workbook date cell may carry a time of day; the contract wants the day
        return value.date()
    if isinstance(value, dt.date) or value is None:
        return value
    _fail(IssueCode.INVALID_DATE)


def _required_date(value: Any) -> dt.date:
    found = _date(value)
    if found is None:
        _fail(IssueCode.MISSING_REQUIRED)
    return found


def _datetime(value: Any) -> dt.datetime | None:
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        try:
            stamp = dt.datetime.fromisoformat(text)
        except ValueError:
            day = _date_from_text(text)
            if day is None:
                _fail(IssueCode.INVALID_DATETIME)
            stamp = dt.datetime(day.year, day.month, day.day)
    elif isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, dt.date):
        stamp = dt.datetime(value.year, value.month, value.day)
    elif value is None:
        return None
    else:
        _fail(IssueCode.INVALID_DATETIME)
    # Mixing naive and aware values breaks comparisons; the data is Chinese local time.
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=CHINA_STANDARD_TIME)


def _required_datetime(value: Any) -> dt.datetime:
    found = _datetime(value)
    if found is None:
        _fail(IssueCode.MISSING_REQUIRED)
    return found


def normalize_phone(text: str) -> str | None:
    """Return the 11 digits of a mainland mobile number such as ``+86 139-0000-1234``, or None."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    digits = text.translate(_PHONE_NOISE)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if _MOBILE.fullmatch(digits) else None


def _phone(value: Any) -> str | None:
    text = cell_text(value)
    if text is None:
        return None
    if len(text) == 11 and _MOBILE.fullmatch(text):
        return text
    phone = normalize_phone(text)
    if phone is None:
        _fail(IssueCode.INVALID_PHONE)
    return phone


def _enum(
    enum_cls: type[enum.StrEnum], *, required: bool = False, default: str | None = None
) -> Callable[[Any], str | None]:
    lookup = enum_lookup(enum_cls)
    allowed = allowed_values(enum_cls)
    # Codes and labels as written skip the folding, which costs more than the lookup.
    exact = {member.value: member.value for member in enum_cls}
    exact.update((label, code) for code, label in ENUM_LABELS[enum_cls].items())

    def parse(value: Any) -> str | None:
        if type(value) is str:
            text = value.strip()
            code = exact.get(text)
            if code is not None:
                return code
            if text:
                code = lookup.get(normalize_name(text))
                if code is None:
                    _fail(IssueCode.INVALID_ENUM, allowed=allowed)
                return code
        elif value is not None:
            _fail(IssueCode.INVALID_ENUM, allowed=allowed)
        if required:
            _fail(IssueCode.MISSING_REQUIRED)
        return default

    return parse


def _enum_list(enum_cls: type[enum.StrEnum]) -> Callable[[Any], list[str]]:
    one = _enum(enum_cls)
    allowed = allowed_values(enum_cls)

    exact = {member.value: [member.value] for member in enum_cls}

    def parse(value: Any) -> list[str]:
        if type(value) is str:
            single = exact.get(value)  # one code as written: most cells
            if single is not None:
                return single.copy()
            if not value:
                return []
        codes: list[str] = []
        for item in split_multi(value):
            code = exact.get(item, [None])[0]
            if code is not None:
                if code not in codes:
                    codes.append(code)
                continue
            try:
                code = one(item)
            except PydanticCustomError:
                # the bad item, not the whole cell, is what the reader needs to see
                raise PydanticCustomError(
                    IssueCode.INVALID_ENUM.value, "{item}", {"item": item, "allowed": allowed}
                ) from None
            if code is not None and code not in codes:
                codes.append(code)
        return codes

    return parse


# --- identifiers ---------------------------------------------------------------------------


def uscc_check_character(first17: str) -> str:
    """Return the GB 32100-2015 check character of the first 17 characters of a USCC.

    Raises:
        ValueError: ``first17`` is not 17 characters of the USCC alphabet.
    """
    if len(first17) != 17 or any(ch not in _USCC_VALUE for ch in first17):
        raise ValueError(f"not 17 characters of the USCC alphabet: {first17!r}")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def looks_like_uscc(code: str) -> bool:
    """True for 18 ASCII letters and digits: what the contract treats as a USCC."""
    return len(code) == 18 and code.isascii() and code.isalnum()


def _organization_id(value: Any) -> str:
    code = _required_text(value)
    if looks_like_uscc(code):
        bad = [ch for ch in code if ch not in _USCC_VALUE]
        if bad:
            _fail(
                IssueCode.INVALID_USCC,
                reason_en=f"“{bad[0]}” is not in the code alphabet (no I, O, S, V, Z or lowercase)",
                reason_zh=f"“{bad[0]}”不是代码字符（不含 I、O、S、V、Z 及小写字母）",
            )
        expected = uscc_check_character(code[:17])
        if code[17] != expected:
            _fail(
                IssueCode.INVALID_USCC,
                reason_en=f"the check character should be {expected}",
                reason_zh=f"校验码应为 {expected}",
            )
    return code


def looks_like_citizen_id(code: str) -> bool:
    """True for an 18-character resident identity number with a valid date and check digit."""
    match = _CITIZEN_ID.fullmatch(code)
    if match is None:
        return False
    try:
        dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    total = sum(int(ch) * w for ch, w in zip(code[:17], _CITIZEN_WEIGHTS, strict=True))
    return code[17] == _CITIZEN_CHECK[total % 11]


def _person_id(value: Any) -> str:
    code = _required_text(value)
    if len(code) == 18 and looks_like_citizen_id(code):
        _fail(IssueCode.NATIONAL_ID_AS_ID)
    return code


# --- field types ---------------------------------------------------------------------------

RequiredText = Annotated[str, PlainValidator(_required_text)]
OptionalText = Annotated[str | None, PlainValidator(cell_text)]
TextList = Annotated[list[str], PlainValidator(split_multi)]
RequiredTextList = Annotated[list[str], PlainValidator(_required_items)]
RequiredBoolean = Annotated[bool, PlainValidator(_boolean_with(None, required=True))]
OptionalBoolean = Annotated[bool | None, PlainValidator(_boolean)]
BooleanDefaultTrue = Annotated[bool, PlainValidator(_boolean_with(True))]
BooleanDefaultFalse = Annotated[bool, PlainValidator(_boolean_with(False))]
NonNegativeInt = Annotated[int | None, PlainValidator(_integer_in(0, None))]
Rating = Annotated[int | None, PlainValidator(_integer_in(1, 5))]
NonNegativeNumber = Annotated[float | None, PlainValidator(_non_negative_number)]
Latitude = Annotated[float | None, PlainValidator(_coordinate(90, "latitude", "纬度"))]
Longitude = Annotated[float | None, PlainValidator(_coordinate(180, "longitude", "经度"))]
OptionalDate = Annotated[dt.date | None, PlainValidator(_date)]
RequiredDate = Annotated[dt.date, PlainValidator(_required_date)]
OptionalDateTime = Annotated[dt.datetime | None, PlainValidator(_datetime)]
RequiredDateTime = Annotated[dt.datetime, PlainValidator(_required_datetime)]
Phone = Annotated[str | None, PlainValidator(_phone)]
OrganizationId = Annotated[str, PlainValidator(_organization_id)]
PersonId = Annotated[str, PlainValidator(_person_id)]

_FIRST_YEAR: Final = 1900


_birth_year: Final = _integer_in(_FIRST_YEAR, dt.date.today().year)


class _Row(BaseModel):
    # The validators already return the final types; pydantic only routes cells to them.
    model_config = ConfigDict(extra="ignore", revalidate_instances="never")

    @classmethod
    def derive(cls, row: dict[str, Any]) -> None:
        """Complete a parsed row in place with values that follow from others (the model's
        after-validator and :class:`RowParser` both call this)."""


class RegionRow(_Row):
    id: RequiredText
    name: RequiredText
    level: Annotated[str, PlainValidator(_enum(RegionLevel, required=True))]
    parent_id: OptionalText = None
    lat: Latitude = None
    lon: Longitude = None
    population: NonNegativeInt = None
    households: NonNegativeInt = None


class OrganizationRow(_Row):
    id: OrganizationId
    name: RequiredText
    kind: Annotated[str, PlainValidator(_enum(OrgKind, required=True))]
    sector: Annotated[str, PlainValidator(_enum(Sector, required=True))]
    region_id: RequiredText
    address: OptionalText = None
    lat: Latitude = None
    lon: Longitude = None
    employees: NonNegativeInt = None


class PartyOrgRow(_Row):
    id: RequiredText
    name: RequiredText
    type: Annotated[str, PlainValidator(_enum(PartyOrgType, required=True))]
    parent_id: OptionalText = None
    region_id: RequiredText
    host_org_id: OptionalText = None
    covers_org_ids: TextList = Field(default_factory=list)
    secretary_id: OptionalText = None
    founded_on: OptionalDate = None
    valid_to: OptionalDate = None


class PersonRow(_Row):
    id: PersonId
    name: RequiredText
    gender: Annotated[str | None, PlainValidator(_enum(Gender))] = None
    birth_year: Annotated[int | None, PlainValidator(_birth_year)] = None
    is_party_member: RequiredBoolean
    party_org_id: OptionalText = None
    employer_org_id: OptionalText = None
    occupation: OptionalText = None
    new_employment_group: BooleanDefaultFalse = False
    residence_region_id: OptionalText = None
    reports_to_party_org_id: OptionalText = None
    roles: Annotated[list[str], PlainValidator(_enum_list(PersonRole))] = Field(
        default_factory=list
    )
    phone: Phone = None
    joined_on: OptionalDate = None

    @classmethod
    def derive(cls, row: dict[str, Any]) -> None:
        """Set ``new_employment_group`` for the occupations that define the group."""
        # The contract counts these occupations in the group whatever the flag says.
        if row["occupation"] in NEW_EMPLOYMENT_OCCUPATIONS:
            row["new_employment_group"] = True

    @model_validator(mode="after")
    def _derived(self) -> PersonRow:
        self.derive(self.__dict__)
        return self


class SkillRow(_Row):
    id: RequiredText
    name: RequiredText
    parent_id: OptionalText = None
    aliases: TextList = Field(default_factory=list)


class PersonSkillRow(_Row):
    person_id: RequiredText
    skill: RequiredText
    level: Annotated[int, PlainValidator(_integer_in(1, 5, default=3))] = 3
    certified: BooleanDefaultFalse = False


class ResourceRow(_Row):
    id: RequiredText
    name: RequiredText
    kind: Annotated[str, PlainValidator(_enum(ResourceKind, required=True))]
    owner_id: RequiredText
    region_id: RequiredText
    lat: Latitude = None
    lon: Longitude = None
    capacity: NonNegativeNumber = None
    capacity_unit: OptionalText = None
    scenarios: TextList = Field(default_factory=list)
    shareable: BooleanDefaultTrue = True
    status: Annotated[str, PlainValidator(_enum(ResourceStatus, default="available"))] = (
        ResourceStatus.AVAILABLE.value
    )
    available_from: OptionalDate = None
    available_to: OptionalDate = None


class AgreementRow(_Row):
    id: RequiredText
    name: RequiredText
    kind: Annotated[str, PlainValidator(_enum(AgreementKind, required=True))]
    party_ids: RequiredTextList
    lead_id: OptionalText = None
    signed_on: OptionalDate = None
    expires_on: OptionalDate = None
    topics: TextList = Field(default_factory=list)


class DemandRow(_Row):
    id: RequiredText
    title: RequiredText
    region_id: RequiredText
    scenario: OptionalText = None
    required_skills: TextList = Field(default_factory=list)
    required_resource_kinds: Annotated[list[str], PlainValidator(_enum_list(ResourceKind))] = Field(
        default_factory=list
    )
    urgency: Rating = None
    affected_people: NonNegativeInt = None
    status: Annotated[str, PlainValidator(_enum(DemandStatus, required=True))]
    created_at: RequiredDateTime
    resolved_at: OptionalDateTime = None
    assignee_ids: TextList = Field(default_factory=list)
    resource_ids: TextList = Field(default_factory=list)
    rating: Rating = None
    source: Annotated[str | None, PlainValidator(_enum(DemandSource))] = None


class ResourceUsageRow(_Row):
    resource_id: RequiredText
    user_id: RequiredText
    used_on: RequiredDate
    effect_rating: Rating = None


ROW_MODELS: Final[dict[str, type[_Row]]] = {
    "regions": RegionRow,
    "organizations": OrganizationRow,
    "party_orgs": PartyOrgRow,
    "people": PersonRow,
    "skills": SkillRow,
    "person_skills": PersonSkillRow,
    "resources": ResourceRow,
    "agreements": AgreementRow,
    "demands": DemandRow,
    "resource_usages": ResourceUsageRow,
}
"""The model of each table, by English table name."""


class RowParser:
    """Parse row dicts exactly as a ``<Table>Row`` model does, into plain dicts, faster.

    The model's own field validators run in a plain loop: no model instance per row, no
    ``model_dump``. Only when a cell fails does the model itself validate the row, so that the
    ``ValidationError`` lists every bad cell as pydantic would.
    """

    def __init__(self, model: type[_Row]) -> None:
        self.model = model
        self._fields: list[
            tuple[str, Callable[[Any], Any], bool, Callable[[], Any] | None, Any]
        ] = []
        for name, info in model.model_fields.items():
            (parse,) = [m.func for m in info.metadata if isinstance(m, PlainValidator)]
            factory = cast("Callable[[], Any] | None", info.default_factory)
            self._fields.append(
                (
                    name,
                    cast("Callable[[Any], Any]", parse),
                    info.is_required(),
                    factory,
                    info.default,
                )
            )
        self._derive = model.derive

    def positional(self, names: Sequence[str]) -> Callable[[Sequence[Any]], dict[str, Any]]:
        """Return a parser of rows given as cells of the columns ``names``, in that order: the
        shape of a CSV file or a sheet, whose header fixes the columns once for every row.

        The returned function gives the same dict as :meth:`__call__` (keys in model order),
        builds no intermediate dict, and raises ``PydanticCustomError`` at the first bad cell;
        call the parser itself on the row as a dict to get every error.

        Raises:
            ValueError: ``names`` lacks a required field or names one twice or unknown.
        """
        by_name = {
            name: (parse, required, factory) for name, parse, required, factory, _ in self._fields
        }
        if len(set(names)) != len(names) or not set(names) <= by_name.keys():
            raise ValueError(f"{self.model.__name__}: bad columns {names!r}")
        missing = [n for n, (_, required, _f) in by_name.items() if required and n not in names]
        if missing:
            raise ValueError(f"{self.model.__name__}: required columns missing: {missing}")
        parsers = [by_name[name][0] for name in names]
        # defaults sit in a template copied per row, which also fixes the key order
        template = {name: default for name, _, _, _, default in self._fields}
        factories = [
            (name, factory)
            for name, (_, _, factory) in by_name.items()
            if factory is not None and name not in names
        ]
        derive = self._derive
        keys = list(names)

        def parse_cells(cells: Sequence[Any]) -> dict[str, Any]:
            row = template.copy()
            row.update(zip(keys, map(call, parsers, cells), strict=True))
            for name, factory in factories:
                row[name] = factory()
            derive(row)
            return row

        return parse_cells

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        """Return the parsed row (every field of the model, defaults filled in).

        Raises:
            ValidationError: some cell is bad or a required one is absent; one error per cell,
                its ``type`` the issue code.
        """
        row: dict[str, Any] = {}
        try:
            for name, parse, required, factory, default in self._fields:
                if name in data:
                    row[name] = parse(data[name])
                elif required:
                    raise PydanticCustomError("missing", "missing")
                else:
                    row[name] = default if factory is None else factory()
        except PydanticCustomError:
            return dict(self.model.model_validate(data).__dict__)  # raises with every error
        self._derive(row)
        return row
