"""The dataset's Croissant 1.1 description (JSON-LD, schema.org/Dataset), from the built site's files.

    python -m scripts.publish.croissant [--build build]   # writes build/downloads/croissant.json

Read from what the site itself shows: the citation (CITATION.cff, through the metadata's
`plugins.hub-provenance`), each snapshot's source and license, the table and column descriptions of
metadata.yml (build/metadata.json) and the downloads' MANIFEST.json; each field's type is that of
its Parquet file's column. The distribution is every download (Parquet and CSV.gz of each table,
and the database) with its sha256, size and format; a RecordSet per downloadable table reads its
Parquet file. contentUrls are relative to the site's root, which is also a release folder's root
(`downloads/<file>`, `hub.db`), so the same file describes the site and a release. The site serves
it at /croissant.json and embeds its summary in the home page (plugins/hub_croissant.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scripts.publish.downloads import MANIFEST, MOUNT

FILE = "croissant.json"
DATABASE = "hub"
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
FORMATS = {
    "parquet": "application/x-parquet",
    "csv.gz": "application/gzip",
    "db": "application/vnd.sqlite3",
}
# The @context of Croissant 1.1 (as mlcroissant writes it), with the Responsible-AI namespace.
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileObject": "cr:fileObject",
    "fileProperty": "cr:fileProperty",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
# The minimal Responsible-AI fields (Croissant RAI 1.0); docs/datasheet.md says the same at length.
RAI = {
    "rai:dataCollection": (
        "No new crawl: every record comes from a vendored snapshot of public Hugging Face Hub metadata "
        "(two censuses of the /api/models listing, 2022-02-21 and 2024-07-11, and the weight-change "
        "snapshot of Ajibode et al.), each checked against the sha256 of its MANIFEST.json. Version "
        "markers are read from each model id by a rule-based classifier (the page /rules/version-markers)."
    ),
    "rai:dataCollectionType": ["Secondary Data Analysis", "Web Scraping"],
    "rai:dataAnnotationProtocol": (
        "600 model ids of the 2024-07-11 census, drawn with a fixed seed in five strata (uniform 300, "
        "digits 120, base_versioned 80, bigorg 60, rl 40), plus 569 ids of ten companies and four tasks, "
        "were labelled independently by two annotators on the labelling guide (/rules/labelling-guide); "
        "disagreements were adjudicated by the guide. Agreement before adjudication on the 600: "
        "own_version Cohen's kappa 0.97, any_marker 0.92."
    ),
    "rai:dataAnnotationPlatform": "Reading each model id, its tags and base models; no crowd platform.",
    "rai:annotationsPerItem": "2 (independent), then adjudication of disagreements",
    "rai:dataBiases": (
        "Model ids only: a version kept in git history, tags, model cards or weights rewritten in place "
        "is invisible to the name classifier. Downloads are 30-day counts at collection time. The "
        "2024-07-11 census misses its last partial page (about 460 of the least downloaded models); "
        "creation dates of 2022-03-02T23:29:04/05Z are placeholders. The classifier's measured error "
        "(classifier_accuracy) is corrected for in the estimate_* tables, not in the raw shares. The "
        "labelled sample is of the 2024-07-11 census only."
    ),
    "rai:dataLimitations": (
        "A census has no sampling error: the only uncertainty of a census share is the classifier's. "
        "Company, task and family groupings rest on a curated namespace map (data/organizations.csv) and "
        "on pipeline_tag as the Hub reported it."
    ),
    "rai:dataUseCases": (
        "Studying how machine-learning models are named and versioned on a public hub; checking a "
        "classification against its rule; not for judging individual authors."
    ),
    "rai:personalSensitiveInformation": (
        "Hub namespaces (user and organization names) as published on the Hub; no other personal data."
    ),
}


class CroissantError(Exception):
    pass


def data_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_integer(arrow_type):
        return "sc:Integer"
    if pa.types.is_floating(arrow_type):
        return "sc:Float"
    if pa.types.is_boolean(arrow_type):
        return "sc:Boolean"
    return "sc:Text"


def file_object(name: str, url: str, fmt: str, size: int, sha256: str, description: str) -> dict:
    return {
        "@type": "cr:FileObject",
        "@id": name,
        "name": name,
        "description": description,
        "contentUrl": url,
        "encodingFormat": FORMATS[fmt],
        "contentSize": f"{size} B",
        "sha256": sha256,
    }


def distribution(manifest: dict) -> list[dict]:
    """Every download with its sha256, size and format: the database, then each table's files."""
    db = manifest["database"]
    files = [
        file_object(db["file"], db["file"], "db", db["bytes"], db["sha256"], "The whole SQLite database.")
    ]
    for table in manifest["tables"]:
        for f in table["files"]:
            what = f"Table {table['table']}, {table['rows']} rows"
            files.append(
                file_object(f["file"], f"{MOUNT}/{f['file']}", f["format"], f["bytes"], f["sha256"], what)
            )
    return files


