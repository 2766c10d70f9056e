"""The published site, through Datasette's own test client, on a database built from a cut of the
real censuses."""

import csv
import io
import json
import sqlite3

import pytest
import yaml

from scripts.publish import metadata as publish

QUERIES = publish.canned_queries()
RQ_QUERIES = [name for name, q in QUERIES.items() if q.get("chart")]
# Queries over an MLflow registry have no rows on the censuses alone, so the fixture site does not
# list them (tests/test_provenance.py); tests/test_mlflow.py builds a database with a registry.
# (The fixture census has git refs, collected from the fake Hub.)
OPTIONAL_SOURCE = ("registry_",)
CENSUS_QUERIES = [n for n in QUERIES if not n.startswith(OPTIONAL_SOURCE)]


def test_every_rq_query_has_a_chart():
    assert {
        "rq1_versioned_share",
        "rq2_versioning_by_task",
        "rq3_company_consistency",
        "time_versioned_share",
    } <= set(RQ_QUERIES)


@pytest.mark.parametrize("name", sorted(CENSUS_QUERIES))
def test_canned_query_answers(site, name):
    response = site.get(f"/hub/{name}.json?_shape=objects")
    assert response.status_code == 200, response.text
    assert response.json()["columns"]


@pytest.mark.parametrize("name", sorted(CENSUS_QUERIES))
def test_canned_query_answers_with_rows(site, name):
    response = site.get(f"/hub/{name}.json?_shape=objects")
    assert response.status_code == 200, response.text
    data = response.json()
    rows = data["rows"]
    assert len(rows) >= 2, f"{name} returned {len(rows)} rows on the fixture"
    chart = QUERIES[name].get("chart")
    if chart and "$schema" in chart:
        chart = None  # a Vega-Lite spec names its fields in its encodings (tests/test_history_queries.py)
    if chart:
        made = set(spec_values(chart, "as"))
        for field in spec_values(chart, "field"):
            assert field in data["columns"] or field in made, f"{name}: chart field {field} is not a column"


@pytest.mark.parametrize("name", sorted(CENSUS_QUERIES))
def test_canned_query_csv_export(site, name):
    response = site.get(f"/hub/{name}.csv")
    assert response.status_code == 200
    assert (
        response.headers["content-type"].startswith("text/plain") or "csv" in response.headers["content-type"]
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) >= 2


def test_rq1_shares_match_the_model_rows(site, fixture_db):
    """The headline figures are traceable: recount them from model_versioning directly."""
    rows = site.get("/hub/rq1_versioned_share.json?_shape=array").json()
    conn = sqlite3.connect(fixture_db)
    traditional = (
        "own_version and primary_form in ('v_major', 'v_minor', 'v_patch', 'num_minor', 'num_patch')"
    )
    counted = {
        "no own version": "not own_version",
        "traditional": traditional,
        "other scheme": f"own_version and not ({traditional})",
    }
    assert {r["measure"].split(" (")[0] for r in rows} == set(counted)
    for row in rows:
        n, k = conn.execute(
            f"select count(*), sum({counted[row['measure'].split(' (')[0]]}) from model_versioning where snapshot = ?",
            [row["snapshot"]],
        ).fetchone()
        assert row["models"] == n and row["share_raw"] == pytest.approx(k / n, abs=1e-6)
        assert "ci95_low" not in row  # a census has no sampling error
        # The link opens exactly the counted rows.
        linked = site.get(
            row["rows"].replace("/hub/model_versioning?", "/hub/model_versioning.json?_size=0&")
        )
        assert linked.json()["filtered_table_rows_count"] == k


def test_rq2_shows_rl_versioning_is_environments(site):
    rows = site.get("/hub/rq2_versioning_by_task.json?_shape=array&min_models=20").json()
    rl = {r["measure"]: r["share_raw"] for r in rows if r["pipeline_tag"] == "reinforcement-learning"}
    assert rl, "the fixture has reinforcement-learning models"
    assert rl["seed rule"] > rl["own version"]
    assert rl["RL environment version"] > 0.5


def test_rq3_companies_include_the_big_ones(site):
    rows = site.get("/hub/rq3_company_consistency.json?_shape=array").json()
    organizations = {r["organization"] for r in rows}
    assert {"Google", "Meta", "Microsoft", "Mistral AI"} <= organizations
    for r in rows:
        if r["versioned"]:
            assert 0 < r["consistency"] <= 1 and r["entropy_bits"] >= 0


def test_table_json_export(site):
    data = site.get("/hub/model_versioning.json?_shape=objects&_size=5&own_version=1").json()
    assert len(data["rows"]) == 5 and all(r["own_version"] == 1 for r in data["rows"])


def test_full_text_search_on_model_ids(site):
    data = site.get("/hub/models.json?_search=Mistral&_shape=array").json()
    assert data and all("mistral" in r["id"].lower() for r in data)


