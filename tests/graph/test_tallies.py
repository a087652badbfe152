"""The tallies' step arithmetic (graph.tallies), checked day by day."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from graph.tallies import (
    ALWAYS,
    FOREVER,
    Steps,
    count_at,
    day_after,
    marginal_intervals,
)

BASE = date(2024, 1, 1)
# Days a tie may start or end on: a short stretch and the open ends, so that every stretch
# between two cuts is visited by the day-by-day check below.
DAYS = st.one_of(
    st.sampled_from([ALWAYS, FOREVER]),
    st.integers(0, 20).map(lambda n: BASE + timedelta(days=n)),
)
CHECKED = [ALWAYS, *(BASE + timedelta(days=n) for n in range(-2, 24)), FOREVER]


@st.composite
def ties(draw: st.DrawFn) -> list[tuple[str, date, date]]:
    found = []
    for _ in range(draw(st.integers(0, 6))):
        first, last = sorted((draw(DAYS), draw(DAYS)))
        found.append((draw(st.sampled_from("ABCD")), first, last))
    return found


@given(ties(), DAYS)
def test_marginal_intervals_are_the_days_with_at_most_one_other_unit(
    tied: list[tuple[str, date, date]], active_until: date
) -> None:
    periods = marginal_intervals(
        active_until, [t[0] for t in tied], [t[1] for t in tied], [t[2] for t in tied]
    )
    for day in CHECKED:
        others = {other for other, first, last in tied if first <= day <= last}
        expected = day <= active_until and len(others) <= 1
        assert any(first <= day <= last for first, last in periods) == expected, day
    # Periods are disjoint, in order and not adjacent (adjacent ones are joined).
    for (_, last), (first, _) in itertools.pairwise(periods):
        after = day_after(last)
        assert after is not None
        assert after < first


def test_steps_add_up_per_key_and_day() -> None:
    steps = Steps()
    steps.hold("a", BASE, BASE + timedelta(days=2))
    steps.hold("a", BASE + timedelta(days=1), FOREVER, 2)  # never ends: no step down
    steps.add("b", ALWAYS, 5)
    steps.add("b", day_after(FOREVER), -5)  # after the end of time: never
    steps.hold("c", BASE, BASE - timedelta(days=1))  # an empty period: nothing
    keys, on, delta = steps.lists()
    assert "c" not in keys
    assert on == sorted(on)
    counts = [count_at(keys, on, delta, BASE + timedelta(days=n)) for n in range(-1, 4)]
    assert [c.get("a", 0) for c in counts] == [0, 1, 3, 3, 2]
    assert {c["b"] for c in counts} == {5}
    other = Steps()
    other.add("a", BASE, -1)
    steps.merge(other)
    assert count_at(*steps.lists(), BASE).get("a", 0) == 0
