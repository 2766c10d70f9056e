"""`make publish`: the exact command, and the Docker context Datasette's own publish code would
upload to Cloud Run (gcloud itself cannot run here: no cloud account, no network)."""

import re
import shlex

from scripts import deploy, serve_options


def test_publish_command_ships_the_served_site(fixture_build):
    command = deploy.publish_command("hub-versioning", fixture_build)
    assert command[:4] == ["datasette", "publish", "cloudrun", str(fixture_build / "hub.db")]
    joined = shlex.join(command)
    for part in (
        "--metadata",
        str(fixture_build / "metadata.json"),
        "--plugins-dir plugins",
        "--template-dir templates",
        "--install datasette-vega==0.6.2",
        "--install datasette==0.65.5",
        "--setting sql_time_limit_ms 3000",
    ):
        assert part in joined, part


def test_dry_run_writes_the_docker_context(fixture_build, tmp_path, capsys):
    out = tmp_path / "publish"
    assert deploy.main(["--dry-run", "--build", str(fixture_build), "--out", str(out)]) == 0
    assert "datasette publish cloudrun" in capsys.readouterr().out
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {
        "Dockerfile",
        "hub.db",
        "metadata.json",
        "plugins/hub_site.py",
        "templates/pages/about.html",
    } <= files
    dockerfile = (out / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (.*)$", dockerfile, re.M).group(1)
    assert "-i hub.db" in cmd and "--inspect-file inspect-data.json" in cmd
    assert "--metadata metadata.json" in cmd and "--plugins-dir plugins/" in cmd
    for name, value in serve_options.SETTINGS.items():
        assert f"--setting {name} {value}" in cmd
    assert "datasette==0.65.5" in dockerfile and "datasette-block-robots==1.1.1" in dockerfile
    assert (out / "hub.db").read_bytes()[:16] == b"SQLite format 3\x00"