def test_model_lookup_finds_markers(site):
    rows = site.get("/hub/browse_model_lookup.json?_shape=array&q=Mistral-7B-Instruct-v0.2").json()
    assert any(r["model_id"] == "mistralai/Mistral-7B-Instruct-v0.2" and "v0.2" in r["markers"] for r in rows)


def test_about_page_names_sources_and_caveats(site):
    response = site.get("/about")
    assert response.status_code == 200
    html = response.text
    for text in (
        "2024-07-11",
        "2022-02-21",
        "TStalnaker44/hugging_face_analysis_replication",
        "saranscript/huggingface-models",
        "GPL-3.0",
        "30-day",
        "placeholder",
        "seed_rule",
        "MLflow",
    ):
        assert text in html, text


def spec_values(spec, key: str) -> list[str]:
    """Every string value of `key` in a Vega-Lite spec (a transform's "as" may be a list), leaving
    out the parts that bring their own data (e.g. a reference line)."""
    found = []
    if isinstance(spec, dict) and "data" in spec:
        return []
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k == key and isinstance(v, str):
                found.append(v)
            elif k == key and isinstance(v, list):
                found += [x for x in v if isinstance(x, str)]
            else:
                found += spec_values(v, key)
    elif isinstance(spec, list):
        for item in spec:
            found += spec_values(item, key)
    return found


def test_rq_query_page_carries_its_chart_and_rows(site):
    html = site.get("/hub/rq2_versioning_by_task").text
    assert 'id="hub-chart-spec"' in html and 'id="hub-chart-rows"' in html
    assert "/assets/vega/vega-embed.min.js" in html and "datasette_vega" not in html
    assert site.get("/assets/vega/vega-embed.min.js").status_code == 200


def test_robots_policy_allows_pages_but_not_bulk_sql(site):
    robots = site.get("/robots.txt").text
    assert "Disallow: /hub?sql=" in robots
    assert "Disallow: /\n" not in robots + "\n"


def test_every_table_and_column_is_described(fixture_db, fixture_build):
    metadata = json.loads((fixture_build / "metadata.json").read_text())
    tables = metadata["databases"]["hub"]["tables"]
    conn = sqlite3.connect(fixture_db)
    names = [
        r[0]
        for r in conn.execute(
            # full-text indexes and their shadow tables are SQLite's, hidden by Datasette
            "select name from sqlite_master t where type = 'table' and name not like 'sqlite_%' and not exists"
            " (select 1 from sqlite_master v where v.sql like 'CREATE VIRTUAL TABLE%' and t.name like v.name || '%')"
        )
    ]
    for name in names:
        assert tables.get(name, {}).get("description"), f"table {name} has no description"
        columns = [r[1] for r in conn.execute(f"pragma table_info([{name}])")]
        missing = [c for c in columns if not tables[name].get("columns", {}).get(c)]
        assert not missing, f"{name}: no description for {missing}"


def test_metadata_yml_is_the_source(fixture_build):
    """The served metadata is metadata.yml plus the canned queries this build has data for."""
    served = json.loads((fixture_build / "metadata.json").read_text())
    source = yaml.safe_load(open(publish.METADATA_YML))
    assert served["title"] == source["title"]
    absent = served["plugins"]["hub-provenance"]["absent"]["queries"]
    assert set(served["databases"]["hub"]["queries"]) == set(QUERIES) - set(absent)


@pytest.mark.parametrize("page", ["/", "/about", "/hub"])
def test_internal_links_answer(site, page):
    import re

    html = site.get(page).text
    links = sorted(set(re.findall(r'href="(/[^"#]*)"', html)) - {"/hub.db"})
    assert len(links) >= 5
    for link in links:
        status = site.get(link.replace("&amp;", "&")).status_code
        assert status == 200, f"{page} links to {link}: {status}"


@pytest.mark.parametrize(
    "query",
    [
        "min_models=%EF%BC%95",  # a full-width 5, which int() reads as 5
        "min_models=abc&min_models=5",
        "min_models=5&min_models=5",
        "min_models=+5",
        "min_models=5_000",
        "min_models=%205",
    ],
)
def test_canned_query_parameters_are_ascii_digits_given_once(site, query):
    for path in ("/hub/rq2_versioning_by_task.json", "/hub/rq2~5Fversioning_by_task.json"):
        response = site.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query, response.text[:300])
        assert response.json()["title"] == "Invalid parameter"
    assert site.get(f"/hub/rq2_versioning_by_task.csv?{query}").status_code == 400
    assert site.get(f"/hub/rq2_versioning_by_task?{query}").status_code == 400


def test_a_plain_whole_number_parameter_is_answered(site):
    response = site.get("/hub/rq2_versioning_by_task.json?_shape=array&min_models=5")
    assert response.status_code == 200 and response.json()
