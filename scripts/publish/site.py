"""The site's one configuration: settings, plugins, templates, static files, metadata and --cors.

    python -m scripts.publish.site [--build build] [--port 8001]   # `datasette serve` of the site

`make serve` runs the command above, `make publish` (scripts/publish/deploy.py) ships the same
options to Cloud Run and the tests' Datasette (tests/conftest.py) is made by `datasette_app`, so
what is served locally is what is deployed and what is tested. The guard on every SQLite connection
(string/blob length limit, authorizer, result budget) is the plugin plugins/hub_guard.py, loaded
with the plugins folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path("build")
DATABASE = "hub"
PLUGINS_DIR = ROOT / "plugins"
TEMPLATES_DIR = ROOT / "templates"
# Mount point -> folder served at /<mount point>/ (`--static`); `datasette publish` copies each.
# assets: the site's CSS and the vendored vega, vega-lite and vega-embed (charts draw offline).
# docs, validation, study: the rules and sources, rendered as pages at /rules/ (plugins/hub_rules.py).
STATIC: dict[str, Path] = {
    "assets": PLUGINS_DIR / "static",
    "docs": ROOT / "docs",
    "validation": ROOT / "data" / "validation",
    "study": ROOT / "data" / "study",
}
# Mount point -> folder of the build, served likewise: the findings' figures (scripts/publish/figures.py).
# downloads: the whole-table files (scripts/publish/downloads.py).
BUILD_STATIC = {"figures": "figures", "downloads": "downloads"}


def static_mounts(build: Path = BUILD) -> dict[str, Path]:
    """Every folder the site serves as static files, the build's own included."""
    return {**STATIC, **{mount: Path(build) / folder for mount, folder in BUILD_STATIC.items()}}


# `datasette publish cloudrun` always writes --cors into its Dockerfile: the served site has it too.
CORS = True
SETTINGS = {
    "sql_time_limit_ms": 3000,  # long enough for ad-hoc SQL on 790,000 rows, short enough to share
    "default_page_size": 100,
    "max_returned_rows": 5000,
    "allow_csv_stream": True,  # full CSV export of any table or query
    "allow_download": True,  # the whole database file
    "facet_time_limit_ms": 500,
    # Facet suggestions cost ~50 queries per table page on 790,000 rows (2.5 s, docs/benchmarks.md);
    # the useful facets are configured per table in metadata.yml instead.
    "suggest_facets": False,
    "num_sql_threads": 4,
}


def database_path(build: Path = BUILD) -> Path:
    return Path(build) / f"{DATABASE}.db"


def metadata_path(build: Path = BUILD) -> Path:
    return Path(build) / "metadata.json"


def database_args(build: Path = BUILD) -> list[str]:
    """The immutable database and its inspect file (row counts are not recomputed at start)."""
    return ["-i", str(database_path(build)), "--inspect-file", str(Path(build) / "inspect.json")]


def settings_args() -> list[str]:
    args = []
    for name, value in SETTINGS.items():
        # Booleans as the command line spells them; the in-process app takes them as they are.
        spelled = ("on" if value else "off") if isinstance(value, bool) else str(value)
        args += ["--setting", name, spelled]
    return args


def site_args(build: Path = BUILD) -> list[str]:
    """Metadata, plugins, templates, static files, --cors and settings, without the database."""
    args = ["--metadata", str(metadata_path(build)), "--plugins-dir", str(PLUGINS_DIR)]
    args += ["--template-dir", str(TEMPLATES_DIR)]
    for mount, folder in static_mounts(build).items():
        args += ["--static", f"{mount}:{folder}"]
    if CORS:
        args.append("--cors")
    return args + settings_args()


def serve_command(build: Path = BUILD, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """`datasette serve` of the site, with the datasette of this Python's environment."""
    datasette = Path(sys.executable).with_name("datasette")
    executable = str(datasette) if datasette.exists() else shutil.which("datasette") or "datasette"
    return [
        executable,
        "serve",
        *database_args(build),
        *site_args(build),
        "--host",
        host,
        "--port",
        str(port),
    ]


def datasette_app(build: Path = BUILD):
    """The Datasette application `serve_command` runs, in this process (for Datasette's test client)."""
    from datasette.app import Datasette

    build = Path(build)
    return Datasette(
        immutables=[str(database_path(build))],
        inspect_data=json.loads((build / "inspect.json").read_text(encoding="utf-8")),
        metadata=json.loads(metadata_path(build).read_text(encoding="utf-8")),
        plugins_dir=str(PLUGINS_DIR),
        template_dir=str(TEMPLATES_DIR),
        static_mounts=[(mount, str(folder)) for mount, folder in static_mounts(build).items()],
        cors=CORS,
        settings=SETTINGS,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--build", type=Path, default=BUILD, help="folder with hub.db, inspect.json, metadata.json"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    if not database_path(args.build).exists():
        print(f"{database_path(args.build)} is missing: run `make build` first", file=sys.stderr)
        return 1
    command = serve_command(args.build, args.host, args.port)
    os.execv(command[0], command)
    return 0  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main())
