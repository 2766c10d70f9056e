"""What every page of the site says about where its data comes from, decided at build time.

`site_provenance(db_path)` returns the configuration of plugins/hub_provenance.py, stored in the
site's metadata (`plugins.hub-provenance`), so that the published site needs no file but its
metadata: the citation (from CITATION.cff, the one place that names the repository), the seed
study, each snapshot's source and data license, and the features this build has no data for.

A feature without data is a table that is empty in this build, and every canned query that reads
one: such tables are hidden from the listing and such queries are taken out of it, and their pages
say what they need and which command gets it (plugins/hub_provenance.py).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CITATION_CFF = ROOT / "CITATION.cff"
# The code's license (LICENSE); the data's is CITATION.cff's `license`, per part in its abstract.
CODE_LICENSE = "MIT"
# Hosts reserved for examples (RFC 2606): a repository URL there is a placeholder.
PLACEHOLDER_HOSTS = ("example.org", "example.com")
SEED_STUDY = {
    "authors": ["Badr Al Achkar", "Nadim Ben Aissa", "Sourour Gazzeh", "Imene Yahiaoui"],
    "subject": (
        "a student report in French on how machine-learning models are versioned: MLflow's Model "
        "Registry, then traditional versus free versioning on the Hugging Face Hub, the task's "
        "influence and big companies' practice"
    ),
    "date": "undated, about 2024",
    "note": "no formal title, venue or DOI",
}
# Table prefix -> what an empty table of that prefix needs, and the command that gets it.
NEEDS = {
    "model_refs": ("git branches and tags of the top models of a census", "make fetch-refs"),
    "model_commit_counts": ("git branches and tags of the top models of a census", "make fetch-refs"),
    "registry_": (
        "a snapshot of an MLflow Model Registry",
        "make ingest-mlflow TRACKING_URI=... NAME=...",
    ),
}


class ProvenanceError(Exception):
    pass


def citation(path: Path = CITATION_CFF) -> dict:
    """Title, authors, version, release date, repository URL (None while it has no public one;
    flagged when a placeholder) and licenses from CITATION.cff."""
    try:
        cff = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ProvenanceError(f"{path}: {e}") from None
    for key in ("title", "authors", "version", "date-released", "license"):
        if key not in cff:
            raise ProvenanceError(f"{path}: no {key!r}")
    repository = cff.get("repository-code")
    authors = [
        a.get("name") or " ".join(filter(None, (a.get("given-names"), a.get("family-names"))))
        for a in cff["authors"]
    ]
    version, released = str(cff["version"]), str(cff["date-released"])
    where = repository or "repository not public yet"
    return {
        "title": cff["title"],
        "authors": authors,
        "version": version,
        "date_released": released,
        "repository": repository,
        "repository_is_placeholder": bool(repository)
        and any(host in repository for host in PLACEHOLDER_HOSTS),
        "license": cff["license"],
        "code_license": CODE_LICENSE,
        "text": f"{', '.join(authors)} ({released[:4]}). {cff['title']} (version {version}) [dataset]. {where}",
        "cff": path.read_text(encoding="utf-8"),
    }


DATE = re.compile(r"\b(?:19|20)\d\d(?:-\d\d(?:-\d\d)?)?\b")
GITHUB = re.compile(r"GitHub repository ([\w.-]+/[\w.-]+)")


def collected_dates(collected: str | None) -> str:
    """The dates a manifest's `collected` names, as 'first to last' (or the one date), or 'not stated'."""
    dates = DATE.findall(collected or "")
    if not dates:
        return "not stated"
    first, last = min(dates), max(dates)
    return first if first == last else f"{first} to {last}"


def short_source(source: str | None) -> str:
    """The source in a few words: its GitHub repository when it names one, else its first clause."""
    match = GITHUB.search(source or "")
    if match:
        return f"GitHub {match.group(1)}"
    return (source or "source not stated").split(":")[0]


def snapshot_sources(conn: sqlite3.Connection) -> list[dict]:
    """Each snapshot's source, data license ('none stated' where the source states none), collection
    dates and caveats, as the footer and About page show them."""
    rows = conn.execute(
        """select snapshot, kind, headline, records, source, source_license, collected, caveats from snapshots
           order by headline desc, snapshot desc"""
    ).fetchall()
    keys = ("snapshot", "kind", "headline", "records", "source", "source_license", "collected", "caveats")
    out = []
    for r in rows:
        s = dict(zip(keys, r))
        s["source_license"] = s["source_license"] or "none stated"
        s["caveats"] = json.loads(s["caveats"] or "[]")
        s["collected_dates"] = collected_dates(s["collected"])
        s["source_short"] = short_source(s["source"])
        out.append(s)
    return out


def need_of(table: str) -> tuple[str, str] | None:
    for prefix, need in NEEDS.items():
        if table.startswith(prefix):
            return need
    return None


def absent_features(conn: sqlite3.Connection, queries: dict[str, dict]) -> dict:
    """Empty tables and the canned queries that read one: name -> {needs, command, tables}."""
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
    empty = {t for t in tables if conn.execute(f"select 1 from [{t}] limit 1").fetchone() is None}
    features = {"tables": {}, "queries": {}}
    for t in sorted(empty):
        need = need_of(t)
        if need:
            features["tables"][t] = {"needs": need[0], "command": need[1]}
    for name, query in queries.items():
        read = sorted(t for t in features["tables"] if re.search(rf"\b{re.escape(t)}\b", query["sql"]))
        if read:
            first = features["tables"][read[0]]
            features["queries"][name] = {"title": query.get("title", name), "tables": read, **first}
    return features


def site_provenance(db_path: Path, queries: dict[str, dict]) -> dict:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return {
            "citation": citation(),
            "seed_study": SEED_STUDY,
            "snapshots": snapshot_sources(conn),
            "absent": absent_features(conn, queries),
        }
    finally:
        conn.close()


def apply(metadata: dict, db_path: Path, database: str) -> None:
    """Store the configuration in the metadata; unlist the absent tables and queries."""
    db_meta = metadata["databases"][database]
    config = site_provenance(db_path, db_meta.get("queries", {}))
    metadata.setdefault("plugins", {})["hub-provenance"] = config
    for table, need in config["absent"]["tables"].items():
        entry = db_meta.setdefault("tables", {}).setdefault(table, {})
        entry["hidden"] = True
        entry["description"] = (
            f"Empty in this build: needs {need['needs']} (`{need['command']}`, then `make build`)."
        )
    for name in config["absent"]["queries"]:
        db_meta["queries"].pop(name)
