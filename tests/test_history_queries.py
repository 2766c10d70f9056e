"""The three history queries and the closing-question finding, on the fixture build, each figure checked
against a computation in plain Python from the fixture's snapshot files (the census cuts read and
classified here with the classifier's public API, the weight-changes cut read as CSV), not from the
derived tables. The pages are fetched from the real Datasette app."""

from __future__ import annotations

import csv
import gzip
import json
import re
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest
import sqlite_utils

from scripts.classify import classify_name
from scripts.derive import group_estimates
from scripts.load import validation
from scripts.publish import findings, palette
from scripts.snapshot.read import read_manifest

ROOT = Path(__file__).resolve().parent.parent
NUMBER_FORMS = {"v_major", "v_minor", "v_patch", "num_minor", "num_patch", "generation", "glued"}


class Model:
    """A census record as the queries see it: id, namespace, task, library and what its name says."""

    def __init__(self, record: dict):
        self.id = record["id"]
        self.task = record.get("pipeline_tag")
        self.library = record.get("library_name")
        c = classify_name(self.id, record.get("tags") or (), self.task, self.library)
        self.author = record.get("author", c.author)
        self.family = c.family
        self.own = int(c.own_version)
        self.seed = int(c.seed_rule)
        first = next((m for m in c.markers if m.refers_to == "self"), None)
        self.version = None
        if first is not None and first.form in NUMBER_FORMS and first.major is not None:
            self.version = (first.major, first.minor or 0, first.patch or 0)

    @property
    def in_family(self) -> bool:
        return self.author is not None and bool(self.family)


@pytest.fixture(scope="module")
def censuses(fixture_snapshots) -> dict[str, list[Model]]:
    out = {}
    for name in ("2022-02-21", "2024-07-11"):
        with gzip.open(fixture_snapshots / name / "models.jsonl.gz", "rt", encoding="utf-8") as f:
            out[name] = [Model(json.loads(line)) for line in f]
    return out


