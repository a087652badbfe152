"""The ingest report on a console: what was read, written and rejected, and why."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ingest.pipeline import IngestResult

SHOWN_ISSUES = 50


def print_report(result: IngestResult, console: Console | None = None) -> None:
    """Print per-table counts and the first issues, each in Chinese and English."""
    out = console or Console(stderr=True, soft_wrap=True)
    report = result.report
    table = Table(title=f"ingest {report.source}", title_justify="left")
    for column in ("table", "read", "valid", "rejected", "merged", "written", "unchanged"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, stats in report.stats.items():
        outcome = result.tables.get(name)
        table.add_row(
            name,
            str(stats.rows_read),
            str(stats.rows_valid),
            str(stats.rows_rejected),
            str(stats.rows_merged),
            str(outcome.written) if outcome else "-",
            str(outcome.skipped) if outcome else "-",
        )
    out.print(table)
    for issue in report.issues[:SHOWN_ISSUES]:
        where = ":".join(str(p) for p in (issue.file, issue.sheet, issue.row) if p is not None)
        column = f" [{issue.column}]" if issue.column else ""
        style = "red" if issue.severity == "error" else "yellow"
        out.print(
            f"[{style}]{issue.severity}[/] {issue.code} {where}{column}\n"
            f"    {issue.message_zh}\n    {issue.message_en}",
            markup=True,
            highlight=False,
        )
    if report.issue_count > SHOWN_ISSUES:
        out.print(f"… {report.issue_count - SHOWN_ISSUES} more issues (see --report FILE)")
    verdict = "nothing written (dry run or --strict)" if not result.written else "written"
    if result.unchanged_since:
        verdict = (
            f"unchanged since run {result.unchanged_since}: every row skipped without "
            "validating again (--recheck compares every row)"
        )
    out.print(
        f"{report.error_count} errors, {report.warning_count} warnings; {verdict}; "
        f"{result.elements_written} graph elements in {result.seconds:.1f}s"
        + (f"; run {result.run_id}" if result.run_id else "")
    )
