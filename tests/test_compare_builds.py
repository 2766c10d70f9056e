"""The tool that shows two builds hold the same content (scripts/dev/compare_builds.py)."""

import gzip
import shutil
import sqlite3

from scripts.dev import compare_builds


def test_a_build_equals_itself_and_a_copy_recompressed(fixture_build, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(fixture_build, copy, symlinks=False)
    # The same rows gzipped at another level: other bytes, the same content.
    csv_gz = copy / "downloads" / "models.csv.gz"
    data = gzip.decompress(csv_gz.read_bytes())
    csv_gz.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    found, counts = compare_builds.compare(fixture_build, copy)
    assert found == []
    assert counts["tables"] > 40 and counts["downloads"] > 20 and counts["figures"] > 0


def test_changed_rows_order_and_files_are_reported(fixture_build, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(fixture_build, copy, symlinks=False)
    with sqlite3.connect(copy / "hub.db") as conn:
        conn.execute("update findings set answer = answer || '.' where rowid = 1")
        # The same rows of snapshots in another rowid order: a difference for the site and downloads.
        conn.execute("create table shuffled as select * from snapshots order by snapshot desc")
        conn.execute("delete from snapshots")
        conn.execute("insert into snapshots select * from shuffled")
        conn.execute("drop table shuffled")
    csv_gz = copy / "downloads" / "model_versioning.csv.gz"
    data = gzip.decompress(csv_gz.read_bytes())
    csv_gz.write_bytes(gzip.compress(data.replace(b"\n", b"\r\n", 1), mtime=0))
    figure = next((copy / "figures").iterdir())
    figure.write_bytes(figure.read_bytes() + b" ")
    found, _ = compare_builds.compare(fixture_build, copy)
    assert [line.split(":")[0] for line in found] == [
        "table findings",
        "table snapshots",
        "downloads model_versioning.csv.gz",
        f"figures {figure.name}",
    ]
    assert compare_builds.main([str(fixture_build), str(copy)]) == 1


def test_a_full_text_index_is_compared_by_its_entries(fixture_build, tmp_path):
    """Rebuilt with its rows inserted in another order, the models' index has other segments and
    the same entries: equal; one id indexed under another text is a difference."""
    copy = tmp_path / "copy"
    shutil.copytree(fixture_build, copy, symlinks=False)
    refill = "insert into models_fts (rowid, id) select key, {id} from models order by {order}"
    with sqlite3.connect(copy / "hub.db") as conn:
        conn.execute("insert into models_fts (models_fts) values ('delete-all')")
        conn.execute(refill.format(id="id", order="id desc"))
        for shadow in ("data", "idx"):  # statistics of the new segments
            conn.execute(f"analyze models_fts_{shadow}")
        stats = conn.execute(
            "select * from sqlite_stat1 where tbl like 'models_fts_%' order by 1, 2"
        ).fetchall()
    with sqlite3.connect(fixture_build / "hub.db") as conn:
        assert (
            stats
            != conn.execute(
                "select * from sqlite_stat1 where tbl like 'models_fts_%' order by 1, 2"
            ).fetchall()
        )
    found, _ = compare_builds.compare(fixture_build, copy)
    assert found == []
    with sqlite3.connect(copy / "hub.db") as conn:
        conn.execute("insert into models_fts (models_fts) values ('delete-all')")
        conn.execute(refill.format(id="replace(id, 'bert', 'bart')", order="key"))
    found, _ = compare_builds.compare(fixture_build, copy)
    assert [line.split(":")[0] for line in found] == ["table models_fts index entries"]
