"""Guard plugin: one request cannot take the server's memory, read outside the database's rows or
show the server's file paths.

Every SQLite connection Datasette opens gets, through the `prepare_connection` hook:
- a maximum string/blob length (SQLITE_LIMIT_LENGTH): `randomblob(900000000)` or
  `zeroblob(450000000)` fail at once with "string or blob too big" instead of allocating gigabytes;
- an authorizer: functions that read or write outside the query's data (`fts3_tokenizer`, which
  returns and overwrites a tokenizer's memory address, `load_extension`, the fileio functions...),
  virtual tables about the connection rather than the data (`sqlite_stmt`, `dbstat`) and ATTACH are
  denied; a PRAGMA runs only if it describes a table or the schema (the ones Datasette itself uses),
  and `database_list`, which lists file paths, returns no rows (its table form is denied);
- a result budget: a query whose rows together hold more than RESULT_BUDGET bytes of text and blobs
  stops with an error, so many values just under the length limit cannot add up either.

A query stopped by the length limit or the budget is answered 400 with the reason, on table pages
too (where Datasette would answer 500). The routes /-/databases and /-/threads are served without
file paths and without the asyncio task list (whose entries name source files), and an error page
shows no absolute file path.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import weakref

from datasette import hookimpl
from datasette.handle_exception import handle_exception as datasette_error_page
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError
from datasette.views.special import JsonDataView

MAX_LENGTH = 4 * 2**20  # bytes in one string or blob; the largest value in hub.db is ~30 KB
# Bytes of text and blobs one query may return: 16 MB is ten times the largest 5,000-row page of
# any table (models: 1.7 MB), and 4 SQL threads x 16 MB keeps a busy server well under 500 MB.
RESULT_BUDGET = 16 * 2**20

DENIED_FUNCTIONS = frozenset(
    {"fts3_tokenizer", "load_extension", "readfile", "writefile", "edit", "fts5", "fsdir", "zipfile"}
)
# sqlite_stmt shows the SQL of the connection's other statements, dbstat reads the file's pages,
# pragma_database_list (the table form of PRAGMA database_list) names the database files.
DENIED_TABLES = frozenset({"sqlite_stmt", "dbstat", "sqlite_dbpage", "pragma_database_list"})
# Pragmas that describe tables, indexes or the schema (Datasette's own allowed list for SQL queries),
# plus those Datasette runs on its own connections.
ALLOWED_PRAGMAS = frozenset(
    {
        "foreign_key_list",
        "function_list",
        "index_info",
        "index_list",
        "index_xinfo",
        "page_count",
        "max_page_count",
        "page_size",
        "schema_version",
        "table_info",
        "table_xinfo",
        "compile_options",  # /-/versions
        "cache_size",  # the cache_size_kb setting
        "query_only",  # read connections of in-memory databases
        "data_version",  # FTS5 checks it before reading its index
    }
)
# Datasette itself runs PRAGMA database_list to list attached databases: it gets no rows (none are
# attached), and visitors' SQL cannot run PRAGMA statements, only the table form denied above.
SILENCED_PRAGMAS = frozenset({"database_list"})


class ResultTooLarge(sqlite3.DatabaseError):
    pass


def authorize(action, arg1, arg2, db_name, trigger):
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_DENY if arg2.lower() in DENIED_FUNCTIONS else sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ:
        return sqlite3.SQLITE_DENY if arg1.lower() in DENIED_TABLES else sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA:
        name = arg1.lower()
        if name in SILENCED_PRAGMAS:
            return sqlite3.SQLITE_IGNORE
        return sqlite3.SQLITE_OK if name in ALLOWED_PRAGMAS else sqlite3.SQLITE_DENY
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def budgeted(row_factory, budget: int = RESULT_BUDGET):
    """row_factory, counting the bytes of text and blobs each cursor returns; over budget, an error.

    A Datasette connection runs one query at a time, and each query gets a new cursor: the count
    starts again whenever the cursor changes. The last cursor is held by a weak reference, so that
    an unfinished statement is not kept alive, and a new cursor at a freed one's address still
    counts as new.
    """
    state = {"cursor": lambda: None, "bytes": 0}

    def factory(cursor, row):
        if state["cursor"]() is not cursor:
            state["cursor"], state["bytes"] = weakref.ref(cursor), 0
        state["bytes"] += sum(len(v) for v in row if isinstance(v, (str, bytes)))
        if state["bytes"] > budget:
            raise ResultTooLarge(
                f"query result too large: its rows hold over {budget // 2**20} MB of text and blobs;"
                " ask for fewer rows or smaller values"
            )
        return row_factory(cursor, row) if row_factory else row

    return factory


@hookimpl
def prepare_connection(conn):
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_LENGTH)
    conn.set_authorizer(authorize)
    conn.row_factory = budgeted(conn.row_factory)


def databases_without_paths(datasette):
    """What Datasette's own /-/databases shows, but the file path."""
    return [
        {
            "name": name,
            "route": db.route,
            "size": db.size,
            "is_mutable": db.is_mutable,
            "is_memory": db.is_memory,
            "hash": db.hash,
        }
        for name, db in datasette.databases.items()
        if name != "_internal"
    ]


def thread_counts():
    """What Datasette's own /-/threads shows, but the asyncio tasks (their text names source files)."""
    threads = threading.enumerate()
    return {
        "num_threads": len(threads),
        "threads": [{"name": t.name, "ident": t.ident, "daemon": t.daemon} for t in threads],
    }


# An absolute file path in an error message: two or more /segments.
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])(?:/[\w.@+-]+){2,}/?")


@hookimpl
def handle_exception(datasette, request, exception):
    """Refused queries as 400 with their reason; file paths out of any other error message."""
    if isinstance(exception, ResultTooLarge):
        refused = DatasetteError(str(exception), title="Query refused", status=400)
    elif isinstance(exception, sqlite3.DataError) and "too big" in str(exception):
        limit = f"one string or blob may hold at most {MAX_LENGTH // 2**20} MB on this site"
        refused = DatasetteError(f"{exception}: {limit}", title="Query refused", status=400)
    elif isinstance(exception, (DatasetteError, Base400)) or ABSOLUTE_PATH.search(str(exception)) is None:
        return None  # Datasette's own error page
    else:
        refused = DatasetteError(ABSOLUTE_PATH.sub("<path>", str(exception)), status=500)
    return datasette_error_page(datasette, request, refused)


@hookimpl
def register_routes(datasette):
    # Plugin routes are matched before Datasette's own, so these replace /-/databases and /-/threads.
    return [
        (
            r"^/-/databases(\.(?P<format>json))?$",
            JsonDataView.as_view(datasette, "databases.json", lambda: databases_without_paths(datasette)),
        ),
        (
            r"^/-/threads(\.(?P<format>json))?$",
            JsonDataView.as_view(datasette, "threads.json", thread_counts),
        ),
    ]
