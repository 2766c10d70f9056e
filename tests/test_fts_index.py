"""Full-text indexes made apart and copied in (scripts/fts_index.py): the model ids' index of the
fixture build made again in a file of its own and copied into a copy of the build holds the
same rows; a copy that does not index every row of its content table is refused, naming the file;
indexes of the same rows inserted in another order hold the same entries (index_entries_digest)."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
import sqlite_utils

from scripts import fts_index
from scripts.load import census

SHADOWS = [f"{census.FTS_TABLE}_{s}" for s in fts_index.SHADOW_TABLES]
ID_ORDER = "select model, model_id from source.model_versioning order by snapshot, model_id"


def shadow_rows(path) -> dict[str, list]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return {t: conn.execute(f"select * from [{t}] order by 1").fetchall() for t in SHADOWS}


def test_the_index_made_apart_and_copied_in_is_the_builds(fixture_db, tmp_path):
    db_path = tmp_path / "hub.db"
    shutil.copyfile(fixture_db, db_path)
    built = census.build_fts(tmp_path / "fts.db", fixture_db)
    db = sqlite_utils.Database(db_path)
    db.execute(f"drop table [{census.FTS_TABLE}]")
    census.attach_fts(db, built)
    db.close()
    copied = shadow_rows(db_path)
    assert copied == shadow_rows(fixture_db) and len(copied[SHADOWS[2]]) > 1000  # docsize: one per id
    with sqlite3.connect(db_path) as conn:
        found = conn.execute(
            f"select count(*) from [{census.FTS_TABLE}] where [{census.FTS_TABLE}] match 'bert'"
        )
        assert found.fetchone()[0] > 10


def test_an_index_of_other_rows_is_refused(fixture_db, tmp_path):
    db_path = tmp_path / "hub.db"
    shutil.copyfile(fixture_db, db_path)
    # The ids of one census only: fewer rows than `models` holds.
    built = census.build_fts(
        tmp_path / "fts.db",
        fixture_db,
        "select model, model_id from source.model_versioning where snapshot = '2022-02-21'",
    )
    db = sqlite_utils.Database(db_path)
    db.execute(f"drop table [{census.FTS_TABLE}]")
    with pytest.raises(
        RuntimeError, match=rf"{built}: the full-text index models_fts holds \d+ rows, models has \d+"
    ):
        census.attach_fts(db, built)
    db.close()


def entries(path) -> tuple[int, str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return fts_index.index_entries_digest(conn, census.FTS_TABLE)


def test_the_same_rows_in_another_order_make_the_same_entries(fixture_db, tmp_path):
    by_rowid = census.build_fts(tmp_path / "by_rowid.db", fixture_db)
    by_id = census.build_fts(tmp_path / "by_id.db", fixture_db, ID_ORDER)
    layout = [f"{census.FTS_TABLE}_{s}" for s in fts_index.LAYOUT_TABLES]
    rows_by_rowid, rows_by_id = shadow_rows(by_rowid), shadow_rows(by_id)
    assert [rows_by_rowid[t] for t in layout] != [rows_by_id[t] for t in layout]  # segments differ
    count, digest = entries(by_rowid)
    assert (count, digest) == entries(by_id) and count > 5000
    # index_entries_digest reads the vocabulary table unsorted: it must come in sorted order.
    with sqlite3.connect(by_id) as conn:
        conn.execute(f"create virtual table temp.v using fts5vocab(main, [{census.FTS_TABLE}], 'instance')")
        got = conn.execute("select term, doc, col, offset from temp.v").fetchall()
    assert got == sorted(got) and len(got) == count


def test_an_index_of_one_changed_id_has_other_entries(fixture_db, tmp_path):
    built = census.build_fts(tmp_path / "fts.db", fixture_db)
    changed = census.build_fts(
        tmp_path / "changed.db",
        fixture_db,
        "select model, case when model = (select min(model) from source.model_versioning)"
        " then model_id || '-v2' else model_id end from source.model_versioning order by model",
    )
    (count, digest), (changed_count, changed_digest) = entries(built), entries(changed)
    assert changed_count == count + 1 and changed_digest != digest
