"""Derive stage: do the commit messages of weight rewrites name a version, where the model id does not?

On `weight_commits` (scripts/load/weight_commits.py): a row is a rewrite when an earlier commit of
the same repository touched the same weight file (the first commit to touch it is its upload);
`message_version` is the version the message names, if any (MESSAGE_VERSION: a v-number standing
alone, `version 1.1`, `update ... to 3.4`), unless a library's name stands just before it
(`Update spacy pipeline to 3.5.3`, `flair v0.14.0`: the library's version, not the model's). Each
repository is linked to the headline census by exact id, with whether its id carries an own
version (model_versioning). `history_commit_versions` counts, for rewrite commits and first
uploads, and for repositories with and without a rewrite, how many name a version in a message and
how many in the model id. A regular expression reads free text written by people and bots: a
version named in a message is evidence that a release was versioned in git history, no more.
"""

from __future__ import annotations

import re

import sqlite_utils

from scripts import schema
from scripts.derive.history import headline_census

MESSAGE_VERSION = re.compile(
    r"(?<![\w.\-/])v\d+(?:\.\d+){0,2}(?![\w.]*\w)"
    r"|\bversion\s*:?\s*v?\d+(?:\.\d+)*\b"
    r"|\b(?:update|upgrade|release|bump)(?:d|s)?\b[^\n]{0,40}?\bto\s+v?\d+\.\d+(?:\.\d+)?\b",
    re.IGNORECASE,
)
# A library's version, not the model's, when its name stands in the 30 characters before.
LIBRARY = re.compile(
    r"\b(?:spacy|flair|transformers|torch|pytorch|tensorflow|keras|diffusers|sentence[- ]transformers|"
    r"onnx|python|peft|trl|gguf|llama\.cpp|mlx)\b",
    re.IGNORECASE,
)


def message_version(message: str | None) -> str | None:
    """The first version a commit message names, or None (see the module's docstring)."""
    for m in MESSAGE_VERSION.finditer(message or ""):
        before = message[max(0, m.start() - 30) : m.end()]
        if not LIBRARY.search(before):
            return m.group(0)
    return None


def derive_commit_messages(db: sqlite_utils.Database) -> None:
    if not db.execute("select exists (select 1 from weight_commits)").fetchone()[0]:
        return
    census = headline_census(db)
    schema.create_indexes(db, "weight_commits")
    rows = db.execute("select rowid, message from weight_commits").fetchall()
    db.conn.executemany(
        "update weight_commits set message_version = ? where rowid = ?",
        [(message_version(m), rowid) for rowid, m in rows],
    )
    db.execute(
        """update weight_commits set
               census_model = (select m.key from models m where m.snapshot = :census and m.id = weight_commits.model_id),
               rewrite = exists (select 1 from weight_commits e where e.model_id = weight_commits.model_id
                                   and e.file = weight_commits.file and e.committed_at < weight_commits.committed_at)""",
        {"census": census},
    )
    db.execute("""update weight_commits set id_own_version = (
                      select v.own_version from model_versioning v where v.model = weight_commits.census_model)""")
    db.execute(
        """
        insert into history_commit_versions
        with commits as (
            select model_id, commit_hash, max(rewrite) as rewrite, max(message_version) as message_version,
                   max(census_model) as census_model, max(id_own_version) as id_own_version
            from weight_commits group by model_id, commit_hash),
        repos as (
            select model_id, max(rewrite) as rewrite,
                   max(rewrite and message_version is not null) as rewrite_message_version,
                   max(message_version is not null) as message_version,
                   max(census_model) is not null as in_census, max(id_own_version) as id_own_version
            from commits group by model_id)
        select 'commits', 'commits that rewrote a weight file', 0, count(*), count(message_version),
               count(census_model), sum(id_own_version)
        from commits where rewrite
        union all
        select 'commits', 'commits that only uploaded weight files', 1, count(*), count(message_version),
               count(census_model), sum(id_own_version)
        from commits where not rewrite
        union all
        select 'repositories', 'repositories with a weight file rewritten', 2, count(*), sum(rewrite_message_version),
               sum(in_census), sum(id_own_version)
        from repos where rewrite
        union all
        select 'repositories', 'repositories with no weight file rewritten', 3, count(*), sum(message_version),
               sum(in_census), sum(id_own_version)
        from repos where not rewrite""",
    )
