"""'Explain this model' on the fixture build's model pages and on the lookup: for a model of each
kind of marker (whose version it decided), the block names the marker, its form, its owner, the
rule of docs/version-markers.md that decided it and the evidence; the family's other versions; the
hand label when the id was labelled."""

from __future__ import annotations

import html as html_lib
import re
import sqlite3

import pytest

# The rule the specification gives each owner, by the evidence its rules write (docs/version-markers.md).
SPEC_RULE = [
    ("environment", "", "rule 1"),
    ("dataset", "dataset tag", "rule 7"),
    ("dataset", "", "rule 2"),
    ("base_model", "base_model tag", "rule 3"),
    ("base_model", "format copy", "rule 5"),
    ("base_model", "name embeds", "rule 6"),
    ("base_model", "checkpoint of", "rule 6"),
    ("unclear", "closed model", "rule 4"),
    ("unclear", "", "decision"),
    ("self", "a second version after", "rule 6"),
    ("self", "the author publishes", "rule 6"),
    ("self", "the author's own base_model", "rule 3"),
    ("self", "format copy of the author's own", "rule 5"),
    ("self", "the author's own dataset", "rule 7"),
    ("self", "", "rule 8"),
]


def test_an_own_marker_decided_by_a_rule_names_it(site, conn):
    marker = conn.execute(
        """select * from version_markers where refers_to = 'self' and evidence like 'the author publishes %'
           and snapshot = '2024-07-11' order by model limit 1"""
    ).fetchone()
    assert marker is not None, "the fixture has no own marker of a family's publisher"
    block = explain_block(site.get(f"/hub/models/{marker['model']}").text)
    row = next(r for r in block.split("<tr") if f"<code>{marker['text']}</code>" in r and ">self<" in r)
    assert ">rule 6</a>" in row and marker["evidence"] in row


@pytest.fixture(scope="module")
def conn(fixture_db):
    c = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    c.row_factory = sqlite3.Row
    yield c
    c.close()


def explain_block(html: str) -> str:
    start = html.index('<section class="hub-explain"')
    return html_lib.unescape(html[start : html.index("</section>", start)])


def expected_rule(refers_to: str, evidence: str | None) -> str:
    return next(
        rule
        for owner, prefix, rule in SPEC_RULE
        if owner == refers_to and (evidence or "").startswith(prefix)
    )


@pytest.mark.parametrize("refers_to", ["self", "base_model", "environment", "dataset", "unclear"])
def test_a_model_page_explains_a_marker_of_each_owner(site, conn, refers_to):
    marker = conn.execute(
        """select * from version_markers where refers_to = ? and snapshot = '2024-07-11'
           order by model limit 1""",
        [refers_to],
    ).fetchone()
    assert marker is not None, f"the fixture has no {refers_to} marker"
    response = site.get(f"/hub/models/{marker['model']}")
    assert response.status_code == 200
    block = explain_block(response.text)
    assert marker["model_id"] in block
    row = next(
        r for r in block.split("<tr") if f"<code>{marker['text']}</code>" in r and f">{refers_to}<" in r
    )
    assert f">{marker['form']}<" in row
    rule = expected_rule(refers_to, marker["evidence"])
    assert f">{rule}</a>" in row and 'href="/rules/version-markers#whose-version-refers_to"' in row
    if marker["evidence"]:
        assert marker["evidence"] in row
    else:
        assert "none recorded" in row


def test_every_evidence_in_the_build_maps_to_a_rule_of_the_spec(site, conn):
    from plugins.hub_explain import rule_of

    for refers_to, evidence in conn.execute("select distinct refers_to, evidence from version_markers"):
        assert rule_of(refers_to, evidence)["name"] == expected_rule(refers_to, evidence), (
            refers_to,
            evidence,
        )


def test_a_labelled_model_shows_its_hand_label_and_an_unlabelled_one_says_so(site, conn):
    label = conn.execute(
        "select * from validation_labels where model is not null and own_version = 1 order by model_id limit 1"
    ).fetchone()
    block = explain_block(site.get(f"/hub/models/{label['model']}").text)
    assert "in the validation sample" in block and "the annotators read an own version" in block
    assert f"This build's classifier: <strong>{label['decision']}</strong>" in block
    where = (
        f"group <code>{label['label_group']}" if label["label_group"] else f"stratum <code>{label['stratum']}"
    )
    assert where in block
    unlabelled = conn.execute(
        """select model from model_versioning where snapshot = '2024-07-11'
           and model_id not in (select model_id from validation_labels) limit 1"""
    ).fetchone()
    assert "not in the hand-labelled validation sample" in explain_block(
        site.get(f"/hub/models/{unlabelled['model']}").text
    )


def test_the_family_links_to_its_other_versions(site, conn):
    family = conn.execute(
        """select snapshot, author, family, group_concat(model) as models from model_versioning
           where author = 'meta-llama' group by 1, 2, 3 having count(*) >= 3 limit 1"""
    ).fetchone()
    models = [int(m) for m in family["models"].split(",")]
    block = explain_block(site.get(f"/hub/models/{models[0]}").text)
    assert f"<code>{family['family']}</code>" in block
    linked = {int(n) for n in re.findall(r'href="/hub/models/(\d+)"', block)}
    assert set(models[1:]) <= linked and models[0] not in linked
    assert site.get(f"/hub/models/{models[1]}").status_code == 200


def test_the_model_versioning_row_and_the_lookup_explain_too(site, conn):
    row = conn.execute(
        "select model, model_id from model_versioning where own_version = 1 order by downloads desc limit 1"
    ).fetchone()
    assert row["model_id"] in explain_block(site.get(f"/hub/model_versioning/{row['model']}").text)
    lookup = site.get("/hub/browse_model_lookup", params={"q": row["model_id"].upper()})
    block = explain_block(lookup.text)
    assert f'Explain this model: <a href="/hub/models/{row["model"]}">{row["model_id"]}</a>' in block
    assert "/rules/version-markers" in block
