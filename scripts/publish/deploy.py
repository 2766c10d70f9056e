"""Deploy the built site to Google Cloud Run with `datasette publish cloudrun`.

    python -m scripts.publish.deploy [--service hub-versioning]      # needs gcloud, logged in
    python -m scripts.publish.deploy --dry-run [--out build/publish]  # the command and the Docker context

The published site is the served one: the same database, metadata, plugins, templates, static
files, --cors and settings (scripts/publish/site.py), with Datasette and the plugins at the versions pinned in
requirements.txt. --dry-run writes the Docker context with Datasette's own
`temporary_docker_directory`, the function `datasette publish cloudrun` ships, so the files and
Dockerfile can be checked without a cloud account.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from scripts.publish import site

ROOT = site.ROOT
# markdown-it-py (and its mdurl): the rules pages of plugins/hub_rules.py.
PINNED_FOR_SITE = ("datasette", "datasette-block-robots", "markdown-it-py", "mdurl")


def pins(requirements: Path = ROOT / "requirements.txt") -> list[str]:
    wanted = {}
    for line in requirements.read_text().splitlines():
        name, sep, version = line.strip().partition("==")
        if sep and name.lower() in PINNED_FOR_SITE:
            wanted[name.lower()] = f"{name}=={version}"
    missing = set(PINNED_FOR_SITE) - set(wanted)
    if missing:
        raise SystemExit(f"{requirements}: no pin for {sorted(missing)}")
    return [wanted[n] for n in PINNED_FOR_SITE]


def extra_options() -> str:
    """The options `datasette publish` has no flag of its own for: the settings. (It writes --cors
    into every Dockerfile itself, which is why site.CORS is on.)"""
    return " ".join(site.settings_args())


def publish_command(service: str, build: Path = site.BUILD) -> list[str]:
    command = ["datasette", "publish", "cloudrun", str(site.database_path(build)), "--service", service]
    command += ["--metadata", str(site.metadata_path(build))]
    command += ["--plugins-dir", str(site.PLUGINS_DIR), "--template-dir", str(site.TEMPLATES_DIR)]
    for mount, folder in site.static_mounts(build).items():
        command += ["--static", f"{mount}:{folder}"]
    command += ["--extra-options", extra_options()]
    for pin in pins():
        command += ["--install", pin]
    return command


def write_docker_context(out: Path, build: Path = site.BUILD) -> Path:
    """The directory `datasette publish cloudrun` would upload, copied to out."""
    from datasette.utils import temporary_docker_directory

    out = Path(out).resolve()
    shutil.rmtree(out, ignore_errors=True)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with (
            open(site.metadata_path(build)) as metadata,
            temporary_docker_directory(
                # the published database itself: build/hub.db is a link into the current build
                [str(site.database_path(build).resolve())],
                "hub-versioning",
                metadata,
                extra_options(),
                None,
                str(site.TEMPLATES_DIR),
                str(site.PLUGINS_DIR),
                [(mount, str(folder)) for mount, folder in site.static_mounts(build).items()],
                pins()[1:] + [pins()[0]],
                False,
                None,
                "dry-run-secret",
            ) as context_dir,
        ):
            # Hard links: the database is hundreds of MB and is not changed here.
            shutil.copytree(
                context_dir, out, ignore=shutil.ignore_patterns("__pycache__"), copy_function=os.link
            )
    finally:
        os.chdir(cwd)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", default="hub-versioning")
    parser.add_argument("--dry-run", action="store_true", help="print the command, write the Docker context")
    parser.add_argument("--out", type=Path, default=site.BUILD / "publish")
    parser.add_argument("--build", type=Path, default=site.BUILD, help="folder with hub.db")
    args = parser.parse_args(argv)
    if not site.database_path(args.build).exists():
        print(f"{site.database_path(args.build)} is missing: run `make build` first", file=sys.stderr)
        return 1
    command = publish_command(args.service, args.build)
    print(shlex.join(command))
    if args.dry_run:
        print(f"Docker context written to {write_docker_context(args.out, args.build)}")
        return 0
    if shutil.which("gcloud") is None:
        print("gcloud is not installed: see https://cloud.google.com/sdk/docs/install", file=sys.stderr)
        return 1
    return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
