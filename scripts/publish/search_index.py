"""Publish stage: what the site's uncached pages read, so that a search, a facet or a filtered
page does not scan 790,000 rows: the configured facets of the large tables counted once
(`facet_counts`, read by plugins/hub_facet_counts.py), covering indexes of the filtered and sorted
table pages (`PAGE_INDEXES` in scripts/schema.py), and a trigram index of model ids
(`model_id_trigrams`) that answers the model lookup's `id LIKE '%q%'` without a scan."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from pathlib import Path

from scripts import fts_index, schema
from scripts.publish.metadata import METADATA_YML, read_yaml

log = logging.getLogger("search_index")
DATABASE = "hub"
# A table this large has its configured facets counted at build time; a smaller one is counted
# per visit in a few milliseconds.
MIN_ROWS = 100_000
TRIGRAM_TABLE = "model_id_trigrams"
SORT_THREADS = 2  # helper threads of SQLite's sorter while the indexes are made (PRAGMA threads)


def configured_facets(metadata: dict) -> dict[str, list[str]]:
    """table -> its configured column facets (metadata.yml's `facets:` given as column names)."""
    tables = metadata["databases"][DATABASE].get("tables", {})
    return {
        name: [f for f in config.get("facets", []) if isinstance(f, str)]
        for name, config in tables.items()
        if config.get("facets")
    }


def write_facet_counts(
    conn: sqlite3.Connection, facets: dict[str, list[str]], min_rows: int = MIN_ROWS
) -> int:
    """Every value of every configured facet of the tables of MIN_ROWS rows or more, with its count
    (NULL left out, as Datasette's facets leave it out)."""
    conn.execute("delete from facet_counts")
    present = {n for (n,) in conn.execute("select name from sqlite_master where type = 'table'")}
    for table, columns in facets.items():
        if table not in present or conn.execute(f"select count(*) from [{table}]").fetchone()[0] < min_rows:
            continue
        for column in columns:
            conn.execute(
                f"insert into facet_counts select ?, ?, [{column}], count(*) from [{table}]"
                f" where [{column}] is not null group by [{column}]",
                [table, column],
            )
    conn.execute(
        "create index if not exists idx_facet_counts_table_column on facet_counts (table_name, column_name)"
    )
    return conn.execute("select count(*) from facet_counts").fetchone()[0]


def write_page_indexes(conn: sqlite3.Connection) -> None:
    for table, indexes in schema.PAGE_INDEXES.items():
        for index in indexes:
            name = f"idx_{table}_{'_'.join(index.columns)}"
            columns = ", ".join(f"[{c}]" for c in index.columns)
            conn.execute(f"create index if not exists [{name}] on [{table}] ({columns})")
            conn.execute(
                f"analyze [{name}]"
            )  # the planner's statistics, as the derive stage's analyze gives the others


TRIGRAM_DECLARATION = (
    f"create virtual table [{TRIGRAM_TABLE}] using fts5(model_id, tokenize='trigram',"
    " content='model_versioning', content_rowid='model')"
)


def write_trigrams(conn: sqlite3.Connection, built: Path | None = None) -> None:
    """An external-content FTS5 trigram index of model_versioning.model_id (no copy of the ids):
    SQLite answers `model_id LIKE '%q%'` on it from the index for three characters or more.
    `built` is the same index made beforehand by build_trigrams, copied in as it is."""
    conn.execute(f"drop table if exists [{TRIGRAM_TABLE}]")
    conn.execute(TRIGRAM_DECLARATION)
    if built is None:
        conn.execute(
            f"insert into [{TRIGRAM_TABLE}] (rowid, model_id) select model, model_id from model_versioning"
        )
        return
    fts_index.copy_index(conn, TRIGRAM_TABLE, built, "model_versioning")


def build_trigrams(path: Path, source: Path) -> Path:
    """The trigram index of write_trigrams, made in a database of its own at `path` from the
    model_versioning rows of the database `source` (the build's staged copy, read in a thread
    beside the derive stage): the same ids inserted in the same (rowid) order, so the same index."""
    path, source = Path(path).resolve(), Path(source).resolve()
    path.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(path.as_uri(), uri=True)) as conn:
        conn.execute("pragma journal_mode = off")
        conn.execute("pragma synchronous = off")
        conn.execute(TRIGRAM_DECLARATION)
        conn.execute("attach database ? as source", [source.as_uri() + "?mode=ro"])
        with conn:
            conn.execute(
                f"insert into [{TRIGRAM_TABLE}] (rowid, model_id)"
                " select model, model_id from source.model_versioning order by model"
            )
        conn.execute("detach database source")
    return path


def write(
    db_path: Path, metadata_path: Path = METADATA_YML, trigrams: Path | None = None
) -> dict[str, float]:
    """The three parts into the built database; returns the seconds each took. The facets are
    those of metadata.yml (the site's metadata without its canned queries, some of which read
    what this writes); `trigrams` is the trigram index made beforehand (build_trigrams), if it was."""
    metadata = read_yaml(metadata_path)
    seconds = {}
    with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
        # The build runs this after the derive stage, its helper threads ended: SQLite's sorter
        # may take the core they used (the page indexes alone: 4.4 s instead of 5.7, for more CPU).
        conn.execute(f"pragma threads = {SORT_THREADS}")
        for name, step in (
            ("facet_counts", lambda: write_facet_counts(conn, configured_facets(metadata))),
            ("page_indexes", lambda: write_page_indexes(conn)),
            ("trigrams", lambda: write_trigrams(conn, trigrams)),
        ):
            started = time.perf_counter()
            step()
            seconds[name] = round(time.perf_counter() - started, 2)
        conn.execute("analyze facet_counts")
    log.info("search index: %s s", seconds)
    return seconds
