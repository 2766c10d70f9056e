"""A release of the dataset, ready to deposit: build/release/hub-versioning-<version>/.

    python -m scripts.publish.release [--build build] [--out build/release]   # `make release`

From a finished build (hub.db, metadata.json, downloads/ with MANIFEST.json), with the version
and date of CITATION.cff, the folder holds:

    hub.db                        the SQLite database
    downloads/                    each downloadable table as Parquet and CSV.gz, and MANIFEST.json
    croissant.json                Croissant 1.1 (scripts/publish/croissant.py), URLs relative to the folder
    CITATION.cff, .zenodo.json    the citation, and Zenodo's deposit metadata made from it by cffconvert
    datasheet.md                  docs/datasheet.md
    data-dictionary.md, .csv      every column of every downloadable table: type, description
    LICENSE-code, licenses/       the code's license; the texts of the data licenses (GPL-3.0, Apache-2.0)
    SHA256SUMS                    sha256 of every other file (`sha256sum -c SHA256SUMS`)

Nothing in the folder depends on the time it is made: the same build gives the same bytes. The
folder is written beside its final place and renamed into it.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from scripts.publish import croissant
from scripts.publish.downloads import MANIFEST, MOUNT, sha256_of

ROOT = Path(__file__).resolve().parents[2]
CITATION_CFF = ROOT / "CITATION.cff"
DATASHEET = ROOT / "docs" / "datasheet.md"
LICENSES = {"LICENSE-code": ROOT / "LICENSE"} | {
    f"licenses/{p.name}": p for p in sorted((ROOT / "data" / "licenses").glob("*.txt"))
}
SUMS = "SHA256SUMS"
NAME = "hub-versioning"
DICTIONARY_COLUMNS = ("table", "column", "type", "description")


class ReleaseError(Exception):
    pass


def version_of(cff_path: Path = CITATION_CFF) -> tuple[str, str]:
    cff = yaml.safe_load(cff_path.read_text(encoding="utf-8"))
    missing = [k for k in ("version", "date-released") if not cff.get(k)]
    if missing:
        raise ReleaseError(f"{cff_path}: no {missing[0]!r}")
    return str(cff["version"]), str(cff["date-released"])


def zenodo_json(cff_path: Path = CITATION_CFF) -> str:
    """Zenodo's deposit metadata (.zenodo.json), converted from CITATION.cff by cffconvert."""
    from cffconvert import Citation

    citation = Citation(cff_path.read_text(encoding="utf-8"))
    try:
        citation.validate()
    except Exception as e:  # cffconvert raises jsonschema's and pykwalify's errors as they are
        raise ReleaseError(f"{cff_path}: not valid CITATION.cff: {e}") from None
    return citation.as_zenodo()


def dictionary_rows(metadata: dict, manifest: dict, downloads_dir: Path) -> list[dict]:
    """(table, column, type, description) of every downloadable table, as the site describes them."""
    tables = metadata["databases"][croissant.DATABASE].get("tables") or {}
    rows = []
    for entry in manifest["tables"]:
        parquet = next(f["file"] for f in entry["files"] if f["format"] == "parquet")
        schema = pq.read_schema(downloads_dir / parquet)
        described = (tables.get(entry["table"]) or {}).get("columns") or {}
        for column in entry["columns"]:
            rows.append(
                {
                    "table": entry["table"],
                    "column": column,
                    "type": croissant.data_type(schema.field(column).type).removeprefix("sc:"),
                    "description": described.get(column, ""),
                }
            )
    return rows


