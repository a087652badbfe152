"""Errors of the query layer.

QueryError              root of everything ``queries`` raises on purpose
├── NotFoundError       an id given as input names nothing (or only retired data)
└── BadArgumentError    an argument is outside what the question accepts

Expected outcomes that are not errors (no path, no gap) are empty results, never exceptions.
The database's own failures propagate as the driver's exceptions.
"""

from __future__ import annotations


class QueryError(Exception):
    """Root of the query layer's errors."""


class NotFoundError(QueryError):
    """An id given as input does not exist (or names only retired data)."""


class BadArgumentError(QueryError, ValueError):
    """An argument is outside the range or vocabulary the question accepts."""
