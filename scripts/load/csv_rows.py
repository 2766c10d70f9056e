"""Load stage: the CSV files of study snapshots, read row by row with the file and line of each row,
so that a loader can refuse a bad row by naming them.

`csv_rows(path, header)` checks the header (after any leading `#` comment lines) and yields
(line, fields) for each data row, where line is the row's first line in the file (a quoted field
may span lines). A row with another number of fields, text that is not UTF-8 or broken quoting is
a SnapshotError naming the file and line. `model_id(where, value)` checks a Hub model id.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from scripts.snapshot.read import Snapshot, SnapshotError


def csv_rows(path: Path, header: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """(first line of the row, its fields) for each data row of the CSV file at path."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        line = Path(path).read_bytes()[: e.start].count(b"\n") + 1
        raise SnapshotError(f"{path}:{line}: not UTF-8 text ({e.reason})") from None
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and lines[skipped].startswith("#"):
        skipped += 1  # comment lines before the header (release_date_corrections.csv)
    reader = csv.reader(io.StringIO("".join(lines[skipped:])), strict=True)
    start = skipped + 1
    try:
        found = next(reader, None)
        if tuple(found or ()) != header:
            raise SnapshotError(f"{path}:{start}: header {found!r}, expected {','.join(header)}")
        start = skipped + reader.line_num + 1
        for fields in reader:
            if len(fields) != len(header):
                raise SnapshotError(
                    f"{path}:{start}: {len(fields)} fields, expected {len(header)} ({','.join(header)})"
                )
            yield start, fields
            start = skipped + reader.line_num + 1
    except csv.Error as e:
        raise SnapshotError(f"{path}:{start}: not valid CSV ({e})") from None


def model_id(where: str, field: str, value: str) -> str:
    """A Hub model id (author/name, no spaces), or a SnapshotError naming where and the field."""
    author, slash, name = value.partition("/")
    if not slash or not author or not name or "/" in name or value != value.strip() or " " in value:
        raise SnapshotError(f"{where}: {field} {value!r} is not a Hub model id (author/name)")
    return value


def check_rows(snapshot: Snapshot, path: Path, expected: int | None, actual: int, what: str = "rows") -> None:
    """The manifest's count of a file's data rows (or of `what`)."""
    if expected is not None and expected != actual:
        raise SnapshotError(f"{path}: {actual} {what}, {snapshot.folder / 'MANIFEST.json'} says {expected}")
