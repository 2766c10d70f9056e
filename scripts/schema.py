"""Every table of build/hub.db, defined once: its ordered columns, keys, indexes, insert statement
and row type.

A table is a `Table(name, columns, ...)` block below; `create_all` makes every table (and the
indexes marked `early`) before the build's stages run, so no stage creates a table of its own.
Stages write rows through `TABLE.insert` (or `insert_into`) with the table's row type, a named
tuple generated from the column list (`Model`, `VersionMarker`, ...), so no stage depends on the
position of a column. The remaining indexes are made by the stage that fills the table, once its
rows are in (`create_indexes`): one sort each instead of a growing B-tree.

Adding a column to `models` is: a `Column` in MODELS (with the Hub field it comes from, which also
makes the census crawl request it) and its value in scripts/load/census.py's parser; its
description goes into metadata.yml.

Column types are sqlite-utils' (int, str, float), or a declared SQL type as text for tables whose
declaration sqlite-utils cannot write (a collation, or no type at all, as `create table ... as
select` declares a computed column).
"""

from __future__ import annotations

from scripts.tables import (  # noqa: F401  (the declaration vocabulary, and what stages call)
    TABLES,
    Column,
    Index,
    Table,
    cols,
    create_all,
    create_in,
    create_indexes,
    ix,
    table,
    typed,
)

SNAPSHOT_FK = ("snapshot", "snapshots", "snapshot")
MODEL_FK = ("model", "models", "key")


# --- snapshots and census (scripts/load/census.py) -------------------------------------------

SNAPSHOTS = table(
    "snapshots",
    [
        Column("snapshot", str),
        Column("kind", str),
        Column("headline", int),
        Column("records", int),
        *cols("collected source source_license format caveats sha256 file endpoint client_version"),
    ],
    pk="snapshot",
    row="SnapshotRow",
)

MODELS = table(
    "models",
    [
        Column("key", int),
        Column("snapshot", str),
        Column("id", str, "id"),
        Column("author", str, "author"),
        Column("name", str),  # the id's part after the namespace
        Column("pipeline_tag", str, "pipeline_tag"),
        Column("library_name", str, "library_name"),
        Column("downloads", int, "downloads"),
        Column("likes", int, "likes"),
        Column("created_at", str, "createdAt"),  # NULL for the placeholder dates
        Column("created_at_placeholder", int, "createdAt"),
        Column("last_modified", str, "lastModified"),
        Column("sha", str, "sha"),
        Column("private", int, "private"),
        Column("gated", str, "gated"),
        Column("tags", str, "tags"),  # the JSON list, as the record holds it
    ],
    pk="key",
    foreign_keys=[SNAPSHOT_FK],
    indexes=[
        ix("snapshot", "id", unique=True),
        ix("snapshot", "downloads"),
        ix("author"),
        ix("pipeline_tag"),
        ix("library_name"),
        # The table's default sort on the site (sort_desc: downloads): without it, every visit to
        # /hub/models sorts 790,000 rows.
        ix("downloads"),
    ],
    row="Model",
)
Model = MODELS.row

# Fields of a model record that the Hub's listing returns without being asked (`id`), or that the
# census crawl does not ask for (`private`: the listing holds public models only).
NOT_EXPANDED = frozenset({"id", "private"})
# The `expand` properties a census crawl requests: every Hub field a models column is read from.
CENSUS_EXPAND = tuple(
    dict.fromkeys(c.source for c in MODELS.columns if c.source and c.source not in NOT_EXPANDED)
)

TAGS = table(
    "tags",
    [Column("tag_key", int), *cols("tag kind value"), Column("models", int)],
    pk="tag_key",
    indexes=[ix("kind", "models")],
    row="Tag",
)
Tag = TAGS.row

MODEL_TAGS = table(
    "model_tags",
    [Column("model", int), Column("tag", int)],
    foreign_keys=[MODEL_FK, ("tag", "tags", "tag_key")],
    indexes=[ix("model", early=True), ix("tag", "model")],
)

