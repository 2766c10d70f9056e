"""The site's Datasette metadata, from metadata.yml plus the canned_queries folder.

Each canned query is a pair `canned_queries/<name>.sql` + `<name>.yml` (title, description,
params, chart, hide_sql). They are folded into `databases.hub.queries` so that the generated
`build/metadata.json` carries them wherever the site goes (`datasette publish` included).
"""

from __future__ import annotations

import copy
import functools
import json
import sqlite3
from pathlib import Path

import yaml

from scripts.publish import palette, parameters, provenance

ROOT = Path(__file__).resolve().parents[2]
METADATA_YML = ROOT / "metadata.yml"
CANNED_QUERIES_DIR = ROOT / "canned_queries"
DATABASE = "hub"
QUERY_KEYS = {"title", "description", "description_html", "params", "parameters", "chart", "hide_sql"}
# Order on the database page: the research questions first, browsing last.
TOPIC_ORDER = ("rq1", "rq2", "rq3", "time", "history", "refs", "registry", "hub_registry", "browse")


class MetadataError(Exception):
    pass


def is_vega_lite(chart) -> bool:
    """A chart given as a full Vega-Lite v5 spec (its $schema says so)."""
    return isinstance(chart, dict) and "vega-lite/v5" in str(chart.get("$schema", ""))


def read_yaml(path: Path):
    try:
        # A copy: the caller may change what it is given, not what the next caller reads.
        return copy.deepcopy(_parsed_yaml(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as e:
        raise MetadataError(f"{path}: not valid YAML ({e})") from None


@functools.lru_cache(maxsize=256)
def _parsed_yaml(text: str):
    # Keyed by the text, so an edited file is parsed again. The findings read their canned
    # queries once per sentence: parsed each time, the folder's YAML took 4.5 of their 4.8 s.
    return yaml.safe_load(text) or {}


def canned_queries(folder: Path = CANNED_QUERIES_DIR) -> dict[str, dict]:
    """name -> Datasette canned query dict, in name order; a missing or odd sidecar is an error."""
    queries = {}

    def order(path: Path):
        topics = [i for i, t in enumerate(TOPIC_ORDER) if path.stem.startswith(t + "_")]
        return (topics[-1] if topics else len(TOPIC_ORDER), path.stem)

    for sql_path in sorted(folder.glob("*.sql"), key=order):
        yml_path = sql_path.with_suffix(".yml")
        if not yml_path.exists():
            raise MetadataError(f"{sql_path}: no {yml_path.name} beside it (title, description, ...)")
        settings = read_yaml(yml_path)
        unknown = set(settings) - QUERY_KEYS
        if unknown:
            raise MetadataError(f"{yml_path}: unknown keys {sorted(unknown)}; allowed: {sorted(QUERY_KEYS)}")
        if "title" not in settings:
            raise MetadataError(f"{yml_path}: needs a title")
        chart = settings.get("chart")
        if chart is not None and not is_vega_lite(chart):
            raise MetadataError(f"{yml_path}: chart must be a Vega-Lite v5 spec (with its $schema)")
        if chart is not None and "data" in chart:
            raise MetadataError(f"{yml_path}: a chart takes no data (the page feeds it the query's rows)")
        try:
            parameters.check(yml_path, settings)
        except parameters.ParameterError as e:
            raise MetadataError(str(e)) from None
        queries[sql_path.stem] = {"sql": sql_path.read_text(encoding="utf-8").strip(), **settings}
    for orphan in sorted(set(p.stem for p in folder.glob("*.yml")) - set(queries)):
        raise MetadataError(f"{folder / (orphan + '.yml')}: no {orphan}.sql beside it")
    return queries


def site_metadata(
    metadata_path: Path = METADATA_YML, queries_dir: Path = CANNED_QUERIES_DIR, db_path: Path | None = None
) -> dict:
    """The metadata Datasette serves. With db_path, every canned query is checked to compile."""
    metadata = read_yaml(metadata_path)
    database = metadata.setdefault("databases", {}).setdefault(DATABASE, {})
    queries = canned_queries(queries_dir)
    clash = set(queries) & set(database.get("queries", {}))
    if clash:
        raise MetadataError(f"{metadata_path}: queries {sorted(clash)} are also in {queries_dir}")
    database.setdefault("queries", {}).update(queries)
    if db_path is not None:
        check_queries_compile(db_path, queries)
        resolve_charts_and_parameters(db_path, queries)
        provenance.apply(metadata, db_path, DATABASE)
    return metadata


def check_queries_compile(db_path: Path, queries: dict[str, dict]) -> None:
    """EXPLAIN each query so that a typo fails the build, not a visitor's page."""
    conn = sqlite3.connect(db_path)
    try:
        for name, q in queries.items():
            params = {p: "" for p in q.get("params", [])}
            try:
                conn.execute("explain " + q["sql"], params)
            except sqlite3.Error as e:
                raise MetadataError(f"canned_queries/{name}.sql: {e}") from None
    finally:
        conn.close()


def resolve_charts_and_parameters(db_path: Path, queries: dict[str, dict]) -> None:
    """Each parameter's valid values and default from the database, and each chart in the site's
    colours for the values its default rows hold (scripts/publish/palette.py)."""
    conn = sqlite3.connect(db_path)
    try:
        for name, q in queries.items():
            try:
                parameters.resolve(conn, f"canned_queries/{name}.yml", q)
            except (parameters.ParameterError, sqlite3.Error) as e:
                raise MetadataError(str(e)) from None
            if q.get("chart"):
                cursor = conn.execute(q["sql"], {p: "" for p in q.get("params", [])})
                columns = [d[0] for d in cursor.description]
                q["chart"] = palette.style(q["chart"], [dict(zip(columns, r)) for r in cursor.fetchall()])
    finally:
        conn.close()


if __name__ == "__main__":
    print(json.dumps(site_metadata(), indent=2))
