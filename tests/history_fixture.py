"""The weight-changes snapshot of the fixture: the vendored rows of the models the census cut kept,
and the rows of every 50th model of the file besides, most of them absent from the cut (so the
fixture holds rows that link to no census model, as the real snapshot does)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import read_manifest
from scripts.snapshot.write import write_snapshot

DATA_FILE = "weight_file_changes.csv.gz"


def cut_weight_changes(source: Path, dest: Path, census: Path, every: int = 50) -> int:
    """Write the cut into dest (with write_snapshot); returns its data rows."""
    with gzip.open(census / read_manifest(census)["file"], "rb") as f:
        in_census = {json.loads(line)["id"] for line in f}
    manifest = read_manifest(source)
    rows = models = 0

    def lines():
        nonlocal rows, models
        chosen: dict[str, bool] = {}
        with open(source / manifest["file"], "rb") as f:
            yield f.readline()  # the header
            for line in f:
                owner, name = next(csv.reader([line.decode("utf-8")]))[:2]
                model_id = f"{owner}/{name}"
                if model_id not in chosen:
                    chosen[model_id] = model_id in in_census or len(chosen) % every == 0
                    models += chosen[model_id]
                if chosen[model_id]:
                    rows += 1
                    yield line

    def described(_lines: int) -> dict:
        caveat = f"test fixture: the rows of {models} models, {rows} records"
        return {**manifest, "models": models, "header_lines": 1, "caveats": manifest["caveats"] + [caveat]}

    write_snapshot(dest, SnapshotKind.WEIGHT_CHANGES, lines(), described, data_file=DATA_FILE)
    return rows
