"""Permissions plugin: a table's access rules worked out once per served site, not once per check.

Datasette 0.65.5 answers each `view-table` check (`Datasette._table_permission_allows`) by deep-
copying the whole metadata, and the home and database pages check every table: with this site's
metadata (every column of 50 tables described, the canned queries) that was about 0.9 s of one
core per page, on the event loop, so an uncached home page took 1.1 s and held every other
request meanwhile. The rules depend only on the metadata, which a served site does not change:
each (database, table) answer is kept, and worked out afresh if the metadata object is replaced.
Every table's and view's answer is worked out at startup (about 0.6 s, before `datasette serve`
takes requests), so that the first visitor does not wait for them.
Nothing is kept when a plugin supplies metadata through the `get_metadata` hook, whose answers
may change per call.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.plugins import pm


def metadata_from_plugins() -> bool:
    return bool(pm.hook.get_metadata.get_hookimpls())


def remember_table_rules(datasette) -> bool:
    """Wrap this instance's `_table_permission_allows` so that each answer is worked out once;
    False (nothing wrapped) when a plugin supplies metadata."""
    if metadata_from_plugins():
        return False
    work_out = datasette._table_permission_allows
    kept: dict[tuple[str, str], tuple] = {}
    kept_for = datasette._metadata_local

    def table_permission_allows(database, table):
        nonlocal kept_for
        if datasette._metadata_local is not kept_for:
            kept.clear()
            kept_for = datasette._metadata_local
        key = (database, table)
        if key not in kept:
            kept[key] = tuple(work_out(database, table))
        return list(kept[key])

    datasette._table_permission_allows = table_permission_allows
    return True


async def work_out_every_table(datasette) -> None:
    for name, db in datasette.databases.items():
        for table in await db.table_names() + await db.view_names():
            datasette._table_permission_allows(name, table)


@hookimpl
def startup(datasette):
    if remember_table_rules(datasette):
        return work_out_every_table(datasette)
    return None
