"""The findings the build writes: their figures recomputed here from model_versioning, the per-model
table, independently of the summary tables and canned queries the findings read."""

from __future__ import annotations

import html
import json
import re
import sqlite3

import markupsafe
import pytest

from scripts.publish import findings
from scripts.publish.metadata import canned_queries


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


PERCENT = re.compile(r"\d+(?:\.\d+)?%")
TRADITIONAL = "('v_major', 'v_minor', 'v_patch', 'num_minor', 'num_patch')"
UNIT_KEYS = {  # how the test groups models into the units of counting, from model_versioning alone
    "family": "coalesce(author, '') || '/' || family",
    "author": "coalesce(author, '')",
}
CHECKPOINT_ONLY = """model in (select model from model_versioning v where own_version and not exists (
    select 1 from version_markers m where m.model = v.model and m.refers_to = 'self' and m.form != 'checkpoint'))"""


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


def unit_shares(conn, where: str, params: list, columns: list[str]) -> dict[str, tuple]:
    """Per other unit of counting: the average over units of each column's per-unit mean (family,
    author), or the plain mean without checkpoint-only names, over the models `where` selects."""
    got = {}
    for unit, key in UNIT_KEYS.items():
        inner = ", ".join(f"avg({c}) as c{i}" for i, c in enumerate(columns))
        outer = ", ".join(f"avg(c{i})" for i in range(len(columns)))
        got[unit] = conn.execute(
            f"select {outer} from (select {inner} from model_versioning where {where} group by {key})", params
        ).fetchone()
    plain = ", ".join(f"avg({c})" for c in columns)
    got["without_checkpoints"] = conn.execute(
        f"select {plain} from model_versioning where {where} and not {CHECKPOINT_ONLY}", params
    ).fetchone()
    return got


def chart_fields(spec) -> str:
    """Everything a chart spec names (fields, calculate expressions), as one string."""
    return json.dumps(spec)


SEED_GAP_WORDS = {  # the sentence's words for the seed gap's parts -> the models they count
    "environments": "seed_rule and not own_version and environment_markers > 0",
    "datasets": "seed_rule and not own_version and environment_markers = 0 and dataset_markers > 0",
    "base models": "seed_rule and not own_version and environment_markers = 0 and dataset_markers = 0 "
    "and base_model_markers > 0",
    "other v-numbers": "seed_rule and not own_version and environment_markers = 0 and dataset_markers = 0 "
    "and base_model_markers = 0",
    "dates": "own_version and not seed_rule and primary_form = 'date'",
    "checkpoints": "own_version and not seed_rule and primary_form = 'checkpoint'",
    "bare numbers": "own_version and not seed_rule and primary_form in ('num_minor', 'num_patch')",
    "generations": "own_version and not seed_rule and primary_form = 'generation'",
    "glued numbers": "own_version and not seed_rule and primary_form = 'glued'",
    "v-numbers glued to a word": "own_version and not seed_rule and primary_form in ('v_major', 'v_minor', 'v_patch')",
    "prereleases and revisions": "own_version and not seed_rule and primary_form in ('prerelease', 'revision')",
}


