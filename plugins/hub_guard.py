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
- a result budget: a query whose rows together hold more than RESULT_BUDGET bytes of text and blobs,
  or more than MAX_CELLS values, stops with an error, so many values just under the length limit
  cannot add up either, nor 400 integer columns x 5,000 rows rendered as HTML;
- bounded string functions: SQLite runs one call of a function in one step, and its time limit is
  checked between steps, so a call that can outlast it is replaced: `printf`/`format` with a width
  or precision past the length limit fail at once ("string or blob too big") instead of counting to
  2 billion, and `instr`, `replace` and `trim` use Python's linear-time search instead of SQLite's
  quadratic one (a 400 KB haystack and a 40 KB needle: 6 s in SQLite).

A request with more than MAX_QUERY_ARGS query-string arguments, or SQL with more than
MAX_QUERY_ARGS named parameters, is refused with a 400 before any work (Datasette's cost grows with
their square). A query interrupted by the time limit inside a page's own template (About, the home
page) is a 503 with Retry-After, not a 500. On SIGTERM the server stops within STOP_GRACE_S even
with an open stream or a query still running.

A query stopped by the length limit or the budget is answered 400 with the reason, on table pages
too (where Datasette would answer 500). The routes /-/databases and /-/threads are served without
file paths and without the asyncio task list (whose entries name source files), and an error page
shows no absolute file path.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
import weakref
from urllib.parse import parse_qsl

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.handle_exception import handle_exception as datasette_error_page
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError
from datasette.views.special import JsonDataView

MAX_LENGTH = 4 * 2**20  # bytes in one string or blob; the largest value in hub.db is ~30 KB
# Bytes of text and blobs one query may return: 16 MB is ten times the largest 5,000-row page of
# any table (models: 1.7 MB), and 4 SQL threads x 16 MB keeps a busy server well under 500 MB.
RESULT_BUDGET = 16 * 2**20
# Values one query may return: 5,000 rows of 50 columns. The widest table has 37 columns; rendered
# as HTML a value costs ~9 us, so this bounds a page at ~2 s.
MAX_CELLS = 250_000
MAX_QUERY_ARGS = 100
STOP_GRACE_S = 3.0

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
    state = {"cursor": lambda: None, "bytes": 0, "cells": 0}

    def factory(cursor, row):
        if state["cursor"]() is not cursor:
            state["cursor"], state["bytes"], state["cells"] = weakref.ref(cursor), 0, 0
        state["bytes"] += sum(len(v) for v in row if isinstance(v, (str, bytes)))
        state["cells"] += len(row)
        if state["bytes"] > budget:
            raise ResultTooLarge(
                f"query result too large: its rows hold over {budget // 2**20} MB of text and blobs;"
                " ask for fewer rows or smaller values"
            )
        if state["cells"] > MAX_CELLS:
            raise ResultTooLarge(
                f"query result too large: over {MAX_CELLS:,} values (rows x columns);"
                " ask for fewer rows or columns"
            )
        return row_factory(cursor, row) if row_factory else row

    return factory


# A printf conversion: flags, width (a number or *), precision (.number or .*), type.
PRINTF_SPEC = re.compile(r"%[-+ 0#,!]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")
_delegate = threading.local()


def builtin(name: str, args):
    """SQLite's own function of that name, on this thread's in-memory connection."""
    conn = getattr(_delegate, "conn", None)
    if conn is None:
        conn = _delegate.conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_LENGTH)
    placeholders = ", ".join("?" * len(args))
    return conn.execute(f"select {name}({placeholders})", args).fetchone()[0]


def bounded_printf(*args):
    """printf/format, failing at once ("too big") if a width or precision is past the length limit."""
    if args and isinstance(args[0], str):
        rest = list(args[1:])
        for width, precision in PRINTF_SPEC.findall(args[0]):
            for n in (width, precision):
                value = rest.pop(0) if n == "*" and rest else n
                if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
                    if abs(int(float(value))) > MAX_LENGTH:
                        return b"\0" * (MAX_LENGTH + 1)  # SQLite answers "string or blob too big"
    return builtin("printf", args)


def as_text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def linear_instr(haystack, needle):
    if haystack is None or needle is None:
        return None
    if isinstance(haystack, bytes) and isinstance(needle, bytes):
        return haystack.find(needle) + 1
    return as_text(haystack).find(as_text(needle)) + 1


