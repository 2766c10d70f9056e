"""A synthetic census of any size from a real one, for the benchmark's 3,000,000-record build."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

from scripts.snapshots import SnapshotError, read_manifest

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


def synthesize_census(source: Path, dest_root: Path, records: int = SYNTHETIC_RECORDS) -> Path:
    """Write a census of `records` records to dest_root/<name>-synthetic/ (gzip JSONL + MANIFEST).

    The source records are cycled in order; pass 0 keeps their ids, pass k appends "~s<k>" to
    every id. Hub ids cannot hold "~" (a real id may well end in "-s2"), so all ids are distinct;
    every other field is real. Returns the folder.
    """
    manifest = read_manifest(source)
    folder = dest_root / f"{manifest.get('snapshot', source.name)}-synthetic"
    folder.mkdir(parents=True)
    data_file = folder / manifest["file"]
    source_lines = gzip.open(source / manifest["file"], "rb").read().splitlines(keepends=True)
    if not source_lines:
        raise SnapshotError(f"{source}: no records to cycle")
    written = 0
    digest = hashlib.sha256()

    class Hashing:  # the gzip stream's bytes go to the file and the digest alike
        def __init__(self, f):
            self.f = f

        def write(self, b):
            digest.update(b)
            return self.f.write(b)

        def flush(self):
            self.f.flush()

    with open(data_file, "wb") as raw:
        with gzip.GzipFile(fileobj=Hashing(raw), mode="wb", compresslevel=1, mtime=0) as out:
            cycle = 0
            while written < records:
                take = source_lines[: records - written]
                if cycle == 0:
                    out.writelines(take)
                else:
                    suffix = f"~s{cycle}".encode()
                    out.writelines(_with_suffix(line, suffix) for line in take)
                written += len(take)
                cycle += 1
    manifest.update(
        snapshot=folder.name,
        records=written,
        sha256=digest.hexdigest(),
        caveats=list(manifest.get("caveats", []))
        + [
            f"synthetic benchmark census: {manifest.get('snapshot', source.name)} cycled to "
            f"{written} records, ids of pass k suffixed ~s<k>"
        ],
    )
    (folder / "MANIFEST.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder
