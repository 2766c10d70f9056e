"""The kinds of snapshot folder, as written in a manifest's `kind` field."""

from __future__ import annotations

from enum import StrEnum


class SnapshotKind(StrEnum):
    CENSUS = "census"  # the Hub's model listing (scripts.acquire.census)
    REFS = "refs"  # git branches, tags and commit counts of a census's top models (scripts.acquire.refs)
    MLFLOW_REGISTRY = "mlflow-registry"  # an MLflow Model Registry (scripts.acquire.mlflow)
    WEIGHT_CHANGES = "weight-changes"
