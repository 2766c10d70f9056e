"""The build refuses what it cannot stand behind, with file, line and field, and every failure
leaves the previous database, inspect file and metadata as they were.

Each case starts from a census cut from the vendored 2022-02-21 snapshot, built once into a
private build folder, then damages one thing and builds again.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import psutil
import pytest

from scripts import build
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, SnapshotError, sha256_of
from scripts.snapshot.write import write_snapshot

ROOT = Path(__file__).resolve().parent.parent
CUT = 400  # lines of the vendored census in each test's snapshot


def vendored_lines(name: str, count: int) -> list[bytes]:
    lines = []
    with gzip.open(DEFAULT_SNAPSHOTS_DIR / name / "models.jsonl.gz", "rb") as f:
        for line in f:
            lines.append(line)
            if len(lines) == count:
                break
    return lines


def write_census(folder: Path, lines: list[bytes], **manifest) -> Path:
    fields = {"snapshot": folder.name, "collected": "cut for a test", **manifest}
    write_snapshot(folder, SnapshotKind.CENSUS, lines, fields, data_file="models.jsonl.gz")
    return folder


def set_manifest(folder: Path, **fields) -> None:
    path = folder / "MANIFEST.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | fields))


def served_state(out: Path) -> dict:
    """What a server would read: the database (by hash), inspect file, metadata, every file of the
    downloads and figures folders (by hash), and the folder's names."""
    served = {
        f"{mount}/{p.relative_to(out.parent / mount)}": sha256_of(p)
        for mount in ("downloads", "figures")
        for p in sorted((out.parent / mount).rglob("*"))
        if p.is_file()
    }
    return {
        "hub.db": sha256_of(out),
        "inspect.json": (out.parent / "inspect.json").read_text(),
        "metadata.json": (out.parent / "metadata.json").read_text(),
        "served": served,
        "folder": sorted(p.name for p in out.parent.iterdir()),
    }


def refused(built, pattern: str) -> None:
    """The build fails with a SnapshotError matching pattern and leaves the served files alone."""
    snapshots, out, before = built
    with pytest.raises(SnapshotError, match=pattern):
        build.build(out, snapshots, workers=1)
    assert served_state(out) == before


def with_line(snapshots: Path, index: int, line: bytes) -> None:
    """The census rewritten (with a manifest that matches it) with line `index` replaced."""
    folder = snapshots / "2022-02-21"
    lines = vendored_lines("2022-02-21", CUT)
    lines[index] = line
    (folder / "models.jsonl.gz").write_bytes(gzip.compress(b"".join(lines), mtime=0))
    set_manifest(folder, sha256=sha256_of(folder / "models.jsonl.gz"), records=len(lines))


def record_line(index: int, **fields) -> bytes:
    record = json.loads(vendored_lines("2022-02-21", index + 1)[index]) | fields
    return json.dumps(record).encode() + b"\n"


def test_a_census_without_records_is_refused(built):
    write_census(built[0] / "2024-07-11", [])
    refused(built, r"2024-07-11/models.jsonl.gz: holds no records")


def test_two_folders_with_one_snapshot_name_are_refused(built):
    write_census(built[0] / "again", vendored_lines("2022-02-21", 10), snapshot="2022-02-21")
    refused(
        built, r"again/MANIFEST.json: snapshot name '2022-02-21' is already that of .*2022-02-21/MANIFEST"
    )


@pytest.mark.parametrize("name", [None, "", "  ", ["2022-02-21"], 7])
def test_a_snapshot_name_must_be_a_non_empty_string(built, name):
    set_manifest(built[0] / "2022-02-21", snapshot=name)
    refused(built, r"2022-02-21/MANIFEST.json: field 'snapshot' must be a non-empty string")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"tags": "pytorch"}, r"field 'tags' must be list \(or null\), not 'pytorch'"),
        ({"tags": ["pytorch", 3]}, r"field 'tags' must hold strings; item 2 is 3"),
        ({"library_name": ["transformers"]}, r"field 'library_name' must be str \(or null\)"),
        ({"downloads": "many"}, r"field 'downloads' must be int \(or null\)"),
        ({"id": "org/\ud800"}, r"holds '\\ud800', which is not text"),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_with_file_line_and_field(built, fields, message):
    with_line(built[0], 41, record_line(41, **fields))
    refused(built, r"2022-02-21/models.jsonl.gz:42: " + message)