MODEL_BASE_MODELS = table(
    "model_base_models",
    [Column("model", int), *cols("snapshot model_id base_model relation"), Column("base_model_key", int)],
    foreign_keys=[MODEL_FK, ("base_model_key", "models", "key")],
    indexes=[ix("model", early=True), ix("base_model"), ix("base_model_key")],
    row="BaseModel",
)
BaseModel = MODEL_BASE_MODELS.row

MODEL_DATASETS = table(
    "model_datasets",
    [Column("model", int), *cols("snapshot model_id dataset")],
    foreign_keys=[MODEL_FK],
    indexes=[ix("model", early=True), ix("dataset")],
    row="Dataset",
)
Dataset = MODEL_DATASETS.row

# The curated namespace -> organization map (data/organizations.csv, whose header must be these
# columns). Hub namespaces are case-insensitive, so the key compares without case.
ORGANIZATIONS = table(
    "organizations",
    [
        Column("namespace", "text primary key collate nocase"),
        *[Column(c, "text") for c in "organization kind relation reason evidence_url".split()],
    ],
    row="Organization",
)

# --- classification (scripts/derive/versioning.py) --------------------------------------------

VERSION_MARKERS = table(
    "version_markers",
    [
        Column("model", int),
        *cols("snapshot model_id"),
        Column("marker_index", int),
        *cols("text form refers_to"),
        *cols("position major minor patch", int),
        *cols("date evidence"),
    ],
    foreign_keys=[MODEL_FK],
    indexes=[
        ix("model", early=True),  # rows arrive in model order
        ix("form"),
        ix("refers_to"),
        ix("snapshot", "form"),
    ],
    row="VersionMarker",
)
VersionMarker = VERSION_MARKERS.row

# One row per model, with the context the research questions group by copied in, so that the
# canned queries read one table.
MODEL_VERSIONING = table(
    "model_versioning",
    [
        Column("model", int),
        *cols("snapshot model_id author organization organization_kind organization_relation"),
        *cols("pipeline_tag library_name"),
        Column("downloads", int),
        Column("created_month", str),
        *cols("created_at_placeholder seed_rule own_version marker_count self_markers", int),
        *cols("environment_markers dataset_markers base_model_markers unclear_markers", int),
        *cols("primary_form primary_text"),
        *cols("primary_major primary_minor primary_patch", int),
        *cols("primary_date family"),
    ],
    pk="model",
    foreign_keys=[MODEL_FK],
    indexes=[
        ix("snapshot", "downloads"),
        ix("author"),
        ix("organization"),
        ix("pipeline_tag"),
        ix("snapshot", "author", "family"),
        ix("primary_form"),
        # For the site's pages over this table (docs/benchmarks.md has the timings): its default
        # sort (downloads) and the model lookup's "most downloaded first"; its default facets
        # own_version and seed_rule; and, covering, the rows behind RQ1's figures (snapshot,
        # own_version=1, downloads >= N) with the columns its other default facets count.
        ix("downloads"),
        ix("own_version"),
        ix("seed_rule"),
        ix("snapshot", "own_version", "downloads", "seed_rule", "primary_form", "organization"),
    ],
    row="Versioning",
)
Versioning = MODEL_VERSIONING.row

# --- git refs (scripts/load/refs.py) -------------------------------------------------------------

MODEL_REFS = table(
    "model_refs",
    [
        Column("snapshot", str),
        Column("model", int),
        *cols("model_id kind name ref target_commit"),
        *cols("is_main seed_rule own_version", int),
        *cols("marker_text marker_form"),
    ],
    foreign_keys=[MODEL_FK],
    indexes=[ix("model", early=True), ix("snapshot", "kind", early=True)],
    row="Ref",
)
Ref = MODEL_REFS.row

MODEL_COMMIT_COUNTS = table(
    "model_commit_counts",
    [
        Column("snapshot", str),
        Column("model", int),
        Column("model_id", str),
        *cols("rank downloads", int),
        Column("status", str),
        *cols("branches tags commit_count", int),
    ],
    foreign_keys=[MODEL_FK],
    # Unique and early: a refs file that lists a model twice is refused as it is loaded.
    indexes=[ix("model", unique=True, early=True), ix("snapshot", "rank", early=True)],
    row="CommitCount",
)
CommitCount = MODEL_COMMIT_COUNTS.row

