"""How a run's statements reach Neo4j: all in one transaction, or batch by batch.

A run is **one transaction**: its table writes, what ``--sync`` retires and every derived
value. Queries answering meanwhile read the graph as it was before the run until it commits,
and as it is after it from then on — never a run half written (Neo4j readers take no locks,
so they are not held up either). Killed or failed, it leaves nothing behind. Its size is
bounded by the memory Neo4j gives one transaction, about 10 KiB per row written
(docs/ingest.md); a run beyond it is rolled back with ``RunTooLargeError``.

Asked for (``--batched``: a city's first load, bigger than any heap holds), a run writes
**batch by batch** instead (each batch its own transaction, two in flight, derived values
``CALL … IN TRANSACTIONS``); queries may then see it part-written, and the run record says
``atomic: false``. A killed batched run is finished by loading again.

Both kinds offer the same three verbs, so the table writers, ``--sync`` and the derivations are
written once: ``unit`` (one batch's unit of work), ``run`` (one statement, its rows consumed)
and ``reads`` (several reads, side by side when the store is not mid-transaction).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Final, LiteralString, Protocol, TypeVar

from neo4j import Driver, ManagedTransaction, Record, Transaction
from neo4j.exceptions import Neo4jError

from ingest.errors import RunTooLargeError

T = TypeVar("T")

# A statement's batched subqueries, to be run as plain subqueries inside one transaction (CALL
# … IN TRANSACTIONS commits on its own and needs an auto-commit transaction).
_IN_TRANSACTIONS: Final = re.compile(r"\}\s*IN TRANSACTIONS(?: OF \d+ ROWS)?")
# Reads in flight at once outside a transaction: the database runs each on one core.
READ_THREADS: Final = 3
# What Neo4j 5.26 answers when a transaction outgrows its own limit (db.memory.transaction.max)
# or the pool all transactions share (dbms.memory.transaction.total.max, 70% of the heap by
# default): the same code for both, seen in tests/ingest/test_transaction_memory.py and at
# scale 10 with a 1 GB heap.
OUT_OF_MEMORY: Final = frozenset({"Neo.TransientError.General.MemoryPoolOutOfMemoryError"})

Work = Callable[[ManagedTransaction | Transaction], T]


def in_one_transaction(statement: LiteralString) -> LiteralString:
    """``statement`` with every ``CALL { … } IN TRANSACTIONS`` made a plain ``CALL { … }``."""
    return _IN_TRANSACTIONS.sub("}", statement)


class Writes(Protocol):
    """Where a run's statements go."""

    @property
    def atomic(self) -> bool:
        """Whether the whole run is one transaction."""
        ...

    def unit(self, work: Work[T]) -> T:
        """Run ``work``: its own (retried) transaction, or the run's."""
        ...

    def run(self, statement: LiteralString, **params: Any) -> list[Record]:
        """Run one statement to the end; its records."""
        ...

    def reads(self, jobs: Sequence[tuple[LiteralString, dict[str, Any]]]) -> list[list[Record]]:
        """Run several read statements; their records, in order."""
        ...


class Batched:
    """Batch by batch: each unit of work its own transaction, statements auto-committed."""

    atomic = False

    def __init__(self, driver: Driver, database: str) -> None:
        self._driver = driver
        self._database = database

    def unit(self, work: Work[T]) -> T:
        with self._driver.session(database=self._database) as session:
            return session.execute_write(work)

    def run(self, statement: LiteralString, **params: Any) -> list[Record]:
        # CALL … IN TRANSACTIONS needs an implicit (auto-commit) transaction.
        with self._driver.session(database=self._database) as session:
            return list(session.run(statement, params))

    def reads(self, jobs: Sequence[tuple[LiteralString, dict[str, Any]]]) -> list[list[Record]]:
        def read(job: tuple[LiteralString, dict[str, Any]]) -> list[Record]:
            with self._driver.session(database=self._database, default_access_mode="READ") as s:
                return list(s.run(*job))

        # Each read is one scan of its label, seconds at scale 100; the server runs them side
        # by side.
        with ThreadPoolExecutor(READ_THREADS) as pool:
            return list(pool.map(read, jobs))


class Atomic:
    """The whole run in one explicit transaction: reads see its own writes so far."""

    atomic = True

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def unit(self, work: Work[T]) -> T:
        return work(self._tx)

    def run(self, statement: LiteralString, **params: Any) -> list[Record]:
        return list(self._tx.run(in_one_transaction(statement), params))

    def reads(self, jobs: Sequence[tuple[LiteralString, dict[str, Any]]]) -> list[list[Record]]:
        # One transaction is one connection: its statements run one after the other.
        return [self.run(statement, **params) for statement, params in jobs]


@contextmanager
def writes(
    driver: Driver, database: str, *, atomic: bool, timeout_s: float, run_id: str
) -> Iterator[Writes]:
    """The run's writes: committed when the block ends, rolled back if it raises (atomic).

    Raises ``RunTooLargeError`` when the one transaction outgrows the server's memory for it.
    """
    if not atomic:
        yield Batched(driver, database)
        return
    with driver.session(database=database) as session:
        # The run's own time limit, not the server's per-query one (queries are cut at 30 s;
        # a run's derivations alone can take longer). Tagged so SHOW TRANSACTIONS names it.
        tx = session.begin_transaction(
            timeout=timeout_s, metadata={"app": "cobuild-ingest", "run": run_id}
        )
        with tx:  # rolled back if the block raises
            try:
                yield Atomic(tx)
                tx.commit()
            except Neo4jError as exc:
                if exc.code in OUT_OF_MEMORY:
                    raise RunTooLargeError(exc.message or str(exc)) from exc
                raise
