"""Full-text indexes made in a database file of their own (in a thread beside the build's writer)
and copied into the build's database: the rows of their FTS5 shadow tables, then a check that the
copy indexes every row of its content table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# FTS5's own tables of an external-content index: the index itself, sizes, settings.
SHADOW_TABLES = ("data", "idx", "docsize", "config")


def copy_index(conn: sqlite3.Connection, table: str, built: Path, content: str) -> None:
    """Fill the FTS5 table `table`, declared in conn as in the file `built`, with the index made
    there, and check that it holds one entry per row of `content` (its content table)."""
    conn.execute("attach database ? as built_index", [str(Path(built).resolve())])
    try:
        for shadow in SHADOW_TABLES:
            name = f"{table}_{shadow}"
            conn.execute(f"delete from [{name}]")
            conn.execute(f"insert into [{name}] select * from built_index.[{name}]")
    finally:
        conn.commit()  # a database cannot be detached inside a transaction that read it
        conn.execute("detach database built_index")
    indexed, rows = conn.execute(
        f"select (select count(*) from [{table}_docsize]), (select count(*) from [{content}])"
    ).fetchone()
    if indexed != rows:
        raise RuntimeError(f"{built}: the full-text index {table} holds {indexed} rows, {content} has {rows}")
