"""The classification rows of the census (scripts/derive/versioning.py `classify_parsed`) are built
as plain tuples in their tables' column order; each value is held here to its column's name, on
real census lines: the rows equal the named rows built by keyword from the same classification."""

from __future__ import annotations

import pytest
import sqlite_utils

from scripts import schema
from scripts.classify import classify_name
from scripts.derive import versioning
from scripts.load import census, organizations
from scripts.load.organizations import ASCII_LOWER
from scripts.snapshot.kinds import SnapshotKind
from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, find_snapshots


def primary_columns(c, primary) -> dict:
    """The primary-marker columns of a versioning row, by name, from a classification and its
    first own-version marker (or None)."""
    return {
        "primary_form": c.primary_form,
        "primary_text": primary and primary.text,
        "primary_major": primary and primary.major,
        "primary_minor": primary and primary.minor,
        "primary_patch": primary and primary.patch,
        "primary_date": primary and primary.date,
    }


@pytest.fixture(scope="module")
def organization_map() -> dict[str, tuple]:
    db = sqlite_utils.Database(memory=True)
    schema.create_all(db)
    organizations.load_organizations(db, organizations.ORGANIZATIONS_CSV)
    return organizations.organizations_map(db)


def first_chunk(snapshot: str, size: int) -> census.ParsedChunk:
    (found,) = [
        s
        for s in find_snapshots(DEFAULT_SNAPSHOTS_DIR)
        if s.kind == SnapshotKind.CENSUS and s.name == snapshot
    ]
    return census.parse_chunk(next(census.census_chunks(found, 1, size=size)))


def named_rows(parsed: census.ParsedChunk, orgs: dict) -> tuple[list, list]:
    """The rows of the chunk, each value given by its column's name."""
    markers, rows = [], []
    for m, tags in zip(parsed.models, parsed.tag_lists):
        c = classify_name(m.id, tags, m.pipeline_tag, m.library_name)
        own = [x for x in c.markers if x.refers_to == "self"]
        primary = own[0] if own else None
        for i, x in enumerate(c.markers):
            markers.append(
                schema.VersionMarker(
                    model=m.key,
                    snapshot=m.snapshot,
                    model_id=m.id,
                    marker_index=i,
                    text=x.text,
                    form=x.form,
                    refers_to=x.refers_to,
                    position=x.position,
                    major=x.major,
                    minor=x.minor,
                    patch=x.patch,
                    date=x.date,
                    evidence=x.evidence or None,
                )
            )
        org = orgs.get(m.author.translate(ASCII_LOWER), (None, None, None)) if m.author else (None,) * 3
        rows.append(
            schema.Versioning(
                model=m.key,
                snapshot=m.snapshot,
                model_id=m.id,
                author=m.author,
                organization=org[0],
                organization_kind=org[1],
                organization_relation=org[2],
                pipeline_tag=m.pipeline_tag,
                library_name=m.library_name,
                downloads=m.downloads,
                created_month=m.created_at[:7] if m.created_at else None,
                created_at_placeholder=m.created_at_placeholder,
                seed_rule=int(c.seed_rule),
                own_version=int(c.own_version),
                marker_count=len(c.markers),
                self_markers=len(own),
                environment_markers=sum(x.refers_to == "environment" for x in c.markers),
                dataset_markers=sum(x.refers_to == "dataset" for x in c.markers),
                base_model_markers=sum(x.refers_to == "base_model" for x in c.markers),
                unclear_markers=sum(x.refers_to == "unclear" for x in c.markers),
                **primary_columns(c, primary),
                family=c.family,
            )
        )
    return markers, rows


@pytest.mark.parametrize("snapshot, size", [("2022-02-21", 1500), ("2024-07-11", 3000)])
def test_classification_rows_put_each_value_in_its_column(organization_map, snapshot, size):
    parsed = first_chunk(snapshot, size)
    markers, rows = versioning.classify_parsed(parsed.models, parsed.tag_lists, organization_map)
    expected_markers, expected_rows = named_rows(parsed, organization_map)
    assert [tuple(r) for r in expected_rows] == rows
    assert [tuple(r) for r in expected_markers] == markers
    # The cut exercises the columns that are most often empty: an organization, a primary marker
    # with a minor version, markers of other models than the model's own.
    assert any(r.organization for r in expected_rows) and any(
        r.primary_minor is not None for r in expected_rows
    )
    assert any(r.base_model_markers or r.environment_markers for r in expected_rows)
    assert all(len(r) == len(schema.MODEL_VERSIONING.names) for r in rows)
    assert all(len(r) == len(schema.VERSION_MARKERS.names) for r in markers)
