"""The Hub seen as a registry (scripts/derive/hub_registry.py).

Two kinds of check:
- a small hand-made Hub, classified by the real classifier, whose registry numbering, order
  conflicts, placeholder dates and gaps are known from the names and dates alone;
- the tables built by the real build from a cut of the 2024-07-11 census, compared with a
  straightforward Python reading of the same rule over the same rows, and served by Datasette.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

import pytest
import sqlite_utils

from scripts import schema
from scripts.classify import classify_name
from scripts.derive.hub_registry import derive_hub_registry


def marker_fields(m) -> dict:
    """A classifier Marker as version_markers columns (its evidence is not needed here)."""
    return {k: v for k, v in m._asdict().items() if k != "evidence"}


# (snapshot, id, created_at, placeholder)
HAND_MADE = [
    ("2024", "acme/widget-v1", "2024-01-10T00:00:00.000Z", 0),
    ("2024", "acme/widget-v3", "2024-03-10T00:00:00.000Z", 0),
    ("2024", "acme/widget-v2", "2024-05-10T00:00:00.000Z", 0),  # v2 after v3: a conflict
    ("2024", "acme/tool-v1", "2024-01-01T00:00:00.000Z", 0),
    ("2024", "acme/tool-v4", "2024-02-01T00:00:00.000Z", 0),  # v2 and v3 missing
    ("2024", "acme/lib-v0.1", "2024-01-01T00:00:00.000Z", 0),
    ("2024", "acme/lib-v0.3", "2024-02-01T00:00:00.000Z", 0),  # v0.2 missing
    ("2024", "old/net-v2", None, 1),  # placeholder dates: older
    ("2024", "old/net-v1", None, 1),  # than any dated model, but
    ("2024", "old/net-v0.5", "2023-01-01T00:00:00.000Z", 0),  # not ordered between them
    ("2024", "tie/model-v2", "2024-04-04T04:04:04.000Z", 0),  # same second: never a
    ("2024", "tie/model-v1", "2024-04-04T04:04:04.000Z", 0),  # conflict
    ("2024", "solo/only-v1", "2024-01-01T00:00:00.000Z", 0),  # a family of one
    ("2024", "widget-v1", "2024-01-01T00:00:00.000Z", 0),  # no author: no registry
    ("2024", "widget-v2", "2023-01-01T00:00:00.000Z", 0),
    ("2022", "acme/widget-v2", None, 0),  # no dates at all
    ("2022", "acme/widget-v1", None, 0),
]


def hand_made_db() -> sqlite_utils.Database:
    """The build's tables (scripts/schema.py), with the columns this stage reads filled via the classifier."""
    db = sqlite_utils.Database(memory=True)
    schema.create_all(db)
    db["snapshots"].insert_all(
        [
            {"snapshot": "2024", "kind": "census", "headline": 1},
            {"snapshot": "2022", "kind": "census", "headline": 0},
        ]
    )
    for key, (snapshot, model_id, created, placeholder) in enumerate(HAND_MADE, 1):
        c = classify_name(model_id)
        db["models"].insert(
            {
                "key": key,
                "snapshot": snapshot,
                "id": model_id,
                "author": c.author,
                "name": c.name,
                "created_at": created,
                "created_at_placeholder": placeholder,
                "downloads": key,
            }
        )
        db["model_versioning"].insert(
            {
                "model": key,
                "snapshot": snapshot,
                "model_id": model_id,
                "author": c.author,
                "family": c.family,
                "own_version": int(c.own_version),
                "primary_form": c.primary_form,
            }
        )
        db["version_markers"].insert_all(
            {"model": key, "snapshot": snapshot, "model_id": model_id, **marker_fields(m)} for m in c.markers
        )
    return db


@pytest.fixture(scope="module")
def hand_made():
    db = hand_made_db()
    derive_hub_registry(db)
    versions = {(r["snapshot"], r["model_id"]): r for r in db["hub_registry_versions"].rows}
    return db, versions


def test_the_classifier_reads_the_hand_made_names_as_intended():
    # The expectations below rest on these readings; if the classifier changes, this says why.
    for model_id in ["acme/widget-v1", "acme/widget-v3", "old/net-v0.5", "acme/lib-v0.3"]:
        c = classify_name(model_id)
        assert c.own_version and c.markers[0].refers_to == "self", model_id
    assert classify_name("acme/widget-v1").family == classify_name("acme/widget-v3").family


def test_versions_are_numbered_by_creation_time(hand_made):
    _, v = hand_made
    assert [v[("2024", f"acme/widget-v{n}")]["registry_version"] for n in (1, 3, 2)] == [1, 2, 3]
    assert v[("2024", "acme/widget-v2")]["is_latest"] == 1
    assert v[("2024", "acme/widget-v1")]["is_latest"] == 0
    assert (
        v[("2024", "acme/widget-v3")]["registered_model"] == "acme/" + classify_name("acme/widget-v3").family
    )
    assert (
        v[("2024", "acme/widget-v3")]["declared_text"],
        v[("2024", "acme/widget-v3")]["declared_major"],
    ) == ("v3", 3)


