"""Facet counts plugin: the configured facets of a large unfiltered table, read from the counts
the build wrote (`facet_counts`, scripts/publish/search_index.py) instead of counted over its
790,000 rows on every visit that the response cache does not answer.

Datasette's column facet is replaced (through a wrapper of the `register_facet_classes` hook) by
a subclass that answers a facet from `facet_counts` when the table page has no filter, no search
and no `_where` (its SQL ends at `from <table>`) and the build counted that column; every other
facet is Datasette's own, unchanged. The answer has Datasette's shape and order (count
descending, then value; `facet_size` values, `truncated` when there are more).
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.facets import ColumnFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

COUNTS_TABLE = "facet_counts"


class CountedColumnFacet(ColumnFacet):
    """Datasette's column facet, with the unfiltered counts of the configured columns precounted."""

    only = None  # the one config the parent computes, when set

    def get_configs(self):
        configs = super().get_configs()
        return configs if self.only is None else [self.only]

    def unfiltered(self) -> bool:
        return (
            bool(self.table)
            and not self.params
            and self.sql.rstrip().endswith(f" from {escape_sqlite(self.table)}")
        )

    async def counted_columns(self) -> set[str]:
        db = self.ds.get_database(self.database)
        if not await db.table_exists(COUNTS_TABLE):
            return set()
        rows = await db.execute(
            f"select distinct column_name from {COUNTS_TABLE} where table_name = ?", [self.table]
        )
        return {r[0] for r in rows}

    async def facet_results(self):
        counted = await self.counted_columns() if self.unfiltered() else set()
        configs = super().get_configs()
        if not counted & {c["config"].get("column") or c["config"]["simple"] for c in configs}:
            return await super().facet_results()
        results, timed_out = [], []
        for source_and_config in configs:
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            if column in counted:
                results.append(await self.counted_result(column, source_and_config["source"]))
                continue
            self.only = source_and_config
            try:
                more, late = await super().facet_results()
            finally:
                self.only = None
            results += more
            timed_out += late
        return results, timed_out

    async def counted_result(self, column: str, source: str) -> dict:
        """One facet as ColumnFacet.facet_results builds it, its rows read from facet_counts."""
        facet_size = self.get_facet_size()
        rows = (
            await self.ds.execute(
                self.database,
                f"select value, count from {COUNTS_TABLE} where table_name = ? and column_name = ?"
                " order by count desc, value limit ?",
                [self.table, column, facet_size + 1],
            )
        ).rows
        values = [row["value"] for row in rows[:facet_size]]
        expanded = await self.ds.expand_foreign_keys(self.database, self.table, column, values)
        qs_pairs = self.get_querystring_pairs()
        column_qs = f"{column}__exact" if column.startswith("_") else column
        results = []
        for row in rows[:facet_size]:
            selected = (column_qs, str(row["value"])) in qs_pairs
            if selected:
                toggle_path = path_with_removed_args(self.request, {column_qs: str(row["value"])})
            else:
                toggle_path = path_with_added_args(self.request, {column_qs: row["value"]})
            results.append(
                {
                    "value": row["value"],
                    "label": expanded.get((column, row["value"]), row["value"]),
                    "count": row["count"],
                    "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(toggle_path)),
                    "selected": selected,
                }
            )
        return {
            "name": column,
            "type": self.type,
            "hideable": source != "metadata",
            "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet": column})),
            "results": results,
            "truncated": len(rows) > facet_size,
        }


@hookimpl(hookwrapper=True)
def register_facet_classes():
    outcome = yield
    outcome.force_result(
        [[CountedColumnFacet if c is ColumnFacet else c for c in classes] for classes in outcome.get_result()]
    )