# --- summaries (scripts/derive/summaries.py) ---------------------------------------------------
# Declared as `create table ... as select` declares them (a column read from model_versioning
# keeps its type, a computed one has none), in the order of their SELECT's columns.


def summary(name: str, typed: str, untyped: str, indexes) -> Table:
    columns = [Column(c, "INT" if c == "downloads" else "TEXT") for c in typed.split()]
    return table(name, columns + [Column(c, "") for c in untyped.split()], indexes=indexes)


SUMMARY_TABLES = [
    summary(
        "summary_downloads",
        "snapshot downloads",
        "models seed_rule own_version",
        [ix("snapshot", "downloads")],
    ),
    summary(
        "summary_tasks",
        "snapshot",
        "pipeline_tag models seed_rule own_version environment_versioned seed_rule_not_own "
        "dataset_versioned base_model_versioned",
        [ix("snapshot", "pipeline_tag")],
    ),
    summary("summary_task_forms", "snapshot", "pipeline_tag form models", [ix("snapshot", "pipeline_tag")]),
    summary(
        "summary_authors",
        "snapshot author organization organization_kind",
        "models seed_rule own_version downloads",
        [ix("snapshot", "author"), ix("organization"), ix("snapshot", "own_version")],
    ),
    summary(
        "summary_author_forms",
        "snapshot author organization organization_kind",
        "form models",
        [ix("snapshot", "author"), ix("organization")],
    ),
    summary(
        "summary_months",
        "snapshot",
        "created_month models seed_rule own_version",
        [ix("snapshot", "created_month")],
    ),
    summary(
        "summary_families",
        "snapshot author family",
        "organization models versioned forms top_form consistency entropy_bits versions",
        [ix("snapshot", "author"), ix("organization"), ix("snapshot", "versioned")],
    ),
]

# --- MLflow Model Registry snapshots (scripts/load/registry.py) --------------------------------

# Classifier columns stored beside a registered model's or an alias's name.
CLASSIFIER_COLUMNS = [
    *cols("seed_rule own_version marker_count", int),
    *cols("primary_form primary_text family"),
]
REGISTERED_MODEL_FK = ("registered_model", "registry_models", "key")
MODEL_VERSION_FK = ("model_version", "registry_versions", "key")

REGISTRY_MODELS = table(
    "registry_models",
    [
        Column("key", int),
        *cols("snapshot name description created_at last_updated_at"),
        *cols("versions latest_version aliases tags staged_versions", int),
        *CLASSIFIER_COLUMNS,
    ],
    pk="key",
    foreign_keys=[SNAPSHOT_FK],
    indexes=[ix("snapshot", "name", unique=True, early=True)],
)

REGISTRY_VERSIONS = table(
    "registry_versions",
    [
        *cols("key registered_model", int),
        *cols("snapshot name"),
        Column("version", int),
        *cols("created_at last_updated_at stage status status_message source run_id logged_model_id"),
        *cols("user_id description aliases"),
        Column("is_latest", int),
    ],
    pk="key",
    foreign_keys=[REGISTERED_MODEL_FK, SNAPSHOT_FK],
    indexes=[ix("snapshot", "name", "version", unique=True, early=True), ix("registered_model", early=True)],
)

REGISTRY_ALIASES = table(
    "registry_aliases",
    [
        *cols("registered_model model_version", int),
        *cols("snapshot name alias"),
        Column("version", int),
        *CLASSIFIER_COLUMNS,
    ],
    foreign_keys=[REGISTERED_MODEL_FK, MODEL_VERSION_FK, SNAPSHOT_FK],
    indexes=[ix("snapshot", "name", "alias", unique=True, early=True), ix("registered_model", early=True)],
)

REGISTRY_TAGS = table(
    "registry_tags",
    [
        *cols("registered_model model_version", int),
        *cols("snapshot name"),
        Column("version", int),
        *cols("level tag value"),
    ],
    foreign_keys=[REGISTERED_MODEL_FK, MODEL_VERSION_FK, SNAPSHOT_FK],
    indexes=[ix("registered_model", "version", early=True), ix("tag", early=True)],
)

# --- the Hub as a registry (scripts/derive/hub_registry.py) ------------------------------------

