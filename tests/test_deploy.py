"""`make publish`: the exact command, and the Docker context Datasette's own publish code would
upload to Cloud Run (gcloud itself cannot run here: no cloud account, no network)."""

import re
import shlex

from scripts.publish import deploy
from scripts.publish import site as site_config


def test_publish_command_ships_the_served_site(fixture_build):
    command = deploy.publish_command("hub-versioning", fixture_build)
    assert command[:4] == ["datasette", "publish", "cloudrun", str(fixture_build / "hub.db")]
    joined = shlex.join(command)
    for part in (
        "--metadata",
        str(fixture_build / "metadata.json"),
        f"--plugins-dir {site_config.PLUGINS_DIR}",
        f"--template-dir {site_config.TEMPLATES_DIR}",
        f"--static assets:{site_config.PLUGINS_DIR / 'static'}",
        f"--static figures:{fixture_build / 'figures'}",
        "--install datasette==0.65.5",
        "--setting sql_time_limit_ms 3000",
    ):
        assert part in joined, part


def options(args: list[str]) -> list[tuple[str, ...]]:
    """The option groups of a `datasette serve` command line that are not file locations, in order."""
    takes_two = {"--setting": 2}
    no_value = {"--cors"}
    found, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg in no_value:
            found.append((arg,))
            i += 1
        elif arg in takes_two:
            found.append(tuple(args[i : i + 3]))
            i += 3
        elif arg.startswith("--"):
            i += 2  # a file or folder, a host or a port: where, not what
        else:
            i += 1
    return sorted(found)


def test_dry_run_writes_the_docker_context_of_the_served_site(fixture_build, tmp_path, capsys):
    out = tmp_path / "publish"
    assert deploy.main(["--dry-run", "--build", str(fixture_build), "--out", str(out)]) == 0
    assert "datasette publish cloudrun" in capsys.readouterr().out
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {
        "Dockerfile",
        "hub.db",
        "metadata.json",
        "plugins/hub_site.py",
        "plugins/hub_guard.py",
        "templates/pages/about.html",
    } <= files
    # Every plugin and template the served site loads is in the context, byte for byte.
    for folder, name in ((site_config.PLUGINS_DIR, "plugins"), (site_config.TEMPLATES_DIR, "templates")):
        for path in folder.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                shipped = out / name / path.relative_to(folder)
                assert shipped.read_bytes() == path.read_bytes(), shipped
    dockerfile = (out / "Dockerfile").read_text()
    cmd = shlex.split(re.search(r"^CMD (.*)$", dockerfile, re.M).group(1))
    assert cmd[:2] == ["datasette", "serve"]
    assert "-i hub.db" in shlex.join(cmd) and "--inspect-file inspect-data.json" in shlex.join(cmd)
    assert "--metadata metadata.json" in shlex.join(cmd) and "--plugins-dir plugins/" in shlex.join(cmd)
    # The deployed server's options (settings, --cors) are exactly those `make serve` passes.
    assert options(cmd) == options(site_config.serve_command(fixture_build))
    assert ("--cors",) in options(cmd)
    assert "datasette==0.65.5" in dockerfile and "datasette-block-robots==1.1.1" in dockerfile
    assert (out / "hub.db").read_bytes()[:16] == b"SQLite format 3\x00"


def test_tests_app_has_the_served_configuration(site):
    app = site.datasette  # tests/conftest.py's app, which every site test uses
    assert app.cors is site_config.CORS is True
    assert {name: app.setting(name) for name in site_config.SETTINGS} == site_config.SETTINGS
    assert app.plugins_dir == str(site_config.PLUGINS_DIR)
    assert app.template_dir == str(site_config.TEMPLATES_DIR)
    plugins = {p["name"] for p in site.get("/-/plugins.json").json()}
    assert {"hub_site.py", "hub_guard.py"} <= plugins
