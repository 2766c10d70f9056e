"""Load stage: census snapshot records -> `snapshots`, `models`, `tags`, `model_tags`,
`model_base_models`, `model_datasets`, and the full-text index of model ids.

The tables are declared in scripts/schema.py. A census is read in chunks of lines
(`census_chunks`) that are parsed into rows by a pure function (`parse_chunk`), so that the build
can parse (and classify) chunks in worker processes. A worker packs a chunk's rows into a small
SQLite database (`packed_tables`, scripts/load/packed_rows.py) and the build's writer copies them
in, in file order (`copy_packed`): the census's 4.9 million tag rows never become Python objects in
the writer.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from itertools import chain
from json.encoder import encode_basestring
from pathlib import Path
from typing import NamedTuple

import apsw
import sqlite_utils

from scripts import fts_index, schema
from scripts.load import packed_rows
from scripts.schema import BaseModel, Dataset, Model, Tag
from scripts.snapshot.read import ROOT, Snapshot, SnapshotError, decode_record, unreadable
from scripts.snapshot.records import fields_problem, id_problem, line_problem, record_problem, text_problem

log = logging.getLogger("build")

# The 2024-07-11 manifest: models created before the Hub kept creation dates carry one of these two
# timestamps. They mean "on or before 2022-03-02", so they are stored as NULL with a flag.
PLACEHOLDER_CREATED_AT = frozenset({"2022-03-02T23:29:04.000Z", "2022-03-02T23:29:05.000Z"})

# base_model tags name the relation in newer Hub data ("base_model:quantized:org/name").
BASE_MODEL_RELATIONS = frozenset({"adapter", "finetune", "merge", "quantized"})


# Token-shaped strings: "hf_" and 34 letters or digits, the shape of a Hugging Face access token.
# 47 model ids of the 2024-07-11 census (none of 2022-02-21) have it, and no other field of
# either census does: probably tokens pasted as a repository name. The published tables carry a mask in
# their place (templates/pages/about_token_ids.html says why): "hf_MASKED_" and ten letters drawn
# from the token's sha256, so that masked ids stay distinct and the same in every build, and no
# digit in them reads as a version marker.
TOKEN_SHAPED = re.compile(rb"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{34}(?![A-Za-z0-9])")
TOKEN_MASK = b"hf_MASKED_"


def mask_token(match: re.Match) -> bytes:
    digest = hashlib.sha256(match.group()).digest()
    return TOKEN_MASK + bytes(97 + b % 26 for b in digest[:10])


def mask_tokens(line: bytes) -> bytes:
    """The census line with every token-shaped string masked (before it is decoded: every field)."""
    return TOKEN_SHAPED.sub(mask_token, line) if b"hf_" in line else line


def tag_kind(tag: str) -> tuple[str, str]:
    """('license', 'mit') for 'license:mit'; ('plain', tag) for a tag without a prefix."""
    prefix, sep, value = tag.partition(":")
    if sep and prefix and value:
        return prefix, value
    return "plain", tag


def base_model_of(tag_value: str) -> tuple[str, str | None]:
    """The base model id and relation of a base_model tag's value."""
    relation, sep, rest = tag_value.partition(":")
    if sep and relation in BASE_MODEL_RELATIONS:
        return rest, relation
    return tag_value, None


