"""Load stage: rows carried from a worker process to the build's writer as a serialized in-memory
SQLite database (`pack`), and copied from it into the build's tables by INSERT ... SELECT (`copy`).

Pickling a million row tuples, unpickling them and binding them one Python value at a time took
most of the writer's time; a packed chunk crosses the pipe as one bytes object, and the writer's
copy runs in SQLite's C code with no Python object per row. The packed tables' columns carry no
type, so each value keeps the type it was bound with, and the copy converts it exactly as binding
it to the build's table would have.

A worker packs with apsw rather than the standard library's sqlite3: sqlite3 binds a None through
its adapter lookup (about 0.45 us a value, eight times an integer's), and the classification rows
are mostly None; apsw binds every value directly, so packing a census costs about a third. The
image is an ordinary SQLite file, read by the writer's sqlite3 (docs/benchmarks.md has the figures).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable

import apsw

from scripts.tables import Table

# The name the writer attaches a packed chunk under.
SCHEMA = "chunk"


def pack(tables: Iterable[tuple[Table, Iterable]], fill: Callable | None = None) -> bytes:
    """(table, rows) pairs -> one serialized database holding those rows, each table's columns
    named and ordered as declared; `fill(connection)`, if given, then adds rows by SQL (an
    apsw.Connection: its execute and executemany take the same SQL and parameters as sqlite3's)."""
    tables = list(tables)
    conn = apsw.Connection(":memory:")
    try:
        # Every table before any row, so that each has the same root page in every pack: the
        # writer's connection reads each pack with the schema it read from the first.
        for table, _ in tables:
            conn.execute(f"create table [{table.name}] ({', '.join(f'[{c}]' for c in table.names)})")
        with conn:  # one transaction
            for table, rows in tables:
                conn.executemany(table.insert, rows)
            if fill is not None:
                fill(conn)
        return conn.serialize("main")
    finally:
        conn.close()


def attach(conn: sqlite3.Connection) -> None:
    """The schema that each packed chunk is opened under in turn (open_pack), if not attached yet
    (SQLite attaches only outside a transaction: the build does it before its load stage)."""
    if any(row[1] == SCHEMA for row in conn.execute("pragma database_list")):
        return
    conn.execute(f"attach database ':memory:' as [{SCHEMA}]")


def open_pack(conn: sqlite3.Connection, data: bytes) -> None:
    """Replace what the attached schema holds by the packed chunk `data` (packed with the same
    tables as the first: see pack)."""
    conn.deserialize(data, name=SCHEMA)


def copy(conn: sqlite3.Connection, table: Table, target: str = "main") -> None:
    """Every row of the packed chunk's `table` into `target`'s, in the order they were packed."""
    conn.execute(
        f"insert into [{target}].[{table.name}] select * from [{SCHEMA}].[{table.name}] order by rowid"
    )
