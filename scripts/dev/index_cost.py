"""What the indexes of a built database cost to make: each one dropped and made again, in turn, on
a copy of the database (the original is only read), with the CPU seconds and wall seconds of its
CREATE INDEX:

    python -m scripts.dev.index_cost build/hub.db [--copy /tmp/index-cost.db] [--top 25]

Prints the costliest indexes and the total as text, or everything as JSON with --json. The
unique constraints' automatic indexes and the full-text indexes are not counted: they cannot be
dropped and made again by their own SQL.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import time
from pathlib import Path


def index_costs(db: Path, copy: Path, keep: bool = False) -> list[dict]:
    """[{"index", "table", "cpu_s", "wall_s"}, ...] of every index with SQL of its own, in the
    order the database lists them; measured on `copy`, which is removed afterwards unless `keep`."""
    shutil.copyfile(db, copy)
    try:
        conn = sqlite3.connect(copy, isolation_level=None)
        try:
            # As the build makes them: a throw-away file, no journal, no fsync.
            conn.execute("pragma journal_mode = off")
            conn.execute("pragma synchronous = off")
            indexes = conn.execute(
                "select name, tbl_name, sql from sqlite_master where type = 'index' and sql is not null"
            ).fetchall()
            costs = []
            for name, table, sql in indexes:
                conn.execute(f'drop index "{name}"')
                cpu, wall = time.process_time(), time.monotonic()
                conn.execute(sql)
                costs.append(
                    {
                        "index": name,
                        "table": table,
                        "cpu_s": round(time.process_time() - cpu, 3),
                        "wall_s": round(time.monotonic() - wall, 3),
                    }
                )
            return costs
        finally:
            conn.close()
    finally:
        if not keep:
            copy.unlink(missing_ok=True)


def report(costs: list[dict], top: int) -> str:
    lines = ["   CPU-s   wall-s  index (table)"]
    for c in sorted(costs, key=lambda c: -c["cpu_s"])[:top]:
        lines.append(f"{c['cpu_s']:8.2f} {c['wall_s']:8.2f}  {c['index']} ({c['table']})")
    lines.append(
        f"{len(costs)} indexes: {sum(c['cpu_s'] for c in costs):.2f} CPU-s, "
        f"{sum(c['wall_s'] for c in costs):.2f} s"
    )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, help="a built database (build/hub.db)")
    parser.add_argument("--copy", type=Path, help="where the copy is made (default: beside the database)")
    parser.add_argument("--top", type=int, default=25, help="how many of the costliest to list")
    parser.add_argument("--json", action="store_true", help="every index's cost, as JSON")
    args = parser.parse_args(argv)
    if not args.db.is_file():
        parser.error(f"{args.db}: no such database file")
    # Beside the path given, not the file it links to (build/hub.db links into the served folder).
    copy = args.copy or args.db.with_name("index-cost.db")
    if copy.resolve() == args.db.resolve():
        parser.error(f"--copy {copy}: is the database itself, which is only read")
    costs = index_costs(args.db, copy)
    print(json.dumps(costs, indent=1) if args.json else report(costs, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
