"""Load stage for the curated namespace -> organization map, data/organizations.csv
(docs/organizations.md), into `organizations`; and that map as the classifier's workers use it."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlite_utils

from scripts import schema
from scripts.snapshot.read import ROOT, SnapshotError

ORGANIZATIONS_CSV = ROOT / "data" / "organizations.csv"

# SQLite's NOCASE collation (organizations.namespace) folds ASCII letters only; so does this.
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def load_organizations(db: sqlite_utils.Database, path: Path = ORGANIZATIONS_CSV) -> int:
    """Insert every row of the CSV, whose header must be the table's columns; returns how many."""
    table = schema.ORGANIZATIONS
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = tuple(next(reader, ()))
        if header != table.names:
            raise SnapshotError(
                f"{path}:1: the header must be {','.join(table.names)}, not {','.join(header)}"
            )
        rows = []
        for values in reader:
            if len(values) != len(header):
                raise SnapshotError(
                    f"{path}:{reader.line_num}: {len(values)} fields, the header has {len(header)}"
                )
            rows.append(table.row(*values))
    with db.conn:
        db.conn.executemany(table.insert, rows)
    return len(rows)


def organizations_map(db: sqlite_utils.Database) -> dict[str, tuple]:
    """namespace folded as NOCASE folds it -> (organization, kind, relation)."""
    return {
        ns.translate(ASCII_LOWER): (org, kind, relation)
        for ns, org, kind, relation in db.execute(
            "select namespace, organization, kind, relation from organizations"
        )
    }
