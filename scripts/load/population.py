"""Load stage for a model-population snapshot: every model id of a study's population, as the study
listed it (`owner,model_name,pipeline,variants`), into `population_models`.

The population of Ajibode et al. is the one the weight-changes snapshot was drawn from, so a model
listed here and absent there had no weight file rewritten: the control group of
scripts/derive/rewrites.py. Every row is checked (model_name a Hub model id, a variant, the
manifest's counts of records and distinct models) and a bad row is refused with its file and line.
A model listed twice is kept once, with the number of times it is listed (`listed`); the owner
column is kept as written (a spreadsheet turned some owners into dates, `24-Jul`); the id is
model_name's. The rows are linked to the headline census by scripts/derive/rewrites.py.
"""

from __future__ import annotations

import sqlite_utils

from scripts import schema
from scripts.load.csv_rows import check_rows, csv_rows, model_id
from scripts.snapshot.read import Snapshot, SnapshotError, verify

HEADER = ("owner", "model_name", "pipeline", "variants")
VARIANTS = ("finetuned", "quantized", "compressed", "deduplicated")


def read_population(snapshot: Snapshot) -> list[schema.PopulationModel]:
    """One row per distinct model id, checked (see the module's docstring); sha256 first."""
    verify(snapshot)
    path = snapshot.data_file
    rows: dict[str, schema.PopulationModel] = {}
    records = 0
    for line, (owner, name, pipeline, variant) in csv_rows(path, HEADER):
        where = f"{path}:{line}"
        model = model_id(where, "model_name", name)
        if variant not in VARIANTS:
            raise SnapshotError(f"{where}: variants {variant!r} is not one of {', '.join(VARIANTS)}")
        records += 1
        if model in rows:
            rows[model] = rows[model]._replace(listed=rows[model].listed + 1)
            continue
        rows[model] = schema.PopulationModel(
            snapshot.name, model, owner, pipeline or None, variant, line, 1, None, None, None, None
        )
    check_rows(snapshot, path, snapshot.manifest.get("records"), records)
    check_rows(snapshot, path, snapshot.manifest.get("models"), len(rows), "distinct model ids")
    return list(rows.values())


def load_population(db: sqlite_utils.Database, snapshot: Snapshot) -> int:
    """Insert the snapshot's checked rows into population_models; returns the records read."""
    rows = read_population(snapshot)
    db.conn.executemany(schema.POPULATION_MODELS.insert, rows)
    return sum(r.listed for r in rows)
