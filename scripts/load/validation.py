"""Load stage: the hand-labelled validation sample (data/validation) into `validation_labels`.

Each labelled id sits beside the classifier's reading of the same id in the same build (its
markers, own-version decision and primary form from model_versioning / version_markers) and the
decision that compares them: agree, false positive or false negative (on own_version), so that
every disagreement is one facet away. `classifier_accuracy` then states the classifier's
precision, recall, F1 and specificity per stratum, computed from that table, and
`validation_sample` the sample's provenance and the annotators' agreement from its MANIFEST.

The labels file is checked against the sha256 in MANIFEST.json; a bad line is refused with its
file and line number.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import NamedTuple

import sqlite_utils

from scripts import schema
from scripts.classify import FORMS, REFERS_TO
from scripts.derive.estimates import band_sql, scheme

VALIDATION_DIR = Path(__file__).resolve().parents[2] / "data" / "validation"
AGREEMENT = ("both", "adjudicated")
DECISIONS = ("agree", "false positive", "false negative")


class ValidationError(Exception):
    """A validation file that cannot be loaded; the message names the file (and line)."""


class Label(NamedTuple):
    n: int
    model_id: str
    stratum: str
    markers: tuple[tuple[str, str, str], ...]  # (text, form, refers_to) in name order
    own_version: bool
    any_marker: bool
    agreement: str
    note: str
    group: str | None = None  # group labels only: `company:<name>` or `task:<pipeline_tag>`
    group_size: int | None = None  # the group's model count in the census


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / "MANIFEST.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ValidationError(f"{path}: {e}") from e
    for field in ("file", "sha256", "records", "census", "strata"):
        if field not in manifest:
            raise ValidationError(f"{path}: no {field!r}")
    return manifest


def parse_label(line: str, where: str, strata, groups=None) -> Label:
    """One line of a labels file; ValidationError naming `where` (file:line) if it is bad.

    With `groups` (the group labels' MANIFEST entry) the line carries `group` and `group_size`
    instead of `stratum`; its stratum is the group's kind (`company` or `task`)."""
    try:
        r = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValidationError(f"{where}: not JSON: {e}") from e
    if not isinstance(r, dict):
        raise ValidationError(f"{where}: not a JSON object")
    if groups is not None:
        if r.get("group") not in groups:
            raise ValidationError(f"{where}: group {r.get('group')!r} is not one of {sorted(groups)}")
        if r.get("group_size") != groups[r["group"]]["group_size"]:
            raise ValidationError(f"{where}: group_size {r.get('group_size')!r} differs from MANIFEST.json")
        r["stratum"] = r["group"].partition(":")[0]
    checks = [
        ("n", int),
        ("id", str),
        ("stratum", str),
        ("own_version", bool),
        ("any_marker", bool),
        ("markers", list),
        ("agreement", str),
        ("note", str),
    ]
    for field, kind in checks:
        if not isinstance(r.get(field), kind):
            raise ValidationError(f"{where}: {field!r} missing or not {kind.__name__}")
    if r["stratum"] not in strata:
        raise ValidationError(
            f"{where}: stratum {r['stratum']!r} is not one of the MANIFEST's {sorted(strata)}"
        )
    if r["agreement"] not in AGREEMENT:
        raise ValidationError(f"{where}: agreement {r['agreement']!r} is not one of {AGREEMENT}")
    markers = []
    for m in r["markers"]:
        if not isinstance(m, dict) or m.get("form") not in FORMS or m.get("refers_to") not in REFERS_TO:
            raise ValidationError(
                f"{where}: marker {m!r} needs a text, a form of {FORMS} and a refers_to of {REFERS_TO}"
            )
        if not isinstance(m.get("text"), str) or not m["text"]:
            raise ValidationError(f"{where}: marker {m!r} has no text")
        markers.append((m["text"], m["form"], m["refers_to"]))
    if r["own_version"] != any(m[2] == "self" for m in markers):
        raise ValidationError(f"{where}: own_version {r['own_version']} contradicts its markers")
    if r["any_marker"] != bool(markers):
        raise ValidationError(f"{where}: any_marker {r['any_marker']} contradicts its markers")
    return Label(
        r["n"],
        r["id"],
        r["stratum"],
        tuple(markers),
        r["own_version"],
        r["any_marker"],
        r["agreement"],
        r["note"],
        r.get("group"),
        r.get("group_size"),
    )


def _read_file(folder: Path, entry: dict, strata, groups=None) -> list[Label]:
    """The labels of one file named by a MANIFEST entry, checked against its sha256 and count."""
    path = folder / entry["file"]
    if not path.is_file():
        raise ValidationError(f"{path}: missing (named by {folder / 'MANIFEST.json'})")
    digest = _sha256(path)
    if digest != entry["sha256"]:
        raise ValidationError(f"{path}: sha256 {digest}, but MANIFEST.json says {entry['sha256']}")
    labels = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                raise ValidationError(f"{path}:{lineno}: empty line")
            labels.append(parse_label(line, f"{path}:{lineno}", strata, groups))
    if len(labels) != entry["records"]:
        raise ValidationError(f"{path}: {len(labels)} labels, MANIFEST.json says {entry['records']}")
    return labels


def _check_counts(path: Path, what: str, expected: dict, labels: list[Label], key) -> None:
    """Each stratum's or group's ids and own versions as MANIFEST.json states them."""
    for name, stated in expected.items():
        got = [x for x in labels if key(x) == name]
        own = sum(x.own_version for x in got)
        if len(got) != stated.get("ids") or own != stated.get("own_version"):
            raise ValidationError(
                f"{path}: {what} {name}: {len(got)} ids, {own} own versions; MANIFEST.json says "
                f"{stated.get('ids')} and {stated.get('own_version')}"
            )


def read_labels(folder: Path = VALIDATION_DIR) -> tuple[dict, list[Label]]:
    """(manifest, labels) of a validation folder: the stratified sample, then the group labels
    (when MANIFEST.json names them), each file checked against its sha256 and counts."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    labels = _read_file(folder, manifest, manifest["strata"])
    _check_counts(folder / manifest["file"], "stratum", manifest["strata"], labels, lambda x: x.stratum)
    if group_entry := manifest.get("group_labels"):
        groups = group_entry["groups"]
        kinds = {name.partition(":")[0] for name in groups}
        group_labels = _read_file(folder, group_entry, kinds, groups)
        _check_counts(folder / group_entry["file"], "group", groups, group_labels, lambda x: x.group)
        labels += group_labels
    seen: dict[str, str] = {}
    for x in labels:
        where = f"{x.group or x.stratum} label n={x.n}"
        if x.model_id in seen:
            raise ValidationError(
                f"{folder}: id {x.model_id} ({where}) already labelled ({seen[x.model_id]})"
            )
        seen[x.model_id] = where
    return manifest, labels


def label_form(markers) -> str | None:
    """The primary form: the first marker that versions the model itself (as primary_form)."""
    return next((form for _, form, refers_to in markers if refers_to == "self"), None)


def decision(label: bool, classifier: bool | None) -> str | None:
    """agree / false positive / false negative; None when the id is not in the census."""
    if classifier is None:
        return None
    if bool(classifier) == bool(label):
        return "agree"
    return "false positive" if classifier else "false negative"


def format_markers(markers) -> str:
    """'v2 (v_major, environment); 7B ...': markers as a reader scans them."""
    return "; ".join(f"{text} ({form}, {refers_to})" for text, form, refers_to in markers)


def _classifications(db: sqlite_utils.Database, census: str, ids: list[str]) -> dict[str, dict]:
    """model_id -> the build's classification of that id in `census` (model_versioning row plus
    its markers as text)."""
    db.execute("create temp table if not exists _labelled_ids (model_id text primary key)")
    db.execute("delete from _labelled_ids")
    db.conn.executemany("insert into _labelled_ids values (?)", [(i,) for i in ids])
    rows = {
        r["model_id"]: r
        for r in db.query(
            f"""select m.model, m.model_id, m.own_version, m.marker_count, m.primary_form, m.pipeline_tag,
                       m.organization, m.downloads, {band_sql("m.downloads")} as band
                from _labelled_ids l
                -- each labelled id found through the census's id index, not a scan of every model
                cross join models i on i.snapshot = ? and i.id = l.model_id
                join model_versioning m on m.model = i.key""",
            [census],
        )
    }
    markers: dict[int, list] = {}
    keys = [r["model"] for r in rows.values()]
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for m in db.query(
            f"""select model, text, form, refers_to from version_markers
                where model in ({", ".join("?" * len(chunk))}) order by model, marker_index""",
            chunk,
        ):
            markers.setdefault(m["model"], []).append((m["text"], m["form"], m["refers_to"]))
    db.execute("drop table _labelled_ids")
    for r in rows.values():
        r["markers"] = markers.get(r["model"], [])
    return rows


def label_row(label: Label, census: str, c: dict | None) -> dict:
    """A validation_labels row: the label beside the classifier's reading (None: not in the census)."""
    form = label_form(label.markers)
    row = {
        "n": label.n,
        "model_id": label.model_id,
        "stratum": label.stratum,
        "label_group": label.group,
        "group_size": label.group_size,
        "label_markers": format_markers(label.markers),
        "own_version": int(label.own_version),
        "any_marker": int(label.any_marker),
        "label_form": form,
        "label_scheme": scheme(label.own_version, form),
        "agreement": label.agreement,
        "note": label.note or None,
        "model": c and c["model"],
        "snapshot": census if c else None,
        "pipeline_tag": c and c["pipeline_tag"],
        "organization": c and c["organization"],
        "downloads": c and c["downloads"],
        "band": c and c["band"],
        "classifier_markers": c and format_markers(c["markers"]),
        "classifier_own_version": c and c["own_version"],
        "classifier_any_marker": c and int(c["marker_count"] > 0),
        "classifier_form": c and c["primary_form"],
        "classifier_scheme": c and scheme(bool(c["own_version"]), c["primary_form"]),
        "decision": decision(label.own_version, c and c["own_version"]),
        "any_marker_decision": decision(label.any_marker, c and c["marker_count"] > 0),
    }
    return row


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def accuracy_row(stratum: str, rows: list[dict]) -> dict:
    """A classifier_accuracy row: own-version and any-marker confusion counts and rates."""
    found = [r for r in rows if r["decision"] is not None]
    tp = sum(r["own_version"] and r["classifier_own_version"] for r in found)
    fp = sum(r["decision"] == "false positive" for r in found)
    fn = sum(r["decision"] == "false negative" for r in found)
    tn = len(found) - tp - fp - fn
    a_tp = sum(r["any_marker"] and r["classifier_any_marker"] for r in found)
    a_fp = sum(r["any_marker_decision"] == "false positive" for r in found)
    a_fn = sum(r["any_marker_decision"] == "false negative" for r in found)
    return {
        "stratum": stratum,
        "ids": len(rows),
        "in_census": len(found),
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "true_negatives": tn,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "specificity": _ratio(tn, tn + fp),
        "labelled_share": _ratio(tp + fn, len(found)),
        "classifier_share": _ratio(tp + fp, len(found)),
        "any_marker_precision": _ratio(a_tp, a_tp + a_fp),
        "any_marker_recall": _ratio(a_tp, a_tp + a_fn),
        "any_marker_f1": _ratio(2 * a_tp, 2 * a_tp + a_fp + a_fn),
    }


