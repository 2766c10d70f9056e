"""A table's access rules worked out once per served site (plugins/hub_permissions.py): the same
answers as Datasette's own, a denial still denies, and new metadata is read afresh."""

from __future__ import annotations

import copy

from datasette.app import Datasette

from tests.conftest import SiteClient, make_datasette


def with_rules(build_dir, rules: dict):
    """The site's Datasette with `allow` blocks added to some tables' metadata."""
    ds = make_datasette(build_dir)
    metadata = copy.deepcopy(ds._metadata_local)
    tables = metadata["databases"]["hub"].setdefault("tables", {})
    for table, allow in rules.items():
        tables.setdefault(table, {})["allow"] = allow
    ds._metadata_local = metadata
    return ds


def test_every_table_has_the_rules_datasette_works_out(fixture_build):
    rules = {"models": False, "tags": {"id": "root"}, "version_markers": {"id": ["alice", "bob"]}}
    ds = with_rules(fixture_build, rules)
    client = SiteClient(ds)
    try:
        client.loop.run_until_complete(ds.invoke_startup())
        tables = client.loop.run_until_complete(ds.get_database("hub").table_names())
    finally:
        client.loop.close()
    assert len(tables) > 40 and set(rules) <= set(tables)
    unwrapped = Datasette._table_permission_allows
    answers = {t: ds._table_permission_allows("hub", t) for t in tables}
    assert answers == {t: unwrapped(ds, "hub", t) for t in tables}
    assert {t for t, a in answers.items() if a} == set(rules)


def test_every_table_is_worked_out_once_at_startup(fixture_build):
    ds = make_datasette(fixture_build)
    calls = []
    unwrapped = ds._table_permission_allows

    def counted(database, table):
        calls.append((database, table))
        return unwrapped(database, table)

    ds._table_permission_allows = counted  # the plugin wraps this at startup
    client = SiteClient(ds)
    try:
        client.loop.run_until_complete(ds.invoke_startup())
        tables = client.loop.run_until_complete(ds.get_database("hub").table_names())
        assert {t for d, t in calls if d == "hub"} >= set(tables)
        at_startup = len(calls)
        for page in ("/", "/hub", "/?_uncached=1", "/hub?_uncached=1", "/hub.json"):
            assert client.get(page).status_code == 200, page
    finally:
        client.loop.close()
    assert len(calls) == at_startup, "the pages worked out a table's rules again"
    assert len(calls) == len(set(calls))


def test_a_table_denied_in_the_metadata_stays_denied(fixture_build):
    ds = with_rules(fixture_build, {"models": False})
    client = SiteClient(ds)
    try:
        assert client.get("/hub/models").status_code == 403
        assert client.get("/hub/models").status_code == 403  # the kept answer too
        assert client.get("/hub/model_versioning").status_code == 200
        # The metadata replaced: the rule is worked out again.
        opened = copy.deepcopy(ds._metadata_local)
        del opened["databases"]["hub"]["tables"]["models"]["allow"]
        ds._metadata_local = opened
        assert client.get("/hub/models?_size=1").status_code == 200
    finally:
        client.loop.close()
