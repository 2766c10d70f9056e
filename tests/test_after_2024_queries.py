"""The queries and findings on the Hub after 2024 and the closing question's control group, on the
fixture build: each figure recomputed here in plain Python from the fixture's snapshot files (CSV
read here, ids classified here with the classifier's public API), not from the derived tables. The
pages are fetched from the real Datasette app."""

from __future__ import annotations

import csv
import datetime
import gzip
import json
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from scripts.classify import classify_name, classify_record
from scripts.derive.commit_messages import message_version
from scripts.publish import after_2024_finding, findings
from scripts.snapshot.read import read_manifest


def rows_of(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))[1:]


def page_rows(site, name: str, query: str = "") -> list[dict]:
    response = site.get(f"/hub/{name}.json?_shape=objects{query}")
    assert response.status_code == 200, response.text[:300]
    rows = response.json()["rows"]
    assert rows, f"{name} answers no rows"
    return rows


@pytest.fixture(scope="module")
def census(fixture_snapshots) -> dict[str, dict]:
    with gzip.open(fixture_snapshots / "2024-07-11" / "models.jsonl.gz", "rt", encoding="utf-8") as f:
        return {r["id"]: r for r in map(json.loads, f)}


@pytest.fixture(scope="module")
def own(census) -> dict[str, int]:
    return {i: int(classify_record(r).own_version) for i, r in census.items()}


def rewrites_of(fixture_snapshots) -> dict[str, int]:
    folder = fixture_snapshots / "weight-changes-2024"
    out: dict[str, int] = {}
    with gzip.open(folder / read_manifest(folder)["file"], "rt", newline="", encoding="utf-8") as f:
        for owner, name, _file, commits in list(csv.reader(f))[1:]:
            out[f"{owner}/{name}"] = max(out.get(f"{owner}/{name}", 0), int(commits) - 1)
    return out


def test_control_group_against_python(site, fixture_snapshots, own):
    folder = fixture_snapshots / "nlp-models-2024"
    population = {r[1] for r in rows_of(folder / read_manifest(folder)["file"])}
    rewrites = rewrites_of(fixture_snapshots)
    groups: dict[str, list[int]] = defaultdict(list)
    for model_id in population & set(own):
        n = rewrites.get(model_id)
        groups["rewritten in place" if n else "not rewritten (control group)"].append(own[model_id])
        groups[band(n) if n else "0"].append(own[model_id])
    got = {r["grp"]: r for r in page_rows(site, "history_control_group") if r["grouping"] != "variant"}
    assert set(got) == set(groups)
    for grp, members in groups.items():
        assert got[grp]["models"] == len(members), grp
        assert got[grp]["share_raw"] == pytest.approx(sum(members) / len(members), abs=1e-4), grp
    # The census has labelled ids: every group is also corrected, within the classifier-error interval.
    for r in got.values():
        assert r["corrected_low"] <= r["share_corrected"] <= r["corrected_high"]
    assert "ci95_low" not in got["0"]


def band(n: int) -> str:
    for lo, hi, label in ((1, 1, "1"), (2, 2, "2"), (3, 4, "3-4"), (5, 9, "5-9"), (10, 99, "10-99")):
        if lo <= n <= hi:
            return label
    return "100+"


def weekly_added(fixture_snapshots) -> list[tuple[str, str, str, str]]:
    """(week_ending, model_id, relation, base) of every added row of the fixture's weekly cut."""
    folder = fixture_snapshots / "weekly-changes-2025"
    out = []
    for entry in read_manifest(folder)["files"]:
        if entry["change"] == "added":
            out += [(entry["week_ending"], *row) for row in rows_of(folder / entry["file"])]
    return out


def test_weekly_shares_against_python(site, fixture_snapshots):
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for week, model_id, relation, base in weekly_added(fixture_snapshots):
        tags = [f"base_model:{relation}:{b.strip()}" for b in base.split(",")] if base else []
        c = classify_name(model_id, tags)
        base_only = not c.own_version and any(m.refers_to == "base_model" for m in c.markers)
        for key in ((week, relation or "none declared"), (week, "all")):
            counts[key].update(models=1, own=int(c.own_version), base=int(base_only))
    rows = page_rows(site, "time_weekly_2025")
    weeks = {
        (r["period"][len("week ending ") :], r["relation"]): r for r in rows if r["period"].startswith("week")
    }
    assert set(weeks) == set(counts)
    for key, c in counts.items():
        r = weeks[key]
        assert (r["models"], r["own_version"], r["base_version_only"]) == (
            c["models"],
            c["own"],
            c["base"],
        ), key


