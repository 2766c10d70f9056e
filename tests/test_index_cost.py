"""scripts/dev/index_cost.py on the fixture's built database: every index made again on a copy,
timed, and the database itself left as it was."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from scripts.dev import index_cost


def own_indexes(db, columns: str = "name, tbl_name") -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(
            f"select {columns} from sqlite_master where type = 'index' and sql is not null"
        ).fetchall()
    finally:
        conn.close()


def test_every_index_is_made_again_on_a_copy(fixture_db, tmp_path):
    before = hashlib.sha256(fixture_db.read_bytes()).hexdigest()
    copy = tmp_path / "copy.db"
    costs = index_cost.index_costs(fixture_db, copy)
    assert [(c["index"], c["table"]) for c in costs] == own_indexes(fixture_db)
    assert any(c["index"] == "idx_model_tags_tag_model" for c in costs)
    assert not copy.exists()
    assert hashlib.sha256(fixture_db.read_bytes()).hexdigest() == before
    # Kept, the copy holds every index again, as the database declares it.
    index_cost.index_costs(fixture_db, copy, keep=True)
    assert sorted(own_indexes(copy, "name, sql")) == sorted(own_indexes(fixture_db, "name, sql"))


def test_the_command_line_lists_the_costliest_and_the_total(fixture_db, tmp_path, capsys):
    assert index_cost.main([str(fixture_db), "--copy", str(tmp_path / "c.db"), "--top", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and lines[-1].startswith(f"{len(own_indexes(fixture_db))} indexes: ")
    listed = [float(line.split()[0]) for line in lines[1:4]]
    assert listed == sorted(listed, reverse=True)
    assert index_cost.main([str(fixture_db), "--copy", str(tmp_path / "c.db"), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == len(own_indexes(fixture_db))


def test_a_missing_database_or_the_database_as_its_own_copy_is_refused(fixture_db, tmp_path, capsys):
    with pytest.raises(SystemExit) as refused:
        index_cost.main([str(tmp_path / "nothing.db")])
    assert refused.value.code == 2 and "nothing.db: no such database file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        index_cost.main([str(fixture_db), "--copy", str(fixture_db)])
    assert refused.value.code == 2 and "is the database itself" in capsys.readouterr().err
