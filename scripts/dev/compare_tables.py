"""Per-table row count and an order-independent sha256 of the rows of a SQLite database, to show
that a change to the build leaves every table's content as it was:

    python -m scripts.dev.compare_tables build/hub.db > after.json    # or: --against before.json

Rows are hashed one by one (repr of the row tuple) and the sorted row hashes hashed together, so
the result does not depend on rowids or on the order rows were written in.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
from pathlib import Path


def table_hashes(path: Path) -> dict[str, list]:
    """table name -> [row count, sha256 of the sorted row hashes]."""
    con = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        out = {}
        for (name,) in con.execute("select name from sqlite_master where type='table' order by name"):
            digests = sorted(
                hashlib.sha256(repr(row).encode()).hexdigest()
                for row in con.execute(f'select * from "{name}"')
            )
            out[name] = [len(digests), hashlib.sha256("".join(digests).encode()).hexdigest()]
        return out
    finally:
        con.close()


def differences(before: dict, after: dict) -> list[str]:
    lines = []
    for name in sorted(before.keys() | after.keys()):
        if before.get(name) != after.get(name):
            lines.append(f"{name}: {before.get(name)} -> {after.get(name)}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--against", type=Path, help="a JSON file this command wrote before")
    args = parser.parse_args(argv)
    hashes = table_hashes(args.database)
    if args.against is None:
        json.dump(hashes, sys.stdout, indent=1, sort_keys=True)
        return 0
    changed = differences(json.loads(args.against.read_text()), hashes)
    for line in changed:
        print(line)
    print(f"{len(hashes)} tables, {len(changed)} differ")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