def record_set(table: dict, schema: pa.Schema, described: dict) -> dict:
    """One table as a RecordSet: each column a Field read from the table's Parquet file."""
    name = table["table"]
    parquet = next(f["file"] for f in table["files"] if f["format"] == "parquet")
    columns = described.get("columns") or {}
    missing = [c for c in table["columns"] if c not in schema.names]
    if missing:
        raise CroissantError(f"{parquet}: no column {missing[0]!r} though MANIFEST.json lists it")
    fields = [
        {
            "@type": "cr:Field",
            "@id": f"{name}/{column}",
            "name": column,
            "description": columns.get(column) or f"Column {column} of {name}.",
            "dataType": data_type(schema.field(column).type),
            "source": {"fileObject": {"@id": parquet}, "extract": {"column": column}},
        }
        for column in table["columns"]
    ]
    return {
        "@type": "cr:RecordSet",
        "@id": name,
        "name": name,
        "description": described.get("description") or f"Table {name}.",
        "field": fields,
    }


def licenses(citation: dict, snapshots: list[dict]) -> str:
    """The license situation per part, in one sentence a reader can act on."""
    parts = [f"code {citation['code_license']}", f"the release as a whole {citation['license']}"]
    parts += [f"snapshot {s['snapshot']}: {s['source_license']}" for s in snapshots]
    return "; ".join(parts)


def croissant(metadata: dict, manifest: dict, downloads_dir: Path) -> dict:
    """The Croissant JSON-LD of a build: metadata.json, the downloads' manifest and their folder."""
    provenance = (metadata.get("plugins") or {}).get("hub-provenance") or {}
    citation, snapshots = provenance.get("citation"), provenance.get("snapshots") or []
    if not citation:
        raise CroissantError("metadata has no plugins.hub-provenance.citation (CITATION.cff)")
    tables = (metadata.get("databases") or {}).get(DATABASE, {}).get("tables") or {}
    record_sets = []
    for table in manifest["tables"]:
        path = Path(downloads_dir) / next(f["file"] for f in table["files"] if f["format"] == "parquet")
        record_sets.append(record_set(table, pq.read_schema(path), tables.get(table["table"]) or {}))
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": "hub-versioning",
        "alternateName": citation["title"],
        "description": _description(metadata, snapshots),
        "version": citation["version"],
        "datePublished": citation["date_released"],
        "creator": [{"@type": "sc:Organization", "name": a} for a in citation["authors"]],
        "license": licenses(citation, snapshots),
        "citeAs": citation["text"],
        "keywords": ["Hugging Face Hub", "model versioning", "model naming", "MLOps", "census"],
        "isBasedOn": [s["source"] for s in snapshots],
        "temporalCoverage": _coverage(snapshots),
        **RAI,
        "distribution": distribution(manifest),
        "recordSet": record_sets,
    }


def _description(metadata: dict, snapshots: list[dict]) -> str:
    counts = ", ".join(f"{s['kind']} {s['snapshot']} ({s['records']} records)" for s in snapshots)
    return (
        "How machine-learning models are versioned on the Hugging Face Hub: every model of the "
        "snapshots below with the version markers in its name classified by form and by whose version "
        f"they are, a hand-labelled validation sample and the classifier's measured accuracy. Snapshots: {counts}."
    )


def _coverage(snapshots: list[dict]) -> str:
    dates = sorted(
        s["snapshot"] for s in snapshots if s["snapshot"][:4].isdigit() and len(s["snapshot"]) == 10
    )
    return f"{dates[0]}/{dates[-1]}" if dates else ""


def write_into(metadata: dict, downloads_dir: Path) -> Path:
    """downloads_dir/croissant.json for the site's metadata and the downloads' MANIFEST.json there.

    The build can call it with the metadata it is about to publish, right after writing the
    downloads; `write` does the same from a finished build's files."""
    downloads_dir = Path(downloads_dir)
    try:
        manifest = json.loads((downloads_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise CroissantError(f"{downloads_dir}: {e} (run `make build` first)") from None
    document = croissant(metadata, manifest, downloads_dir)
    out = downloads_dir / FILE
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def write(build: Path) -> Path:
    """build/downloads/croissant.json from build/metadata.json and build/downloads/MANIFEST.json."""
    build = Path(build)
    try:
        metadata = json.loads((build / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise CroissantError(f"{build}: {e} (run `make build` first)") from None
    return write_into(metadata, build / MOUNT)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=Path("build"))
    args = parser.parse_args(argv)
    try:
        out = write(args.build)
    except CroissantError as e:
        print(f"croissant: {e}", file=sys.stderr)
        return 1
    print(f"{out}: written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
