"""The whole-table downloads the build writes (build/downloads/), read back from the files and through
the site, against the database they were written from."""

import csv
import gzip
import io
import json
import sqlite3
from contextlib import closing

import pyarrow.parquet as pq
import pytest

from scripts.publish import downloads


@pytest.fixture(scope="module")
def manifest(fixture_build):
    found = downloads.read_manifest(fixture_build / downloads.MOUNT)
    assert found is not None, "the build wrote no downloads manifest"
    return found


@pytest.fixture(scope="module")
def db(fixture_db):
    conn = sqlite3.connect(fixture_db)
    yield conn
    conn.close()


def entries(manifest):
    return {t["table"]: t for t in manifest["tables"]}


def test_every_wanted_table_is_there(manifest, db):
    tables = entries(manifest)
    for wanted in ("models", "model_versioning", "version_markers", "summary_tasks", "summary_families"):
        assert wanted in tables
    present = {r[0] for r in db.execute("select name from sqlite_master where type = 'table'")}
    assert {t for t in present if t.startswith("validation_")} <= set(tables)


def test_sha256_and_size_as_stated(manifest, fixture_build):
    folder = fixture_build / downloads.MOUNT
    for table in manifest["tables"]:
        for f in table["files"]:
            path = folder / f["file"]
            assert path.stat().st_size == f["bytes"], f["file"]
            assert downloads.sha256_of(path) == f["sha256"], f["file"]
    database = manifest["database"]
    assert downloads.sha256_of(fixture_build / database["file"]) == database["sha256"]
    inspect = json.loads((fixture_build / "inspect.json").read_text())
    assert inspect["hub"]["hash"] == database["sha256"]


@pytest.mark.parametrize("table", ["models", "model_versioning", "version_markers", "summary_families"])
def test_csv_holds_every_row(manifest, fixture_build, db, table):
    entry = entries(manifest)[table]
    path = fixture_build / downloads.MOUNT / f"{table}.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    columns = [r[1] for r in db.execute(f"pragma table_info([{table}])")]
    assert header == columns
    expected = db.execute(f"select * from [{table}] order by rowid").fetchall()
    assert len(body) == len(expected) == entry["rows"]
    # CSV has no types and writes NULL as an empty field: compare as text.
    as_text = [["" if v is None else str(v) for v in row] for row in expected]
    assert [[_same_float(v) for v in row] for row in body] == [
        [_same_float(v) for v in row] for row in as_text
    ]


def _same_float(text: str) -> str:
    # Numbers compare by value: the CSV writer prints the real 1.0 as 1.
    try:
        return repr(round(float(text), 12))
    except ValueError:
        return text


@pytest.mark.parametrize("table", ["models", "model_versioning", "summary_families", "summary_tasks"])
def test_parquet_reads_back_every_row(manifest, fixture_build, db, table):
    read = pq.read_table(fixture_build / downloads.MOUNT / f"{table}.parquet")
    expected = db.execute(f"select * from [{table}] order by rowid").fetchall()
    assert read.num_rows == len(expected) == entries(manifest)[table]["rows"]
    assert [tuple(r.values()) for r in read.to_pylist()] == expected


def test_integer_columns_stay_integers(fixture_build):
    schema = pq.read_schema(fixture_build / downloads.MOUNT / "summary_tasks.parquet")
    assert str(schema.field("models").type) == "int64"
    assert str(schema.field("snapshot").type) == "string"


def test_a_table_written_twice_has_the_same_sha256(fixture_db, tmp_path):
    with closing(downloads.open_read_only(fixture_db)) as conn:
        first = downloads.export_table(conn, "summary_tasks", _folder(tmp_path / "a"))
        second = downloads.export_table(conn, "summary_tasks", _folder(tmp_path / "b"))
    assert [f["sha256"] for f in first["files"]] == [f["sha256"] for f in second["files"]]


def test_a_failed_export_leaves_the_previous_folder(fixture_db, tmp_path, monkeypatch):
    out = tmp_path / "downloads"
    _folder(out).joinpath(downloads.MANIFEST).write_text('{"tables": []}')

    def broken(conn, table, folder, batch=downloads.BATCH):
        raise downloads.DownloadError(f"table {table}: disk full")

    monkeypatch.setattr(downloads, "export_table", broken)
    with pytest.raises(downloads.DownloadError):
        downloads.write_downloads(fixture_db, out)
    assert downloads.read_manifest(out) == {"tables": []}
    assert [p.name for p in tmp_path.iterdir()] == ["downloads"]


