"""The dataset's Croissant 1.1 description: made from the fixture build's own files, valid for
MLCommons' validator (mlcroissant), served at /croissant.json and embedded in the home page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from scripts.publish import croissant, downloads


@pytest.fixture(scope="module")
def croissant_file(fixture_build) -> Path:
    """build/downloads/croissant.json of the fixture build, written as `make build` writes it."""
    return croissant.write(fixture_build)


@pytest.fixture(scope="module")
def document(croissant_file) -> dict:
    return json.loads(croissant_file.read_text(encoding="utf-8"))


def test_mlcroissant_validates_it(croissant_file):
    mlcroissant = Path(sys.executable).with_name("mlcroissant")
    done = subprocess.run(
        [str(mlcroissant), "validate", "--jsonld", str(croissant_file)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert not re.search(r"Found the following \d+ error", output), output


def test_mlcroissant_reads_it_without_warnings(croissant_file):
    import mlcroissant as mlc

    dataset = mlc.Dataset(jsonld=str(croissant_file))
    issues = dataset.metadata.ctx.issues
    assert not issues.errors, issues.report()
    assert not issues.warnings, issues.report()
    assert dataset.metadata.version == json.loads(croissant_file.read_text(encoding="utf-8"))["version"]
    assert len(dataset.metadata.record_sets) == len(dataset.metadata.distribution) // 2


def test_distribution_is_every_download_with_its_sha256_size_and_format(document, fixture_build):
    manifest = downloads.read_manifest(fixture_build / downloads.MOUNT)
    by_name = {f["name"]: f for f in document["distribution"]}
    expected = [(t["table"], f) for t in manifest["tables"] for f in t["files"]]
    assert len(by_name) == len(expected) + 1  # and the database
    for _table, f in expected:
        entry = by_name[f["file"]]
        assert (
            entry["sha256"] == f["sha256"] == downloads.sha256_of(fixture_build / downloads.MOUNT / f["file"])
        )
        assert entry["contentSize"] == f"{f['bytes']} B"
        assert entry["contentUrl"] == f"downloads/{f['file']}"
        assert entry["encodingFormat"] == croissant.FORMATS[f["format"]]
    db = by_name["hub.db"]
    assert db["sha256"] == manifest["database"]["sha256"] and db["contentUrl"] == "hub.db"


def test_a_record_set_per_table_with_the_sites_descriptions_and_parquet_types(document, fixture_build):
    metadata = json.loads((fixture_build / "metadata.json").read_text(encoding="utf-8"))
    described = metadata["databases"]["hub"]["tables"]
    manifest = downloads.read_manifest(fixture_build / downloads.MOUNT)
    sets = {r["@id"]: r for r in document["recordSet"]}
    assert list(sets) == [t["table"] for t in manifest["tables"]]
    versioning = sets["model_versioning"]
    assert versioning["description"] == described["model_versioning"]["description"]
    fields = {f["name"]: f for f in versioning["field"]}
    assert fields["own_version"]["description"] == described["model_versioning"]["columns"]["own_version"]
    schema = pq.read_schema(fixture_build / downloads.MOUNT / "model_versioning.parquet")
    for name, field in fields.items():
        assert field["dataType"] == croissant.data_type(schema.field(name).type)
        assert field["source"]["fileObject"]["@id"] == "model_versioning.parquet"
    assert fields["downloads"]["dataType"] == "sc:Integer" and fields["model_id"]["dataType"] == "sc:Text"


def test_version_licenses_and_responsible_ai_fields(document, site):
    provenance = site.datasette.plugin_config("hub-provenance")
    assert document["version"] == provenance["citation"]["version"]
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert "GPL-3.0" in document["license"] and "code MIT" in document["license"]
    for key in ("rai:dataCollection", "rai:dataAnnotationProtocol", "rai:dataBiases"):
        assert len(document[key]) > 80


def test_served_at_the_root_and_embedded_in_the_home_page(croissant_file, site):
    served = site.get("/croissant.json")
    assert served.status_code == 200 and "ld+json" in served.headers["content-type"]
    assert served.text == croissant_file.read_text(encoding="utf-8")
    assert site.get("/downloads/croissant.json").status_code == 302
    home = site.get("/").text
    found = re.search(
        r'<script type="application/ld\+json" id="hub-dataset-jsonld">(.*?)</script>', home, re.S
    )
    assert found, "the home page embeds no JSON-LD"
    embedded = json.loads(found.group(1))
    assert embedded["@type"] == "sc:Dataset" and embedded["@context"]["@vocab"] == "https://schema.org/"
    assert embedded["distribution"] == json.loads(served.text)["distribution"]
    assert "recordSet" not in embedded


@pytest.mark.parametrize(
    "where, value, message",
    [
        ("fileObject", {"@id": "nowhere.parquet"}, "reference to node"),
        ("dataType", "sc:Nonsense", "dataType"),
    ],
)
def test_mlcroissant_refuses_a_broken_field(document, tmp_path, where, value, message):
    """The validator is not a formality: a field read from a file the distribution does not hold,
    or of a type Croissant does not know, fails it."""
    import mlcroissant as mlc

    broken = json.loads(json.dumps(document))
    field = broken["recordSet"][0]["field"][0]
    if where == "fileObject":
        field["source"]["fileObject"] = value
    else:
        field[where] = value
    path = tmp_path / "croissant.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(mlc.ValidationError, match=message):
        mlc.Dataset(jsonld=str(path))
