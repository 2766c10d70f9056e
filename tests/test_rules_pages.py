"""The rules and sources as pages of the site, linked from About, each finding and each model page,
with no link that leads nowhere; and SQL for newcomers: described tables, the snapshot said on
table pages, query titles as page titles, a time-limit page with the editor."""

from __future__ import annotations

import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pytest

from plugins.hub_rules import RULES

ROOT = Path(__file__).resolve().parents[1]


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def links_of(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hrefs


@pytest.mark.parametrize("slug", list(RULES))
def test_each_rule_page_renders_its_markdown_and_every_link_resolves(site, slug):
    mount, name, title, _ = RULES[slug]
    response = site.get(f"/rules/{slug}")
    assert response.status_code == 200
    html = response.text
    assert f"<title>{title}</title>" in html
    source = (
        ROOT / {"docs": "docs", "validation": "data/validation", "study": "data/study"}[mount] / name
    ).read_text(encoding="utf-8")
    # the file's first line of text, as the page shows it
    first = next(line for line in source.splitlines() if re.search(r"[A-Za-z]{3}", line))
    words = re.sub(r"[`*_\\]", " ", re.sub(r"^[\s#>*-]+", "", first)).split()[:3]
    assert " ".join(words) in " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert re.search(r"<h[12] id=", html) or slug == "seed-report", "no heading rendered"
    for href in links_of(html):
        if href.startswith(("http://", "https://", "mailto:")):
            continue
        path = href.split("#")[0]
        if not path:
            continue
        assert site.get(path).status_code in (200, 302), f"/rules/{slug} links {href}, which does not resolve"


def test_the_spec_links_its_anchor_for_whose_version(site):
    html = site.get("/rules/version-markers").text
    assert 'id="whose-version-refers_to"' in html and 'id="forms"' in html


def test_rules_are_linked_from_about_findings_and_model_pages(site, fixture_db):
    about = links_of(site.get("/about").text)
    for slug in ("version-markers", "labelling-guide", "validation", "seed-study"):
        assert f"/rules/{slug}" in about
    home = site.get("/").text
    assert home.count('href="/rules/seed-study"') >= 4  # one per finding
    conn = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    chart_query = conn.execute("select chart_query from findings order by position limit 1").fetchone()[0]
    model = conn.execute("select model from model_versioning limit 1").fetchone()[0]
    conn.close()
    assert "/rules/validation" in links_of(site.get(f"/hub/{chart_query}").text)
    assert "/rules/version-markers" in links_of(site.get(f"/hub/models/{model}").text)
    assert "example.org" not in site.get("/about").text


def test_the_database_page_describes_its_tables(site):
    html = site.get("/hub").text
    metadata = site.datasette.metadata("tables", database="hub")
    shown = [t for t in ("models", "model_versioning", "version_markers", "validation_labels")]
    for table in shown:
        description = metadata[table]["description"]
        assert f'href="/hub/{table}">{table}</a>' in html
        assert description.split(".")[0] in html.replace("&#39;", "'").replace("&quot;", '"')


def test_a_table_page_says_its_rows_mix_censuses_until_one_is_chosen(site):
    mixed = site.get("/hub/model_versioning").text
    assert "These rows mix" in mixed and 'href="/hub/model_versioning?snapshot=2024-07-11"' in mixed
    one = site.get("/hub/model_versioning?snapshot=2024-07-11").text
    assert "Rows of the snapshot <strong>2024-07-11</strong> only" in one
    assert "These rows mix" not in site.get("/hub/organizations").text  # no snapshot column


def test_a_canned_query_page_is_titled_by_its_title_not_its_sql(site):
    queries = site.datasette.metadata("queries", database="hub")
    html = site.get("/hub/rq1_versioned_share").text
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title.strip() == queries["rq1_versioned_share"]["title"].replace("'", "&#39;")
    assert "select" not in title.lower()


def test_a_query_past_the_time_limit_names_it_keeps_the_editor_and_points_to_downloads(site):
    slow = (
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000000) "
        "select count(*) from n"
    )
    response = site.get("/hub", params={"sql": slow})
    assert response.status_code == 400
    html = response.text
    assert "this server&#39;s time limit is 3 s" in html or "this server's time limit is 3 s" in html
    assert '<textarea id="sql-editor" name="sql"' in html and "with recursive n(i)" in html
    assert 'href="/about#downloads"' in html and 'href="/hub.db"' in html
    assert '<footer class="ft">' in html  # the site's own page, with its footer
    assert site.get("/hub.json", params={"sql": slow}).json()["title"] == "SQL Interrupted"


def test_every_page_footer_names_the_dataset_version(site, fixture_db):
    import yaml

    version = str(yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))["version"])
    conn = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    model = conn.execute("select key from models limit 1").fetchone()[0]
    conn.close()
    for path in ("/", "/about", "/hub", "/hub/model_versioning", f"/hub/models/{model}", "/rules/seed-study"):
        html = site.get(path).text
        footer = html[html.index('<footer class="ft">') :]
        assert f'<span class="hub-dataset-version">{version}</span>' in footer, path
        assert "not public yet" in footer and "example.org" not in footer, path