HUB_REGISTRY_VERSIONS = table(
    "hub_registry_versions",
    [
        Column("model", int),
        *cols("snapshot author family registered_model model_id created_at order_basis"),
        *cols("registry_version family_versions is_latest", int),
        *cols("declared_text declared_form declared_scheme"),
        *cols("declared_major declared_minor declared_patch", int),
        *cols("declared_date declared_key"),
        Column("earlier_higher_model", int),
        *cols("earlier_higher_model_id earlier_higher_version"),
    ],
    pk="model",
    foreign_keys=[MODEL_FK, SNAPSHOT_FK, ("earlier_higher_model", "models", "key")],
    indexes=[
        ix("snapshot", "registered_model", "registry_version", unique=True),
        ix("snapshot", "registered_model", "declared_scheme", "declared_key"),
        ix("earlier_higher_model"),
        ix("snapshot", "author"),
    ],
)

HUB_REGISTRY_GAPS = table(
    "hub_registry_gaps",
    [
        *cols("snapshot registered_model author family level after_version before_version"),
        Column("missing", int),
        Column("missing_versions", str),
        Column("after_model", int),
        Column("after_model_id", str),
        Column("before_model", int),
        Column("before_model_id", str),
    ],
    foreign_keys=[SNAPSHOT_FK, ("after_model", "models", "key"), ("before_model", "models", "key")],
    indexes=[ix("snapshot", "registered_model"), ix("snapshot", "missing")],
)

HUB_REGISTRY_FAMILIES = table(
    "hub_registry_families",
    [
        *cols("snapshot registered_model author family"),
        *cols("versions declared_versions", int),
        *cols("first_created_at latest_created_at"),
        Column("latest_model", int),
        *cols("latest_model_id latest_declared"),
        *cols("order_conflicts gaps placeholder_dates", int),
    ],
    pk=("snapshot", "registered_model"),
    foreign_keys=[SNAPSHOT_FK, ("latest_model", "models", "key")],
    indexes=[ix("snapshot", "versions"), ix("snapshot", "author")],
)

HUB_REGISTRY_SIZES = table(
    "hub_registry_sizes",
    [Column("snapshot", str), *cols("versions families models", int)],
    pk=("snapshot", "versions"),
    foreign_keys=[SNAPSHOT_FK],
)

# --- further tables: add each as a block of its own below ----------------------------------------

FINDINGS = table(
    "findings",
    [
        Column("key", str),
        Column("position", int),
        *cols("question answer details parts seed_claim chart_query rows_url figures"),
    ],
    pk="key",
)

# --- the hand-labelled validation sample (scripts/load/validation.py) ---------------------------


VALIDATION_LABELS = table(
    "validation_labels",
    typed(
        "model_id n:int stratum label_group group_size:int label_markers own_version:int any_marker:int "
        "label_form label_scheme "
        "agreement note model:int snapshot pipeline_tag organization downloads:int band "
        "classifier_markers classifier_own_version:int classifier_any_marker:int classifier_form "
        "classifier_scheme decision any_marker_decision"
    ),
    pk="model_id",
    foreign_keys=[MODEL_FK],
    indexes=[
        ix("stratum"),
        ix("label_group"),
        ix("decision"),
        ix("model_id"),
        # Census rows meet their labels by this key (the estimates' left joins), before any ANALYZE.
        ix("model"),
        ix("snapshot", "pipeline_tag"),
        ix("organization"),
    ],
)
ValidationLabel = VALIDATION_LABELS.row

CLASSIFIER_ACCURACY = table(
    "classifier_accuracy",
    typed(
        "stratum ids:int in_census:int true_positives:int false_positives:int false_negatives:int "
        "true_negatives:int precision:float recall:float f1:float specificity:float labelled_share:float "
        "classifier_share:float any_marker_precision:float any_marker_recall:float any_marker_f1:float"
    ),
    pk="stratum",
)
ClassifierAccuracy = CLASSIFIER_ACCURACY.row