def test_site_serves_the_files_as_downloads(site, fixture_build, manifest):
    for name, kind in (("model_versioning.csv.gz", "application/gzip"), ("models.parquet", "parquet")):
        response = site.get(f"/{downloads.MOUNT}/{name}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
        assert "attachment" in response.headers["content-disposition"]
        assert response.content == (fixture_build / downloads.MOUNT / name).read_bytes()
    with gzip.open(io.BytesIO(site.get(f"/{downloads.MOUNT}/models.csv.gz").content), "rt") as f:
        assert sum(1 for _ in csv.reader(f)) == entries(manifest)["models"]["rows"] + 1


def test_database_file_downloads(site, fixture_build):
    response = site.get("/hub.db")
    assert response.status_code == 200
    assert len(response.content) == (fixture_build / "hub.db").stat().st_size


def _folder(path):
    path.mkdir(parents=True)
    return path


def test_tables_exported_early_are_taken_as_written(fixture_db, tmp_path, db):
    """What the build does with the tables final after the load: exported apart (export_tables,
    in its own process during the derive stage), then moved in by write_downloads unchanged."""
    early = tmp_path / "early"
    entries_early = downloads.export_tables([(str(fixture_db), "models")], str(early))
    out = tmp_path / "downloads"
    manifest = downloads.write_downloads(fixture_db, out, exported=(early, entries_early))
    (models,) = [t for t in manifest["tables"] if t["table"] == "models"]
    assert models == entries_early[0]
    assert models["rows"] == db.execute("select count(*) from models").fetchone()[0] > 0
    assert not list(early.iterdir())  # moved, not copied
    for f in models["files"]:
        assert downloads.sha256_of(out / f["file"]) == f["sha256"]
    # the rest exported as before, in the same order
    assert [t["table"] for t in manifest["tables"]] == downloads.downloadable_tables(db)


def test_a_table_changed_after_its_early_export_is_refused(fixture_db, tmp_path):
    early = tmp_path / "early"
    (entry,) = downloads.export_tables([(str(fixture_db), "models")], str(early))
    entry["rows"] += 1  # as if a stage after the load had added a model
    with pytest.raises(downloads.DownloadError, match="table models: .* when it was exported early"):
        downloads.write_downloads(fixture_db, tmp_path / "downloads", exported=(early, [entry]))
    assert [p.name for p in tmp_path.iterdir()] == ["early"]


@pytest.mark.parametrize("batch, row_group", [(300, 1000), (997, 1000), (1000, 1000), (5000, 700)])
def test_the_batches_do_not_change_the_files(fixture_db, tmp_path, monkeypatch, batch, row_group):
    """Rows are read `batch` at a time and gathered into Parquet row groups of ROW_GROUP rows:
    the CSV (decompressed: gzip's bytes follow the writes) and the Parquet file are byte for
    byte those written a row group at a time, whatever the batch."""
    table = "models"
    monkeypatch.setattr(downloads, "ROW_GROUP", row_group)
    with closing(downloads.open_read_only(fixture_db)) as conn:
        rows = conn.execute(f"select count(*) from [{table}]").fetchone()[0]
        assert rows > 2 * row_group  # several groups, and a shorter last one
        batched = downloads.export_table(conn, table, _folder(tmp_path / "batched"), batch=batch)
        whole = downloads.export_table(conn, table, _folder(tmp_path / "whole"), batch=row_group)
    csv_gz = f"{table}.csv.gz"
    assert gzip.decompress((tmp_path / "batched" / csv_gz).read_bytes()) == gzip.decompress(
        (tmp_path / "whole" / csv_gz).read_bytes()
    )
    assert batched["files"][1]["sha256"] == whole["files"][1]["sha256"]  # the Parquet file
    metadata = pq.read_metadata(tmp_path / "batched" / f"{table}.parquet")
    sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert sizes == [row_group] * (rows // row_group) + ([rows % row_group] if rows % row_group else [])