def test_rq1_every_figure_recomputed(conn, stored):
    snapshot = headline(conn)
    answer = stored["rq1"]["answer"]
    models, own, seed, trad = conn.execute(
        f"""select count(*), sum(own_version), sum(seed_rule), sum(own_version and primary_form in {TRADITIONAL})
            from model_versioning where snapshot = ?""",
        [snapshot],
    ).fetchone()
    assert f"census of {models:,} models" in answer
    est = {
        r[0]: r[1:]
        for r in conn.execute(
            """select measure, share_corrected, corrected_low, corrected_high, labelled from estimate_rq1
               where snapshot = ? and band = 'all'""",
            [snapshot],
        )
    }
    assert f"on {est['no own version'][3]} hand-labelled ids" in answer
    expected = [pct(x) for m in ("no own version", "traditional", "other scheme") for x in est[m][:3]]
    expected += ["95%", pct(1 - own / models), pct(trad / models), pct((own - trad) / models), "79%", "21%"]
    # The seed rule taken apart: printed parts within 0.1 point of the exact share, adding up exactly.
    gap = answer[answer.index("which counts") : answer.index("the classifier's own-version count")]
    tenths = [round(10 * float(x[:-1])) for x in PERCENT.findall(gap)]
    seed_t, counted_t, *rest = tenths
    parts = dict(re.findall(r"([a-z][a-z -]+?) (\d+\.\d)%", gap.split("add the")[0].split("(", 1)[1]))
    parts.update(re.findall(r"([a-z][a-z -]+?) (\d+\.\d)%", gap.split("add the")[1].split("(", 1)[1]))
    for words, printed in parts.items():
        (n,) = conn.execute(
            f"select count(*) from model_versioning where snapshot = ? and {SEED_GAP_WORDS[words.strip()]}",
            [snapshot],
        ).fetchone()
        assert abs(float(printed) - 100 * n / models) <= 0.1 + 1e-9, words
    counted = [
        round(10 * float(v)) for k, v in parts.items() if "seed_rule and not own" in SEED_GAP_WORDS[k.strip()]
    ]
    missed = [
        round(10 * float(v))
        for k, v in parts.items()
        if "own_version and not seed" in SEED_GAP_WORDS[k.strip()]
    ]
    missed_t, own_t = rest[len(counted)], rest[-1]
    assert counted_t == sum(counted) and missed_t == sum(missed)
    assert seed_t - counted_t + missed_t == own_t
    assert abs(seed_t - 1000 * seed / models) <= 0.5 and abs(own_t - 1000 * own / models) <= 0.5
    expected += PERCENT.findall(gap)
    # The other units of counting, from model_versioning alone.
    shares = unit_shares(
        conn, "snapshot = ?", [snapshot], ["own_version", f"own_version and primary_form in {TRADITIONAL}"]
    )
    units = ("family", "author", "without_checkpoints")
    expected += [pct(1 - shares[u][0]) for u in units]
    expected += [pct(x) for u in units for x in (shares[u][1], shares[u][0] - shares[u][1])]
    assert PERCENT.findall(answer) == expected
    holds = all(shares[u][0] < 0.5 for u in units) and all(2 * shares[u][1] > shares[u][0] for u in units)
    assert ("holds under all four units" in answer) == holds


def test_rq1_chart_draws_the_quoted_shares(conn, stored, site):
    snapshot = headline(conn)
    rows = site.get("/hub/rq1_versioned_share.json?_shape=array").json()
    answer = stored["rq1"]["answer"]
    for r in rows:
        if r["snapshot"] == snapshot:
            assert pct(r["share_shown"]) in answer and r["share_shown_is"] == "corrected", r["measure"]
    spec = canned_queries()["rq1_versioned_share"]["chart"]
    assert "datum.share_shown" in chart_fields(spec) and "ci95" not in chart_fields(spec)
    parts = json.loads(stored["rq1"]["parts"])["rows"]
    assert [p["sign"] for p in parts][0] == "" and parts[-1]["sign"] == "="
    assert all(p["share"] in answer for p in parts if p["share"] != "0.0%")


def rq2_tasks(conn) -> list[tuple]:
    return conn.execute(
        """select pipeline_tag, count(*), avg(seed_rule), avg(own_version), avg(environment_markers > 0)
           from model_versioning where snapshot = ? and pipeline_tag is not null group by pipeline_tag
           having count(*) >= 500 order by avg(seed_rule) desc""",
        [headline(conn)],
    ).fetchall()


def own_stated(conn, task: str, raw: float) -> tuple[float, list[str]]:
    """The own-version share a sentence gives for a task (estimate_tasks: corrected when its error
    is measured, raw otherwise) and the figures it quotes with it."""
    corrected, low, high, method = conn.execute(
        """select share_corrected, corrected_low, corrected_high, method from estimate_tasks
           where snapshot = ? and pipeline_tag = ?""",
        [headline(conn), task],
    ).fetchone()
    if corrected is None:
        return raw, [pct(raw)]
    if method == "read in full by hand":
        return corrected, [pct(corrected)]
    return corrected, [pct(corrected), "95%", pct(low), pct(high), pct(raw)]


def test_rq2_every_figure_recomputed(conn, stored):
    tasks = rq2_tasks(conn)
    task, models, seed, own, env = tasks[0]
    answer = stored["rq2"]["answer"]
    assert f"{task} has the highest seed-rule share" in answer and f"of {models:,} models" in answer
    own_shown, own_figures = own_stated(conn, task, own)
    expected = [pct(seed), *own_figures, pct(env)]
    stated = sorted((own_stated(conn, t, o)[0], t) for t, _, _, o, _ in tasks)
    assert f"Across the {len(tasks)} tasks" in answer
    assert f"({stated[0][1]}," in answer and f"({stated[-1][1]}," in answer
    expected += [pct(stated[0][0]), pct(stated[-1][0])]
    where = "snapshot = ? and pipeline_tag = ?"
    shares = unit_shares(conn, where, [headline(conn), task], ["own_version", "seed_rule"])
    units = ("family", "author", "without_checkpoints")
    expected += [pct(shares[u][0]) for u in units] + [pct(shares[u][1]) for u in units]
    assert PERCENT.findall(answer) == expected
    if any((shares[u][0] < shares[u][1] / 2) != (own_shown < seed / 2) for u in units):
        assert "does not hold" in answer


