"""Ids, snapshot names, sizes and integers are checked at the door: each case of issue 16 part 4
is refused by the build with file, line and field (or reported), never a raw traceback, and the
previous build stays served. The same checks pass every record of both vendored censuses (the
full build, tests/test_full_build.py)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from scripts import build
from scripts.snapshot.records import MAX_LINE_BYTES, MAX_TAG_CHARS, id_problem, record_problem
from tests.test_build_faults import (
    CUT,
    ROOT,
    record_line,
    refused,
    run_build,
    served_state,
    set_manifest,
    vendored_lines,
    with_line,
    write_census,
)

BAD_IDS = [
    "",
    " ",
    "a/b/c",
    "a//b",
    "../../etc/passwd",
    "org/mo\x00del",
    "org/mo\x1bdel",
    "org/mo\ndel",
    "org/mo\u202edel",
    "org/model ",
    "/model",
    "org/",
    "org/-model",
    "org/model.",
    "org/mo--del",
    "org/" + "x" * 257,
]


@pytest.mark.parametrize("model_id", BAD_IDS)
def test_an_id_that_is_not_a_hub_id_is_refused_with_file_line_and_field(built, model_id):
    with_line(built[0], 41, record_line(41, id=model_id))
    refused(built, r"2022-02-21/models.jsonl.gz:42: field 'id' ")


@pytest.mark.parametrize(
    "model_id", ["bert-base-uncased", "org/Model_v2.1-final", "a/" + "x" * 250, "_org/_m_"]
)
def test_hub_ids_pass(model_id):
    assert id_problem(model_id) is None


def test_ids_differing_only_in_case_are_reported_with_file_and_lines(built, caplog):
    snapshots, out, _ = built
    model_id = json.loads(record_line(3))["id"]
    with_line(snapshots, 41, record_line(41, id=model_id.upper() if model_id != model_id.upper() else "X/y"))
    with caplog.at_level(logging.WARNING, logger="build"):
        build.build(out, snapshots, workers=1)
    assert (
        f"2022-02-21/models.jsonl.gz: model ids {model_id}, {model_id.upper()} differ only in case"
        in (caplog.text)
        or f"{model_id.upper()}, {model_id} differ only in case" in caplog.text
    )
    assert "(lines 4, 42)" in caplog.text or "(lines 42, 4)" in caplog.text


def test_an_id_differing_only_by_a_trailing_space_is_refused(built):
    model_id = json.loads(record_line(3))["id"]
    with_line(built[0], 41, record_line(41, id=model_id + " "))
    refused(built, r"2022-02-21/models.jsonl.gz:42: field 'id' is '.* ', not a Hub model id")


@pytest.mark.parametrize("name", ["../../evil<script>", "a/b", ".hidden", "x" * 101, "caf\u00e9", "a b"])
def test_a_snapshot_name_must_be_a_safe_file_name(built, name):
    set_manifest(built[0] / "2022-02-21", snapshot=name)
    refused(built, r"2022-02-21/MANIFEST.json: field 'snapshot' is .*, not a safe file name")


def test_an_integer_too_large_for_sqlite_is_refused(built):
    with_line(built[0], 41, record_line(41, downloads=2**70))
    refused(
        built, r"2022-02-21/models.jsonl.gz:42: field 'downloads' is 1180591620717411303424, an integer too"
    )


def test_a_tag_over_the_stated_size_is_refused(built):
    with_line(built[0], 41, record_line(41, tags=["pytorch", "x" * (MAX_TAG_CHARS + 1)]))
    refused(
        built, rf"2022-02-21/models.jsonl.gz:42: field 'tags': item 2 is {MAX_TAG_CHARS + 1:,} characters"
    )


def peak_of_build(out, snapshots) -> tuple[int, str, float]:
    """(exit status, stderr, peak resident MiB of the build's processes) of a build subprocess."""
    probe = (
        "import resource, subprocess, sys; "
        f"p = subprocess.run([sys.executable, '-m', 'scripts.build', '--out', {str(out)!r}, '--snapshots', "
        f"{str(snapshots)!r}, '--workers', '1'], capture_output=True, text=True); "
        "sys.stderr.write(p.stderr); "
        "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    status, kib = done.stdout.split()
    return int(status), done.stderr, int(kib) / 1024


def test_a_300_mb_tag_in_a_small_gzip_is_refused_in_bounded_memory(built):
    snapshots, out, before = built
    folder = snapshots / "2022-02-21"
    lines = vendored_lines("2022-02-21", CUT)
    huge = json.loads(lines[9])
    huge["tags"] = ["x" * 300_000_000]

    def data():
        yield from lines[:9]
        yield json.dumps(huge).encode() + b"\n"
        yield from lines[10:]

    (folder / "MANIFEST.json").unlink()
    (folder / "models.jsonl.gz").unlink()
    folder.rmdir()
    write_census(folder, data())
    assert (folder / "models.jsonl.gz").stat().st_size < 1_000_000
    status, stderr, peak = peak_of_build(out, snapshots)
    assert status == 1 and "Traceback" not in stderr, stderr
    assert f"2022-02-21/models.jsonl.gz:10: line longer than {MAX_LINE_BYTES:,} bytes" in stderr
    assert peak < 400, f"{peak:.0f} MiB"
    assert served_state(out) == before


def census_cut(with_labelled_ids: bool) -> list[bytes]:
    """The first CUT lines of the 2024-07-11 census (some labelled ids among them), or lines of it
    holding none of the labelled ids."""
    if with_labelled_ids:
        return vendored_lines("2024-07-11", CUT)
    labels = (ROOT / "data" / "validation" / "labels-2024-07-11.jsonl").read_text().splitlines()
    labelled = {json.loads(line)["id"] for line in labels}
    lines = vendored_lines("2024-07-11", 3 * CUT)[CUT:]
    return [x for x in lines if json.loads(x)["id"] not in labelled]


@pytest.mark.parametrize("with_labelled_ids", [True, False])
def test_a_small_census_named_like_the_labelled_one_is_a_clear_error(built, with_labelled_ids):
    snapshots, out, before = built
    write_census(snapshots / "2024-07-11", census_cut(with_labelled_ids))
    proc = run_build(out, snapshots, "--workers", "1")
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 1 and "Traceback" not in stderr, stderr
    assert "2024-07-11/models.jsonl.gz: holds " in stderr
    assert "of the labelled sample's 'uniform' stratum" in stderr
    assert served_state(out) == before


@pytest.mark.parametrize(
    "record",
    [
        {"id": "org/model", "downloads": "12"},
        {"id": "org/model", "tags": "not-a-list"},
        {"id": "org/mo\x07del"},
        {"id": "org/model", "likes": -(2**64)},
    ],
)
def test_record_problem_is_the_one_check_of_a_record(record):
    assert record_problem(record)
    assert record_problem({"id": "org/model", "downloads": 12, "tags": ["a"]}) is None


def test_every_refusal_is_a_message_not_a_traceback(built):
    snapshots, out, _ = built
    with_line(snapshots, 41, record_line(41, id="../../etc/passwd"))
    proc = run_build(out, snapshots, "--workers", "1")
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 1 and "Traceback" not in stderr
    assert "2022-02-21/models.jsonl.gz:42: field 'id' is '../../etc/passwd'" in stderr
