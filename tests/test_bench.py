"""The benchmark's pieces on the small fixture census (no timing assertions: those are what the
benchmark reports, not what a test can promise on a shared machine)."""

import csv
import gzip
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from scripts import build
from scripts.dev import bench, measure, mixed_load, site_load, synthetic
from scripts.publish import metadata
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import find_snapshots, iter_records, read_manifest, verify
from scripts.snapshot.write import write_snapshot


def records_of(folder):
    return [r for _, r in iter_records(folder / read_manifest(folder)["file"])]


def test_p95_is_the_nearest_rank():
    assert measure.p95(list(range(1, 101))) == 95
    assert measure.p95([3.0, 1.0, 2.0]) == 3.0
    assert measure.p95([7]) == 7
    with pytest.raises(ValueError):
        measure.p95([])


def test_synthetic_census_cycles_real_records_with_distinct_ids(fixture_snapshots, tmp_path):
    source = fixture_snapshots / "2024-07-11"
    real = records_of(source)
    wanted = 2 * len(real) + 123  # two full passes and part of a third
    folder = synthetic.synthesize_census(source, tmp_path / "synthetic", records=wanted)
    manifest = read_manifest(folder)
    assert manifest["records"] == wanted and manifest["kind"] == "census"
    verify(find_snapshots(folder.parent)[0])  # the manifest's sha256 is the file's
    made = records_of(folder)
    assert len(made) == wanted
    assert len({r["id"] for r in made}) == wanted
    for i, record in enumerate(made):  # the fixture's ids have no "-s1" or "-s2" pairs: none left out
        original = real[i % len(real)]
        cycle = i // len(real)
        suffix = f"-s{cycle}" if cycle else ""
        assert record["id"] == original["id"] + suffix
        assert record.get("modelId") == (original["modelId"] + suffix if "modelId" in original else None)
        assert {k: v for k, v in record.items() if k not in ("id", "modelId")} == {
            k: v for k, v in original.items() if k not in ("id", "modelId")
        }


def test_a_suffixed_id_that_is_a_real_one_is_left_out_of_its_pass(tmp_path):
    # The 2024-07-11 census holds such pairs ('BoyaWu10/bunny-pretrain-phi-3-siglip' and
    # '...-siglip-s2'): with every record of pass 2 kept, the 3,000,000-record build refused
    # the repeated ids.
    ids = ["org/model", "org/model-s1", "Org/Other-S2", "org/other", "solo"]
    source = tmp_path / "src"
    write_snapshot(
        source,
        SnapshotKind.CENSUS,
        [{"id": i, "likes": n} for n, i in enumerate(ids)],
        {"snapshot": "2024-07-11", "collected": "2024-07-11"},
        data_file="models.jsonl.gz",
    )
    folder = synthetic.synthesize_census(source, tmp_path / "synthetic", records=13)
    made = [r["id"] for r in records_of(folder)]
    assert made == [
        *ids,
        *["org/model-s1-s1", "Org/Other-S2-s1", "org/other-s1", "solo-s1"],  # org/model-s1 is real
        *["org/model-s2", "org/model-s1-s2", "Org/Other-S2-s2", "solo-s2"],  # org/other-s2 is, in case
    ]
    assert len({i.lower() for i in made}) == len(made)
    assert build.build(tmp_path / "out" / "hub.db", folder.parent, workers=1)["models"] == {folder.name: 13}


def test_suffix_edit_handles_nested_records():
    line = b'{"id":"a/b","cardData":{"id":"inner"},"modelId":"a/b"}\n'
    record = json.loads(synthetic._with_suffix(line, b"~s2"))
    assert record == {"id": "a/b~s2", "cardData": {"id": "inner"}, "modelId": "a/b~s2"}
    flat = b'{"_id":"1","id":"x/\\"q\\"","likes":1,"modelId":"x/\\"q\\""}\n'
    assert json.loads(synthetic._with_suffix(flat, b"~s1")) == {
        "_id": "1",
        "id": 'x/"q"~s1',
        "likes": 1,
        "modelId": 'x/"q"~s1',
    }


