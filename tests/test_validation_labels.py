"""validation_labels: the vendored labels, beside the same build's classification of each id."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3

import pytest

from scripts.load.validation import VALIDATION_DIR, ValidationError, read_labels

LABELS_FILE = VALIDATION_DIR / "labels-2024-07-11.jsonl"
GROUP_LABELS_FILE = VALIDATION_DIR / "group-labels-2024-07-11.jsonl"


def rows(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def test_every_label_line_is_a_row(fixture_db):
    table = {r["model_id"]: r for r in rows(fixture_db, "select * from validation_labels")}
    lines = [json.loads(line) for line in LABELS_FILE.read_text(encoding="utf-8").splitlines()]
    group_lines = [json.loads(line) for line in GROUP_LABELS_FILE.read_text(encoding="utf-8").splitlines()]
    assert (len(lines), len(group_lines)) == (600, 569)
    assert len(table) == 1169
    for label in lines + group_lines:
        row = table[label["id"]]
        assert row["stratum"] == label.get("stratum", label.get("group", "").partition(":")[0])
        assert row["label_group"] == label.get("group")
        assert row["group_size"] == label.get("group_size")
        assert row["own_version"] == int(label["own_version"])
        assert row["any_marker"] == int(label["any_marker"])
        assert row["agreement"] == label["agreement"]
        for m in label["markers"]:
            assert f"{m['text']} ({m['form']}, {m['refers_to']})" in row["label_markers"]


def test_classifier_columns_are_the_builds_classification(fixture_db):
    """Each labelled id's classifier columns equal model_versioning and version_markers of the same
    id in the labelled census, and the decision follows from the two own_version values."""
    got = rows(
        fixture_db,
        """select v.*, m.own_version as mv_own, m.primary_form as mv_form, m.model as mv_model,
                  (select group_concat(text, ' ') from (select text from version_markers k
                    where k.model = m.model order by marker_index)) as mv_texts
           from validation_labels v join model_versioning m
             on m.model_id = v.model_id and m.snapshot = '2024-07-11'""",
    )
    assert len(got) == 1169  # the fixture's cut keeps every labelled id
    expected = {(1, 1): "agree", (0, 0): "agree", (0, 1): "false positive", (1, 0): "false negative"}
    for r in got:
        assert r["model"] == r["mv_model"]
        assert r["classifier_own_version"] == r["mv_own"]
        assert r["classifier_form"] == r["mv_form"]
        assert r["decision"] == expected[(r["own_version"], r["mv_own"])]
        texts = [part.rsplit(" (", 1)[0] for part in (r["classifier_markers"] or "").split("; ") if part]
        assert " ".join(texts) == (r["mv_texts"] or "")
    assert {r["decision"] for r in got} >= {"agree", "false positive", "false negative"}


def test_accuracy_table_counts_the_decisions(fixture_db):
    acc = {r["stratum"]: r for r in rows(fixture_db, "select * from classifier_accuracy")}
    subsets = {
        "all": ("label_group is null", ()),
        "groups": ("label_group is not null", ()),
        "all labels": ("1", ()),
    }
    assert {"company:Apple", "task:text-generation", "rl", "groups", "all labels"} <= set(acc)
    for stratum, r in acc.items():
        where, params = subsets.get(
            stratum,
            ("label_group = ?" if ":" in stratum else "stratum = ? and label_group is null", (stratum,)),
        )
        counted = rows(
            fixture_db,
            f"select decision, own_version, count(*) as n from validation_labels where {where} group by 1, 2",
            params,
        )
        n = {(c["decision"], c["own_version"]): c["n"] for c in counted}
        tp, fp, fn = n.get(("agree", 1), 0), n.get(("false positive", 0), 0), n.get(("false negative", 1), 0)
        assert (r["true_positives"], r["false_positives"], r["false_negatives"]) == (tp, fp, fn)
        if tp + fp:
            assert r["precision"] == round(tp / (tp + fp), 4)
        if tp + fn:
            assert r["recall"] == round(tp / (tp + fn), 4)
    assert acc["uniform"]["labelled_share"] == round(26 / 300, 4)  # MANIFEST.json: 26 of 300


def test_disagreements_are_one_click_away(site):
    page = site.get("/hub/validation_labels.json?decision__not=agree&_shape=array&_size=max").json()
    assert page and all(r["decision"] in ("false positive", "false negative") for r in page)
    html = site.get("/hub/validation_labels?decision=false+positive").text
    assert "/hub/models/" in html  # each row links to its model


def _copy(tmp_path):
    dest = tmp_path / "validation"
    shutil.copytree(VALIDATION_DIR, dest)
    return dest


def _rewrite(folder, lines):
    path = folder / "labels-2024-07-11.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    manifest = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
    manifest["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / "MANIFEST.json").write_text(json.dumps(manifest), encoding="utf-8")
    return path


def test_vendored_file_matches_its_manifest():
    manifest, labels = read_labels(VALIDATION_DIR)
    assert hashlib.sha256(LABELS_FILE.read_bytes()).hexdigest() == manifest["sha256"]
    groups = manifest["group_labels"]
    assert hashlib.sha256(GROUP_LABELS_FILE.read_bytes()).hexdigest() == groups["sha256"]
    assert len(labels) == manifest["records"] + groups["records"]
    # same bytes as the shared material's README, which describes both files
    assert (
        hashlib.sha256((VALIDATION_DIR / "README.md").read_bytes()).hexdigest()
        == (manifest["files_sha256"]["README.md"])
    )


def test_a_group_label_with_a_wrong_group_size_is_refused_with_file_and_line(tmp_path):
    folder = _copy(tmp_path)
    path = folder / GROUP_LABELS_FILE.name
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[9])
    record["group_size"] += 1
    lines[9] = json.dumps(record) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    manifest = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
    manifest["group_labels"]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / "MANIFEST.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ValidationError, match=rf"{path.name}:10: group_size"):
        read_labels(folder)


def test_a_changed_file_is_refused_by_its_sha256(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "labels-2024-07-11.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"own_version": true', b'"own_version": false', 1))
    with pytest.raises(ValidationError, match=r"labels-2024-07-11\.jsonl: sha256 .* MANIFEST\.json says"):
        read_labels(folder)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda r: r.update(form=1) or r.update(own_version="yes"), "'own_version' missing or not bool"),
        (lambda r: r.update(stratum="popular"), "stratum 'popular' is not one of"),
        (lambda r: r["markers"].append({"text": "v9", "form": "vee", "refers_to": "self"}), "marker"),
    ],
)
def test_a_bad_line_is_refused_with_file_and_line(tmp_path, damage, message):
    folder = _copy(tmp_path)
    lines = LABELS_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[41])
    damage(record)
    lines[41] = json.dumps(record) + "\n"
    path = _rewrite(folder, lines)
    with pytest.raises(ValidationError, match=rf"{path.name}:42: .*{message}"):
        read_labels(folder)


def test_a_missing_line_is_refused_by_the_counts(tmp_path):
    folder = _copy(tmp_path)
    lines = LABELS_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    _rewrite(folder, lines[:-1])
    with pytest.raises(ValidationError, match="599 labels, MANIFEST.json says 600"):
        read_labels(folder)
