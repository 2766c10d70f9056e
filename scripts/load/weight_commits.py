"""Load stage for a weight-commits snapshot: one row per (git commit, model weight file it touched)
of Hub model repositories, with the commit's message, author and date
(`repo_url,commit_hash,model_file_path,serialization_format,message,author,date`), into
`weight_commits`.

The weight file's path is kept inside the repository: the study's checkout prefixed some paths with
the model id and a backslash (`rinna/japanese-gpt-neox-small\\model.safetensors`), the same file
as `model.safetensors`. Each row is checked (a Hub model id, a 40-hex commit, a path, a date
`YYYY-MM-DD HH:MM:SS`) and the manifest's counts of records, repositories and commits; a bad row
is refused with its file and line. The source repeats 96 rows exactly (same repository, commit and
path): they are kept, as listed, and the derived figures count distinct (commit, file). Which commits rewrote a file
and which name a version is derived by scripts/derive/commit_messages.py.
"""

from __future__ import annotations

import datetime
import re

import sqlite_utils

from scripts import schema
from scripts.load.csv_rows import check_rows, csv_rows, model_id
from scripts.snapshot.read import Snapshot, SnapshotError, verify

HEADER = ("repo_url", "commit_hash", "model_file_path", "serialization_format", "message", "author", "date")
COMMIT = re.compile(r"[0-9a-f]{40}")


def parse_row(snapshot: str, where: str, line: int, fields: list[str]) -> schema.WeightCommit:
    repo, commit, path, fmt, message, author, date = fields
    model_id(where, "repo_url", repo)
    if not COMMIT.fullmatch(commit):
        raise SnapshotError(f"{where}: commit_hash {commit!r} is not a 40-hex git commit")
    file = path.removeprefix(repo + "\\")
    if not file or file != file.strip():
        raise SnapshotError(f"{where}: model_file_path {path!r} is not a file path")
    try:
        when = datetime.datetime.strptime(date, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise SnapshotError(f"{where}: date {date!r} is not YYYY-MM-DD HH:MM:SS") from None
    return schema.WeightCommit(
        snapshot, repo, commit, file, fmt or None, message, author or None, when.isoformat(" "), line,
        None, None, None, None,
    )  # fmt: skip


def read_weight_commits(snapshot: Snapshot) -> list[schema.WeightCommit]:
    verify(snapshot)
    path = snapshot.data_file
    rows = [
        parse_row(snapshot.name, f"{path}:{line}", line, fields) for line, fields in csv_rows(path, HEADER)
    ]
    m = snapshot.manifest
    check_rows(snapshot, path, m.get("records"), len(rows))
    check_rows(snapshot, path, m.get("repositories"), len({r.model_id for r in rows}), "repositories")
    check_rows(snapshot, path, m.get("commits"), len({(r.model_id, r.commit_hash) for r in rows}), "commits")
    return rows


def load_weight_commits(db: sqlite_utils.Database, snapshot: Snapshot) -> int:
    rows = read_weight_commits(snapshot)
    db.conn.executemany(schema.WEIGHT_COMMITS.insert, rows)
    return len(rows)
