"""The census parser (scripts/load/census.py `parse_chunk`) builds each `models` row by position;
each value is held here to its column's name, on real lines of both vendored censuses: the row is
the named row built by keyword from the record as the parser reads it."""

from __future__ import annotations

import json

import pytest

from scripts import schema
from scripts.load import census
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, find_snapshots


def first_task(snapshot: str, size: int) -> census.ChunkTask:
    (found,) = [
        s
        for s in find_snapshots(DEFAULT_SNAPSHOTS_DIR)
        if s.kind == SnapshotKind.CENSUS and s.name == snapshot
    ]
    return next(census.census_chunks(found, 7, size=size))


def named_row(key: int, snapshot: str, r: dict) -> schema.Model:
    author, slash, name = r["id"].partition("/")
    placeholder = r.get("createdAt") in census.PLACEHOLDER_CREATED_AT
    return schema.Model(
        key=key,
        snapshot=snapshot,
        id=r["id"],
        author=r.get("author", author if slash else None),
        name=name if slash else r["id"],
        pipeline_tag=r.get("pipeline_tag"),
        library_name=r.get("library_name"),
        downloads=r.get("downloads"),
        likes=r.get("likes"),
        created_at=None if placeholder else r.get("createdAt"),
        created_at_placeholder=int(placeholder),
        last_modified=r.get("lastModified"),
        sha=r.get("sha"),
        private=int(bool(r.get("private"))),
        gated=None if r.get("gated") in (None, False) else str(r["gated"]),
        tags=json.dumps(r.get("tags") or [], ensure_ascii=False),
    )


@pytest.mark.parametrize("snapshot", ["2022-02-21", "2024-07-11"])
def test_models_rows_put_each_value_in_its_column(snapshot):
    task = first_task(snapshot, 2000)
    parsed = census.parse_chunk(task)
    records = [json.loads(census.mask_tokens(line)) for line in task.lines]
    assert parsed.models == [named_row(7 + i, snapshot, r) for i, r in enumerate(records)]
    # Columns that differ from one record to the next are all exercised by the cut.
    for column in ("author", "name", "pipeline_tag", "library_name", "downloads", "likes", "tags"):
        assert len({getattr(m, column) for m in parsed.models}) > 2, column