def test_only_authored_families_of_two_or_more(hand_made):
    db, v = hand_made
    ids = {model_id for _, model_id in v}
    assert "solo/only-v1" not in ids and "widget-v1" not in ids and "widget-v2" not in ids
    sizes = {(r["snapshot"], r["versions"]): r["families"] for r in db["hub_registry_sizes"].rows}
    assert sizes[("2024", 1)] == 1  # solo/only-v1: a registered model with one version
    assert sizes[("2024", 2)] == 3 and sizes[("2024", 3)] == 2  # tool, lib, tie; widget, net


def test_placeholder_dates_rank_first_and_never_conflict_among_themselves(hand_made):
    _, v = hand_made
    net = {n: v[("2024", f"old/net-{n}")] for n in ("v0.5", "v1", "v2")}
    # placeholders first, by id (net-v1 < net-v2), then the dated model
    assert [net[n]["registry_version"] for n in ("v1", "v2", "v0.5")] == [1, 2, 3]
    assert (
        net["v1"]["order_basis"] == "on or before 2022-03-02" and net["v0.5"]["order_basis"] == "created_at"
    )
    assert net["v1"]["earlier_higher_model"] is None  # v1 and v2: order unknown
    assert net["v0.5"]["earlier_higher_model_id"] == "old/net-v2"  # dated v0.5 is surely later


def test_order_conflicts(hand_made):
    _, v = hand_made
    conflicts = {
        k[1]: (r["earlier_higher_model_id"], r["earlier_higher_version"])
        for k, r in v.items()
        if r["earlier_higher_model"] is not None
    }
    assert conflicts == {"acme/widget-v2": ("acme/widget-v3", "v3"), "old/net-v0.5": ("old/net-v2", "v2")}
    # the same second is a tie (tie/model-v1), no dates is no order (2022): no conflict there


def test_snapshot_without_dates_is_numbered_by_id(hand_made):
    _, v = hand_made
    assert v[("2022", "acme/widget-v1")]["registry_version"] == 1
    assert v[("2022", "acme/widget-v2")]["order_basis"] == "unknown"


def test_gaps(hand_made):
    db, _ = hand_made
    gaps = {
        (r["registered_model"], r["level"]): (
            r["after_version"],
            r["before_version"],
            r["missing"],
            r["missing_versions"],
        )
        for r in db["hub_registry_gaps"].rows
        if r["snapshot"] == "2024"
    }
    tool = "acme/" + classify_name("acme/tool-v1").family
    lib = "acme/" + classify_name("acme/lib-v0.1").family
    assert gaps == {(tool, "major"): ("v1", "v4", 2, "2-3"), (lib, "minor"): ("v0.1", "v0.3", 1, "0.2")}
    families = {r["registered_model"]: r for r in db["hub_registry_families"].rows if r["snapshot"] == "2024"}
    assert families[tool]["gaps"] == 1 and families["acme/widget"]["order_conflicts"] == 1
    assert families["old/net"]["placeholder_dates"] == 2


def test_rebuilding_replaces_the_tables(hand_made):
    db, _ = hand_made
    before = db["hub_registry_versions"].count
    derive_hub_registry(db)
    assert db["hub_registry_versions"].count == before


# --- real data: the census cut built by the real build --------------------------------------------

NUMBER_FORMS = {"v_major", "v_minor", "v_patch", "num_minor", "num_patch", "generation", "glued"}


