"""What the findings' sentences are made of: a canned query's rows as the site runs them, and
figures printed as the sentences print them (for scripts/publish/findings.py and the findings
kept apart in scripts/publish/after_2024_finding.py)."""

from __future__ import annotations

import sqlite3

from scripts.publish.metadata import canned_queries


def percent(share: float | None, digits: int = 1) -> str:
    return "n/a" if share is None else f"{100 * share:.{digits}f}%"


def count(n: int) -> str:
    return f"{n:,}"


def query_rows(conn: sqlite3.Connection, name: str, **params) -> list[dict]:
    """Rows of canned query `name` with `params` (others at their defaults), as the site runs it."""
    query = canned_queries()[name]
    values = {p: "" for p in query.get("params", [])}
    values.update({k: str(v) for k, v in params.items()})
    cursor = conn.execute(query["sql"], values)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]
