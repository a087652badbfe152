"""Value formats of the contract, parsed by the <Table>Row models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from graph.model import NEW_EMPLOYMENT_OCCUPATIONS
from ingest.contract import MULTI_SEPARATORS
from ingest.rows import (
    CHINA_STANDARD_TIME,
    ROW_MODELS,
    USCC_ALPHABET,
    AgreementRow,
    DemandRow,
    OrganizationRow,
    PersonRow,
    PersonSkillRow,
    RegionRow,
    ResourceRow,
    ResourceUsageRow,
    RowParser,
    looks_like_citizen_id,
    normalize_phone,
    split_multi,
    uscc_check_character,
)

PERSON = {"id": "P-1", "name": "张三", "is_party_member": "false"}
ORG = {"id": "ORG-1", "name": "某单位", "kind": "other", "sector": "traditional", "region_id": "R"}


def error_types(model: type, data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)  # type: ignore[attr-defined]
    return {str(e["loc"][0]): e["type"] for e in info.value.errors()}


# --- multi-valued cells -------------------------------------------------------------------------

_item = st.text(
    alphabet=st.characters(
        blacklist_characters="".join(MULTI_SEPARATORS), blacklist_categories=("Cs", "Zs", "Cc")
    ),
    min_size=1,
    max_size=8,
)


@given(
    items=st.lists(_item, min_size=1, max_size=6),
    separators=st.lists(st.sampled_from(MULTI_SEPARATORS), min_size=6, max_size=6),
    pad=st.sampled_from(["", " ", "  ", "\u3000"]),
)
def test_multi_values_split_on_any_separator(
    items: list[str], separators: list[str], pad: str
) -> None:
    text = items[0]
    for item, sep in zip(items[1:], separators, strict=False):
        text += pad + sep + pad + item
    assert split_multi(text) == list(dict.fromkeys(items))


@given(items=st.lists(_item, max_size=6))
def test_multi_values_from_json_arrays(items: list[str]) -> None:
    assert split_multi(items) == list(dict.fromkeys(items))
    assert split_multi(items) == split_multi(";".join(items))


def test_multi_values_drop_empties() -> None:
    assert split_multi(" a ;; ，b、 ") == ["a", "b"]
    assert split_multi("") == []
    assert split_multi(None) == []
    assert split_multi(["", " x ", None]) == ["x"]


# --- booleans -----------------------------------------------------------------------------------

_TRUE = ["true", "1", "yes", "是", "y"]
_FALSE = ["false", "0", "no", "否", "n"]


def _cases(word: str) -> st.SearchStrategy[str]:
    return st.tuples(
        st.lists(st.booleans(), min_size=len(word), max_size=len(word)),
        st.sampled_from(["", " ", "\t"]),
    ).map(
        lambda t: (
            t[1] + "".join(c.upper() if u else c for c, u in zip(word, t[0], strict=False)) + t[1]
        )
    )


@given(text=st.sampled_from(_TRUE).flatmap(_cases))
def test_booleans_true_in_any_case(text: str) -> None:
    assert PersonRow.model_validate({**PERSON, "is_party_member": text, "party_org_id": "X"})
    assert (
        PersonRow.model_validate(
            {**PERSON, "is_party_member": text, "party_org_id": "X"}
        ).is_party_member
        is True
    )


@given(text=st.sampled_from(_FALSE).flatmap(_cases))
def test_booleans_false_in_any_case(text: str) -> None:
    assert PersonRow.model_validate({**PERSON, "is_party_member": text}).is_party_member is False


@pytest.mark.parametrize("value", [True, 1, 1.0, "Ｙ", "TRUE"])
def test_booleans_from_typed_cells(value: object) -> None:
    assert PersonRow.model_validate({**PERSON, "is_party_member": value}).is_party_member is True


@pytest.mark.parametrize("value", ["maybe", "2", "t", 2, "对"])
def test_bad_booleans(value: object) -> None:
    assert error_types(PersonRow, {**PERSON, "is_party_member": value}) == {
        "is_party_member": "invalid-boolean"
    }


def test_boolean_defaults() -> None:
    resource = ResourceRow.model_validate(
        {"id": "RS", "name": "x", "kind": "venue", "owner_id": "O", "region_id": "R"}
    )
    assert resource.shareable is True
    assert resource.status == "available"
    assert PersonSkillRow.model_validate({"person_id": "P", "skill": "S", "level": ""}).level == 3
    assert PersonSkillRow.model_validate({"person_id": "P", "skill": "S"}).certified is False


# --- dates and datetimes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05",
        "2024/03/05",
        "2024.03.05",
        "2024年3月5日",
        "2024-3-5",
        "2024/3/5",
        " 2024年03月05日 ",
    ],
)
def test_date_formats(text: str) -> None:
    row = ResourceUsageRow.model_validate({"resource_id": "R", "user_id": "U", "used_on": text})
    assert row.used_on == dt.date(2024, 3, 5)


def test_real_date_cells() -> None:
    day = dt.date(2024, 3, 5)
    for value in (day, dt.datetime(2024, 3, 5, 0, 0)):
        row = ResourceUsageRow.model_validate(
            {"resource_id": "R", "user_id": "U", "used_on": value}
        )
        assert row.used_on == day
        assert type(row.used_on) is dt.date


@pytest.mark.parametrize(
    "text", ["2024-02-30", "2024-13-01", "05/03/2024", "2024-03-05 10:30", "昨天"]
)
def test_bad_dates(text: str) -> None:
    data = {"resource_id": "R", "user_id": "U", "used_on": text}
    assert error_types(ResourceUsageRow, data) == {"used_on": "invalid-date"}


DEMAND = {"id": "D", "title": "t", "region_id": "R", "status": "open"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-12T20:00:00+08:00", dt.datetime(2025, 3, 12, 20, tzinfo=CHINA_STANDARD_TIME)),
        ("2025-03-12T12:00:00Z", dt.datetime(2025, 3, 12, 20, tzinfo=CHINA_STANDARD_TIME)),
        ("2025-03-12 20:00", dt.datetime(2025, 3, 12, 20, tzinfo=CHINA_STANDARD_TIME)),
        ("2025-03-12", dt.datetime(2025, 3, 12, tzinfo=CHINA_STANDARD_TIME)),
        ("2025年3月12日", dt.datetime(2025, 3, 12, tzinfo=CHINA_STANDARD_TIME)),
        (dt.datetime(2025, 3, 12, 20), dt.datetime(2025, 3, 12, 20, tzinfo=CHINA_STANDARD_TIME)),
    ],
)
def test_datetimes(value: object, expected: dt.datetime) -> None:
    created = DemandRow.model_validate({**DEMAND, "created_at": value}).created_at
    assert created == expected
    assert created.tzinfo is not None


def test_bad_datetime() -> None:
    assert error_types(DemandRow, {**DEMAND, "created_at": "tomorrow"}) == {
        "created_at": "invalid-datetime"
    }
    assert error_types(DemandRow, {**DEMAND, "created_at": ""}) == {
        "created_at": "missing-required"
    }


# --- numbers and coordinates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [("12", 12), (12.0, 12), ("1,234", 1234), ("１２", 12)]
)
def test_integers(value: object, expected: int) -> None:
    assert OrganizationRow.model_validate({**ORG, "employees": value}).employees == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("-1", "out-of-range"),
        ("1.5", "invalid-number"),
        ("twelve", "invalid-number"),
        (True, "invalid-number"),
    ],
)
def test_bad_integers(value: object, code: str) -> None:
    assert error_types(OrganizationRow, {**ORG, "employees": value}) == {"employees": code}


@pytest.mark.parametrize(("value", "ok"), [("0", False), ("1", True), ("5", True), ("6", False)])
def test_one_to_five(value: str, ok: bool) -> None:
    data = {"person_id": "P", "skill": "S", "level": value}
    if ok:
        assert PersonSkillRow.model_validate(data).level == int(value)
    else:
        assert error_types(PersonSkillRow, data) == {"level": "out-of-range"}


@given(lat=st.floats(-90, 90), lon=st.floats(-180, 180))
def test_coordinates_in_range(lat: float, lon: float) -> None:
    row = RegionRow.model_validate(
        {"id": "R", "name": "n", "level": "city", "lat": repr(lat), "lon": str(lon)}
    )
    assert (row.lat, row.lon) == (lat, lon)


@pytest.mark.parametrize(
    ("field", "value"), [("lat", "91"), ("lon", "-180.5"), ("lat", "nan"), ("lon", "东经120度")]
)
def test_bad_coordinates(field: str, value: str) -> None:
    data = {"id": "R", "name": "n", "level": "city", "lat": "36", "lon": "120", field: value}
    assert error_types(RegionRow, data) == {field: "invalid-coordinate"}


def test_capacity_is_a_non_negative_number() -> None:
    base = {"id": "RS", "name": "x", "kind": "fund", "owner_id": "O", "region_id": "R"}
    assert ResourceRow.model_validate({**base, "capacity": "200000"}).capacity == 200000.0
    assert error_types(ResourceRow, {**base, "capacity": "-5"}) == {"capacity": "out-of-range"}
    assert error_types(ResourceRow, {**base, "capacity": "inf"}) == {"capacity": "invalid-number"}


# --- enumerations -------------------------------------------------------------------------------


def test_enumerations_give_english_codes() -> None:
    org = OrganizationRow.model_validate({**ORG, "kind": "居委会", "sector": "新社会组织"})
    assert (org.kind, org.sector) == ("residents_committee", "new_social")
    person = PersonRow.model_validate(
        {**PERSON, "gender": "女", "roles": "志愿者；楼栋长;volunteer"}
    )
    assert person.gender == "female"
    assert person.roles == ["volunteer", "building_leader"]


def test_bad_enumeration_item_is_named() -> None:
    with pytest.raises(ValidationError) as info:
        PersonRow.model_validate({**PERSON, "roles": "志愿者;队长"})
    (error,) = info.value.errors()
    assert error["type"] == "invalid-enum"
    assert error["ctx"]["item"] == "队长"


# --- people -------------------------------------------------------------------------------------


@pytest.mark.parametrize("occupation", sorted(NEW_EMPLOYMENT_OCCUPATIONS))
def test_new_employment_occupations(occupation: str) -> None:
    person = PersonRow.model_validate({**PERSON, "occupation": occupation})
    assert person.new_employment_group is True


def test_new_employment_flag_alone() -> None:
    assert PersonRow.model_validate({**PERSON, "occupation": "教师"}).new_employment_group is False
    assert (
        PersonRow.model_validate({**PERSON, "new_employment_group": "是"}).new_employment_group
        is True
    )


@pytest.mark.parametrize(
    "text",
    [
        "19900001234",
        "+86 199 0000 1234",
        "+86-19900001234",
        "0086 19900001234",
        "199-0000-1234",
        "8619900001234",
        "１９９００００１２３４",
    ],
)
def test_phone_numbers_normalised(text: str) -> None:
    assert normalize_phone(text) == "19900001234"
    assert PersonRow.model_validate({**PERSON, "phone": text}).phone == "19900001234"


def test_phone_from_a_numeric_cell() -> None:
    assert PersonRow.model_validate({**PERSON, "phone": 19900001234.0}).phone == "19900001234"


@pytest.mark.parametrize(
    "text", ["12900001234", "1990000123", "199000012345", "0532-8888888", "abc"]
)
def test_bad_phone_numbers(text: str) -> None:
    assert error_types(PersonRow, {**PERSON, "phone": text}) == {"phone": "invalid-phone"}


def test_person_id_is_never_a_citizen_id() -> None:
    # A syntactically valid (made-up) resident identity number: region, birth date, check digit.
    body = "11010519491231002"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    citizen = body + check
    assert looks_like_citizen_id(citizen)
    assert error_types(PersonRow, {**PERSON, "id": citizen}) == {"id": "national-id-as-id"}
    wrong = body + ("0" if check != "0" else "1")
    assert not looks_like_citizen_id(wrong)
    assert PersonRow.model_validate({**PERSON, "id": wrong}).id == wrong


# --- unified social credit codes ----------------------------------------------------------------

_body = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


@given(body=_body)
def test_uscc_with_its_check_character_is_valid(body: str) -> None:
    code = body + uscc_check_character(body)
    assert OrganizationRow.model_validate({**ORG, "id": code}).id == code


@given(body=_body, other=st.sampled_from(USCC_ALPHABET))
def test_uscc_with_another_check_character_is_invalid(body: str, other: str) -> None:
    if other == uscc_check_character(body):
        other = USCC_ALPHABET[(USCC_ALPHABET.index(other) + 1) % len(USCC_ALPHABET)]
    assert error_types(OrganizationRow, {**ORG, "id": body + other}) == {"id": "invalid-uscc"}


@given(body=_body, position=st.integers(0, 16), shift=st.integers(1, 30))
def test_uscc_with_one_changed_character_is_invalid(body: str, position: int, shift: int) -> None:
    code = body + uscc_check_character(body)
    changed = USCC_ALPHABET[(USCC_ALPHABET.index(code[position]) + shift) % 31]
    flipped = code[:position] + changed + code[position + 1 :]
    assert error_types(OrganizationRow, {**ORG, "id": flipped}) == {"id": "invalid-uscc"}


def test_uscc_rejects_letters_outside_the_alphabet() -> None:
    assert error_types(OrganizationRow, {**ORG, "id": "91370202MAEXC1JF4O"}) == {
        "id": "invalid-uscc"
    }


def test_internal_codes_are_not_checked() -> None:
    for code in ("ORG-370202-0001", "ORG-1", "3702021234"):
        assert OrganizationRow.model_validate({**ORG, "id": code}).id == code


# --- required values and text -------------------------------------------------------------------


def test_required_values() -> None:
    assert error_types(
        AgreementRow, {"id": " ", "name": "n", "kind": "pairing", "party_ids": ""}
    ) == {
        "id": "missing-required",
        "party_ids": "missing-required",
    }


def test_text_is_stripped_and_numbers_lose_a_spurious_fraction() -> None:
    region = RegionRow.model_validate({"id": 370200.0, "name": "  青岛市 ", "level": "市"})
    assert (region.id, region.name, region.level) == ("370200", "青岛市", "city")
    assert (
        RegionRow.model_validate({"id": "R", "name": "n", "level": "市", "parent_id": ""}).parent_id
        is None
    )


def test_json_objects_are_not_text() -> None:
    assert error_types(RegionRow, {"id": {"a": 1}, "name": "n", "level": "city"}) == {
        "id": "invalid-type"
    }


# --- the fast parser agrees with the models -----------------------------------------------------

_CELLS = st.sampled_from(
    [
        "",
        " ",
        "x",
        "true",
        "否",
        "3",
        "-1",
        "1.5",
        "36.1",
        "2024-01-05",
        "2024年1月5日",
        "2024-01-05T08:00:00+08:00",
        "19900001234",
        "volunteer;书记",
        "city",
        "区",
        "open",
        "venue",
        "other",
        "traditional",
        "外卖骑手",
        None,
        3,
        2.0,
        True,
        dt.date(2024, 1, 5),
        ["a", "b"],
    ]
)


@pytest.mark.parametrize("table", sorted(ROW_MODELS))
@given(data=st.data())
def test_row_parser_agrees_with_the_model(table: str, data: st.DataObject) -> None:
    model = ROW_MODELS[table]
    cells = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(model.model_fields, _CELLS)))
    parser = RowParser(model)

    def outcome(parse: Callable[[dict[str, Any]], dict[str, Any]]) -> object:
        try:
            return parse(cells)
        except ValidationError as exc:
            return exc.errors()

    assert outcome(parser) == outcome(lambda c: model.model_validate(c).model_dump())
