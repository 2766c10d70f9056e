"""Rows packed in a worker and copied by the writer (scripts/load/packed_rows.py) are the rows
that binding them directly would have written, in the same order, pack after pack."""

from __future__ import annotations

import gc
import json
import sqlite3
from functools import partial

import sqlite_utils

from scripts import build, schema
from scripts.load import census, packed_rows
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, find_snapshots


def real_chunks(sizes: tuple[int, ...] = (5, 120, 30)) -> list[census.ParsedChunk]:
    """Consecutive chunks of the vendored 2022 census, of different sizes (so that the packs, and
    the pages their tables take, differ)."""
    censuses = [s for s in find_snapshots(DEFAULT_SNAPSHOTS_DIR) if s.kind == SnapshotKind.CENSUS]
    whole = next(census.census_chunks(min(censuses, key=lambda s: s.name), 1, size=sum(sizes)))
    chunks, start = [], 0
    for size in sizes:
        lines = whole.lines[start : start + size]
        task = whole._replace(first_lineno=1 + start, first_key=1 + start, lines=lines)
        chunks.append(census.parse_chunk(task))
        start += size
    return chunks


def test_packed_chunks_copy_the_same_rows_as_binding_them():
    chunks = real_chunks()
    direct, copied = sqlite_utils.Database(memory=True), sqlite_utils.Database(memory=True)
    for db in (direct, copied):
        schema.create_all(db)
    packed_rows.attach(copied.conn)
    tag_keys: dict[str, int] = {}
    with copied.conn:  # every pack copied inside one transaction, as the build does
        for parsed in chunks:
            data = packed_rows.pack(
                census.packed_tables(parsed), partial(census.pack_model_tags, parsed.tag_texts)
            )
            packed_rows.open_pack(copied.conn, data)
            census.copy_packed(
                copied.conn, census.PackedChunk(len(parsed.models), parsed.tag_texts, data), tag_keys
            )
    direct_keys: dict[str, int] = {}
    for parsed in chunks:
        direct.conn.executemany(schema.MODELS.insert, parsed.models)
        direct.conn.executemany(schema.MODEL_BASE_MODELS.insert, parsed.bases)
        direct.conn.executemany(schema.MODEL_DATASETS.insert, parsed.datasets)
        for model in parsed.models:
            for tag in json.loads(model.tags):
                direct.conn.execute(
                    schema.MODEL_TAGS.insert, (model.key, direct_keys.setdefault(tag, len(direct_keys) + 1))
                )
    assert tag_keys == direct_keys
    for table in ("models", "model_tags", "model_base_models", "model_datasets"):
        rows = [
            db.execute(f"select rowid, * from {table} order by rowid").fetchall() for db in (direct, copied)
        ]
        assert rows[0] == rows[1], table
    counts = copied.execute(
        "select (select count(*) from models), (select count(*) from model_tags)"
    ).fetchone()
    assert counts[0] == sum(len(p.models) for p in chunks) and counts[1] > counts[0]  # several tags a model


def test_packed_values_keep_their_types():
    rows = [(1, "a", None, 2.5, b"\x00x"), (2, "3", 4, None, "")]
    table = schema.Table("kinds", [schema.Column(c, "") for c in "a b c d e".split()])
    target = sqlite3.connect(":memory:")
    target.execute("create table kinds (a, b, c, d, e)")
    packed_rows.attach(target)
    packed_rows.open_pack(target, packed_rows.pack([(table, rows)]))
    packed_rows.copy(target, table)
    assert target.execute("select *, typeof(b), typeof(e) from kinds order by rowid").fetchall() == [
        (*rows[0], "text", "blob"),
        (*rows[1], "text", "text"),
    ]


def test_a_chunk_leaves_no_garbage_in_cycles_behind():
    """What a worker allocates for a chunk is freed by reference counting, so pausing the
    collector for it holds no memory: after real chunks are parsed, classified and packed
    (scripts/build.py load_and_classify), a collection finds next to nothing."""
    censuses = [s for s in find_snapshots(DEFAULT_SNAPSHOTS_DIR) if s.kind == SnapshotKind.CENSUS]
    tasks = census.census_chunks(max(censuses, key=lambda s: s.name), 1, size=1000)
    gc.collect()
    packed = [build.load_and_classify({}, next(tasks)).models for _ in range(3)]
    assert packed == [1000, 1000, 1000]
    assert gc.collect() < 50