def test_deep_nesting_is_refused_with_file_and_line(built):
    with_line(built[0], 9, b'{"id": "a/b", "cardData": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
    refused(built, r"2022-02-21/models.jsonl.gz:10: JSON nested too deeply")


def test_a_utf32_line_is_reported_as_itself_not_as_a_duplicate(built):
    # The line's own record, encoded as UTF-32 (a newline of four bytes ends it).
    text = vendored_lines("2022-02-21", 8)[7].decode().rstrip("\n")
    with_line(built[0], 7, text.encode("utf-32-le") + b"\n")
    refused(built, r"2022-02-21/models.jsonl.gz:8: not valid JSON")


def test_a_line_that_is_not_utf8_is_refused(built):
    start = b'{"id": "org/caf'
    with_line(built[0], 7, start + b'\xe9"}\n')  # Latin-1, not UTF-8
    refused(built, rf"2022-02-21/models.jsonl.gz:8: not UTF-8 text \(byte {len(start) + 1}: invalid")


def test_a_truncated_gzip_file_names_the_last_line_read(built):
    snapshots = built[0]
    folder = snapshots / "2022-02-21"
    data = (folder / "models.jsonl.gz").read_bytes()
    cut = data[: len(data) // 2]
    (folder / "models.jsonl.gz").write_bytes(cut)
    set_manifest(folder, sha256=sha256_of(folder / "models.jsonl.gz"))
    readable = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut).count(b"\n")
    assert readable > 100
    refused(built, rf"2022-02-21/models.jsonl.gz: unreadable after line {readable}, the last whole line")


def test_inspect_file_names_the_served_database(built):
    _, out, _ = built
    (info,) = json.loads((out.parent / "inspect.json").read_text()).items()
    assert info[0] == "hub" and info[1]["file"] == str(out)
    assert info[1]["hash"] == sha256_of(out)


def run_build(out: Path, snapshots: Path, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.build", "--out", str(out), "--snapshots", str(snapshots), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_the_load_workers_hold_none_of_the_later_stages_libraries(built):
    """The workers fork before the derive stage imports scipy and pyarrow, and the build keeps
    sqlite-utils from importing pandas: none of their libraries is mapped in a worker."""
    snapshots, out, _ = built
    write_census(snapshots / "2024-07-11", vendored_lines("2024-07-11", 150_000))
    proc = run_build(out, snapshots, "--workers", "2")
    try:
        deadline, workers = time.monotonic() + 120, []
        while time.monotonic() < deadline and proc.poll() is None and len(workers) < 2:
            parent = psutil.Process(proc.pid)  # forked workers share its command line
            workers = [w for w in parent.children() if w.cmdline() == parent.cmdline()]
            time.sleep(0.2)
        assert len(workers) == 2, proc.stderr.read() if proc.poll() is not None else ""
        maps = {w.pid: Path(f"/proc/{w.pid}/maps").read_text() for w in workers}
    finally:
        proc.kill()
        proc.wait()
    for pid, mapped in maps.items():
        assert "_sqlite3" in mapped, f"worker {pid}: not a build worker?"
        for library in ("/pandas/", "/scipy/", "/pyarrow/", "/vl_convert/"):
            assert library not in mapped, f"worker {pid} maps {library}"


def test_the_published_names_include_the_downloads_folder():
    from scripts.publish import downloads

    assert downloads.MOUNT in build.Output.FILES


def test_killed_build_leaves_no_workers_and_the_next_build_cleans_up(built, tmp_path):
    snapshots, out, before = built
    # A bigger census, so that the build is still loading when it is killed.
    write_census(snapshots / "2024-07-11", vendored_lines("2024-07-11", 150_000))
    proc = run_build(out, snapshots, "--workers", "2")
    try:
        deadline = time.monotonic() + 120
        workers = []
        while time.monotonic() < deadline and proc.poll() is None:
            workers = psutil.Process(proc.pid).children()
            folders = list(out.parent.glob(".hub.*.build"))
            new = [f for f in folders if f.name not in before["folder"]]
            if len(workers) == 2 and any((f / "hub.db").exists() for f in new):
                break
            time.sleep(0.2)
        assert len(workers) == 2 and proc.poll() is None, (
            proc.stderr.read() if proc.poll() is not None else ""
        )
        time.sleep(2)  # well into the load
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"workers still running after the build was killed: {alive}"
    finally:
        if proc.poll() is None:
            proc.kill()
    assert served_state(out)["hub.db"] == before["hub.db"]
    left = [p.name for p in out.parent.iterdir() if p.name not in before["folder"]]
    assert left, "the killed build left its folder (the next build is to remove it)"
    (snapshots / "2024-07-11" / "MANIFEST.json").unlink()
    (snapshots / "2024-07-11" / "models.jsonl.gz").unlink()
    (snapshots / "2024-07-11").rmdir()
    build.build(out, snapshots, workers=1)
    after = sorted(p.name for p in out.parent.iterdir())
    assert not set(left) & set(after) and len(after) == len(before["folder"])


def can_mount_tmpfs(path: Path) -> bool:
    path.mkdir()
    if os.geteuid() != 0:
        return False
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(path)], capture_output=True)
    if ok.returncode != 0:
        return False
    subprocess.run(["umount", str(path)], check=True)
    return True