@pytest.fixture(scope="module")
def rewrites(fixture_snapshots) -> dict[str, int]:
    """model id -> commits of its most rewritten weight file, less one, from the fixture's CSV."""
    folder = fixture_snapshots / "weight-changes-2024"
    path = folder / read_manifest(folder)["file"]
    most: dict[str, int] = defaultdict(int)
    with gzip.open(path, "rt", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = f"{row['owner']}/{row['model_name']}"
            most[key] = max(most[key], int(row["changed_frequency"]) - 1)
    return dict(most)


def page_rows(site, name: str) -> list[dict]:
    response = site.get(f"/hub/{name}.json?_shape=objects")
    assert response.status_code == 200, response.text[:300]
    rows = response.json()["rows"]
    assert rows, f"{name} answers no rows"
    return rows


def band(n: int) -> str:
    for lo, hi, label in ((1, 1, "1"), (2, 2, "2"), (3, 4, "3-4"), (5, 9, "5-9"), (10, 99, "10-99")):
        if lo <= n <= hi:
            return label
    return "100+"


def test_rewritten_in_place_against_python(site, censuses, rewrites, fixture_db):
    census = {m.id: m for m in censuses["2024-07-11"]}
    cells: dict[tuple, list[Model]] = defaultdict(list)
    for m in census.values():
        cells[m.task or "", m.library or ""].append(m)
    groups: dict[tuple, list[Model]] = defaultdict(list)
    for model_id, n in rewrites.items():
        if model_id in census:
            m = census[model_id]
            for key in (
                ("all", "all rewritten models"),
                ("rewrites", band(n)),
                ("task", m.task or "(no task)"),
            ):
                groups[key].append(m)
    got = {(r["grouping"], r["grp"]): r for r in page_rows(site, "history_rewritten_in_place")}
    assert set(got) == set(groups)
    for key, members in groups.items():
        row, n = got[key], len(members)
        assert row["models"] == n and row["own_version"] == sum(m.own for m in members)
        assert row["share_raw"] == pytest.approx(sum(m.own for m in members) / n, abs=1e-4)
        assert row["share_seed"] == pytest.approx(sum(m.seed for m in members) / n, abs=1e-4)
        assert "ci95_low" not in row  # a census count has no sampling interval
        own_vs_cell = [
            sum(c.own for c in cells[m.task or "", m.library or ""])
            / len(cells[m.task or "", m.library or ""])
            for m in members
        ]
        assert row["census_share_raw"] == pytest.approx(sum(own_vs_cell) / n, abs=1e-4)
        assert row["census_models"] == sum(
            len(cells[c]) for c in {(m.task or "", m.library or "") for m in members}
        )
        assert row["small_group"] == (n < 30)
    assert got["all", "all rewritten models"]["models"] == sum(1 for i in rewrites if i in census)
    check_corrections(got, groups, cells, fixture_db)


def check_corrections(got: dict, groups: dict, cells: dict, fixture_db) -> None:
    """The per-group method of the tasks and companies, applied to the group's models as this test
    finds them in the snapshot files, and to each (task, library) cell of the census comparator,
    mixed by the group's models in each cell."""
    db = sqlite_utils.Database(fixture_db)
    manifest = validation.read_manifest(validation.VALIDATION_DIR)
    fitted = group_estimates.fit(db, manifest)

    def estimate(name: str, ids: list[str]):
        sql = """select ? as grp, model from model_versioning
                 where snapshot = '2024-07-11' and model_id in (select value from json_each(?))"""
        return group_estimates.estimate_sets(db, manifest, sql, [name, json.dumps(ids)], fitted=fitted)[name]

    labels = [
        json.loads(line) for line in open(ROOT / "data/validation/labels-2024-07-11.jsonl", encoding="utf-8")
    ]
    group_labels = ROOT / "data/validation/group-labels-2024-07-11.jsonl"
    labelled_ids = {r["id"] for r in labels} | {
        json.loads(line)["id"] for line in open(group_labels, encoding="utf-8")
    }
    cell_points = {}
    for key, members in groups.items():
        row = got[key]
        est = estimate("\x1f".join(key), [m.id for m in members])
        assert (row["share_corrected"], row["corrected_low"], row["corrected_high"]) == pytest.approx(
            (est.point, est.low, est.high), abs=1e-4
        ), key
        assert row["corrected_low"] <= row["share_corrected"] <= row["corrected_high"]
        mix = defaultdict(int)
        for m in members:
            mix[m.task or "", m.library or ""] += 1
        for cell in mix:
            if cell not in cell_points:
                cell_points[cell] = estimate("\x1f".join(cell), [c.id for c in cells[cell]]).point
        expected = sum(cell_points[c] * n for c, n in mix.items()) / len(members)
        assert row["census_share_corrected"] == pytest.approx(expected, abs=1e-4), key
        assert row["labelled"] == sum(m.id in labelled_ids for m in members)
        assert row["share"] == row["share_corrected"] and row["estimate"] == "corrected"


def declared_versions(models: list[Model]) -> dict[tuple, set[tuple]]:
    """(author, family) -> its declared (major, minor) versions."""
    out: dict[tuple, set] = defaultdict(set)
    for m in models:
        if m.in_family and m.version is not None:
            out[m.author, m.family].add(m.version[:2])
    return out


def expected_predecessors(models: list[Model]) -> dict[tuple, tuple[int, int]]:
    sizes: dict[tuple, int] = defaultdict(int)
    for m in models:
        if m.in_family:
            sizes[m.author, m.family] += 1
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for fam, versions in declared_versions(models).items():
        for major, minor in versions:
            if minor == 0 and major >= 2:
                level, found = "major", any(v[0] == major - 1 for v in versions)
            elif minor > 0 and (major, minor) != (0, 1):
                level, found = "minor", (major, minor - 1) in versions
            else:
                continue
            for population in ["every"] + (["registry"] if sizes[fam] >= 2 else []):
                counts[population, level][0] += 1
                counts[population, level][1] += found
    return {k: tuple(v) for k, v in counts.items()}


def test_predecessors_against_python(site, censuses):
    rows = page_rows(site, "history_predecessors")
    for snapshot, models in censuses.items():
        expected = expected_predecessors(models)
        got = {
            ("registry" if r["population_order"] == 0 else "every", r["level"]): (
                r["versions"],
                r["with_predecessor"],
            )
            for r in rows
            if r["snapshot"] == snapshot
        }
        assert got == expected, snapshot
    for r in rows:
        assert r["share_raw"] == pytest.approx(r["with_predecessor"] / r["versions"], abs=1e-4)
        assert r["paper_share"] == {"major": 0.43, "minor": 0.35}[r["level"]]


def expected_succession(old: list[Model], new: list[Model]) -> dict[tuple, int]:
    old_ids, new_ids = {m.id for m in old}, {m.id for m in new}
    old_fams, new_fams = defaultdict(list), defaultdict(list)
    for m in old:
        if m.in_family:
            old_fams[m.author, m.family].append(m)
    for m in new:
        if m.in_family:
            new_fams[m.author, m.family].append(m)
    outcomes: dict[tuple, int] = defaultdict(int)
    for fam in old_fams.keys() & new_fams.keys():
        top = max((m.version for m in old_fams[fam] if m.version), default=None)
        newer = [m for m in new_fams[fam] if m.version and (top is None or m.version > top)]
        if newer:
            best = max(sorted(newer, key=lambda m: m.id), key=lambda m: m.version)  # first of the highest
            outcome = "newer version " + (
                "in the same repository" if best.id in old_ids else "as a new repository"
            )
        elif any(m.id in new_ids for m in old_fams[fam]):
            outcome = "no newer version and repository kept"
        else:
            outcome = "no newer version and old repositories gone"
        outcomes[top is not None, outcome] += 1
    return dict(outcomes)


def test_succession_against_python(site, censuses):
    rows = page_rows(site, "history_succession")
    expected = expected_succession(censuses["2022-02-21"], censuses["2024-07-11"])
    got = {(r["population"].startswith("declared a version"), r["outcome"]): r["families"] for r in rows}
    assert got == expected
    # The cut holds families of both populations, and of the new-repository and kept outcomes.
    assert {declared for declared, _ in got} == {True, False}
    assert {"newer version as a new repository", "no newer version and repository kept"} <= {
        o for _, o in got
    }
    for r in rows:
        assert r["share_raw"] == pytest.approx(r["families"] / r["population_families"], abs=1e-4)


def test_finding_states_the_pages_figures(fixture_db, site):
    finding = findings.finding_closing_question(sqlite3.connect(fixture_db))
    assert {"question", "answer", "seed_claim", "chart_query", "rows_url"} <= set(finding)
    answer, details, figures = finding["answer"], finding["details"], finding["measures"]
    # The answer is one or two sentences; the populations, other figures and caveats follow it.
    assert 1 <= len(re.findall(r"[.:]\s+[A-Z0-9]|[.]$", answer)) <= 2, answer
    control = {r["grp"]: r for r in page_rows(site, "history_control_group")}
    assert f"{control['rewritten in place']['share_raw']:.1%} vs " in answer
    newest = {
        (r["definition_order"], r["level"]): r["share_raw"]
        for r in page_rows(site, "history_predecessor_definitions")
        if r["snapshot"] == "2024-07-11"
    }
    assert (
        f"families of 2+ models (the Hub as a registry): {newest[2, 'major']:.1%} of major, "
        f"{newest[2, 'minor']:.1%} of minor"
    ) in details
    assert "43% and 35%" in details
    succession = [
        r for r in page_rows(site, "history_succession") if r["population"].startswith("declared a")
    ]
    assert f"Of the {succession[0]['population_families']:,} families that declared a version" in details
    # The fixture holds crawled refs: their figure is stated, for the population they cover.
    refs = page_rows(site, "refs_versions_outside_names")[0]
    assert figures["refs"]["models"] == refs["models"]
    assert f"Refs: {refs['models']:,} the most-downloaded" in details
    for figure in figures.values():
        assert figure["population"] and figure["caveat"]
        assert figure["caveat"] in details
    path, _, query = finding["rows_url"].partition("?")
    assert site.get(f"{path}.json?{query}").json()["rows"]
    # The build stored the same answer in the findings table the site reads.
    stored = sqlite3.connect(fixture_db).execute("select answer from findings where key = 'closing_question'")
    assert stored.fetchone() == (answer,)


def chart_fields(spec) -> set[str]:
    """Every `field` a Vega-Lite spec encodes, anywhere in it."""
    if isinstance(spec, dict):
        found = {spec["field"]} if isinstance(spec.get("field"), str) else set()
        return found.union(*(chart_fields(v) for v in spec.values()))
    if isinstance(spec, list):
        return set().union(*(chart_fields(v) for v in spec))
    return set()


def derived_fields(spec) -> set[str]:
    """Fields a spec's transforms make (fold's `as`, calculate's `as`)."""
    if isinstance(spec, dict):
        made = set()
        if "fold" in spec:
            made.update(spec["as"])
        if "calculate" in spec:
            made.add(spec["as"])
        return made.union(*(derived_fields(v) for v in spec.values()))
    if isinstance(spec, list):
        return set().union(*(derived_fields(v) for v in spec))
    return set()


@pytest.mark.parametrize("name", ["history_rewritten_in_place", "history_predecessors", "history_succession"])
def test_pages_chart_their_own_columns_and_state_sources(fixture_build, site, name):
    metadata = json.loads((fixture_build / "metadata.json").read_text())
    query = metadata["databases"]["hub"]["queries"][name]
    chart = query["chart"]
    assert "vega-lite/v5" in chart["$schema"] and "data" not in chart
    columns = set(page_rows(site, name)[0])
    assert chart_fields(chart) <= columns | derived_fields(chart)
    # Every colour by measure or population is the site's, measures made inside the spec included.
    coloured = [e["color"] for e in palette.encodings(chart) if "color" in e and "field" in e["color"]]
    assert coloured
    for channel in coloured:
        domain = channel["scale"]["domain"]
        assert channel["scale"]["range"] == [palette.colour(channel["field"], v) for v in domain]
        if name == "history_rewritten_in_place":
            assert domain == ["rewritten in place", "census, same tasks and libraries"]
    # The spec draws: Vega-Lite compiles it over the page's own rows into marks.
    import vl_convert

    svg = vl_convert.vegalite_to_svg({**chart, "data": {"values": page_rows(site, name)}})
    assert svg.count('role="graphics-symbol"') >= 2 and "NaN" not in svg
    html = site.get(f"/hub/{name}").text
    assert "GPL-3.0" in html
    if name == "history_rewritten_in_place":
        manifest = read_manifest(
            Path(__file__).resolve().parent.parent / "data/snapshots/weight-changes-2024"
        )
        for statement in [manifest["source"], manifest["source_license"], *manifest["caveats"]]:
            assert statement in query["description_html"]
