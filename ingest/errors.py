"""The ingest error vocabulary: exceptions for what stops a load, issues for what a row breaks.

Validation never raises for bad data: it collects :class:`Issue` records (a stable kebab-case
code, severity, file, 1-based row, column, value and a message in English and Chinese) into
the report. Exceptions are for what leaves nothing to report on:

IngestError                     root of everything raised by ``ingest``
├── SourceNotFoundError         the dataset path does not exist
├── UnsupportedSourceError      the path is neither a folder nor a .csv/.jsonl/.xlsx file
├── UnreadableFileError         a file failed mid-read (I/O, decoding, CSV syntax); validation
│                               turns it into an ``unreadable-file`` issue
├── RunTooLargeError            a run outgrew the memory Neo4j allows one transaction; rolled
│                               back, nothing written
└── InvalidDatasetError         a caller refused an invalid dataset (``--strict``); carries
                                the report
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from ingest.validate import Report

Severity = Literal["error", "warning"]

VALUE_CHARS: Final = 200  # an issue shows this much of the offending value
MESSAGE_VALUE_CHARS: Final = 60  # and quotes this much of it in its messages


class IngestError(Exception):
    """Root of the ingest package's errors."""


class SourceNotFoundError(IngestError):
    """The dataset path does not exist."""


class UnsupportedSourceError(IngestError):
    """The dataset path is neither a folder nor a file ingest can read."""


