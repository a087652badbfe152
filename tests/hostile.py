"""One corpus of hostile strings, sent through every GraphQL argument and every ingest column.

Each would do damage if it were ever spliced into Cypher, Lucene, a shell, a spreadsheet or
HTML instead of travelling as a parameter or plain text.
"""

from __future__ import annotations

from typing import Final

DETACH_DELETE: Final = "x'}) MATCH (n) DETACH DELETE n //"

HOSTILE: Final[tuple[str, ...]] = (
    "'",
    '"',
    "\\",
    "\\'",
    "`",
    DETACH_DELETE,
    "'}) MATCH (n) DETACH DELETE n //",
    '"}) MATCH (n) DETACH DELETE n //',
    "x`) DETACH DELETE n //",
    "1 OR 1=1",
    "' OR '1'='1",
    "x' RETURN 1 UNION MATCH (n) DETACH DELETE n RETURN 1 //",
    "CALL db.labels() YIELD label RETURN label",
    "CALL dbms.killQueries([]) //",
    "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
    "x') CALL apoc.cypher.runWrite('MATCH (n) DETACH DELETE n', {}) YIELD value RETURN 1 //",
    "apoc.periodic.iterate('MATCH (n) RETURN n', 'DETACH DELETE n', {})",
    "$id",
    "$text}) MATCH (n) DETACH DELETE n //",
    "{id: 1}",
    '{"id": "1", "$where": "1"}',
    '["a", {"b": null}]',
    "/* */ MATCH (n) DELETE n",
    "\u0000",
    "a\u0000b",
    "\x1b[31m红\x1b[0m",
    "\\u0027) MATCH (n) DETACH DELETE n //",
    "\u202e\u0644\u0639\u0631\u0628\u064a",
    "𠀋𡈽𡌛 🦄 \ufeff",
    "党建' OR 1=1 --",
    "*:*",
    "name:* OR id:*",
    "~!@#$%^&*()_+{}|:<>?[];',./",
    "((((((((((",
    "<script>alert('党建')</script>",
    '=HYPERLINK("http://example.invalid")',
    "../../../../etc/passwd",
    "; rm -rf / #",
    " ",
    "",
    "长" * 5000,
    "x" * 70_000,
)