def expected_registry(conn: sqlite3.Connection):
    """The Hub-as-registry rule re-read in plain Python from the core tables."""
    declared = {}
    for model, text, form, major, minor, patch, date in conn.execute(
        "select model, text, form, major, minor, patch, date from version_markers "
        "where refers_to = 'self' order by model, position, rowid"
    ):
        declared.setdefault(model, (text, form, major, minor, patch, date))
    families = defaultdict(list)
    for model, snapshot, author, family, model_id, created in conn.execute(
        "select mv.model, mv.snapshot, mv.author, mv.family, m.id, m.created_at "
        "from model_versioning mv join models m on m.key = mv.model "
        "where mv.author is not null and mv.family <> ''"
    ):
        families[(snapshot, f"{author}/{family}")].append((created or "", model_id, model))
    rows, gaps = {}, set()
    for (snapshot, registered), members in families.items():
        if len(members) < 2:
            continue
        members.sort()
        info = []
        for rank, (created, _model_id, model) in enumerate(members, 1):
            d = declared.get(model)
            scheme = key = None
            if d:
                text, form, major, minor, patch, date = d
                scheme = (
                    "number"
                    if form in NUMBER_FORMS
                    else ("month-day" if form == "date" and date.startswith("--") else form)
                )
                if form == "date":
                    key = date
                elif form != "prerelease" and major is not None:
                    key = (major, minor or 0, patch or 0)
            info.append((rank, created, model, d, scheme, key))
        for rank, created, model, d, scheme, key in info:
            earlier = None
            if key is not None:
                before = [k for _, c, _, _, s, k in info if s == scheme and k is not None and c < created]
                if before and max(before) > key:
                    earlier = min((r, m) for r, _, m, _, s, k in info if s == scheme and k == max(before))[1]
            rows[model] = (
                snapshot,
                registered,
                rank,
                int(rank == len(members)),
                d[0] if d else None,
                earlier,
            )
        numbered = [d for _, _, _, d, s, k in info if s == "number" and k is not None]
        majors = sorted({d[2] for d in numbered})
        for a, b in zip(majors, majors[1:]):
            if b - a > 1:
                gaps.add((snapshot, registered, "major", a, b))
        # minors only where the name states one (v0.1, v0.3), within one major
        minors = sorted({(d[2], d[3]) for d in numbered if d[3] is not None})
        for (major_a, a), (major_b, b) in zip(minors, minors[1:]):
            if major_a == major_b and b - a > 1:
                gaps.add((snapshot, registered, "minor", a, b))
    return rows, gaps


def test_real_census_cut_matches_the_rule(fixture_db):
    conn = sqlite3.connect(fixture_db)
    expected_rows, expected_gaps = expected_registry(conn)
    actual_rows = {
        model: (snapshot, registered, rank, latest, declared, earlier)
        for model, snapshot, registered, rank, latest, declared, earlier in conn.execute(
            "select model, snapshot, registered_model, registry_version, is_latest, "
            "declared_text, earlier_higher_model from hub_registry_versions"
        )
    }
    assert actual_rows == expected_rows
    actual_gaps = set(
        conn.execute(
            "select g.snapshot, g.registered_model, g.level, "
            "case g.level when 'major' then a.declared_major else a.declared_minor end, "
            "case g.level when 'major' then b.declared_major else b.declared_minor end "
            "from hub_registry_gaps g join hub_registry_versions a on a.model = g.after_model "
            "join hub_registry_versions b on b.model = g.before_model"
        )
    )
    assert actual_gaps == expected_gaps
    # Real families, real conflicts: the cut of 2024-07-11 has both.
    conflicts = [r for r in expected_rows.values() if r[0] == "2024-07-11" and r[5] is not None]
    assert conflicts and any(g[0] == "2024-07-11" for g in expected_gaps)


def test_order_conflicts_query_shows_real_2024_families(site, fixture_db):
    response = site.get("/hub/hub_registry_order_conflicts.json?_shape=objects&_size=max")
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert rows
    conn = sqlite3.connect(fixture_db)
    for r in rows:
        # the later model really was created after the earlier one, in the headline census
        ((later_created, snapshot),) = conn.execute(
            "select created_at, snapshot from models where id = ? and snapshot = '2024-07-11'",
            [r["published_later"]],
        ).fetchall()
        (earlier_created,) = conn.execute(
            "select coalesce(created_at, '') from models where id = ? and snapshot = '2024-07-11'",
            [r["published_earlier"]],
        ).fetchone()
        assert earlier_created < later_created
        assert r["registry_version"] > r["earlier_registry_version"]
        assert r["registered_model"].split("/")[0] == r["published_later"].split("/")[0]


def test_missing_versions_query_respects_max_missing(site):
    all_rows = site.get(
        "/hub/hub_registry_missing_versions.json?_shape=objects&_size=max&max_missing=1000"
    ).json()["rows"]
    small = site.get("/hub/hub_registry_missing_versions.json?_shape=objects&_size=max&max_missing=1").json()[
        "rows"
    ]
    assert all_rows and all(r["missing"] >= 1 for r in all_rows)
    assert {(r["registered_model"], r["level"], r["after_version"]) for r in small} == {
        (r["registered_model"], r["level"], r["after_version"]) for r in all_rows if r["missing"] <= 1
    }


def test_family_versions_query(site, fixture_db):
    rows = site.get("/hub/hub_registry_family_versions.json?_shape=objects").json()["rows"]
    assert len(rows) >= 2
    assert [r["registry_version"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["alias"] for r in rows] == [None] * (len(rows) - 1) + ["latest"]
    name = rows[0]["registered_model"]
    again = site.get(
        f"/hub/hub_registry_family_versions.json?_shape=objects&registered_model={name.upper()}"
    ).json()["rows"]
    assert again == rows  # names match case-insensitively