class UnreadableFileError(IngestError):
    """A file could not be read to its end; ``row`` is the last row reached, if any."""

    def __init__(self, reason: str, row: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.row = row


class RunTooLargeError(IngestError):
    """A run's one transaction outgrew the server's transaction memory and was rolled back."""

    def __init__(self, server_message: str) -> None:
        super().__init__(
            "this run needs more memory than Neo4j allows one transaction, so it was rolled "
            "back and nothing was written. Give Neo4j more heap (COBUILD_LOCAL_HEAP for the "
            "local server; one transaction holds about 10 KiB per row written), or load it "
            "with --batched (batched=true on POST /ingest): batch by batch, queries may then "
            f"see it part-written until it finishes. Neo4j said: {server_message}"
        )
        self.server_message = server_message


class InvalidDatasetError(IngestError):
    """The dataset has errors and the caller asked for all or nothing."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"dataset has {report.error_count} error(s)")
        self.report = report


class IssueCode(enum.StrEnum):
    """Stable codes of everything validation reports; clients may match on them."""

    # --- a cell -----------------------------------------------------------------------------
    MISSING_REQUIRED = "missing-required"
    INVALID_ENUM = "invalid-enum"
    INVALID_BOOLEAN = "invalid-boolean"
    INVALID_DATE = "invalid-date"
    INVALID_DATETIME = "invalid-datetime"
    INVALID_NUMBER = "invalid-number"
    OUT_OF_RANGE = "out-of-range"
    INVALID_USCC = "invalid-uscc"
    INVALID_PHONE = "invalid-phone"
    INVALID_COORDINATE = "invalid-coordinate"
    INVALID_TYPE = "invalid-type"
    NATIONAL_ID_AS_ID = "national-id-as-id"
    CELL_TOO_LONG = "cell-too-long"
    # --- a row ------------------------------------------------------------------------------
    RAGGED_ROW = "ragged-row"
    INVALID_JSON = "invalid-json"
    MEMBER_WITHOUT_PARTY_ORG = "member-without-party-org"
    AGREEMENT_TOO_FEW_PARTIES = "agreement-too-few-parties"
    LEAD_NOT_A_PARTY = "lead-not-a-party"
    DATE_ORDER = "date-order"
    # --- the graph --------------------------------------------------------------------------
    UNKNOWN_REFERENCE = "unknown-reference"
    WRONG_REFERENCE_KIND = "wrong-reference-kind"
    REFERENCE_REJECTED = "reference-rejected"
    REGION_LEVEL_ORDER = "region-level-order"
    MISSING_PARENT = "missing-parent"
    PARENT_CYCLE = "parent-cycle"
    DUPLICATE_ID_CONFLICT = "duplicate-id-conflict"
    DUPLICATE_ROW = "duplicate-row"
    AMBIGUOUS_SKILL = "ambiguous-skill"
    UNKNOWN_SKILL = "unknown-skill"
    # --- a file or the dataset --------------------------------------------------------------
    EMPTY_FILE = "empty-file"
    NO_ROWS = "no-rows"
    UNKNOWN_COLUMN = "unknown-column"
    DUPLICATE_COLUMN = "duplicate-column"
    MISSING_COLUMN = "missing-column"
    UNKNOWN_TABLE = "unknown-table"
    ENCODING_UNKNOWN = "encoding-unknown"
    ENCODING_GUESSED = "encoding-guessed"
    UNREADABLE_FILE = "unreadable-file"
    NO_TABLES = "no-tables"


@dataclass(frozen=True, slots=True)
class Template:
    """The severity of a code and its messages; ``{names}`` are filled from the issue."""

    severity: Severity
    en: str
    zh: str


_E: Final = "error"
_W: Final = "warning"

TEMPLATES: Final[dict[IssueCode, Template]] = {
    IssueCode.MISSING_REQUIRED: Template(
        _E, "Required value missing in {column}.", "必填列“{column}”缺少取值。"
    ),
    IssueCode.INVALID_ENUM: Template(
        _E,
        "“{value}” is not an allowed value of {column}; use one of: {allowed}.",
        "“{value}”不是“{column}”允许的取值，可用取值：{allowed}。",
    ),
    IssueCode.INVALID_BOOLEAN: Template(
        _E,
        "“{value}” is not a boolean; use true/false, 1/0, yes/no, 是/否 or Y/N.",
        "“{value}”不是布尔值，请填写 true/false、1/0、yes/no、是/否 或 Y/N。",
    ),
    IssueCode.INVALID_DATE: Template(
        _E,
        "“{value}” is not a date; use YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYY年M月D日.",
        "“{value}”不是有效日期，请使用 YYYY-MM-DD、YYYY/MM/DD、YYYY.MM.DD 或 YYYY年M月D日。",
    ),
    IssueCode.INVALID_DATETIME: Template(
        _E,
        "“{value}” is not an ISO 8601 date-time such as 2025-03-12T20:00:00+08:00.",
        "“{value}”不是 ISO 8601 日期时间（如 2025-03-12T20:00:00+08:00）。",
    ),
    IssueCode.INVALID_NUMBER: Template(
        _E, "“{value}” is not {expected_en}.", "“{value}”不是{expected_zh}。"
    ),
    IssueCode.OUT_OF_RANGE: Template(
        _E,
        "{value} is outside the allowed range {bounds} of {column}.",
        "“{column}”的取值 {value} 超出允许范围 {bounds}。",
    ),
    IssueCode.INVALID_USCC: Template(
        _E,
        "“{value}” has 18 characters but is not a valid unified social credit code "
        "(GB 32100-2015): {reason_en}.",
        "“{value}”为 18 位，但不是有效的统一社会信用代码（GB 32100-2015）：{reason_zh}。",
    ),
    IssueCode.INVALID_PHONE: Template(
        _E,
        "“{value}” is not a mainland mobile number (11 digits starting 13–19).",
        "“{value}”不是有效的手机号（以 13–19 开头的 11 位数字）。",
    ),
    IssueCode.INVALID_COORDINATE: Template(
        _E,
        "Invalid coordinate in {column}: {reason_en}.",
        "坐标“{column}”无效：{reason_zh}。",
    ),
    IssueCode.INVALID_TYPE: Template(
        _E,
        "A {kind} is not allowed in {column}; give {expected_en}.",
        "“{column}”不能填写 {kind}，应填写{expected_zh}。",
    ),
    IssueCode.NATIONAL_ID_AS_ID: Template(
        _E,
        "A person's id must be an internal id, never a national ID number.",
        "人员编号必须是内部编号，不得使用居民身份证号码。",
    ),
    IssueCode.CELL_TOO_LONG: Template(
        _E,
        "The cell has {length} characters; the limit is {limit}.",
        "单元格有 {length} 个字符，超过上限 {limit}。",
    ),
    IssueCode.RAGGED_ROW: Template(
        _E,
        "The row has {count} cells but the header has {expected}; its values may be shifted.",
        "本行有 {count} 个单元格，而表头有 {expected} 列，取值可能错位。",
    ),
    IssueCode.INVALID_JSON: Template(
        _E, "The line is not a JSON object: {reason}.", "该行不是 JSON 对象：{reason}。"
    ),
    IssueCode.MEMBER_WITHOUT_PARTY_ORG: Template(
        _E,
        "A party member needs {column}: the party organisation keeping the membership.",
        "党员必须填写“{column}”（组织关系所在的党组织）。",
    ),
    IssueCode.AGREEMENT_TOO_FEW_PARTIES: Template(
        _E,
        "An agreement needs at least two distinct parties in {column}; it has {count}.",
        "共建协议的“{column}”至少需要两个不同的共建方，实际为 {count} 个。",
    ),
    IssueCode.LEAD_NOT_A_PARTY: Template(
        _E,
        "Lead “{value}” is not one of the parties in {other_column}.",
        "牵头方“{value}”不在“{other_column}”之中。",
    ),
    IssueCode.DATE_ORDER: Template(
        _E,
        "{column} ({value}) is earlier than {other_column} ({other_value}).",
        "“{column}”（{value}）早于“{other_column}”（{other_value}）。",
    ),
    IssueCode.UNKNOWN_REFERENCE: Template(
        _E,
        "{column} refers to “{value}”, which is not in {where_en}.",
        "“{column}”引用的“{value}”在{where_zh}中不存在。",
    ),
    IssueCode.WRONG_REFERENCE_KIND: Template(
        _E,
        "{column} must refer to {expected_en}, but “{value}” is {actual_en}.",
        "“{column}”应引用{expected_zh}，但“{value}”是{actual_zh}。",
    ),
    IssueCode.REFERENCE_REJECTED: Template(
        _E,
        "{column} refers to “{value}”, which was rejected; this row is rejected too so "
        "nothing half-loads.",
        "“{column}”引用的“{value}”已被拒绝，为避免部分导入，本行一并拒绝。",
    ),
    IssueCode.REGION_LEVEL_ORDER: Template(
        _E,
        "Parent region “{value}” is a {parent_level_en} and this region a {level_en}; "
        "a parent must be of a strictly higher level.",
        "上级区划“{value}”为{parent_level_zh}级，本区划为{level_zh}级；上级区划的层级必须更高。",
    ),
    IssueCode.MISSING_PARENT: Template(
        _E,
        "This {level_en} has no {column}; only the top regions ({top_en}) may have none.",
        "本区划为{level_zh}级，缺少“{column}”；只有最高层级（{top_zh}）的区划可以不填。",
    ),
    IssueCode.PARENT_CYCLE: Template(
        _E,
        "The parent chain loops back on itself: {cycle}.",
        "上级关系形成循环：{cycle}。",
    ),
    IssueCode.DUPLICATE_ID_CONFLICT: Template(
        _E,
        "“{value}” is also used at {other_en} with different content; ids must be unique "
        "across the whole dataset and the graph.",
        "“{value}”在{other_zh}也被使用且内容不同；编号在整个数据集及图谱内必须唯一。",
    ),
    IssueCode.DUPLICATE_ROW: Template(
        _W,
        "“{value}” repeats the identical row at {other_en}; the two were merged.",
        "“{value}”与{other_zh}的行完全相同，已合并。",
    ),
    IssueCode.AMBIGUOUS_SKILL: Template(
        _E,
        "Skill “{value}” matches several skills ({candidates}); give the skill id.",
        "技能“{value}”对应多个技能（{candidates}），请填写技能编号。",
    ),
    IssueCode.UNKNOWN_SKILL: Template(
        _E,
        "Skill “{value}” matches no skill id, name or alias in {where_en}.",
        "技能“{value}”在{where_zh}中找不到对应的编号、名称或别名。",
    ),
    IssueCode.EMPTY_FILE: Template(
        _E, "The file or sheet is empty: it has no header.", "文件或工作表为空，没有表头。"
    ),
    IssueCode.NO_ROWS: Template(
        _W, "The table has a header but no rows.", "该表只有表头，没有数据行。"
    ),
    IssueCode.UNKNOWN_COLUMN: Template(
        _W,
        "Column “{column}” is not in the contract of {table_en}; it is ignored "
        "(load with --keep-extra to keep it).",
        "列“{column}”不在“{table_zh}”的数据规范中，已忽略（如需保留请使用 --keep-extra）。",
    ),
    IssueCode.DUPLICATE_COLUMN: Template(
        _E,
        "Columns “{other_column}” and “{column}” both mean {name}; every row of this "
        "file is rejected.",
        "列“{other_column}”与“{column}”都表示 {name}，本文件所有行均被拒绝。",
    ),
    IssueCode.MISSING_COLUMN: Template(
        _E,
        "Required column {column} ({alias}) is missing from the header; every row of this "
        "file is rejected.",
        "表头缺少必填列“{alias}”（{column}），本文件所有行均被拒绝。",
    ),
    IssueCode.UNKNOWN_TABLE: Template(
        _W,
        "“{value}” is not a table of the contract; it is skipped.",
        "“{value}”不是数据规范中的表，已跳过。",
    ),
    IssueCode.ENCODING_UNKNOWN: Template(
        _E,
        "The text encoding cannot be told (tried UTF-8, UTF-8 with BOM, GB18030 and a "
        "guess); the file is not read rather than risk garbled Chinese.",
        "无法确定文本编码（已尝试 UTF-8、带 BOM 的 UTF-8、GB18030 及自动识别），"
        "为避免中文乱码，未读取该文件。",
    ),
    IssueCode.ENCODING_GUESSED: Template(
        _W,
        "The file is neither UTF-8 nor GB18030; it was read as {encoding} (a guess): "
        "check that its Chinese text reads correctly.",
        "该文件既非 UTF-8 也非 GB18030，已按推测的 {encoding} 编码读取，请核对中文是否正确。",
    ),
    IssueCode.UNREADABLE_FILE: Template(
        _E,
        "The file cannot be read: {reason}; none of its rows is loaded.",
        "无法读取该文件：{reason}；其中的行均未导入。",
    ),
    IssueCode.NO_TABLES: Template(
        _E,
        "No table of the contract was found in {value}.",
        "在“{value}”中没有找到数据规范中的任何表。",
    ),
}


class _Params(dict[str, Any]):
    """Format parameters that show a missing name as ``?`` instead of raising."""

    def __missing__(self, key: str) -> str:
        return "?"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Issue:
    """One thing a dataset does wrong, where it does it, and why, in English and Chinese.

    ``row`` is the 1-based spreadsheet row (header = 1, first data row = 2) or the JSONL line
    number; ``column`` the header as written in the file; ``value`` at most 200 characters.
    """

    code: str
    severity: Severity
    table: str | None
    file: str | None
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message_en: str
    message_zh: str

    @classmethod
    def create(
        cls,
        code: IssueCode,
        *,
        table: str | None = None,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        severity: Severity | None = None,
        **params: object,
    ) -> Issue:
        """Return the issue for ``code`` with both messages filled from the arguments.

        ``value`` is shown as text and clipped; ``params`` fill the code's template (a name
        the template needs but is not given shows as ``?``).
        """
        template = TEMPLATES[code]
        shown = None if value is None else _clip(_as_text(value), VALUE_CHARS)
        if column is not None:
            column = _clip(column, VALUE_CHARS)  # a header can be as hostile as a cell
        # parameters come from the data too: none may blow a message up
        fill = _Params(
            (key, _clip(val, VALUE_CHARS) if isinstance(val, str) else val)
            for key, val in params.items()
        )
        fill.setdefault("column", "?" if column is None else _clip(column, MESSAGE_VALUE_CHARS))
        fill.setdefault("table", table if table is not None else "?")
        fill["value"] = "" if shown is None else _clip(shown, MESSAGE_VALUE_CHARS)
        return cls(
            code=code.value,
            severity=severity or template.severity,
            table=table,
            file=file,
            sheet=sheet,
            row=row,
            column=column,
            value=shown,
            message_en=template.en.format_map(fill),
            message_zh=template.zh.format_map(fill),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the issue as a JSON-ready dict."""
        return asdict(self)


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ";".join(_as_text(item) for item in value)
    return str(value)
