"""The kinds of snapshot folder, as written in a manifest's `kind` field."""

from __future__ import annotations

from enum import StrEnum


class SnapshotKind(StrEnum):
    CENSUS = "census"  # the Hub's model listing (scripts.acquire.census)
    REFS = "refs"  # git branches, tags and commit counts of a census's top models (scripts.acquire.refs)
    MLFLOW_REGISTRY = "mlflow-registry"  # an MLflow Model Registry (scripts.acquire.mlflow)
    WEIGHT_CHANGES = "weight-changes"  # weight files rewritten in place, per model (a study's CSV)
    MODEL_POPULATION = "model-population"  # every model id of a study's population (a study's CSV)
    WEEKLY_CHANGES = "weekly-changes"  # ids added to and deleted from the Hub's listing, week by week
    MODEL_LIST = "model-list"  # a curated list of model ids (frontier releases) with their context
    WEIGHT_COMMITS = "weight-commits"  # git commits that touched model weight files, with messages