def test_a_full_disk_is_a_clear_error_and_the_previous_build_stays(built, tmp_path):
    snapshots, first, _ = built
    disk = tmp_path / "disk"
    if not can_mount_tmpfs(disk):
        pytest.skip("needs root to mount a small tmpfs")
    # Room for the first build and a little more, not for a second one four times its size.
    size = first.stat().st_size + 2_000_000
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], check=True)
    try:
        out = disk / "hub.db"
        build.build(out, snapshots, workers=1)
        before = served_state(out)
        write_census(snapshots / "2024-07-11", vendored_lines("2024-07-11", 4 * CUT * 5))
        proc = run_build(out, snapshots, "--workers", "1")
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 1, stderr
        assert "Traceback" not in stderr
        assert "build failed: " in stderr and str(disk) in stderr
        assert "full" in stderr or "No space left on device" in stderr
        assert served_state(out) == before
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def stopped_at(proc: subprocess.Popen, stage: str, timeout: float = 300) -> None:
    """Wait until the build (run with HUB_BUILD_STOP_AT=stage) has stopped itself at the stage."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the build ended before stage {stage}: {proc.stderr.read()}")
        if psutil.Process(proc.pid).status() == psutil.STATUS_STOPPED:
            return
        time.sleep(0.1)
    raise AssertionError(f"the build did not reach stage {stage} in {timeout} s")


def test_the_served_state_covers_downloads_and_figures(built):
    _, _, state = built
    assert any(k.startswith("downloads/") and k.endswith(".parquet") for k in state["served"])
    assert any(k.startswith("figures/") and k.endswith(".svg") for k in state["served"])


@pytest.mark.parametrize("stage", build.STAGES)
def test_a_build_killed_at_any_stage_leaves_the_served_site_as_it_was(built, stage):
    snapshots, out, before = built
    # Another census beside the first: the killed build would publish other files.
    write_census(snapshots / "2023-06-01", vendored_lines("2024-07-11", CUT))
    proc = run_build(out, snapshots, "--workers", "1", env={**os.environ, build.STOP_AT: stage})
    try:
        stopped_at(proc, stage)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert served_state(out)["served"] == before["served"]
    assert {k: v for k, v in served_state(out).items() if k != "folder"} == {
        k: v for k, v in before.items() if k != "folder"
    }
    # The next build removes what the killed one left and publishes all of its files together.
    build.build(out, snapshots, workers=1)
    after = served_state(out)
    assert after["hub.db"] != before["hub.db"] and after["served"] != before["served"]
    assert len(after["folder"]) == len(before["folder"])
    manifest = json.loads((out.parent / "downloads" / "MANIFEST.json").read_text())
    assert manifest["database"]["sha256"] == after["hub.db"]


def fill(disk: Path) -> Path:
    """Write zeros into the file system of `disk` until it is full."""
    filler = disk / "filler"
    try:
        with open(filler, "wb") as f:
            while True:
                f.write(b"\0" * (1 << 16))
                f.flush()
    except OSError:  # full, possibly before the filler could be opened
        pass
    return filler


@pytest.mark.parametrize("stage", build.STAGES)
def test_a_disk_filled_at_any_stage_is_a_clear_error_and_the_site_stays(built, tmp_path, stage):
    snapshots, first, _ = built
    disk = tmp_path / "disk"
    if not can_mount_tmpfs(disk):
        pytest.skip("needs root to mount a small tmpfs")
    published = sum(p.stat().st_size for p in first.resolve().parent.rglob("*") if p.is_file())
    size = 3 * published + 8_000_000  # room for two builds: only the filler makes the second fail
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], check=True)
    try:
        out = disk / "hub.db"
        build.build(out, snapshots, workers=1)
        before = served_state(out)
        write_census(snapshots / "2023-06-01", vendored_lines("2024-07-11", CUT))
        proc = run_build(out, snapshots, "--workers", "1", env={**os.environ, build.STOP_AT: stage})
        stopped_at(proc, stage)
        filler = fill(disk)
        os.kill(proc.pid, signal.SIGCONT)
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 1, stderr
        assert "Traceback" not in stderr
        assert "build failed: " in stderr and str(disk) in stderr
        assert "full" in stderr or "No space left on device" in stderr
        filler.unlink(missing_ok=True)
        assert served_state(out) == before
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_folders_left_by_dead_builds_are_removed(built):
    snapshots, out, before = built
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead_pid = int(dead.stdout)
    left = [f".downloads-{dead_pid}-new", f".downloads-{dead_pid}-old", f".figures-{dead_pid}-old"]
    live = f".downloads-{os.getpid()}-new"  # a build of this process, still running
    for name in [*left, live]:
        (out.parent / name).mkdir()
        (out.parent / name / "models.csv.gz").write_bytes(b"x" * 1000)
    build.build(out, snapshots, workers=1)
    names = {p.name for p in out.parent.iterdir()}
    assert not names & set(left) and live in names