def dictionary_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, DICTIONARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def dictionary_markdown(rows: list[dict], metadata: dict, manifest: dict, version: str) -> str:
    tables = metadata["databases"][croissant.DATABASE].get("tables") or {}
    lines = [
        f"# Data dictionary of {NAME} {version}",
        "",
        "Every column of every table in `downloads/` (Parquet and CSV.gz; the same tables are in "
        "`hub.db`), with the type of its Parquet column and the description the site shows.",
    ]
    for entry in manifest["tables"]:
        name = entry["table"]
        lines += [
            "",
            f"## {name}",
            "",
            f"{entry['rows']:,} rows. {(tables.get(name) or {}).get('description', '')}".rstrip(),
        ]
        lines += ["", "| column | type | description |", "|---|---|---|"]
        for r in rows:
            if r["table"] == name:
                text = r["description"].replace("|", "\\|").replace("\n", " ")
                lines.append(f"| `{r['column']}` | {r['type']} | {text} |")
    return "\n".join(lines) + "\n"


def sha256sums(folder: Path) -> str:
    """`sha256sum` lines of every file under folder but SHA256SUMS, in path order."""
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != SUMS)
    return "".join(f"{sha256_of(p)}  {p.relative_to(folder).as_posix()}\n" for p in paths)


def check_sums(folder: Path) -> list[str]:
    """The files whose sha256 differs from SHA256SUMS, or that it lists and are missing."""
    wrong = []
    for line in (folder / SUMS).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        path = folder / name
        if not path.is_file() or sha256_of(path) != digest:
            wrong.append(name)
    return wrong


def read_build(build: Path) -> tuple[Path, dict, dict]:
    database = build / "hub.db"
    try:
        metadata = json.loads((build / "metadata.json").read_text(encoding="utf-8"))
        manifest = json.loads((build / MOUNT / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ReleaseError(f"{build}: {e} (run `make build` first)") from None
    if not database.exists():
        raise ReleaseError(f"{database} is missing: run `make build` first")
    if sha256_of(database.resolve()) != manifest["database"]["sha256"]:
        raise ReleaseError(f"{database} is not the database {build / MOUNT / MANIFEST} describes: rebuild")
    return database, metadata, manifest


def write_release(build: Path, out: Path) -> Path:
    """build/release/hub-versioning-<version>/ from the build folder; returns the folder."""
    build, out = Path(build), Path(out)
    version, _released = version_of()
    database, metadata, manifest = read_build(build)
    folder = out / f"{NAME}-{version}"
    staging = out / f".{folder.name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / MOUNT).mkdir(parents=True)
    try:
        shutil.copyfile(database.resolve(), staging / database.name)
        files = [f["file"] for t in manifest["tables"] for f in t["files"]] + [MANIFEST]
        for name in files:
            shutil.copyfile(build / MOUNT / name, staging / MOUNT / name)
        document = croissant.croissant(metadata, manifest, staging / MOUNT)
        _text(staging / croissant.FILE, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        shutil.copyfile(CITATION_CFF, staging / "CITATION.cff")
        _text(staging / ".zenodo.json", zenodo_json())
        shutil.copyfile(DATASHEET, staging / "datasheet.md")
        rows = dictionary_rows(metadata, manifest, staging / MOUNT)
        _text(staging / "data-dictionary.csv", dictionary_csv(rows))
        _text(staging / "data-dictionary.md", dictionary_markdown(rows, metadata, manifest, version))
        for name, source in LICENSES.items():
            (staging / name).parent.mkdir(exist_ok=True)
            shutil.copyfile(source, staging / name)
        _text(staging / SUMS, sha256sums(staging))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def digest_of_sums(folder: Path) -> str:
    return hashlib.sha256((folder / SUMS).read_bytes()).hexdigest()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=Path("build"))
    parser.add_argument("--out", type=Path, default=Path("build") / "release")
    args = parser.parse_args(argv)
    try:
        folder = write_release(args.build, args.out)
    except (ReleaseError, croissant.CroissantError) as e:
        print(f"release: {e}", file=sys.stderr)
        return 1
    files = (folder / SUMS).read_text(encoding="utf-8").count("\n")
    print(f"{folder}: {files} files, checksums in {SUMS} (sha256 of it: {digest_of_sums(folder)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
