"""Two builds compared by content, to show that a change to the build leaves its outputs as they were:

    python -m scripts.dev.compare_builds BUILD_DIR_A BUILD_DIR_B    # e.g. /tmp/before build

Each argument is a build's folder (`build/`: hub.db, downloads/, figures/). Compared:

- every table of hub.db: its row count and a sha256 of its rows in rowid order (the order the
  site's table pages and the downloads read them in); a full-text index by what it indexes (its
  terms, rows, columns and positions), not by its segments, whose layout depends on the order the
  rows were inserted in;
- every file of downloads/: a CSV.gz by its decompressed bytes, a Parquet file by its schema and
  rows (pyarrow), MANIFEST.json and croissant.json without the sizes and sha256 of the files they
  list (the compressed files' and the database file's bytes may differ for the same content);
- every file of figures/ byte for byte.

Prints each difference and exits 1 when there is one.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sqlite3
import sys
from pathlib import Path

import pyarrow.parquet as pq

from scripts import fts_index


def table_digests(db_path: Path) -> dict[str, tuple[int, str]]:
    """table name -> (row count, sha256 of repr of each row, in rowid order where there is one);
    an FTS5 table's layout tables (fts_index.LAYOUT_TABLES) and their statistics are left out and
    its index entries compared instead, under "<table> index entries"."""
    conn = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)
    try:
        out = {}
        tables = conn.execute(
            "select name, sql from sqlite_master where type = 'table' order by name"
        ).fetchall()
        fts5 = [name for name, sql in tables if "USING FTS5" in (sql or "").upper()]
        layout = {f"{name}_{shadow}" for name in fts5 for shadow in fts_index.LAYOUT_TABLES}
        for name in fts5:
            out[f"{name} index entries"] = fts_index.index_entries_digest(conn, name)
        for name, sql in tables:
            if name in layout:
                continue
            virtual = (sql or "").upper().startswith("CREATE VIRTUAL TABLE")
            without_rowid = "WITHOUT ROWID" in (sql or "").upper()
            order = "" if virtual or without_rowid else " order by rowid"
            # The planner's statistics of the layout tables count their segments: left out too.
            where, params = "", []
            if name in ("sqlite_stat1", "sqlite_stat4") and layout:
                params = sorted(layout)
                where = f" where tbl not in ({', '.join('?' * len(params))})"
            digest, rows = hashlib.sha256(), 0
            for row in conn.execute(f"select * from [{name}]{where}{order}", params):
                digest.update(repr(row).encode())
                rows += 1
            out[name] = (rows, digest.hexdigest())
        return out
    finally:
        conn.close()


def file_digest(path: Path) -> str:
    """What a download or figure file holds, whatever its compression."""
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            return "gunzipped " + hashlib.file_digest(f, "sha256").hexdigest()
    if path.suffix == ".parquet":
        parquet = pq.ParquetFile(path)
        rows = hashlib.sha256()
        for batch in parquet.iter_batches():  # row by row: the row groups may be cut elsewhere
            for row in batch.to_pylist():
                rows.update(repr(row).encode())
        schema = parquet.schema_arrow.remove_metadata()
        return f"parquet {schema.to_string()!r} {parquet.metadata.num_rows} rows {rows.hexdigest()}"
    if path.name == "MANIFEST.json":
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest.pop("seconds", None)
        for key in ("bytes", "sha256"):
            manifest.get("database", {}).pop(key, None)
            for table in manifest.get("tables", []):
                for entry in table.get("files", []):
                    entry.pop(key, None)
        return json.dumps(manifest, sort_keys=True)
    if path.name == "croissant.json":  # the same sizes and sha256 of each file, in its distribution
        croissant = json.loads(path.read_text(encoding="utf-8"))
        for entry in croissant.get("distribution", []):
            entry.pop("contentSize", None)
            entry.pop("sha256", None)
        return json.dumps(croissant, sort_keys=True)
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def folder_digests(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): file_digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def differences(a: dict, b: dict, what: str) -> list[str]:
    lines = []
    for name in sorted(a.keys() | b.keys()):
        if a.get(name) != b.get(name):
            left, right = str(a.get(name, "absent"))[:120], str(b.get(name, "absent"))[:120]
            lines.append(f"{what} {name}: {left} -> {right}")
    return lines


def compare(build_a: Path, build_b: Path) -> tuple[list[str], dict[str, int]]:
    """(differences, how many of each kind of thing were compared)."""
    tables_a, tables_b = table_digests(build_a / "hub.db"), table_digests(build_b / "hub.db")
    found = differences(tables_a, tables_b, "table")
    counts = {"tables": len(tables_a)}
    for folder in ("downloads", "figures"):
        files_a, files_b = folder_digests(build_a / folder), folder_digests(build_b / folder)
        found += differences(files_a, files_b, folder)
        counts[folder] = len(files_a)
    return found, counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_a", type=Path)
    parser.add_argument("build_b", type=Path)
    args = parser.parse_args(argv)
    found, counts = compare(args.build_a, args.build_b)
    for line in found:
        print(line)
    compared = ", ".join(f"{n} {what}" for what, n in counts.items())
    print(f"compared {compared}: {len(found)} differ")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
