"""The Datasette options of the site, printed for `make serve` and used by `make publish`.

One list, so that what is served locally is what is published.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

BUILD = Path("build")
SETTINGS = {
    "sql_time_limit_ms": 3000,  # long enough for ad-hoc SQL on 790,000 rows, short enough to share
    "default_page_size": 100,
    "max_returned_rows": 5000,
    "allow_csv_stream": "on",  # full CSV export of any table or query
    "allow_download": "on",  # the whole database file
    "facet_time_limit_ms": 500,
    # Facet suggestions cost ~50 queries per table page on 790,000 rows (2.5 s, docs/benchmarks.md);
    # the useful facets are configured per table in metadata.yml instead.
    "suggest_facets": "off",
    "num_sql_threads": 4,
}


def database_args(build: Path = BUILD) -> list[str]:
    return ["-i", str(build / "hub.db"), "--inspect-file", str(build / "inspect.json")]


def site_args(build: Path = BUILD) -> list[str]:
    """Metadata, plugins, templates and settings, without the database."""
    args = [
        "--metadata",
        str(build / "metadata.json"),
        "--plugins-dir",
        "plugins",
        "--template-dir",
        "templates",
    ]
    for name, value in SETTINGS.items():
        args += ["--setting", name, str(value)]
    return args


if __name__ == "__main__":
    print(shlex.join(database_args() + site_args()))
    sys.exit(0)
