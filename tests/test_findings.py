"""The findings the build writes: their figures recomputed here from model_versioning, the per-model
table, independently of the summary tables and canned queries the findings read."""

from __future__ import annotations

import html
import json
import sqlite3

import markupsafe
import pytest

from scripts.publish import findings


@pytest.fixture(scope="module")
def conn(fixture_db):
    conn = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def stored(conn) -> dict[str, dict]:
    cursor = conn.execute("select * from findings order by position")
    columns = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(columns, row)) for row in cursor.fetchall()}


def headline(conn) -> str:
    return conn.execute("select snapshot from snapshots where headline").fetchone()[0]


def test_the_build_stores_every_answerable_finding(stored):
    assert list(stored)[:4] == ["rq1", "rq2", "rq3", "time"]
    for key, f in stored.items():
        assert f["question"].endswith("?"), key
        assert f["answer"] and f["seed_claim"], key
        assert f["rows_url"].startswith("/hub/"), key
        assert isinstance(json.loads(f["figures"]), dict), key


def test_rq1_states_the_own_version_share_of_the_headline_census(conn, stored):
    snapshot = headline(conn)
    models, own, seed = conn.execute(
        "select count(*), sum(own_version), sum(seed_rule) from model_versioning where snapshot = ?",
        [snapshot],
    ).fetchone()
    answer = stored["rq1"]["answer"]
    assert f"census of {models:,} models" in answer
    assert f"the classifier alone counts {100 * (1 - own / models):.1f}%" in answer
    assert f"counts {100 * seed / models:.1f}% as versioned" in answer
    # The corrected three-way split, with intervals (checked against the labels in test_estimates).
    for measure, low, high in conn.execute(
        """select measure, corrected_low, corrected_high from estimate_rq1
           where snapshot = ? and band = 'all' and measure != 'own version'""",
        [snapshot],
    ):
        assert f"95% interval {100 * low:.1f}%-{100 * high:.1f}%" in answer, measure


def test_rq2_names_the_task_with_the_highest_seed_rule_share(conn, stored):
    rows = conn.execute(
        """select pipeline_tag, count(*), avg(seed_rule), avg(own_version) from model_versioning
           where snapshot = ? and pipeline_tag is not null group by pipeline_tag having count(*) >= 500
           order by avg(seed_rule) desc""",
        [headline(conn)],
    ).fetchall()
    task, models, seed, own = rows[0]
    answer = stored["rq2"]["answer"]
    assert f"{task} has the highest seed-rule share ({100 * seed:.1f}% of {models:,} models)" in answer
    # The own-version share is the corrected one where the census has labels (estimate_tasks).
    corrected = conn.execute(
        "select share_corrected from estimate_tasks where snapshot = ? and pipeline_tag = ?",
        [headline(conn), task],
    ).fetchone()[0]
    stated = own if corrected is None else corrected
    assert f"only {100 * stated:.1f}%" in answer and "carry a version of their own" in answer
    assert f"Across the {len(rows)} tasks" in answer


def test_rq3_counts_the_companies_it_can_judge(conn, stored):
    judged = conn.execute(
        """select count(*) from (select organization from model_versioning
           where snapshot = ? and organization_kind = 'company' and own_version
           group by organization having count(*) >= ?)""",
        [headline(conn), findings.MIN_VERSIONED],
    ).fetchone()[0]
    assert judged > 0
    assert (
        f"of the {judged} companies with at least {findings.MIN_VERSIONED} versioned"
        in stored["rq3"]["answer"]
    )


def test_time_compares_the_first_and_last_dated_years(conn, stored):
    months = conn.execute(
        """select created_month, count(*), sum(own_version) from model_versioning
           where snapshot = ? and created_month like '____-__' group by created_month order by 1""",
        [headline(conn)],
    ).fetchall()
    last = months[-12:]
    share = sum(m[2] for m in last) / sum(m[1] for m in last)
    assert f"{100 * share:.1f}% of models created {last[0][0]} to {last[-1][0]}" in stored["time"]["answer"]


def test_a_finding_without_data_is_left_out(tmp_path):
    db = tmp_path / "empty.db"
    conn = sqlite3.connect(db)
    conn.execute("create table model_commit_counts (status text)")
    assert findings.finding_closing_question(conn) is None
    conn.close()


@pytest.mark.parametrize(
    "path, named",
    [
        ("/hub/rq3_company_consistency?kind=companies", "kind='companies'"),
        ("/hub/rq2_versioning_by_task?snapshot=2024-7-11", "snapshot='2024-7-11'"),
        ("/hub/rq1_versioned_share?min_downloads=abc", "min_downloads='abc'"),
        ("/hub/rq2_versioning_by_task?min_models=0", "min_models='0'"),
    ],
)
def test_an_invalid_parameter_is_refused_with_a_message(site, path, named):
    page = site.get(path)
    assert page.status_code == 400
    assert named in html.unescape(page.text)
    data = site.get(path.replace("?", ".json?"))
    assert data.status_code == 400 and named in data.json()["error"]
    csv = site.get(path.replace("?", ".csv?"))
    assert csv.status_code == 400 and named in csv.text


def test_valid_parameters_answer_with_rows(site, conn):
    kinds = [r[0] for r in conn.execute("select distinct kind from organizations")] + ["all"]
    for kind in kinds:
        page = site.get(f"/hub/rq3_company_consistency.json?kind={kind}&_shape=array")
        assert page.status_code == 200, kind
    snapshot = headline(conn)
    rows = site.get(f"/hub/rq2_versioning_by_task.json?snapshot={snapshot}&min_models=1&_shape=array").json()
    assert rows and {r["pipeline_tag"] for r in rows}


def test_each_finding_has_its_figures_as_files(fixture_build, stored):
    for key, f in stored.items():
        figures = json.loads(f["figures"])
        assert set(figures) == {"svg", "png"}, key
        svg = fixture_build / "figures" / f"{key}.svg"
        png = fixture_build / "figures" / f"{key}.png"
        assert svg.read_text(encoding="utf-8").lstrip().startswith("<svg"), key
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", key


def test_figures_are_served(site, stored):
    for f in stored.values():
        for url in json.loads(f["figures"]).values():
            assert site.get(url).status_code == 200, url


def test_about_page_links_every_figure(site, stored):
    about = site.get("/about").text
    for f in stored.values():
        for url in json.loads(f["figures"]).values():
            assert f'href="{url}"' in about, url


@pytest.mark.parametrize("name, key", [("rq2_forms_by_task", "rq2"), ("rq3_company_forms", "rq3")])
def test_the_other_pages_of_a_question_open_with_its_answer(site, stored, name, key):
    page = html.unescape(site.get(f"/hub/{name}").text)
    assert stored[key]["answer"] in page
    assert f'href="/hub/{stored[key]["chart_query"]}"' in page


def test_the_closing_questions_populations_and_caveats_are_on_the_home_page(stored, site):
    details = stored["closing_question"]["details"]
    assert details and "Ajibode" in details
    page = site.get("/").text
    assert str(markupsafe.escape(details)) in page
