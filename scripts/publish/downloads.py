"""Whole-table downloads, written at build time: gzipped CSV and Parquet of each table a reader may
want entire, and MANIFEST.json with their row counts, sizes and sha256 (the database file's too).

    python -m scripts.publish.downloads [--db build/hub.db] [--out build/downloads]

Each table is read once, in row order, BATCH rows at a time (by apsw); each batch goes to
pyarrow's CSV writer (into a gzip stream) and, gathered ROW_GROUP rows at a time, to its Parquet
writer, so memory stays at one row group whatever the table's size. The files are written into a
folder beside `out` and swapped in whole, so the site never serves a half-written set. The site
serves the folder as static files (scripts/publish/site.py) and links the files from the table
pages and the About page.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from functools import partial
from itertools import islice
from pathlib import Path

import apsw
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from isal import igzip

from scripts.memory import collector_paused

# Tables a reader may want whole: by name, and every table whose name starts with a prefix.
TABLES = ("models", "model_versioning", "version_markers", "snapshots", "organizations")
TABLE_PREFIXES = ("summary_", "validation_", "classifier_", "estimate_")
# Rows read at a time: each batch is held as Python values (a tuple per row) until its Arrow
# arrays are built; 5,000 keeps the export of one large table 25-30 MiB smaller than 20,000 did,
# for the same CPU time.
BATCH = 5_000
# Rows of a Parquet row group, gathered from the batches as Arrow arrays (far smaller than the
# Python values): 20,000, as when each batch of 20,000 was one row group, so that the files keep
# their layout (a smaller group repeats each column's dictionary more often).
ROW_GROUP = 20_000
CSV_GZIP_LEVEL = 1
THREADS = 2
MANIFEST = "MANIFEST.json"
# URL path the site serves the folder under (the static mount's name).
MOUNT = "downloads"
FORMATS = {"csv.gz": "CSV, gzip-compressed", "parquet": "Apache Parquet (zstd)"}


class DownloadError(Exception):
    pass


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def downloadable_tables(conn: sqlite3.Connection) -> list[str]:
    """The tables of TABLES and TABLE_PREFIXES present in the database, in that order."""
    present = [
        r[0] for r in conn.execute("select name from sqlite_master where type = 'table' order by name")
    ]
    named = [t for t in TABLES if t in present]
    prefixed = [t for p in TABLE_PREFIXES for t in present if t.startswith(p) and t not in named]
    return named + prefixed


def arrow_schema(conn: sqlite3.Connection, table: str) -> pa.Schema:
    """The Arrow type of each column, from the SQLite types its values actually have.

    Tables made with CREATE TABLE AS have no declared types, so the values decide (one scan):
    integers only -> int64, integers and reals -> float64, any text -> string, blobs -> binary.
    """
    return probe_columns(conn, table)[0]


def probe_columns(conn: sqlite3.Connection | apsw.Connection, table: str) -> tuple[pa.Schema, set[str]]:
    """arrow_schema, and the string columns whose values are not all text (or NULL): their other
    values are written as their str()."""
    columns = [r[1] for r in conn.execute(f"pragma table_info([{table}])")]
    if not columns:
        raise DownloadError(f"table {table}: no columns")
    probes = ", ".join(f"group_concat(distinct typeof([{c}]))" for c in columns)
    kinds = conn.execute(f"select {probes} from [{table}]").fetchone()
    fields, mixed = [], set()
    for column, found in zip(columns, kinds):
        seen = set((found or "").split(",")) - {"null", ""}
        if seen == {"integer"}:
            kind = pa.int64()
        elif seen and seen <= {"integer", "real"}:
            kind = pa.float64()
        elif seen == {"blob"}:
            kind = pa.binary()
        else:
            kind = pa.string()
        if pa.types.is_string(kind) and not seen <= {"text"}:
            mixed.add(column)
        fields.append(pa.field(column, kind))
    return pa.schema(fields), mixed


def _column(values: tuple, field: pa.Field, mixed: bool) -> pa.Array:
    # Only a column the scan found mixed is looked at value by value (a third of the export's
    # time when every string column was).
    if mixed and any(not isinstance(v, (str, type(None))) for v in values):
        values = tuple(None if v is None else str(v) for v in values)
    return pa.array(values, type=field.type)


def export_table(conn: apsw.Connection, table: str, folder: Path, batch: int = BATCH) -> dict:
    """Write folder/<table>.csv.gz and folder/<table>.parquet; returns the table's manifest entry.

    `conn` is an apsw connection (open_read_only): the standard library's sqlite3 took twice as
    long to hand over the rows (3.6 CPU-s against 1.7 for model_versioning's 789,364, the
    collector paused in both)."""
    schema, mixed = probe_columns(conn, table)
    csv_path, parquet_path = folder / f"{table}.csv.gz", folder / f"{table}.parquet"
    names = ", ".join(f"[{c}]" for c in schema.names)
    cursor = conn.execute(f"select {names} from [{table}] order by rowid")
    rows = 0
    # gzip level 1: on the models table 1.7 CPU-s instead of 3.9 at level 6 (and 9 at Arrow's
    # level 9), for files 24% larger (41 MB instead of 33); ISA-L's level 1 (isal.igzip, the
    # same gzip format) 0.47 CPU-s for a slightly smaller file. mtime 0, so that the same rows
    # give the same sha256.
    with (
        collector_paused(),
        igzip.GzipFile(csv_path, "wb", compresslevel=CSV_GZIP_LEVEL, mtime=0) as csv_stream,
        pa_csv.CSVWriter(csv_stream, schema) as csv_writer,
        pq.ParquetWriter(str(parquet_path), schema, compression="zstd") as parquet_writer,
    ):
        group, grouped = [], 0
        while chunk := list(islice(cursor, batch)):
            rows += len(chunk)
            columns = list(zip(*chunk))
            del chunk  # the row tuples, freed before the arrays are built
            record_batch = pa.RecordBatch.from_arrays(
                [_column(values, field, field.name in mixed) for values, field in zip(columns, schema)],
                schema=schema,
            )
            del columns
            csv_writer.write_batch(record_batch)
            group.append(record_batch)
            grouped += record_batch.num_rows
            if grouped >= ROW_GROUP:
                grouped = _write_groups(parquet_writer, group, schema)
        _write_groups(parquet_writer, group, schema, last=True)
    expected = conn.execute(f"select count(*) from [{table}]").fetchone()[0]
    if rows != expected:
        raise DownloadError(f"table {table}: wrote {rows} rows, the table has {expected}")
    return {
        "table": table,
        "rows": rows,
        "columns": schema.names,
        "files": [
            {"file": p.name, "format": fmt, "bytes": p.stat().st_size, "sha256": sha256_of(p)}
            for p, fmt in ((csv_path, "csv.gz"), (parquet_path, "parquet"))
        ],
    }


def _write_groups(
    writer: pq.ParquetWriter, group: list[pa.RecordBatch], schema: pa.Schema, last=False
) -> int:
    """The gathered batches written as row groups of ROW_GROUP rows (the rest too when `last`);
    `group` keeps the rows left over, and their count is returned."""
    table = pa.Table.from_batches(group, schema=schema)
    whole = table.num_rows if last else table.num_rows - table.num_rows % ROW_GROUP
    if whole:
        writer.write_table(table.slice(0, whole), row_group_size=ROW_GROUP)
    group[:] = table.slice(whole).to_batches()
    return table.num_rows - whole


def export_tables(sources: list[tuple[str, str]], folder: str, threads: int = THREADS) -> list[dict]:
    """Each (database file, table) of `sources` exported into `folder`, `threads` tables at a time;
    their manifest entries in the order given. The build runs this in a process of its own for
    the tables that are final once loaded (scripts/publish/early_downloads.py)."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(threads) as pool:
        return list(
            pool.map(lambda source: _export_in_thread(Path(source[0]), Path(folder), source[1]), sources)
        )


