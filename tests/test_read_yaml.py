"""The site's YAML files are parsed once per text: an edit is read again, and what one caller
changes in its copy is not what the next one reads."""

from __future__ import annotations

import pytest

from scripts.publish.metadata import MetadataError, read_yaml


def test_an_edited_file_is_read_again(tmp_path):
    path = tmp_path / "q.yml"
    path.write_text("title: first\n", encoding="utf-8")
    assert read_yaml(path) == {"title": "first"}
    path.write_text("title: again\n", encoding="utf-8")  # same size: only the text tells them apart
    assert read_yaml(path) == {"title": "again"}


def test_a_callers_change_stays_in_its_copy(tmp_path):
    path = tmp_path / "q.yml"
    path.write_text("title: t\nparams: [snapshot]\n", encoding="utf-8")
    first = read_yaml(path)
    first["params"].append("unit")
    first["title"] = "changed"
    assert read_yaml(path) == {"title": "t", "params": ["snapshot"]}


def test_invalid_yaml_names_the_file_every_time(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("title: [unclosed\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(MetadataError, match="bad.yml: not valid YAML"):
            read_yaml(path)