def repo_path(path: Path) -> str:
    """A path as the repository names it (data/snapshots/...), absolute when outside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def load_snapshot_row(db: sqlite_utils.Database, snapshot: Snapshot, headline: bool, records: int) -> None:
    m = snapshot.manifest
    row = schema.SNAPSHOTS.row(
        snapshot=snapshot.name,
        kind=str(snapshot.kind),
        headline=int(headline),
        records=records,
        collected=m.get("collected"),
        source=m.get("source"),
        source_license=m.get("source_license"),
        format=m.get("format"),
        caveats=json.dumps(m.get("caveats", []), ensure_ascii=False),
        sha256=m.get("sha256"),
        file=repo_path(snapshot.data_file),
        endpoint=m.get("endpoint"),
        client_version=m.get("client_version"),
    )
    db.execute(schema.SNAPSHOTS.insert, row)


# Lines per chunk: big enough that a chunk's trip to a worker process and back is cheap, small
# enough that a few chunks in flight hold little memory.
CHUNK_LINES = 5_000
READ_BLOCK = 1 << 22
# Bytes of lines per chunk at most: a few long lines make a chunk of their own.
CHUNK_BYTES = 32 << 20


class ChunkTask(NamedTuple):
    """A run of lines of one census file, with what is needed to turn them into rows anywhere."""

    source: str  # the data file, for error messages
    snapshot: str
    first_lineno: int  # line number of lines[0] (1-based)
    first_key: int  # models.key of lines[0]: keys run in line order
    lines: list  # bytes, without their "\n"
    final_newline: bool  # whether the last line ended with "\n" (only the file's last may not)


class ParsedChunk(NamedTuple):
    models: list  # rows of `models`
    tag_lists: list  # each model's tags (for the classifier; not sent back to the writer)
    tag_texts: list  # the chunk's distinct tags, in order of first appearance
    bases: list  # rows of `model_base_models` (without base_model_key)
    datasets: list  # rows of `model_datasets`


def census_chunks(snapshot: Snapshot, first_key: int, size: int = CHUNK_LINES) -> Iterator[ChunkTask]:
    """The census file as ChunkTasks of `size` lines (fewer when they pass CHUNK_BYTES). Lines are
    split on "\n" only, exactly as scripts.snapshot.read.iter_records reads them, so line numbers
    agree with it; a line over the stated size is refused before it is read whole."""
    path = snapshot.data_file
    opener = gzip.open if path.suffix == ".gz" else open
    lineno, key = 1, first_key
    pending: list[bytes] = []
    pending_bytes = 0
    tail = b""
    try:
        with opener(path, "rb") as f:
            while block := f.read(READ_BLOCK):
                pieces = (tail + block).split(b"\n")
                tail = pieces.pop()
                for offset, piece in enumerate([*pieces, tail]):
                    if problem := line_problem(piece):
                        raise SnapshotError(f"{path}:{lineno + len(pending) + offset}: {problem}")
                pending.extend(pieces)
                pending_bytes += sum(map(len, pieces))
                while len(pending) >= size or (pending and pending_bytes >= CHUNK_BYTES):
                    count = cut_point(pending, size)
                    lines, pending = pending[:count], pending[count:]
                    pending_bytes -= sum(map(len, lines))
                    yield ChunkTask(str(path), snapshot.name, lineno, key, lines, True)
                    lineno += count
                    key += count
    except (OSError, EOFError) as e:  # gzip corruption or truncation, as iter_records reports it
        raise unreadable(path, e) from None
    if tail:
        pending.append(tail)
    if pending:
        yield ChunkTask(str(path), snapshot.name, lineno, key, pending, not tail)


def cut_point(pending: list[bytes], size: int) -> int:
    """How many of the pending lines make the next chunk: `size`, or fewer up to CHUNK_BYTES."""
    total = 0
    for count, line in enumerate(pending[:size], 1):
        total += len(line)
        if total >= CHUNK_BYTES:
            return count
    return min(size, len(pending))


def tags_json(tags: list) -> str:
    """json.dumps(tags, ensure_ascii=False) of a list of strings, several times faster."""
    return "[" + ", ".join(map(encode_basestring, tags)) + "]"


def relation_rows(snapshot, models, tag_lists, distinct):
    """Rows of model_base_models and model_datasets: base_model: and dataset: tags, read once per
    distinct tag, then their (model, tag) pairs in file order."""
    bases, datasets = [], []
    relations = {}
    for tag in distinct:
        if tag.startswith("base_model:"):
            relations[tag] = base_model_of(tag[11:])
        elif tag.startswith("dataset:"):
            relations[tag] = tag[8:]
    if not relations:
        return bases, datasets
    for model, tags in zip(models, tag_lists):
        if relations.keys().isdisjoint(tags):
            continue
        for tag in tags:
            if tag not in relations:
                continue
            relation = relations[tag]
            if isinstance(relation, tuple):
                base_model, kind = relation
                bases.append(BaseModel(model.key, snapshot, model.id, base_model, kind, None))
            else:
                datasets.append(Dataset(model.key, snapshot, model.id, relation))
    return bases, datasets


def parse_chunk(task: ChunkTask) -> ParsedChunk:
    """Rows of a chunk of census lines. Pure: runs in a worker process as well as in the build's.

    A line that is not a JSON object with a string `id` raises SnapshotError with file and line,
    worded as scripts.snapshot.read.iter_records words it; so does a field of the wrong type.
    """
    loads = json.loads
    name = task.snapshot
    models, tag_lists = [], []
    key = task.first_key
    last = len(task.lines) - 1
    for i, line in enumerate(task.lines):
        line = mask_tokens(line)
        try:
            r = loads(line.decode())
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            r = None
        if (
            type(r) is not dict
            or type(r.get("id")) is not str
            or fields_problem(r)
            or id_problem(r["id"])
            or ((b"\\ud" in line or b"\\uD" in line) and text_problem(r))
        ):
            # Read the line again as it stood in the file (with its newline), for the error
            # message iter_records would give.
            original = line + b"\n" if (i < last or task.final_newline) else line
            lineno = task.first_lineno + i
            r = decode_record(task.source, lineno, original)
            raise SnapshotError(f"{task.source}:{lineno}: {record_problem(r)}")
        model_id = r["id"]
        author, slash, model_name = model_id.partition("/")
        if not slash:  # legacy ids such as "bert-base-uncased" have no namespace
            author, model_name = None, model_id
        tags = r.get("tags") or []
        created = r.get("createdAt")
        placeholder = created in PLACEHOLDER_CREATED_AT
        gated = r.get("gated")
        models.append(
            Model._make(  # by position, a third of the time of a call by keyword
                (
                    key,
                    name,  # snapshot
                    model_id,
                    r.get("author", author),
                    model_name,
                    r.get("pipeline_tag"),
                    r.get("library_name"),
                    r.get("downloads"),
                    r.get("likes"),
                    None if placeholder else created,  # created_at
                    int(placeholder),  # created_at_placeholder
                    r.get("lastModified"),
                    r.get("sha"),
                    int(bool(r.get("private"))),
                    None if gated in (None, False) else str(gated),
                    tags_json(tags),
                )
            )
        )
        tag_lists.append(tags)
        key += 1
    distinct = list(dict.fromkeys(chain.from_iterable(tag_lists)))
    bases, datasets = relation_rows(name, models, tag_lists, distinct)
    return ParsedChunk(models, tag_lists, distinct, bases, datasets)


class PackedChunk(NamedTuple):
    """A parsed (and classified) chunk as the worker sends it to the writer."""

    models: int  # rows of `models` in the chunk
    tag_texts: list  # the chunk's distinct tags, in order of first appearance
    rows: bytes  # packed_rows.pack of the chunk's tables; model_tags.tag indexes tag_texts


def packed_tables(parsed: ParsedChunk) -> list[tuple]:
    """The load tables of a parsed chunk, as packed_rows.pack takes them (model_tags is filled
    by pack_model_tags)."""
    return [
        (schema.MODELS, parsed.models),
        (schema.MODEL_TAGS, ()),
        (schema.MODEL_BASE_MODELS, parsed.bases),
        (schema.MODEL_DATASETS, parsed.datasets),
    ]


def pack_model_tags(tag_texts: list, conn: apsw.Connection) -> None:
    """model_tags of a pack, from its models' tags JSON (in SQLite's C code, not one Python pair
    per tag): each (model, tag) pair in file order, the tag as its index in `tag_texts`."""
    conn.execute("create temp table chunk_tags (tag text primary key)")
    conn.executemany("insert into temp.chunk_tags values (?)", zip(tag_texts))
    # CROSS JOIN keeps models (in key order), then each one's tags in list order, as the outer loops.
    conn.execute(
        """insert into main.model_tags select m.key, t.rowid - 1
           from main.models m cross join json_each(m.tags) j cross join temp.chunk_tags t
           where t.tag = j.value order by m.rowid"""
    )


# Each distinct tag of the chunk being copied (its index in PackedChunk.tag_texts) -> tags.tag_key.
CHUNK_TAG_KEYS = "temp.chunk_tag_keys"


def copy_packed(conn: sqlite3.Connection, chunk: PackedChunk, tag_keys: dict[str, int]) -> int:
    """Copy the load tables of a packed chunk, opened as packed_rows.SCHEMA; `tag_keys` (tag text ->
    tag_key across snapshots) gains the chunk's new tags, numbered in order of first appearance.
    Returns the number of models copied."""
    keys = []
    for tag in chunk.tag_texts:
        tag_key = tag_keys.get(tag)
        if tag_key is None:
            tag_key = tag_keys[tag] = len(tag_keys) + 1
        keys.append(tag_key)
    conn.execute(f"create table if not exists {CHUNK_TAG_KEYS} (idx integer primary key, tag_key integer)")
    conn.execute(f"delete from {CHUNK_TAG_KEYS}")
    conn.executemany(f"insert into {CHUNK_TAG_KEYS} values (?, ?)", enumerate(keys))
    packed_rows.copy(conn, schema.MODELS)
    # (model, tag) pairs in the order packed (CROSS JOIN keeps the pairs as the outer loop).
    conn.execute(
        f"""insert into main.model_tags select t.model, k.tag_key
            from [{packed_rows.SCHEMA}].model_tags t cross join {CHUNK_TAG_KEYS} k
            where k.idx = t.tag order by t.rowid"""
    )
    packed_rows.copy(conn, schema.MODEL_BASE_MODELS)
    packed_rows.copy(conn, schema.MODEL_DATASETS)
    return chunk.models


def first_free_key(conn: sqlite3.Connection) -> int:
    return conn.execute("select coalesce(max(key), 0) from models").fetchone()[0] + 1


def check_unique_ids(db: sqlite_utils.Database) -> None:
    """The unique index on (snapshot, id); a repeated id is a SnapshotError naming file and lines.
    Ids that differ only in case (the Hub's ids do not: its repository names are unique whatever
    their case) are reported as a warning with file and lines."""
    try:
        schema.create_indexes(db, "models", unique=True)
    except sqlite3.IntegrityError:
        raise SnapshotError(duplicate_ids_message(db)) from None
    for message in case_duplicates(db):
        log.warning("%s", message)


def case_duplicates(db: sqlite_utils.Database, limit: int = 20) -> list[str]:
    """'<file>: model ids ... differ only in case (lines ...)', for each such group (none in the
    vendored censuses)."""
    # The groups first, then the lines of those alone: the ids and lines of every one of the
    # 790,000 groups, concatenated to keep the few repeated ones, took 4.4 CPU-s against 1.5.
    rows = db.execute(
        """with repeated as (select snapshot, lower(id) as id from models
                             group by 1, 2 having count(*) > 1 limit ?)
           select s.file, group_concat(m.id, ', '), group_concat(m.key - f.first + 1, ', ')
           from models m join snapshots s using (snapshot)
           join (select snapshot, min(key) as first from models group by snapshot) f using (snapshot)
           where (m.snapshot, lower(m.id)) in (select snapshot, id from repeated)
           group by m.snapshot, lower(m.id)""",
        [limit],
    ).fetchall()
    return [f"{file}: model ids {ids} differ only in case (lines {lines})" for file, ids, lines in rows]


def finish_tags(db: sqlite_utils.Database, tag_keys: dict[str, int]) -> None:
    """Write the tag dictionary, count models per tag, resolve base models to rows, and index.

    Needs check_unique_ids first (base models are resolved through its index). The full-text
    index is made apart (build_fts, attach_fts), so that it can be built alongside this.
    """
    tag_rows = (
        Tag(tag_key=key, tag=tag, kind=kind, value=value, models=None)
        for tag, key in tag_keys.items()
        for kind, value in [tag_kind(tag)]
    )
    db.conn.executemany(schema.TAGS.insert, tag_rows)
    schema.create_indexes(db, "model_tags")
    db.execute(
        "update tags set models = (select count(*) from model_tags where model_tags.tag = tags.tag_key)"
    )
    db.execute(
        """update model_base_models set base_model_key = (
             select key from models where models.snapshot = model_base_models.snapshot
             and models.id = model_base_models.base_model)"""
    )
    for table in ("model_base_models", "model_datasets", "tags", "models"):
        schema.create_indexes(db, table)


# The full-text index on model ids, exactly as sqlite-utils' enable_fts(["id"], fts_version="FTS5")
# makes it: an external-content FTS5 table over `models`, filled in one INSERT ... SELECT.
FTS_TABLE = "models_fts"
# The (rowid, id) pairs build_fts indexes by default, from the staged classification: in rowid order, because
# FTS5 writes out its pending terms as a new segment whenever a rowid is lower than the last one;
# in id order that was nearly every row, and merging those segments made the index cost 16.2
# CPU-s instead of 3.1 (the same terms, documents and positions: tests/test_fts_index.py).
FTS_SOURCE = "select model, model_id from source.model_versioning order by model"


def build_fts(fts_path: Path, source_path: Path, source_select: str = FTS_SOURCE) -> Path:
    """Build the models_fts index into a database of its own at fts_path, from the (rowid, id)
    pairs that source_select reads in the database at source_path, attached read-only as `source`.

    The build runs this in a thread beside its writer, reading the staged copy of the ids
    (scripts/build.py), so that tokenising 790,000 ids costs no time on the writer's path;
    attach_fts then copies the finished index in.
    """
    source_path, fts_path = Path(source_path).resolve(), Path(fts_path).resolve()
    fts_path.unlink(missing_ok=True)
    # uri=True so that ATTACH takes the read-only URI below.
    fts = sqlite_utils.Database(sqlite3.connect(fts_path.as_uri(), uri=True))
    try:
        fts.execute("pragma journal_mode = off")
        fts.execute("pragma synchronous = off")
        # enable_fts itself (over an empty stand-in `models`), so the table is declared as it
        # declares it, then the same INSERT ... SELECT it runs, over the real ids.
        fts.execute("create table models (id text)")
        fts["models"].enable_fts(["id"], fts_version="FTS5", create_triggers=False)
        fts.execute("attach database ? as source", [source_path.as_uri() + "?mode=ro"])
        with fts.conn:
            fts.execute(f"insert into [{FTS_TABLE}] (rowid, [id]) {source_select}")
        fts.execute("detach database source")
    finally:
        fts.close()
    return fts_path


def attach_fts(db: sqlite_utils.Database, fts_path: Path) -> None:
    """models_fts in db, as build_fts made it: the same CREATE statement (enable_fts's), then the
    index itself copied over."""
    built = sqlite3.connect(f"file:{Path(fts_path).resolve()}?mode=ro", uri=True)
    try:
        (create_sql,) = built.execute("select sql from sqlite_master where name = ?", [FTS_TABLE]).fetchone()
    finally:
        built.close()
    db.execute(create_sql)
    fts_index.copy_index(db.conn, FTS_TABLE, fts_path, "models")


def duplicate_ids_message(db: sqlite_utils.Database) -> str:
    """Which ids repeat, in which snapshot file and on which lines (keys run in line order)."""
    rows = db.execute(
        """select m.snapshot, s.file, m.id, group_concat(m.key - f.first + 1, ', ')
           from models m join snapshots s using (snapshot)
           join (select snapshot, min(key) as first from models group by snapshot) f using (snapshot)
           group by m.snapshot, m.id having count(*) > 1 limit 5"""
    ).fetchall()
    return "; ".join(
        f"{file}: model id {mid!r} appears more than once (lines {lines})" for _, file, mid, lines in rows
    )