VALIDATION_SAMPLE = table(
    "validation_sample",
    typed(
        "name census file sha256 records:int strata uniform_ids:int uniform_own_version:int "
        "annotators_agreed:int adjudicated:int own_version_kappa:float own_version_ids_agreeing:int "
        "any_marker_kappa:float any_marker_ids_agreeing:int provenance license"
    ),
    pk="name",
)
ValidationSample = VALIDATION_SAMPLE.row

# --- estimates that carry the classifier's error (scripts/derive/estimates.py) ------------------

SHARE_COLUMNS = cols("share_raw share_corrected corrected_low corrected_high share_seed", float)

ESTIMATE_RQ1 = table(
    "estimate_rq1",
    typed("snapshot band band_order:int measure")
    + SHARE_COLUMNS
    + typed("seed_study:float models:int labelled:int method note"),
    pk=("snapshot", "band", "measure"),
    foreign_keys=[SNAPSHOT_FK],
)
EstimateRq1 = ESTIMATE_RQ1.row

ESTIMATE_SEED_GAP = table(
    "estimate_seed_gap",
    typed("snapshot band band_order:int models:int")
    + cols(
        "seed_rule_share own_version_share seed_not_own seed_not_own_environment seed_not_own_dataset "
        "seed_not_own_base_model seed_not_own_other own_not_seed own_not_seed_number own_not_seed_generation "
        "own_not_seed_glued own_not_seed_date own_not_seed_checkpoint own_not_seed_v_unseen own_not_seed_edition",
        float,
    ),
    pk=("snapshot", "band"),
    foreign_keys=[SNAPSHOT_FK],
)
EstimateSeedGap = ESTIMATE_SEED_GAP.row


def estimate_group(name: str, key: str) -> Table:
    columns = [Column("snapshot", str), Column(key, str), Column("models", int), *SHARE_COLUMNS]
    columns += [*cols("labelled labelled_own labelled_errors error_measured", int), *cols("method note")]
    return table(name, columns, pk=("snapshot", key), foreign_keys=[SNAPSHOT_FK])


ESTIMATE_TASKS = estimate_group("estimate_tasks", "pipeline_tag")
ESTIMATE_COMPANIES = estimate_group("estimate_companies", "organization")

# The error rate of each reading (the classifier's decision and its evidence) and the check of
# the per-group estimates against the groups read by hand (scripts/derive/group_estimates.py).
ESTIMATE_READINGS = table(
    "estimate_readings",
    typed("snapshot reading reading_order:int labelled:int labelled_own:int effective_labels:float")
    + cols("own_rate own_rate_low own_rate_high", float)
    + typed("measured:int group_spread:float"),
    pk=("snapshot", "reading"),
    foreign_keys=[SNAPSHOT_FK],
)
ESTIMATE_GROUP_CHECK = table(
    "estimate_group_check",
    typed("snapshot label_group labelled:int labelled_own:int")
    + cols("share_labelled share_raw share_estimated estimated_low estimated_high", float)
    + typed("interval_holds:int")
    + cols("error_estimated error_raw", float),
    pk=("snapshot", "label_group"),
    foreign_keys=[SNAPSHOT_FK],
)
ESTIMATE_GROUP_CHECK_SUMMARY = table(
    "estimate_group_check_summary",
    typed("snapshot kind groups:int held:int") + cols("mean_error mean_error_raw", float),
    pk=("snapshot", "kind"),
    foreign_keys=[SNAPSHOT_FK],
)


