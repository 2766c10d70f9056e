"""The rows of ids classified without a census record (scripts/derive/listed_versioning.py
`classify_ids`): each value held to its listed_versioning column by name, on real weekly rows."""

from __future__ import annotations

from scripts import schema
from scripts.classify import classify_name
from scripts.derive.listed_versioning import base_tags, classify_ids
from tests.test_after_2024_loaders import VENDORED, data_rows
from tests.test_versioning_rows import primary_columns


def named_row(model_id: str, relation: str | None, bases: str | None) -> schema.ListedVersioning:
    c = classify_name(model_id, base_tags(relation, bases))
    own = [m for m in c.markers if m.refers_to == "self"]
    of_base = [m for m in c.markers if m.refers_to == "base_model"]
    primary = own[0] if own else None
    return schema.ListedVersioning(
        snapshot=None,
        model_id=model_id,
        author=c.author,
        relation=relation or None,
        base_model=bases or None,
        seed_rule=int(c.seed_rule),
        own_version=int(c.own_version),
        base_model_markers=len(of_base),
        **primary_columns(c, primary),
        base_version_text=of_base[0].text if of_base else None,
        family=c.family,
        census_model=None,
    )


def test_listed_rows_put_each_value_in_its_column():
    rows = [
        (m, t or None, b or None)
        for m, t, b in data_rows(VENDORED / "weekly-changes-2025/added/added_model_0402.csv")
    ]
    rows = rows[:3000]
    named = [named_row(*row) for row in rows]
    assert classify_ids(rows) == [tuple(r)[1:-1] for r in named]  # without snapshot, census_model
    # The cut holds ids with a version of their own, and ids with their base model's (one has two).
    assert (
        sum(r.own_version for r in named) > 100 and sum(r.base_version_text is not None for r in named) > 100
    )
    assert any(r.base_model_markers > 1 for r in named) and any(r.primary_minor is not None for r in named)
