"""Write a snapshot folder: the gzip JSON Lines data file, its sha256 and MANIFEST.json, in one rename.

    write_snapshot(out, SnapshotKind.CENSUS, lines, {"snapshot": ..., ...}, data_file="models.jsonl.gz")

Every writer of a snapshot (the census crawl, refs, MLflow, the benchmark's synthetic census, the
tests' cuts) goes through `write_snapshot`, so every folder has the same guarantees:

- the data is gzipped reproducibly (no file name, mtime 0: the same lines give the same bytes and
  the same sha256), hashed as it is written, and fsynced;
- the manifest gets `kind`, `records` (lines written), `file` and `sha256` from what was written;
- everything is written in a staging folder that is renamed to `out` in one step, so the folder
  appears complete or not at all; an existing `out` is never overwritten, and a failed write
  leaves no staging folder behind.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

from scripts.snapshot.kinds import SnapshotKind

MANIFEST = "MANIFEST.json"


class SnapshotExists(FileExistsError):
    """The snapshot folder is already there; snapshots are never overwritten."""


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, obj) -> None:
    """Write, fsync, rename over: a reader (or a crash) sees the old file or the new, never half."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


class _HashingWriter:
    """A file object that hashes and counts the lines of what it passes on (the gzip stream's bytes)."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def encode_record(record: dict) -> bytes:
    """One JSON Lines line: compact separators, UTF-8 kept as it is."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def write_data(
    path: Path, data: Iterable[bytes] | Iterable[dict] | BinaryIO, compresslevel: int = 6
) -> tuple[int, str]:
    """Gzip `data` (lines as bytes, records as dicts, or a binary file of JSON Lines) into `path`;
    returns (lines, sha256 of the file)."""
    lines = 0
    with open(path, "wb") as raw:
        hashing = _HashingWriter(raw)
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=hashing, mtime=0, compresslevel=compresslevel
        ) as gz:
            if hasattr(data, "read"):
                for block in iter(lambda: data.read(1 << 20), b""):
                    gz.write(block)
                    lines += block.count(b"\n")
            else:
                batch: list[bytes] = []
                for item in data:
                    batch.append(item if isinstance(item, bytes) else encode_record(item))
                    if len(batch) == 4096:  # one write per batch: GzipFile.write costs per call
                        gz.write(b"".join(batch))
                        lines, batch = lines + len(batch), []
                gz.write(b"".join(batch))
                lines += len(batch)
        raw.flush()
        os.fsync(raw.fileno())
    return lines, hashing.digest.hexdigest()


def write_snapshot(
    out: Path,
    kind: SnapshotKind,
    data: Iterable[bytes] | Iterable[dict] | BinaryIO,
    manifest: Mapping | Callable[[int], Mapping],
    *,
    data_file: str,
    staging: Path | None = None,
    compresslevel: int = 6,
    extra_files: Mapping[str, bytes] | None = None,
) -> dict:
    """Write the snapshot folder `out` atomically and return its manifest.

    `manifest` holds the manifest's other fields, or is a function of the number of records that
    returns them (called once the data is written, for counts made while it was read). `staging`
    is where the folder is assembled (default: a hidden sibling of `out`, which find_snapshots
    skips); it must be on `out`'s file system, and is replaced if it exists. `extra_files` (name ->
    bytes) are written into the folder beside the data file (a crawl's quarantined records).
    """
    out = Path(out)
    if out.exists():
        raise SnapshotExists(f"{out}: already exists; a snapshot is never overwritten")
    out.parent.mkdir(parents=True, exist_ok=True)
    if staging is None:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    else:
        staging = Path(staging)
        shutil.rmtree(staging, ignore_errors=True)  # a write that was cut short is done again
        staging.mkdir(parents=True)
    try:
        records, sha = write_data(staging / data_file, data, compresslevel)
        for name, content in (extra_files or {}).items():
            (staging / Path(name).name).write_bytes(content)
        fields = dict(manifest(records) if callable(manifest) else manifest)
        filled = {"kind": str(SnapshotKind(kind)), "records": records, "file": data_file, "sha256": sha}
        if not isinstance(fields.get("snapshot"), str) or not fields["snapshot"]:
            raise ValueError(f"{out}: the manifest needs a snapshot name, got {fields.get('snapshot')!r}")
        full = {"snapshot": fields["snapshot"], **filled} | fields | filled
        write_json_atomic(staging / MANIFEST, full)
        if out.exists():  # made by someone else while the data was written
            raise SnapshotExists(f"{out}: appeared while the snapshot was written; not overwriting it")
        os.rename(staging, out)
        fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return full
