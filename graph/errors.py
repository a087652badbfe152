"""Errors of the graph layer.

GraphError                  root of everything raised by ``graph``
├── Neo4jUnavailableError   the database does not answer (not started, down, wrong URI)
├── LocalNeo4jError         the local Neo4j process could not be started or stopped
│   └── LauncherMissingError  the launcher jar is not built (run the set-up command)
└── MigrationError          a schema migration failed; the version stays unapplied
"""

from __future__ import annotations


class GraphError(Exception):
    """Root of the graph layer's errors."""


class Neo4jUnavailableError(GraphError):
    """Neo4j did not answer within the allowed time."""


class LocalNeo4jError(GraphError):
    """The local Neo4j process failed to start or stop."""


class LauncherMissingError(LocalNeo4jError):
    """The launcher jar has not been built."""


class MigrationError(GraphError):
    """A schema migration failed."""
