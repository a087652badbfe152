"""The derivations' plans inside a first load's one transaction.

Neo4j plans from committed counts. A first load's one transaction runs its derivations while
the store, as the planner sees it, is empty: every label and index estimated at zero rows. A
subquery run once per unit may then start from a label or index scan instead of from its unit
(at scale 1, every party member read again for each of 927 units: 2.7 million rows and 15 s
where the batched run takes 1 s). These tests plan every derivation against an empty store,
as a first load does, and require each per-node subquery to start from its node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, LiteralString

from neo4j import Driver, Record, Transaction

from cobuild.settings import Settings
from ingest import runs
from ingest.transactions import Atomic

# Operators that run their right-hand side once per row of their left-hand side.
_PER_ROW = ("Apply", "Foreach")


def _name(operator: dict[str, Any]) -> str:
    return str(operator["operatorType"]).split("@")[0]


def _leaves(operator: dict[str, Any]) -> list[dict[str, Any]]:
    children = operator.get("children") or []
    if not children:
        return [operator]
    return [leaf for child in children for leaf in _leaves(child)]


def _scans_per_row(operator: dict[str, Any]) -> list[str]:
    """Leaves other than Argument under a per-row operator's right-hand side: a scan or seek
    run again for every row on its left."""
    found = []
    children = operator.get("children") or []
    if any(marker in _name(operator) for marker in _PER_ROW) and len(children) == 2:
        for leaf in _leaves(children[1]):
            if _name(leaf) != "Argument":
                details = leaf.get("args", {}).get("Details", "")
                found.append(f"{_name(operator)} > {_name(leaf)} {details}")
    for child in children:
        found.extend(_scans_per_row(child))
    return found


class _Planned(Atomic):
    """The run's transaction, planning each statement afresh (EXPLAIN) before running it."""

    def __init__(self, tx: Transaction) -> None:
        super().__init__(tx)
        self.plans: list[tuple[str, dict[str, Any]]] = []

    def run(self, statement: LiteralString, **params: Any) -> list[Record]:
        # replan=force: a plan cached while the shared store was full would hide the empty one.
        plan = self._tx.run("CYPHER replan=force EXPLAIN " + statement, params).consume().plan
        assert plan is not None
        self.plans.append((statement.strip().splitlines()[0], plan))
        return super().run(statement, **params)


def _planned(driver: Driver, settings: Settings, work: Callable[[_Planned], object]) -> _Planned:
    """``work`` done in a transaction that plans each statement; rolled back after."""
    with driver.session(database=settings.neo4j_database) as session:
        tx = session.begin_transaction()
        try:
            planned = _Planned(tx)
            work(planned)
        finally:
            tx.rollback()
    return planned


def test_first_load_derivations_start_from_the_node_they_derive_for(
    empty_graph: Driver, neo4j_settings: Settings
) -> None:
    planned = _planned(empty_graph, neo4j_settings, runs.derive)
    assert len(planned.plans) >= 20  # every derivation went through the transaction
    offending = {
        first_line: scans for first_line, plan in planned.plans if (scans := _scans_per_row(plan))
    }
    assert offending == {}, "\n".join(f"{k}: {v}" for k, v in offending.items())


# A subquery made to start from a scan of its far node (the hint forces what the planner chose
# for the derivations when it estimated every label at zero).
FROM_A_SCAN: Final = """
MATCH (u:Unit)
CALL (u) {
  MATCH (u)<-[:MEMBER_OF]-(p:Person)
  USING SCAN p:Person
  RETURN count(p) AS n
}
RETURN u.id, n
"""


def test_the_check_catches_a_subquery_that_starts_from_a_scan(
    empty_graph: Driver, neo4j_settings: Settings
) -> None:
    planned = _planned(empty_graph, neo4j_settings, lambda writes: writes.run(FROM_A_SCAN))
    ((_, plan),) = planned.plans
    assert _scans_per_row(plan) != []
