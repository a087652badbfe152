"""The re-loads bench.transactions compares change the rows it says, and only those."""

from __future__ import annotations

import csv
from pathlib import Path

from bench.transactions import changed


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as inp:
        return list(csv.DictReader(inp))


def _differ(a: list[dict[str, str]], b: list[dict[str, str]]) -> set[int]:
    return {i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y}


def test_each_change_touches_every_hundredth_row_from_its_offset(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    _write(source / "people.csv", ["id", "name"], [[f"P{i}", f"人{i}"] for i in range(250)])
    _write(source / "organizations.csv", ["id", "employees"], [[f"O{i}", "7"] for i in range(250)])
    _write(source / "skills.csv", ["id", "name"], [["S1", "技能"]])

    first = changed(source, tmp_path / "a", 0)
    second = changed(first, tmp_path / "b", 50)

    people = [_read(folder / "people.csv") for folder in (source, first, second)]
    orgs = [_read(folder / "organizations.csv") for folder in (source, first, second)]
    assert _differ(people[0], people[1]) == {0, 100, 200}
    assert _differ(people[1], people[2]) == {50, 150}  # the second writes only its own rows
    assert people[2][100]["name"] == "人100新"
    assert _differ(orgs[0], orgs[1]) == {0, 100, 200}
    assert _differ(orgs[1], orgs[2]) == {50, 150}
    assert orgs[2][50]["employees"] == "8"
    assert (second / "skills.csv").read_bytes() == (source / "skills.csv").read_bytes()