def accuracy_subsets(manifest: dict) -> list[tuple[str, object]]:
    """(name, predicate on a row) of every subset the accuracy is stated for: `all` (the stratified
    sample of 600, as before the group labels), each stratum, `groups` (every group label), each
    group, and `all labels` (both files)."""
    strata = list(manifest["strata"])
    groups = list(manifest.get("group_labels", {}).get("groups", {}))
    subsets = [("all", lambda r: r["label_group"] is None)]
    subsets += [(s, lambda r, s=s: r["label_group"] is None and r["stratum"] == s) for s in strata]
    if groups:
        subsets.append(("groups", lambda r: r["label_group"] is not None))
        subsets += [(g, lambda r, g=g: r["label_group"] == g) for g in groups]
        subsets.append(("all labels", lambda r: True))
    return subsets


def accuracy_rows(manifest: dict, rows: list[dict]) -> list[dict]:
    """One accuracy_row per subset of accuracy_subsets; `rows` need `label_group` and `stratum`."""
    return [accuracy_row(name, [r for r in rows if keep(r)]) for name, keep in accuracy_subsets(manifest)]


def sample_row(manifest: dict) -> dict:
    """The validation_sample row: provenance and the annotators' agreement, from MANIFEST.json."""
    agreement = manifest.get("agreement", {})
    own, anym = agreement.get("own_version", {}), agreement.get("any_marker", {})
    uniform = manifest["strata"].get("uniform", {})
    return {
        "name": manifest.get("name"),
        "census": manifest["census"],
        "file": manifest["file"],
        "sha256": manifest["sha256"],
        "records": manifest["records"],
        "strata": ", ".join(f"{k} {v.get('ids')}" for k, v in manifest["strata"].items()),
        "uniform_ids": uniform.get("ids"),
        "uniform_own_version": uniform.get("own_version"),
        "annotators_agreed": agreement.get("both"),
        "adjudicated": agreement.get("adjudicated"),
        "own_version_kappa": own.get("cohen_kappa"),
        "own_version_ids_agreeing": own.get("ids_agreeing"),
        "any_marker_kappa": anym.get("cohen_kappa"),
        "any_marker_ids_agreeing": anym.get("ids_agreeing"),
        "provenance": manifest.get("provenance"),
        "license": manifest.get("license"),
    }


def load_validation(db: sqlite_utils.Database, folder: Path = VALIDATION_DIR) -> int:
    """validation_labels, classifier_accuracy and validation_sample from `folder`, read beside this
    build's classification (model_versioning must be complete); returns the number of labels."""
    manifest, labels = read_labels(folder)
    census = manifest["census"]
    found = _classifications(db, census, [x.model_id for x in labels])
    rows = [label_row(x, census, found.get(x.model_id)) for x in labels]
    db.conn.executemany(schema.VALIDATION_LABELS.insert, [schema.ValidationLabel(**r) for r in rows])
    accuracy = accuracy_rows(manifest, rows)
    db.conn.executemany(schema.CLASSIFIER_ACCURACY.insert, [schema.ClassifierAccuracy(**r) for r in accuracy])
    db.conn.execute(schema.VALIDATION_SAMPLE.insert, schema.ValidationSample(**sample_row(manifest)))
    schema.create_indexes(db, "validation_labels")
    return len(rows)