def linear_replace(text, old, new):
    if text is None or old is None or new is None:
        return None
    old = as_text(old)
    return as_text(text) if old == "" else as_text(text).replace(old, as_text(new))


def set_trim(strip_side):
    def trim(text, chars=" "):
        if text is None or chars is None:
            return None
        return strip_side(as_text(text), frozenset(as_text(chars)))

    return trim


def strip_left(text: str, chars: frozenset) -> str:
    i = 0
    while i < len(text) and text[i] in chars:
        i += 1
    return text[i:]


def strip_right(text: str, chars: frozenset) -> str:
    j = len(text)
    while j > 0 and text[j - 1] in chars:
        j -= 1
    return text[:j]


BOUNDED_FUNCTIONS = {
    ("printf", -1): bounded_printf,
    ("format", -1): bounded_printf,
    ("instr", 2): linear_instr,
    ("replace", 3): linear_replace,
    ("trim", 2): set_trim(lambda t, c: strip_right(strip_left(t, c), c)),
    ("ltrim", 2): set_trim(strip_left),
    ("rtrim", 2): set_trim(strip_right),
}


@hookimpl
def prepare_connection(conn):
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_LENGTH)
    conn.set_authorizer(authorize)
    conn.row_factory = budgeted(conn.row_factory)
    for (name, n_args), function in BOUNDED_FUNCTIONS.items():
        conn.create_function(name, n_args, function, deterministic=True)


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
    elif isinstance(exception, QueryInterrupted):
        return busy_response()
    elif isinstance(exception, sqlite3.DataError) and "too big" in str(exception):
        limit = f"one string or blob may hold at most {MAX_LENGTH // 2**20} MB on this site"
        refused = DatasetteError(f"{exception}: {limit}", title="Query refused", status=400)
    elif isinstance(exception, (DatasetteError, Base400)) or ABSOLUTE_PATH.search(str(exception)) is None:
        return None  # Datasette's own error page
    else:
        refused = DatasetteError(ABSOLUTE_PATH.sub("<path>", str(exception)), status=500)
    return datasette_error_page(datasette, request, refused)


def busy_response():
    """A page whose own queries were interrupted: the server is busy, not the page broken."""
    from datasette.utils.asgi import Response

    message = "The server is busy and this page's queries ran out of time: try again in a few seconds."
    return Response.text(
        message + "\n", status=503, headers={"Retry-After": "5", "Cache-Control": "no-store"}
    )


NAMED_PARAMETER = re.compile(r"(?<![:\w]):[A-Za-z_]\w*")


def too_many_arguments(query_string: bytes) -> str | None:
    args = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    if len(args) > MAX_QUERY_ARGS:
        return f"{len(args):,} query-string arguments: this site answers at most {MAX_QUERY_ARGS}"
    sql = next((v for k, v in args if k == "sql"), "")
    named = set(NAMED_PARAMETER.findall(sql))
    if len(named) > MAX_QUERY_ARGS:
        return f"{len(named):,} named parameters in the SQL: this site answers at most {MAX_QUERY_ARGS}"
    return None


def stop_within_grace() -> None:
    """On SIGTERM, do what the server does (a graceful shutdown) and leave anyway after
    STOP_GRACE_S: an open stream or a running SQLite step would otherwise hold the process."""
    previous = signal.getsignal(signal.SIGTERM)
    if getattr(previous, "hub_guard", False) or not callable(previous):
        return

    def on_sigterm(sig, frame):
        timer = threading.Timer(STOP_GRACE_S, os._exit, args=(0,))
        timer.daemon = True
        timer.start()
        previous(sig, frame)

    on_sigterm.hub_guard = True
    signal.signal(signal.SIGTERM, on_sigterm)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def bounded(scope, receive, send):
            if scope["type"] == "lifespan" and threading.current_thread() is threading.main_thread():
                stop_within_grace()  # the server's own SIGTERM handler is in place by now
            if scope["type"] == "http":
                problem = too_many_arguments(scope.get("query_string", b""))
                if problem:
                    from datasette.utils.asgi import Response

                    return await Response.text(f"Refused: {problem}.\n", status=400).asgi_send(send)
            return await app(scope, receive, send)

        return bounded

    return wrap


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
