"""Snapshot folders: find them, check them against their manifests, and stream their records.

A snapshot folder is `data/snapshots/<name>/` holding `MANIFEST.json` and the file the manifest
names (gzip JSON Lines). This module is the only place that opens snapshot files, so every stage
after it sees verified records and every bad line is reported with its file and line number.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.records import MAX_LINE_BYTES, line_problem

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SNAPSHOTS_DIR = ROOT / "data" / "snapshots"
# A snapshot's name is shown in pages and URLs and names files: a safe file name, nothing more.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class SnapshotError(Exception):
    """A snapshot that cannot be used as it is; the message says which file and why."""


@dataclass(frozen=True)
class Snapshot:
    name: str
    folder: Path
    manifest: dict

    @property
    def kind(self) -> SnapshotKind:
        kind = self.manifest.get("kind", SnapshotKind.CENSUS)
        try:
            return SnapshotKind(kind)
        except ValueError:
            raise SnapshotError(
                f"{self.folder / 'MANIFEST.json'}: unknown snapshot kind {kind!r} "
                f"(known: {', '.join(SnapshotKind)})"
            ) from None

    @property
    def data_file(self) -> Path:
        """The data file; for a manifest that lists several `files`, the folder that holds them."""
        if "files" in self.manifest:
            return self.folder
        return self.folder / self.manifest.get("file", "models.jsonl.gz")


def read_manifest(folder: Path) -> dict:
    path = folder / "MANIFEST.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{path}: missing; every snapshot folder needs a MANIFEST.json") from None
    except json.JSONDecodeError as e:
        raise SnapshotError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from e
    if not isinstance(manifest, dict):
        raise SnapshotError(f"{path}: must hold a JSON object")
    return manifest


def snapshot_name(folder: Path, manifest: dict) -> str:
    """The manifest's `snapshot` (the folder's name when it has none): a non-empty string."""
    name = manifest.get("snapshot", folder.name)
    if not isinstance(name, str) or not name.strip():
        raise SnapshotError(
            f"{folder / 'MANIFEST.json'}: field 'snapshot' must be a non-empty string, not {name!r:.80}"
        )
    if not SAFE_NAME.fullmatch(name):
        raise SnapshotError(
            f"{folder / 'MANIFEST.json'}: field 'snapshot' is {name!r:.80}, not a safe file name "
            "(1 to 100 ASCII letters, digits, '-', '_' and '.', starting with a letter or digit)"
        )
    data_file = manifest.get("file", "models.jsonl.gz")
    if not isinstance(data_file, str) or not data_file or Path(data_file).name != data_file:
        raise SnapshotError(
            f"{folder / 'MANIFEST.json'}: field 'file' must name a file in the folder, not {data_file!r:.80}"
        )
    return name


def find_snapshots(root: Path = DEFAULT_SNAPSHOTS_DIR) -> list[Snapshot]:
    """Every finished snapshot folder under root, oldest name first.

    Folders whose names start with '.' or end in '.partial' are crawls in progress, not snapshots.
    Two folders may not give the same snapshot name: their rows would be merged under one name.
    """
    root = Path(root)
    if not root.is_dir():
        raise SnapshotError(f"{root}: no such snapshots folder")
    found: dict[str, Snapshot] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.startswith(".") or folder.name.endswith(".partial"):
            continue
        manifest = read_manifest(folder)
        name = snapshot_name(folder, manifest)
        if name in found:
            raise SnapshotError(
                f"{folder / 'MANIFEST.json'}: snapshot name {name!r} is already that of "
                f"{found[name].folder / 'MANIFEST.json'}; every snapshot needs a name of its own"
            )
        found[name] = Snapshot(name, folder, manifest)
    if not found:
        raise SnapshotError(f"{root}: holds no snapshot folder")
    return list(found.values())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(snapshot: Snapshot) -> None:
    """Raise SnapshotError unless the data file's sha256 is the manifest's (each file's, for a
    manifest that lists `files`)."""
    if "files" in snapshot.manifest:
        verify_files(snapshot)
        return
    expected = snapshot.manifest.get("sha256")
    path = snapshot.data_file
    if not path.is_file():
        raise SnapshotError(f"{path}: missing; {snapshot.folder / 'MANIFEST.json'} names it")
    if not expected:
        raise SnapshotError(f"{snapshot.folder / 'MANIFEST.json'}: no sha256 to check {path.name} against")
    actual = sha256_of(path)
    if actual != expected:
        raise SnapshotError(
            f"{path}: sha256 mismatch: the file hashes to {actual}, "
            f"its manifest says {expected}; the file was changed or truncated"
        )


def listed_files(snapshot: Snapshot) -> list[dict]:
    """The `files` entries of a manifest that lists several files: each a dict with `file` (a path
    inside the folder) and `sha256`; a malformed entry is a SnapshotError naming the manifest."""
    manifest_path = snapshot.folder / "MANIFEST.json"
    entries = snapshot.manifest.get("files")
    if not isinstance(entries, list) or not entries:
        raise SnapshotError(f"{manifest_path}: field 'files' must be a non-empty list")
    for entry in entries:
        name = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name or ".." in Path(name).parts or Path(name).is_absolute():
            raise SnapshotError(f"{manifest_path}: files entry {entry!r:.80} must name a file in the folder")
        if not isinstance(entry.get("sha256"), str):
            raise SnapshotError(f"{manifest_path}: files entry {name} has no sha256 to check it against")
    return entries


def verify_files(snapshot: Snapshot) -> None:
    """Each listed file against its sha256 (listed_files)."""
    for entry in listed_files(snapshot):
        path = snapshot.folder / entry["file"]
        if not path.is_file():
            raise SnapshotError(f"{path}: missing; {snapshot.folder / 'MANIFEST.json'} names it")
        actual = sha256_of(path)
        if actual != entry["sha256"]:
            raise SnapshotError(
                f"{path}: sha256 mismatch: the file hashes to {actual}, "
                f"its manifest says {entry['sha256']}; the file was changed or truncated"
            )


def decode_record(source, lineno: int, line: bytes) -> dict:
    """The record on a line of a snapshot file, or a SnapshotError naming file, line and reason:
    not UTF-8, not JSON, nested too deeply, or not a JSON object with a string `id`."""
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise SnapshotError(f"{source}:{lineno}: not UTF-8 text (byte {e.start + 1}: {e.reason})") from None
    except ValueError as e:
        raise SnapshotError(f"{source}:{lineno}: not valid JSON ({e})") from None
    except RecursionError:
        raise SnapshotError(f"{source}:{lineno}: JSON nested too deeply to read") from None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise SnapshotError(f"{source}:{lineno}: not a model record (a JSON object with a string id)")
    return record


def readable_lines(path: Path) -> int:
    """How many whole lines of a gzip file can be read before it breaks off (for error messages)."""
    lines = 0
    try:
        with gzip.open(path, "rb") as f:
            for block in iter(lambda: f.read1(1 << 16), b""):
                lines += block.count(b"\n")
    except (OSError, EOFError):
        pass
    return lines


def unreadable(path: Path, error: Exception) -> SnapshotError:
    """The error for a data file that breaks off: truncated or corrupt gzip."""
    return SnapshotError(
        f"{path}: unreadable after line {readable_lines(path)}, the last whole line "
        f"(truncated or corrupt: {error})"
    )


def iter_records(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, record) for each line of a gzip (or plain) JSON Lines file.

    A line that is not a JSON object with a string `id`, or longer than MAX_LINE_BYTES, raises
    SnapshotError naming file and line (decode_record, line_problem).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            lineno = 0
            while line := f.readline(MAX_LINE_BYTES + 1):
                lineno += 1
                if len(line) > MAX_LINE_BYTES:
                    raise SnapshotError(f"{path}:{lineno}: {line_problem(line)}")
                yield lineno, decode_record(path, lineno, line)
    except (OSError, EOFError) as e:  # gzip corruption or truncation
        raise unreadable(path, e) from None