def write_downloads(
    db_path: Path, out: Path, database_name: str = "hub", exported: tuple[Path, list[dict]] | None = None
) -> dict:
    """Export every downloadable table of db_path into the folder `out`, replaced whole.

    `exported` is (folder, manifest entries) of tables written already (export_tables): their
    files are moved in as they are, once their row counts are checked against db_path. The
    database file is hashed in a thread meanwhile (hashlib releases the GIL), for the manifest's
    entry of the file itself."""
    started = time.monotonic()
    db_path, out = Path(db_path), Path(out)
    # Not named like the build's own temporary files (.*.PID.tmp), which its cleanup unlinks.
    staging = out.with_name(f".{out.name}-{os.getpid()}-new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with closing(connect_read_only(db_path)) as conn:
            names = downloadable_tables(conn)
            done = _take_exported(conn, exported, staging) if exported else {}
        # Two tables at a time, and the hash of the database: SQLite, pyarrow and zlib release the GIL while they work.
        with ThreadPoolExecutor(THREADS + 1) as pool:
            db_hash = pool.submit(sha256_of, db_path)
            written = pool.map(
                partial(_export_in_thread, db_path, staging), [t for t in names if t not in done]
            )
            written = {entry["table"]: entry for entry in written}
            tables = [done.get(name) or written[name] for name in names]
            database = {
                "file": f"{database_name}.db",
                "url": f"/{database_name}.db",
                "bytes": db_path.stat().st_size,
                "sha256": db_hash.result(),
            }
        manifest = {"mount": MOUNT, "database": database, "tables": tables}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    manifest["seconds"] = round(time.monotonic() - started, 1)
    return manifest


def _take_exported(conn: sqlite3.Connection, exported: tuple[Path, list[dict]], staging: Path) -> dict:
    """The files of tables exported before the database was finished, moved into `staging`;
    a table whose rows changed since (another row count) is an error, not a stale file."""
    folder, entries = exported
    done = {}
    for entry in entries:
        table = entry["table"]
        rows = conn.execute(f"select count(*) from [{table}]").fetchone()[0]
        if rows != entry["rows"]:
            raise DownloadError(f"table {table}: {rows} rows, {entry['rows']} when it was exported early")
        for f in entry["files"]:
            os.replace(Path(folder) / f["file"], staging / f["file"])
        done[table] = entry
    return done


def _export_in_thread(db_path: Path, folder: Path, table: str) -> dict:
    # A connection per call, so that each thread's reads run beside the other's (apsw lets the
    # GIL go while SQLite works).
    with closing(open_read_only(db_path)) as conn:
        return export_table(conn, table, folder)


def connect_read_only(db_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)


def open_read_only(db_path: Path) -> apsw.Connection:
    """The connection export_table reads through."""
    return apsw.Connection(f"file:{db_path}?mode=ro", flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)


def _swap_in(staging: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}-{os.getpid()}-old")
    if out.exists():
        os.replace(out, old)
    os.replace(staging, out)
    shutil.rmtree(old, ignore_errors=True)


def read_manifest(folder: Path) -> dict | None:
    """The manifest of a downloads folder, or None when the folder has none."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("build/hub.db"))
    parser.add_argument("--out", type=Path, default=Path("build") / MOUNT)
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"{args.db} is missing: run `make build` first", file=sys.stderr)
        return 1
    manifest = write_downloads(args.db, args.out, args.db.stem)
    for t in manifest["tables"]:
        sizes = ", ".join(f"{f['file']} {f['bytes'] / 1e6:.1f} MB" for f in t["files"])
        print(f"{t['table']}: {t['rows']:,} rows; {sizes}")
    print(f"{args.out}: written in {manifest['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