def test_the_time_axis_tells_the_populations_apart(site, fixture_db):
    rows = page_rows(site, "time_weekly_2025")
    populations = {r["population"] for r in rows}
    assert populations == {
        "census survivors, by month of creation",
        "new ids of the week (2025 weekly listing)",
    }
    weeks = sorted({r["period_start"] for r in rows if r["population"].startswith("new ids")})
    # 16 weeks, each starting 6 days before its last day, one week apart, after every census month.
    assert len(weeks) == 16 and weeks[0] == "2025-03-13" and weeks[-1] == "2025-06-26"
    days = [datetime.date.fromisoformat(w) for w in weeks]
    assert all((b - a).days == 7 for a, b in zip(days, days[1:]))
    months = [r for r in rows if r["population"].startswith("census")]
    assert max(r["period_start"] for r in months) < weeks[0]
    conn = sqlite3.connect(fixture_db)
    expected = dict(
        conn.execute(
            """select created_month, count(*) from model_versioning where snapshot = '2024-07-11'
               and created_month between '2022-01' and '2024-12' group by 1"""
        ).fetchall()
    )
    assert {r["period"]: r["models"] for r in months} == expected


def scheme(c) -> str:
    if not c.own_version:
        return "none"
    form = c.primary_form
    if form in ("v_major", "v_minor", "v_patch"):
        return "v-number"
    if form in ("num_minor", "num_patch", "generation", "glued"):
        return "bare number"
    return "date edition" if form == "date" else "other"


def test_frontier_labs_against_python(site, fixture_snapshots, census):
    folder = fixture_snapshots / "frontier-models-2026-08"
    per_lab: dict[str, Counter] = defaultdict(Counter)
    eras: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for name in ("models.csv", "extra_models.csv"):
        for org, _model, model_id in rows_of(folder / name):
            s = scheme(classify_name(model_id))
            per_lab[org].update(releases=1, own=int(s != "none"), **{s: 1})
            era = "before" if model_id in census else "after"
            if s != "none":
                eras[org, era][s] += 1
    rows = {r["org"]: r for r in page_rows(site, "rq3_frontier_labs", "&min_releases=1")}
    assert set(rows) == set(per_lab)
    for org, c in per_lab.items():
        r = rows[org]
        assert r["releases"] == c["releases"] and r["share_own"] == pytest.approx(
            c["own"] / c["releases"], abs=1e-4
        )
        assert (r["v_number"], r["bare_number"], r["date_edition"]) == (
            c["v-number"],
            c["bare number"],
            c["date edition"],
        )
        for era, column in (("before", "scheme_before"), ("after", "scheme_after")):
            counted = eras.get((org, era))
            if counted:
                top = max(counted.values())
                assert r[column] == min(s for s, n in counted.items() if n == top), (org, era)


def test_commit_versions_against_python(site, fixture_snapshots):
    rows = rows_of(fixture_snapshots / "weight-commits-2024" / "repository_evolution_commits.csv")
    first: dict[tuple[str, str], str] = {}
    for repo, _commit, path, _fmt, _msg, _author, date in rows:
        key = (repo, path.removeprefix(repo + "\\"))
        first[key] = min(first.get(key, date), date)
    commits: dict[tuple[str, str], dict] = {}
    for repo, commit, path, _fmt, message, _author, date in rows:
        c = commits.setdefault((repo, commit), {"rewrite": False, "version": message_version(message)})
        c["rewrite"] |= date > first[repo, path.removeprefix(repo + "\\")]
    rewrites = [c for c in commits.values() if c["rewrite"]]
    got = {r["grp_order"]: r for r in page_rows(site, "history_commit_versions")}
    assert got[0]["total"] == len(rewrites)
    assert got[0]["version_in_message"] == sum(c["version"] is not None for c in rewrites)
    assert got[1]["total"] == len(commits) - len(rewrites)
    assert got[2]["total"] == len({repo for (repo, _), c in commits.items() if c["rewrite"]})


@pytest.mark.parametrize(
    "message, version",
    [
        ("Update model P4V8 v2", "v2"),
        ("Release version 1.1 of RobeCzech.", "version 1.1"),
        ("Update spacy pipeline to 3.5.3", None),  # the library's version
        ("Upload PPO LunarLander-v2 trained agent", None),  # an environment's
        ("Update pytorch_model.bin", None),
    ],
)
def test_message_versions(message, version):
    assert message_version(message) == version


def test_retirements_against_python(site, fixture_snapshots, fixture_db):
    folder = fixture_snapshots / "weekly-changes-2025"
    deleted = set()
    for entry in read_manifest(folder)["files"]:
        if entry["change"] == "deleted":
            deleted |= {r[0] for r in rows_of(folder / entry["file"])}
    conn = sqlite3.connect(fixture_db)
    superseded = conn.execute(
        "select model_id, deleted_week is not null from weekly_supersessions where newer_model_id is not null"
    ).fetchall()
    assert all((model_id in deleted) == bool(d) for model_id, d in superseded)
    rows = {r["superseded"]: r for r in page_rows(site, "history_retirements")}
    assert rows[1]["models"] == len(superseded)
    assert rows[1]["deleted"] == sum(d for _m, d in superseded)


