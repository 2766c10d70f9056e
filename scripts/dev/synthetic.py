"""A synthetic census of any size from a real one, for the benchmark's 3,000,000-record build."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from itertools import chain, count, islice
from pathlib import Path

from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import SnapshotError, read_manifest
from scripts.snapshot.write import write_snapshot

SYNTHETIC_RECORDS = 3_000_000

# A 2024-07-11 line starts {"_id":"<hex>","id":"<model id>", ... and carries "modelId":"<same>".
_ID_FIELD = re.compile(rb'"(id|modelId)":"((?:[^"\\]|\\.)*)"')


def _with_suffix(line: bytes, suffix: bytes) -> bytes:
    """The record with `suffix` appended to its id (and modelId), editing the JSON text in place.

    In a flat record (no nested object) an unescaped `"id":"` can only be a key, so the first one
    is the id; a record with a nested object is decoded and re-encoded instead.
    """
    if b"{" in line[1:]:  # a nested object could hold an "id" key: do it the slow, sure way
        record = json.loads(line)
        record["id"] += suffix.decode()
        if "modelId" in record:
            record["modelId"] += suffix.decode()
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    seen = set()

    def edit(m: re.Match) -> bytes:
        if m.group(1) in seen:
            return m.group(0)
        seen.add(m.group(1))
        return b'"' + m.group(1) + b'":"' + m.group(2) + suffix + b'"'

    return _ID_FIELD.sub(edit, line)


def pass_lines(
    source_lines: list[bytes], source_ids: list[str], real: set[str], cycle: int
) -> Iterator[bytes]:
    """The source records of pass `cycle`: as they are in pass 0; in pass k, each id suffixed
    "-s<k>", leaving out a record whose suffixed id is in `real` (the source's ids, lower-cased: a
    real id may end in "-s2", and the census holds such pairs). Distinct source ids then give
    distinct ids in every pass: a pass's ids end in its own number after "-s"."""
    if cycle == 0:
        yield from source_lines
        return
    suffix = f"-s{cycle}"
    for line, model_id in zip(source_lines, source_ids):
        if (model_id + suffix).lower() not in real:
            yield _with_suffix(line, suffix.encode())


def synthesize_census(source: Path, dest_root: Path, records: int = SYNTHETIC_RECORDS) -> Path:
    """Write a census of `records` records to dest_root/<name>-synthetic/ (gzip JSONL + MANIFEST).

    The source records are cycled in order (pass_lines); every other field is real. Returns the
    folder.
    """
    manifest = read_manifest(source)
    folder = dest_root / f"{manifest.get('snapshot', source.name)}-synthetic"
    source_lines = gzip.open(source / manifest["file"], "rb").read().splitlines(keepends=True)
    if not source_lines:
        raise SnapshotError(f"{source}: no records to cycle")
    source_ids = [json.loads(line)["id"] for line in source_lines]
    real = {i.lower() for i in source_ids}

    def lines():
        passes = (pass_lines(source_lines, source_ids, real, cycle) for cycle in count())
        return islice(chain.from_iterable(passes), records)

    def described(written: int) -> dict:
        note = (
            f"synthetic benchmark census: {manifest.get('snapshot', source.name)} cycled to "
            f"{written} records, ids of pass k suffixed -s<k> (a record whose suffixed id is a "
            "real one left out of that pass)"
        )
        return {**manifest, "snapshot": folder.name, "caveats": list(manifest.get("caveats", [])) + [note]}

    write_snapshot(
        folder, SnapshotKind.CENSUS, lines(), described, data_file=manifest["file"], compresslevel=1
    )
    return folder
