"""Region tallies: counts kept at ingest so a whole city's coverage reads a node per region.

Every coverage question (questions.md §3) over a whole city counts tens of thousands of
organizations, areas, units and resources per region — and the counts depend on the date asked
about. A region at ``TALLY_DEPTH`` or above (province … community) therefore carries its counts
as step functions of that date, in three parallel lists:

- ``tally_keys``: what is counted (``"uncovered|private_enterprise"``, ``"blank|grid"``, …);
- ``tally_on``: the first day a step holds (``ALWAYS`` for counts that do not change);
- ``tally_delta``: the step.

A count at a date is the sum of its key's steps on or before the date (``count_at``). Each
region counts everything under it (by ``region_path``). Streets also count their resources per
scenario, in three lists of their own (``resource_tally_keys``, ``resource_tally_on``,
``resource_tally_delta``): a whole city's coverage counts read every street's lists, and
resources would make them seven times longer. ``ingest.tallies`` writes them after every load
that writes; ``queries.coverage`` reads them. The keys and step rules below are the single
definition both sides use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Final

from graph.model import RegionLevel

# Regions that carry tallies: province … community (level_rank ≤ 4).
TALLY_DEPTH: Final = RegionLevel.COMMUNITY.rank
TALLY_LEVELS: Final = tuple(level for level in RegionLevel if level.rank <= TALLY_DEPTH)
# Open ends of a period, as ingest.runs writes them (lists hold no nulls).
ALWAYS: Final = date(1, 1, 1)
FOREVER: Final = date(9999, 12, 31)
# Areas whose blankness is tallied (questions.md §3 blank areas).
AREA_LEVELS: Final = (RegionLevel.GRID, RegionLevel.COMPOUND, RegionLevel.BUILDING)

# Separates a key's measure from what it is of (a sector, a level, a scenario): the measure is
# the part before the first one, so a scenario may hold any character.
SEPARATOR: Final = "|"
UNITS: Final = "units"  # active units
MARGINAL: Final = "marginal"  # active units tied to at most one other active unit
NEW_EMPLOYMENT_PEOPLE: Final = "neg_people"
NEW_EMPLOYMENT_MEMBERS: Final = "neg_members"
# Per scenario, on streets: resources tagged with it, and how many are usable, outside their
# period, not shareable, of another status than available.
RESOURCE_MEASURES: Final = ("tagged", "usable", "inactive", "unshareable", "unavailable")
RESOURCE_PREFIX: Final = "resource_"


def key(measure: str, of: str | None) -> str:
    """The key of ``measure`` of one sector, level or scenario (None: the empty string)."""
    return f"{measure}{SEPARATOR}{of or ''}"


def organizations(sector: str | None) -> str:
    return key("organizations", sector)


def employees(sector: str | None) -> str:
    return key("employees", sector)


def members(sector: str | None) -> str:
    return key("members", sector)


def uncovered(sector: str | None) -> str:
    return key("uncovered", sector)


def areas(level: RegionLevel | str) -> str:
    return key("areas", RegionLevel(level).value)


def blank(level: RegionLevel | str) -> str:
    return key("blank", RegionLevel(level).value)


def resource(measure: str, scenario: str) -> str:
    return key(f"{RESOURCE_PREFIX}{measure}", scenario)


def split(tally_key: str) -> tuple[str, str]:
    """``(measure, of)`` of a key."""
    measure, _, of = tally_key.partition(SEPARATOR)
    return measure, of


def day_after(day: date) -> date | None:
    """The next day, or None after ``FOREVER`` (a step there never happens)."""
    return None if day >= FOREVER else day + timedelta(days=1)


class Steps:
    """Steps of many keys, added up; ``lists()`` gives the stored parallel lists."""

    def __init__(self) -> None:
        self._steps: defaultdict[tuple[date, str], int] = defaultdict(int)

    def add(self, tally_key: str, on: date | None, delta: int) -> None:
        """Add ``delta`` to ``tally_key`` from ``on`` on (never when ``on`` is None)."""
        if on is not None and delta:
            self._steps[(on, tally_key)] += delta

    def hold(self, tally_key: str, since: date, until: date, count: int = 1) -> None:
        """``count`` more from ``since`` through ``until`` (inclusive)."""
        if since <= until:
            self.add(tally_key, since, count)
            self.add(tally_key, day_after(until), -count)

    def merge(self, other: Steps) -> None:
        for step, delta in other._steps.items():
            self._steps[step] += delta

    def lists(self) -> tuple[list[str], list[date], list[int]]:
        """Keys, days and steps, by day then key, without steps that cancelled out."""
        steps = sorted((on, k, d) for (on, k), d in self._steps.items() if d)
        return [k for _, k, _ in steps], [on for on, _, _ in steps], [d for _, _, d in steps]


def count_at(
    keys: Sequence[str], on: Sequence[date], delta: Sequence[int], as_of: date
) -> dict[str, int]:
    """Every key's count at ``as_of`` from stored lists."""
    counts: defaultdict[str, int] = defaultdict(int)
    for k, day, d in zip(keys, on, delta, strict=True):
        if day <= as_of:
            counts[k] += d
    return dict(counts)


def marginal_intervals(
    active_until: date, tie_ids: Sequence[str], tie_since: Sequence[date], tie_until: Sequence[date]
) -> list[tuple[date, date]]:
    """The periods (first, last day) in which a unit active through ``active_until`` is tied to
    at most one other unit, its ties being (other unit, first day, last day) as ingest.runs
    DERIVE_UNIT_TIES keeps them. Between two consecutive days on which a tie starts or ends the
    number of other units is constant, so it is checked once per such stretch."""
    ties = list(zip(tie_ids, tie_since, tie_until, strict=True))
    cuts = {ALWAYS}
    for _, since, until in ties:
        cuts.add(since)
        after = day_after(until)
        if after is not None:
            cuts.add(after)
    after_active = day_after(active_until)
    if after_active is not None:
        cuts.add(after_active)
    days = sorted(cut for cut in cuts if cut <= active_until)
    periods: list[tuple[date, date]] = []
    for index, first in enumerate(days):
        last = days[index + 1] - timedelta(days=1) if index + 1 < len(days) else active_until
        others = {other for other, since, until in ties if since <= first <= until}
        if len(others) > 1:
            continue
        if periods and day_after(periods[-1][1]) == first:
            periods[-1] = (periods[-1][0], last)
        else:
            periods.append((first, last))
    return periods