def test_predecessor_definitions_against_python(site, fixture_db):
    conn = sqlite3.connect(fixture_db)
    versions = defaultdict(set)
    for author, family, major, minor in conn.execute(
        "select author, family, major, minor from history_declared_versions where snapshot = '2024-07-11'"
    ):
        versions[author, family].add((major, minor))
    counted = Counter()
    for vs in versions.values():
        if len(vs) < 2:
            continue
        for major, minor in vs:
            level = "major" if minor == 0 else "minor"
            if (level == "major" and major < 2) or (major, minor) == (0, 1):
                continue
            has = any(p[0] == major - 1 for p in vs) if level == "major" else (major, minor - 1) in vs
            counted[level, "versions"] += 1
            counted[level, "with"] += has
    rows = page_rows(site, "history_predecessor_definitions")
    whole = {r["level"]: r for r in rows if r["snapshot"] == "2024-07-11" and r["definition_order"] == 1}
    for level in ("major", "minor"):
        assert whole[level]["versions"] == counted[level, "versions"]
        assert whole[level]["with_predecessor"] == counted[level, "with"]
    assert {r["definition_order"] for r in rows} == {0, 1, 2, 3}


def percent_in(text: str, share: float) -> bool:
    return f"{share:.1%}" in text


def test_closing_finding_states_its_charts_figures(fixture_db, site):
    finding = findings.finding_closing_question(sqlite3.connect(fixture_db))
    answer, details = finding["answer"], finding["details"]
    assert finding["chart_query"] == "history_control_group"
    rows = {r["grp"]: r for r in page_rows(site, "history_control_group")}
    rewritten, control = rows["rewritten in place"], rows["not rewritten (control group)"]
    # The sentence quotes raw and corrected, as the chart draws them, and says which is which.
    assert f"{rewritten['share_raw']:.1%} vs {control['share_raw']:.1%} raw" in answer
    assert f"corrected for the classifier's error {rewritten['share_corrected']:.1%} vs" in answer
    assert "interval" not in answer and "Wilson" not in details
    commits = {r["grp_order"]: r for r in page_rows(site, "history_commit_versions")}
    assert f"{commits[0]['share_message']:.1%} of {commits[0]['total']:,} commits" in answer
    assert "Ajibode" in details and "closest to Ajibode et al." in details


def test_after_2024_findings_are_stored_and_quote_their_pages(fixture_db, site):
    conn = sqlite3.connect(fixture_db)
    stored = dict(conn.execute("select key, answer from findings").fetchall())
    frontier = after_2024_finding.finding_frontier(conn)
    assert stored["rq3_frontier"] == frontier["answer"]
    labs = page_rows(site, "rq3_frontier_labs", "&min_releases=1")
    releases = sum(r["releases"] for r in labs)
    assert f"of {releases:,} tracked releases of {len(labs)} labs" in frontier["answer"]
    weeks = after_2024_finding.finding_2025_weeks(conn)
    assert stored["time_2025"] == weeks["answer"]
    week_rows = [
        r
        for r in page_rows(site, "time_weekly_2025")
        if r["relation"] == "all" and r["period"].startswith("week")
    ]
    share = sum(r["own_version"] for r in week_rows) / sum(r["models"] for r in week_rows)
    models = sum(r["models"] for r in week_rows)
    assert weeks["answer"].startswith(f"{share:.1%} of the {models:,} weekly additions")


NEW_QUERIES = [
    "history_control_group",
    "history_commit_versions",
    "history_retirements",
    "history_predecessor_definitions",
    "time_weekly_2025",
    "rq3_frontier_labs",
]


@pytest.mark.parametrize("name", NEW_QUERIES)
def test_new_pages_chart_their_own_columns_and_state_sources(fixture_build, site, name):
    from tests.test_history_queries import chart_fields, derived_fields

    metadata = json.loads((fixture_build / "metadata.json").read_text())
    query = metadata["databases"]["hub"]["queries"][name]
    chart = query["chart"]
    rows = page_rows(site, name)
    assert chart_fields(chart) <= set(rows[0]) | derived_fields(chart)
    import vl_convert

    svg = vl_convert.vegalite_to_svg({**chart, "data": {"values": rows}})
    assert svg.count('role="graphics-symbol"') >= 2 and "NaN" not in svg
    text = query["description_html"]
    assert "no sampling error" in text or "no sampling interval" in text or "census count" in text
    assert "Wilson" not in text and "ci95" not in text
    page = site.get(f"/hub/{name}").text
    assert "license" in page.lower()


def test_home_and_about_list_the_new_queries_and_sources(site, fixture_db):
    home, about = site.get("/").text, site.get("/about").text
    for name in NEW_QUERIES:
        assert f'href="/hub/{name}"' in home and f'href="/hub/{name}"' in about, name
    conn = sqlite3.connect(fixture_db)
    footer = home[home.index('<footer class="ft">') :]
    for snapshot, license_, caveats in conn.execute(
        "select snapshot, source_license, caveats from snapshots where kind not in ('census')"
    ):
        assert snapshot in footer and license_.split(";")[0] in footer
        for caveat in json.loads(caveats):
            assert caveat in __import__("html").unescape(about), caveat
    assert "collected 2025-03-12 to 2025-07-02" in footer