# --- weight files rewritten in place (scripts/load/weight_changes.py); where versions live when
# not in names (scripts/derive/history.py) -----------------------------------------------------
CENSUS_FK = ("census", "snapshots", "snapshot")
WEIGHT_FILE_CHANGES = table(
    "weight_file_changes",
    typed("snapshot model_id owner model_name file commits:int rewrites:int line:int census model:int"),
    foreign_keys=[SNAPSHOT_FK, MODEL_FK, CENSUS_FK],
    indexes=[ix("model"), ix("model_id")],
    row="WeightFileChange",
)
WeightFileChange = WEIGHT_FILE_CHANGES.row
WEIGHT_CHANGE_MODELS = table(
    "weight_change_models",
    typed(
        "snapshot model_id model:int census weight_files:int max_commits:int rewrites:int rewrites_band "
        "band_order:int pipeline_tag library_name own_version:int seed_rule:int primary_form primary_text"
    ),
    pk=("snapshot", "model_id"),
    foreign_keys=[SNAPSHOT_FK, MODEL_FK, CENSUS_FK],
    indexes=[ix("model"), ix("snapshot", "rewrites")],
)
HISTORY_REWRITTEN = table(
    "history_rewritten",
    typed("census grouping grp grp_order:int models:int own_version:int share_raw:float")
    + typed("share_seed:float share_corrected:float corrected_low:float corrected_high:float")
    + typed("labelled:int census_models:int census_share_raw:float census_share_seed:float")
    + typed("census_share_corrected:float"),
    pk=("grouping", "grp"),
    foreign_keys=[CENSUS_FK],
)
HISTORY_DECLARED_VERSIONS = table(
    "history_declared_versions",
    typed(
        "snapshot registered_model author family family_models:int level major:int minor:int version "
        "models:int example_model_id expects_predecessor:int predecessor has_predecessor:int"
    ),
    foreign_keys=[SNAPSHOT_FK],
    indexes=[
        ix("snapshot", "author", "family", "major", "minor", unique=True),
        ix("snapshot", "level", "family_models"),
    ],
)
HISTORY_PREDECESSOR_SHARES = table(
    "history_predecessor_shares",
    typed("snapshot population population_order:int level versions:int with_predecessor:int"),
    pk=("snapshot", "population_order", "level"),
    foreign_keys=[SNAPSHOT_FK],
)
HISTORY_SUCCESSION = table(
    "history_succession",
    typed(
        "old_snapshot new_snapshot registered_model author family old_models:int new_models:int kept:int "
        "kept_rewritten:int old_declared:int old_newest new_newest gained_newer:int newer_model_id "
        "newer_is_new_repository:int outcome"
    ),
    pk="registered_model",
    foreign_keys=[("old_snapshot", "snapshots", "snapshot"), ("new_snapshot", "snapshots", "snapshot")],
    indexes=[ix("old_declared", "outcome"), ix("author")],
)

# --- each answer counted per model, family, author and without checkpoint-only names
# (scripts/derive/robustness.py) ----------------------------------------------------------------
ROBUSTNESS = table(
    "robustness",
    typed(
        "snapshot question group_name unit models:int units:int versioned_models:int versioned_units:int "
        "seed_rule_share:float own_version_share:float traditional_share:float other_share:float "
        "environment_share:float consistency:float top_form"
    ),
    pk=("snapshot", "question", "group_name", "unit"),
    foreign_keys=[SNAPSHOT_FK],
    indexes=[ix("snapshot", "question", "unit")],
)

# --- the Hub after 2024 and the closing question against a control group -----------------------
# (scripts/load/population.py, weekly_changes.py, frontier.py, weight_commits.py,
# scripts/derive/listed_versioning.py, rewrites.py, commit_messages.py, weekly.py, frontier.py)

