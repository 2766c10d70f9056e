"""Full-text indexes made in a database file of their own (in a thread beside the build's writer)
and copied into the build's database: the rows of their FTS5 shadow tables, then a check that the
copy indexes every row of its content table. `index_entries_digest` tells two indexes apart by
what they index, not by how FTS5 laid it out in segments."""

from __future__ import annotations

import hashlib
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


# The shadow tables whose bytes depend on the order rows were inserted in (segments, merges) and
# not only on what is indexed; index_entries_digest compares those by content.
LAYOUT_TABLES = ("data", "idx")


def index_entries_digest(conn: sqlite3.Connection, table: str) -> tuple[int, str]:
    """(entries, sha256) of every (term, rowid, column, offset) the FTS5 table `table` holds, in that
    order (an fts5vocab 'instance' table): equal for two indexes of the same rows, whatever order
    the rows were inserted in."""
    conn.execute(f"create virtual table temp.[{table}_entries] using fts5vocab(main, [{table}], 'instance')")
    try:
        digest, entries = hashlib.sha256(), 0
        # The vocabulary table reads the index in term, rowid, column and offset order (checked
        # in tests/test_fts_index.py): no sort of a trigram index's 25 million entries.
        rows = conn.execute(f"select term, doc, col, offset from temp.[{table}_entries]")
        while batch := rows.fetchmany(50_000):
            digest.update(repr(batch).encode())
            entries += len(batch)
        return entries, digest.hexdigest()
    finally:
        conn.execute(f"drop table temp.[{table}_entries]")