def test_the_build_reads_the_synthetic_census(fixture_snapshots, tmp_path):
    source = fixture_snapshots / "2024-07-11"
    n = len(records_of(source)) + 500
    folder = synthetic.synthesize_census(source, tmp_path / "synthetic", records=n)
    summary = build.build(tmp_path / "out" / "hub.db", folder.parent, workers=2)
    assert summary["models"] == {folder.name: n}


def test_run_measured_counts_the_whole_process_tree():
    # A child that starts a grandchild holding 200 MB: the peak must include the grandchild.
    code = (
        "import subprocess, sys; subprocess.run([sys.executable, '-c', "
        "'x = bytearray(200 * 2**20); import time; time.sleep(0.6)'], check=True); print('done')"
    )
    seconds, peak_mb, out = measure.run_measured([sys.executable, "-c", code])
    assert out.strip() == "done"
    assert seconds >= 0.6
    assert peak_mb >= 200


def test_run_measured_reports_a_failing_command():
    with pytest.raises(RuntimeError, match=r"(?s)exited with 3:.*boom"):
        measure.run_measured(
            [sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"]
        )


def test_floor_and_classifier_read_every_record(fixture_snapshots):
    # The floor decodes every snapshot the build reads: each census's records, each CSV's rows.
    expected = 0
    for s in find_snapshots(fixture_snapshots):
        for entry in s.manifest.get("files") or [{"file": s.manifest["file"]}]:
            if ".jsonl" in entry["file"]:
                expected += s.manifest["records"]
            else:
                opener = gzip.open if entry["file"].endswith(".gz") else open
                with opener(s.folder / entry["file"], "rt", encoding="utf-8", newline="") as f:
                    expected += sum(1 for _ in csv.reader(f))
    assert len({s.kind for s in find_snapshots(fixture_snapshots)}) > 2
    _, _, out = measure.run_measured(bench.floor_cmd(fixture_snapshots))
    assert int(out) == expected
    source = fixture_snapshots / "2024-07-11"
    expected = read_manifest(source)["records"]
    _, _, out = measure.run_measured(bench.classify_cmd(source))
    n, seconds = json.loads(out)
    assert n == expected and seconds > 0


def test_pages_cover_every_canned_query(fixture_db, site):
    pages = site_load.site_pages(fixture_db)
    assert set(metadata.canned_queries()) | {"model_page", "faceted_table_page", "about_page"} == set(pages)
    for path in (pages["model_page"], pages["faceted_table_page"]):
        assert site.get(path).status_code == 200
    rq = site_load.rq_paths(pages)
    assert rq and all(p.startswith(("/hub/rq", "/hub/time_")) for p in rq)
    assert any(p.endswith(".json?_shape=array") for p in rq)


def test_served_site_latencies_and_load(fixture_build):
    pages = {
        "rq1": "/hub/rq1_versioned_share",
        "model": site_load.site_pages(fixture_build / "hub.db")["model_page"],
    }
    with site_load.served(fixture_build) as server:
        base = server.base
        latencies = site_load.page_latencies(base, pages, requests=3)
        assert set(latencies) == {"rq1", "model"} and all(ms > 0 for ms in latencies.values())
        with pytest.raises(RuntimeError, match="HTTP 404"):
            site_load.page_latencies(base, {"missing": "/hub/no_such_table"}, requests=1)
        load = site_load.run_wrk(
            base,
            [pages["rq1"], pages["rq1"] + ".json?_shape=array", "/hub/no_such_table"],
            seconds=2,
            connections=2,
            threads=1,
        )
    assert load["requests"] > 0 and load["rps"] > 0
    # A third of the requests go to a page that does not exist: wrk's Lua counts them as errors.
    assert 0 < load["non2xx"] < load["requests"] and load["errors"] >= load["non2xx"]


def test_table_marks_targets():
    text = bench.table({"build_over_floor": 2.5, "build_s": 75.0, "query_p95_ms.x": 12.0, "load_rps": 40.0})
    lines = {line.split()[0]: line for line in text.splitlines()[2:]}
    assert lines["build_over_floor"].rstrip().endswith("yes")
    assert lines["build_s"].rstrip().endswith("NO")
    assert lines["query_p95_ms.x"].rstrip().endswith("yes")
    assert lines["load_rps"].split()[-1] == "40"


def test_mixed_load_counts_refusals_errors_and_server_memory(fixture_build):
    normal = ["/hub/rq1_versioned_share", "/hub/no_such_table"]
    abusive = [
        mixed_load.ABUSIVE["zeroblob_sql"],
        mixed_load.ABUSIVE["fts3_tokenizer"],
        "/hub/rq1_versioned_share",
    ]
    with site_load.served(fixture_build) as server:
        result = mixed_load.run_mixed_load(
            server.base, server.pid, normal, abusive, seconds=2, connections=3, abusive_connections=1
        )
    # Half the normal requests go to a missing table: errors. One abusive path is a normal page: not refused.
    assert result["normal_requests"] > 0 and 0 < result["normal_errors"] < result["normal_requests"]
    assert result["abusive_not_refused"] == ["/hub/rq1_versioned_share -> 200"]
    assert 0 < result["abusive_refused"] < result["abusive_requests"]
    assert result["abusive_max_ms"] >= result["abusive_p99_ms"] > 0
    assert 20 < result["server_peak_rss_mb"] < 2000  # a Python process with Datasette loaded


def test_a_site_run_keeps_the_build_figures_of_the_last_full_run():
    full = bench.results_markdown({"build_s": 40.0, "load_rps": 70.0}, {"cpu": "x"}, "full")
    site = bench.results_markdown({"load_rps": 80.0, "server_peak_rss_mb": 90}, {"cpu": "x"}, "site")
    merged = bench.merge_results(full, site)
    rows = [line for line in merged.splitlines() if line.startswith("| `")]
    assert rows == [
        "| `build_s` | 40 | <= 45 | yes |",
        "| `load_rps` | 80 |  |  |",
        "| `server_peak_rss_mb` | 90 | <= 500 | yes |",
    ]
    assert "kept from the previous run. Measured" in merged and "`full`" in merged


def test_refusal_times_of_the_abusive_queries(fixture_build):
    with site_load.served(fixture_build) as server:
        times = mixed_load.refusal_times(server.base, mixed_load.ABUSIVE, requests=2)
        assert set(times) == set(mixed_load.ABUSIVE) and all(ms > 0 for ms in times.values())
        with pytest.raises(RuntimeError, match="HTTP 200, not refused"):
            mixed_load.refusal_times(server.base, {"normal": "/hub/rq1_versioned_share"}, requests=1)


def test_visitor_pages_cover_what_visitors_open(fixture_db, site):
    pages = site_load.visitor_pages(fixture_db)
    assert list(pages)[:3] == ["home", "database", "about"]
    assert {"search", "facet_pipeline_tag", "facet_organization", "model_page", "table_models"} <= set(pages)
    assert [n for n in pages if n.startswith("finding_")]
    for name, path in pages.items():
        assert site.get(path).status_code == 200, (name, path)
    searches = site_load.uncached_searches(fixture_db)
    assert len(searches) > 50 and len(set(searches)) == len(searches)
    heavy = site_load.heavy_requests(fixture_db)
    assert len(set(heavy)) == len(heavy) and any("sql=" in p for p in heavy)


def test_stage_figures_come_from_the_build_stage_file(fixture_build):
    stages = json.loads((fixture_build / "build.json").read_text())
    figures = bench.stage_figures(stages)
    assert figures["build_cpu_s"] == stages["cpu_seconds"]
    # build.json is written during the publish stage: every stage before it
    assert {f"build_stage_s.{s}" for s in build.STAGES if s != "publish"} <= set(figures)
    assert {f"build_part_s.{p}" for p in ("findings", "figures", "downloads")} <= set(figures)
    # the derive stage's steps, each with the CPU time of the build's thread in it
    steps = [r["part"] for r in stages["parts"] if r["part"].startswith("derive.")]
    assert {"derive.tags", "derive.estimates", "derive.history", "derive.analyze"} <= set(steps)
    # one thread's CPU time within a step is at most the step's wall time (rounding aside)
    assert all(figures[f"build_part_thread_cpu_s.{p}"] <= figures[f"build_part_s.{p}"] + 0.02 for p in steps)
    load = next(r for r in stages["stages"] if r["stage"] == "load")
    assert figures["build_stage_peak_mib.load"] == round(load["peak_rss_mib"])
    assert bench.met("build_s", 44.0) == "yes" and bench.met("build_peak_rss_mb", 401) == "no"


def checkout_of_fixture(fixture_snapshots, tmp_path) -> Path:
    """A checkout of this repository whose data/snapshots is the fixture. Its scripts are copied,
    not linked: the build finds its data/ from where its code is (a link would resolve to this
    repository's, and build every vendored snapshot)."""
    repo = tmp_path / "checkout"
    (repo / "data").mkdir(parents=True)
    (repo / "data" / "snapshots").symlink_to(fixture_snapshots)
    shutil.copytree(bench.ROOT / "scripts", repo / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    for name in bench.ROOT.iterdir():
        if name.name not in ("scripts", "data", "build", ".git", ".venv"):
            (repo / name.name).symlink_to(name)
    for name in bench.ROOT.glob("data/*"):
        if name.name != "snapshots":
            (repo / "data" / name.name).symlink_to(name)
    return repo


def test_build_only_measures_another_checkout(fixture_snapshots, tmp_path, monkeypatch):
    # A checkout of this repository whose data/snapshots holds the fixture: its build's figures.
    repo = checkout_of_fixture(fixture_snapshots, tmp_path)
    figures = bench.default_build_figures(1, tmp_path / "work", repo)
    assert figures["build_s"] > 0 and figures["floor_s"] > 0 and figures["build_peak_rss_mb"] > 20
    assert {"build_stage_s.load", "build_stage_s.derive", "build_part_s.downloads"} <= set(figures)
    built = tmp_path / "work" / "build" / "hub.db"
    with sqlite3.connect(built) as conn:  # the fixture's census, not the vendored one
        census = dict(conn.execute("select snapshot, records from snapshots where kind = 'census'"))
    assert census == {
        s.name: s.manifest["records"] for s in find_snapshots(fixture_snapshots) if s.name in census
    }
    assert census["2024-07-11"] < 760_000


def test_targets_read_both_ways():
    assert bench.met("visit_rps.home", 60.0) == "yes" and bench.met("visit_rps.home", 40.0) == "no"
    assert bench.met("visit_p99_ms.search", 1200.0) == "no" and bench.met("visit_errors.about", 0) == "yes"
    assert bench.met("heavy_home_p99_ms", 900.0) == "yes" and bench.met("search_uncached_rps", 3.0) is None


def test_home_page_under_heavy_requests(fixture_build, fixture_db):
    with site_load.served(fixture_build) as server:
        site_load.page_latencies(server.base, {"home": "/"}, requests=1)  # a visitor before the crowd
        result = mixed_load.run_heavy_mixed(
            server.base,
            "/",
            site_load.heavy_requests(fixture_db),
            seconds=6,
            connections=2,
            heavy_connections=2,
        )
    assert result["page_rps"] > 0 and result["page_errors"] == 0
    assert result["heavy_sent"] == result["heavy_answered"] + result["heavy_busy_503"] + result["heavy_other"]
    assert result["heavy_answered"] > 0


def test_reference_builds_the_same_inputs_in_turns(fixture_snapshots, tmp_path, monkeypatch):
    # Another checkout (this code, the fixture as its snapshots): both builds read the fixture.
    repo = checkout_of_fixture(fixture_snapshots, tmp_path)
    said = []
    monkeypatch.setattr(bench, "say", said.append)
    figures = bench.reference_figures(1, tmp_path / "work", repo)
    assert [line.split(" build run")[0] for line in said] == ["reference", "same_inputs"]
    for name in ("reference", "same_inputs"):
        # counted from outside the build (getrusage of its waited-for process tree): the build is
        # busy for most of its wall time
        assert figures[f"{name}_build_cpu_s"] > 0.5 * figures[f"{name}_build_s"] > 0
        assert figures[f"{name}_build_peak_rss_mb"] > 20
    assert figures["build_vs_reference"] == round(
        figures["same_inputs_build_s"] / figures["reference_build_s"], 3
    )
    assert not list((tmp_path / "work").iterdir())  # the builds are removed


def test_reference_refuses_a_folder_without_snapshots(tmp_path, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--reference", str(tmp_path), "--out", str(tmp_path / "b.json")])
    assert "no data/snapshots folder there" in capsys.readouterr().err
