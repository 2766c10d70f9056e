"""Citation, licenses, downloads links, streamed-CSV limits and absent features, through the real site
(Datasette's test client on the fixture build)."""

import csv
import io
import json
import sqlite3

import pytest

from scripts.publish import downloads
from scripts.publish import site as site_config
from tests.conftest import SiteClient


@pytest.fixture(scope="module")
def manifest(fixture_build):
    return downloads.read_manifest(fixture_build / downloads.MOUNT)


@pytest.fixture(scope="module")
def db(fixture_db):
    conn = sqlite3.connect(fixture_db)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def strict_site(fixture_build):
    """The site with a 1,000-row streaming limit, so that the fixture's tables exceed it."""
    datasette = site_config.datasette_app(fixture_build)
    datasette._metadata_local["plugins"]["hub-provenance"]["stream_row_limit"] = 1000
    client = SiteClient(datasette)
    yield client
    client.loop.close()


@pytest.mark.parametrize("path", ["/about", "/hub/rq1_versioned_share", "/hub/models", "/hub", "/"])
def test_every_footer_names_licenses_sources_and_seed(site, db, path):
    html = site.get(path).text
    footer = html[html.index('<footer class="ft">') :]
    for source_license, snapshot in db.execute("select source_license, snapshot from snapshots"):
        assert snapshot in footer
        assert source_license.split(";")[0] in footer
    assert "Badr Al Achkar" in footer and "Imene Yahiaoui" in footer
    assert "/about#how-to-cite" in footer
    assert "opensource.org/license/mit" not in html


def test_about_cites_and_lists_every_download(site, manifest):
    html = site.get("/about").text
    assert 'id="how-to-cite"' in html and "cff-version" in html
    assert "repository not public yet" in html and "example.org" not in html
    for t in manifest["tables"]:
        assert f"{t['rows']:,}" in html
        for f in t["files"]:
            assert f["sha256"] in html and f"/{downloads.MOUNT}/{f['file']}" in html
    assert manifest["database"]["sha256"] in html


def test_table_page_links_its_downloads(site, manifest):
    html = site.get("/hub/model_versioning").text
    entry = next(t for t in manifest["tables"] if t["table"] == "model_versioning")
    assert f"Whole table, {entry['rows']:,} rows" in html
    assert "/downloads/model_versioning.csv.gz" in html and "/downloads/model_versioning.parquet" in html


def test_stream_within_the_limit_is_complete(site, db):
    response = site.get("/hub/models.csv?_stream=on")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert len(rows) - 1 == db.execute("select count(*) from models").fetchone()[0]


def test_stream_over_the_limit_is_refused_with_the_files(strict_site, db, manifest):
    response = strict_site.get("/hub/models.csv?_stream=on")
    assert response.status_code == 400
    models = db.execute("select count(*) from models").fetchone()[0]
    assert f"{models:,} rows" in response.text and "at most 1,000 rows" in response.text
    entry = next(t for t in manifest["tables"] if t["table"] == "models")
    for f in entry["files"]:
        assert f"/downloads/{f['file']}" in response.text and f["sha256"] in response.text


def test_filtered_stream_under_the_limit_still_streams(strict_site, db):
    expected = db.execute("select count(*) from models where author = 'google'").fetchone()[0]
    assert 0 < expected <= 1000
    response = strict_site.get("/hub/models.csv?author=google&_stream=on")
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(response.text)))) - 1 == expected


def test_capped_query_says_so(site):
    html = site.get("/hub/rq3_family_consistency").text
    assert "returns at most 300 rows" in html


def test_row_page_is_titled_by_model_id(site, db):
    key, model_id = db.execute("select key, id from models order by downloads desc limit 1").fetchone()
    html = site.get(f"/hub/models/{key}").text
    assert f"<title>{model_id} (models)</title>" in html
    assert f'href="https://huggingface.co/{model_id}"' in html
    html = site.get(f"/hub/model_versioning/{key}").text
    assert "<h1" in html and f">{model_id}</h1>" in html


def test_counts_formatted_and_shares_as_percent(site, db):
    top = db.execute("select max(downloads) from models").fetchone()[0]
    assert top >= 1000
    assert f"{top:,}" in site.get("/hub/models").text
    html = site.get("/hub/summary_families?_sort_desc=models").text
    assert "%</td>" in html


def test_absent_features_are_unlisted_and_explained(site, fixture_build, db):
    metadata = json.loads((fixture_build / "metadata.json").read_text())
    absent = metadata["plugins"]["hub-provenance"]["absent"]
    # The fixture has git refs but no MLflow registry.
    assert "registry_models" in absent["tables"] and "model_refs" not in absent["tables"]
    assert absent["queries"] and all(n.startswith("registry_") for n in absent["queries"])
    listing = site.get("/hub").text
    for name in absent["queries"]:
        assert f'href="/hub/{name}"' not in listing
        page = site.get(f"/hub/{name}")
        assert page.status_code == 200 and "make ingest-mlflow" in page.text and "0 results" not in page.text
        assert site.get(f"/hub/{name}.json").status_code == 404
    for table in absent["tables"]:
        assert db.execute(f"select count(*) from [{table}]").fetchone()[0] == 0
        assert f'href="/hub/{table}"' not in listing