POPULATION_MODELS = table(
    "population_models",
    typed(
        "snapshot model_id owner pipeline_tag variant line:int listed:int census model:int "
        "rewritten:int rewrites:int"
    ),
    pk=("snapshot", "model_id"),
    foreign_keys=[SNAPSHOT_FK, MODEL_FK, CENSUS_FK],
    indexes=[ix("model")],
    row="PopulationModel",
)
PopulationModel = POPULATION_MODELS.row
WEEKLY_MODEL_CHANGES = table(
    "weekly_model_changes",
    typed("snapshot week_ending change model_id relation base_model file line:int"),
    foreign_keys=[SNAPSHOT_FK],
    indexes=[ix("model_id"), ix("change", "week_ending")],
    row="WeeklyModelChange",
)
WeeklyModelChange = WEEKLY_MODEL_CHANGES.row
LISTED_VERSIONING = table(
    "listed_versioning",
    typed(
        "snapshot model_id author relation base_model seed_rule:int own_version:int base_model_markers:int "
        "primary_form primary_text primary_major:int primary_minor:int primary_patch:int primary_date "
        "base_version_text family census_model:int"
    ),
    pk=("snapshot", "model_id"),
    foreign_keys=[SNAPSHOT_FK, ("census_model", "models", "key")],
    indexes=[ix("census_model"), ix("snapshot", "author", "family")],
    row="ListedVersioning",
)
ListedVersioning = LISTED_VERSIONING.row
FRONTIER_MODELS = table(
    "frontier_models",
    typed(
        "snapshot model_id org model list file line:int region total_params_b:float active_params_b:float "
        "is_moe:int params_notes hf_created_at actual_release_date release_notes census_model:int "
        "created_month dated_by era"
    ),
    pk=("snapshot", "model_id"),
    foreign_keys=[SNAPSHOT_FK, ("census_model", "models", "key")],
    indexes=[ix("org")],
    row="FrontierModel",
)
FrontierModel = FRONTIER_MODELS.row
WEIGHT_COMMITS = table(
    "weight_commits",
    typed(
        "snapshot model_id commit_hash file serialization_format message author committed_at line:int "
        "rewrite:int message_version census_model:int id_own_version:int"
    ),
    pk=("snapshot", "line"),
    foreign_keys=[SNAPSHOT_FK, ("census_model", "models", "key")],
    indexes=[ix("model_id", "file", "committed_at")],
    row="WeightCommit",
)
WeightCommit = WEIGHT_COMMITS.row
HISTORY_CONTROL = table(
    "history_control",
    typed(
        "census grouping grp grp_order:int rewritten:int models:int own_version:int share_raw:float "
        "share_seed:float share_corrected:float corrected_low:float corrected_high:float labelled:int"
    ),
    pk=("grouping", "grp"),
    foreign_keys=[CENSUS_FK],
)
HISTORY_PREDECESSOR_DEFINITIONS = table(
    "history_predecessor_definitions",
    typed("snapshot definition definition_order:int level versions:int with_predecessor:int"),
    pk=("snapshot", "definition_order", "level"),
    foreign_keys=[SNAPSHOT_FK],
)
HISTORY_COMMIT_VERSIONS = table(
    "history_commit_versions",
    typed("unit grp grp_order:int total:int version_in_message:int in_census:int own_version_in_id:int"),
    pk="grp",
)
TIME_WEEKLY_VERSIONING = table(
    "time_weekly_versioning",
    typed("snapshot week_ending relation models:int own_version:int base_version_only:int"),
    pk=("week_ending", "relation"),
    foreign_keys=[SNAPSHOT_FK],
)
WEEKLY_SUPERSESSIONS = table(
    "weekly_supersessions",
    typed(
        "snapshot model_id author family version newer_model_id newer_version newer_week deleted_week outcome"
    ),
    pk="model_id",
    foreign_keys=[SNAPSHOT_FK],
    indexes=[ix("outcome")],
)
HISTORY_RETIREMENTS = table(
    "history_retirements",
    typed("snapshot superseded:int grp models:int deleted:int deleted_after_newer:int families:int"),
    pk="grp",
    foreign_keys=[SNAPSHOT_FK],
)
FRONTIER_LAB_SCHEMES = table(
    "frontier_lab_schemes",
    typed(
        "snapshot org era releases:int own_version:int v_number:int bare_number:int date_edition:int "
        "other:int main_scheme"
    ),
    pk=("org", "era"),
    foreign_keys=[SNAPSHOT_FK],
)

# --- the site's uncached pages (scripts/publish/search_index.py) --------------------------------

# The configured facets of the large tables, counted once over all their rows: the unfiltered
# table pages read them (plugins/hub_facet_counts.py) instead of counting on every visit.
FACET_COUNTS = table(
    "facet_counts",
    [
        Column("table_name", "TEXT"),
        Column("column_name", "TEXT"),
        Column("value", ""),
        Column("count", "INTEGER"),
    ],
)
# Covering indexes of the table pages visitors filter by census and task, with their configured
# facets and the sorts they click (docs/benchmarks.md), made by the same stage.
PAGE_INDEXES = {
    "models": [
        ix("snapshot", "pipeline_tag", "downloads", "library_name"),
        ix("snapshot", "pipeline_tag", "likes"),
    ],
    "model_versioning": [ix("snapshot", "pipeline_tag", "downloads", "primary_form", "organization")],
}