def test_rq2_chart_and_table_show_the_quoted_measure(conn, stored, site):
    task = rq2_tasks(conn)[0][0]
    rows = site.get("/hub/rq2_versioning_by_task.json?_shape=array").json()
    (own,) = [r for r in rows if r["pipeline_tag"] == task and r["measure"] == "own version"]
    assert pct(own["share_shown"]) in stored["rq2"]["answer"]
    kind = {"corrected": "corrected for the classifier's error", "read in full by hand": "read in full"}
    assert kind.get(own["share_shown_is"], "raw") in stored["rq2"]["answer"]
    spec = chart_fields(canned_queries()["rq2_versioning_by_task"]["chart"])
    assert "share_shown" in spec and "ci95" not in spec and "1.96" not in spec
    # Every unit's rows draw the same columns; other units carry no corrected share.
    for unit in ("family", "author", "without_checkpoints"):
        other = site.get(f"/hub/rq2_versioning_by_task.json?unit={unit}&_shape=array").json()
        assert other and all(r["share_corrected"] is None and r["unit"] == unit for r in other)


def test_rq3_every_figure_recomputed(conn, stored):
    snapshot = headline(conn)
    answer = stored["rq3"]["answer"]
    judged = conn.execute(
        """select organization, count(*) from model_versioning
           where snapshot = ? and organization_kind = 'company' and own_version
           group by organization having count(*) >= ?""",
        [snapshot, findings.MIN_VERSIONED],
    ).fetchall()
    consistency = {}
    for organization, versioned in judged:
        top = conn.execute(
            """select count(*) from model_versioning where snapshot = ? and organization = ? and own_version
               group by primary_form order by count(*) desc limit 1""",
            [snapshot, organization],
        ).fetchone()[0]
        consistency[organization] = top / versioned
    ordered = sorted(consistency.items(), key=lambda kv: (kv[1], kv[0]))
    assert f"of the {len(judged)} companies with at least {findings.MIN_VERSIONED} versioned" in answer
    consistent = sum(c >= 0.9 for c in consistency.values())
    assert f"versioned models, {consistent} write 90% or more" in answer
    expected = ["90%", pct(ordered[len(ordered) // 2][1], 0), pct(ordered[0][1], 0), pct(ordered[-1][1], 0)]
    assert f"({ordered[0][0]})" in answer and f"({ordered[-1][0]})" in answer
    robust = {
        u: sorted(
            r[0]
            for r in conn.execute(
                """select r.consistency from robustness r where r.snapshot = ? and r.question = 'rq3' and r.unit = ?
                   and r.versioned_models >= ? and r.group_name in (select organization from organizations
                   where kind = 'company')""",
                [snapshot, u, findings.MIN_VERSIONED],
            )
        )
        for u in ("family", "author", "without_checkpoints")
    }
    expected += ["90%"] + [pct(v[len(v) // 2], 0) for v in robust.values()]
    assert PERCENT.findall(answer) == expected


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
        ("/hub/rq1_versioned_share?unit=models", "unit='models'"),
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


def test_each_png_figure_is_its_chart_rendered_directly(fixture_build, conn, stored):
    """The build rasterises each figure's SVG; the PNG is the one the chart itself renders to."""
    import vl_convert

    from scripts.publish import figures

    # the queries as the site serves them (their charts with the site's palette), as the build drew them
    metadata = json.loads((fixture_build / "metadata.json").read_text(encoding="utf-8"))
    queries = metadata["databases"]["hub"]["queries"]
    drawn = [(key, f) for key, f in stored.items() if f["figures"] and f["chart_query"] in queries]
    assert drawn
    for key, f in drawn:
        query = queries[f["chart_query"]]
        spec = figures.with_data(query["chart"], figures.rows_of(conn, query), query.get("title"))
        direct = vl_convert.vegalite_to_png(spec, vl_version=figures.VL_VERSION, scale=figures.PNG_SCALE)
        assert (fixture_build / "figures" / f"{key}.png").read_bytes() == direct, key


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
