"""data/organizations.csv: the curated map from Hub namespaces to organizations (docs/organizations.md).

The file is hand-curated, so these tests check its shape and hold it against the 2024-07-11 census:
every listed namespace really is an author there, and the census's 30 most-downloaded authors are all
decided (mapped to a company or listed with a non-company kind). One pass over the census (~5 s).
"""

from __future__ import annotations

import collections
import csv
import re
from pathlib import Path

import pytest

from scripts.snapshot.read import DEFAULT_SNAPSHOTS_DIR, iter_records

ROOT = Path(__file__).resolve().parent.parent
CSV_PATH = ROOT / "data" / "organizations.csv"
CENSUS = DEFAULT_SNAPSHOTS_DIR / "2024-07-11" / "models.jsonl.gz"

HEADER = ["namespace", "organization", "kind", "relation", "reason", "evidence_url"]
KINDS = {"company", "research-institute", "university", "non-profit", "community", "individual"}
RELATIONS = {"official", "subsidiary", "legacy-rehosted", "rehosted", "staff-account", "test-fixtures"}
# Relations that tie a namespace to a company it is not simply the home of.
COMPANY_ONLY_RELATIONS = {"subsidiary", "legacy-rehosted", "rehosted", "staff-account", "test-fixtures"}
REQUIRED_COMPANIES = [
    "Google",
    "Meta",
    "OpenAI",
    "Microsoft",
    "Mistral AI",
    "Alibaba",
    "NVIDIA",
    "Stability AI",
]
# Hub namespaces: letters, digits, '-', '_', '.'; no leading punctuation.
NAMESPACE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# The census marks models that predate the Hub's creation dates with these placeholders (MANIFEST caveats).
PLACEHOLDER_CREATED = {"2022-03-02T23:29:04.000Z", "2022-03-02T23:29:05.000Z"}


def read_rows() -> list[tuple[int, dict]]:
    """(line number, row) for each data row; line numbers count the header as line 1."""
    with open(CSV_PATH, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, strict=True)
        assert reader.fieldnames == HEADER, f"{CSV_PATH}:1: header is {reader.fieldnames}, expected {HEADER}"
        rows = []
        for row in reader:
            # A row with too many or too few fields would show up as a None key or a None value.
            assert None not in row and None not in row.values(), (
                f"{CSV_PATH}:{reader.line_num}: expected {len(HEADER)} fields, got {row}"
            )
            rows.append((reader.line_num, row))
    return rows


@pytest.fixture(scope="module")
def rows():
    return read_rows()


@pytest.fixture(scope="module")
def census():
    """Per author of the 2024-07-11 census: total downloads and the createdAt values of its models."""
    downloads = collections.Counter()
    created = collections.defaultdict(set)
    for _, record in iter_records(CENSUS):
        author, sep, _ = record["id"].partition("/")
        if not sep:  # no namespace: author is NULL in the build, never mapped
            continue
        downloads[author] += record.get("downloads") or 0
        created[author].add(record.get("createdAt"))
    return downloads, created


def test_rows_have_every_field_filled_and_trimmed(rows):
    assert len(rows) > 0, f"{CSV_PATH}: no data rows"
    for line, row in rows:
        for key in HEADER:
            value = row[key]
            assert value.strip(), f"{CSV_PATH}:{line}: empty {key}"
            assert value == value.strip(), (
                f"{CSV_PATH}:{line}: {key} has leading or trailing spaces: {value!r}"
            )


def test_namespaces_are_hub_names_and_unique_ignoring_case(rows):
    # The Hub treats namespaces case-insensitively, so 'Salesforce' and 'salesforce' are one namespace.
    seen = {}
    for line, row in rows:
        ns = row["namespace"]
        assert NAMESPACE_RE.fullmatch(ns), f"{CSV_PATH}:{line}: {ns!r} is not a Hub namespace"
        key = ns.lower()
        assert key not in seen, f"{CSV_PATH}:{line}: namespace {ns!r} already listed on line {seen[key]}"
        seen[key] = line


def test_kind_and_relation_come_from_the_fixed_sets(rows):
    for line, row in rows:
        assert row["kind"] in KINDS, f"{CSV_PATH}:{line}: kind {row['kind']!r} not in {sorted(KINDS)}"
        assert row["relation"] in RELATIONS, (
            f"{CSV_PATH}:{line}: relation {row['relation']!r} not in {sorted(RELATIONS)}"
        )


def test_relations_other_than_official_are_for_companies_only(rows):
    # A personal account or a university lab is its own home: only companies have subsidiaries,
    # staff accounts, re-hosted legacy namespaces and test-fixture namespaces in this file.
    for line, row in rows:
        if row["relation"] in COMPANY_ONLY_RELATIONS:
            assert row["kind"] == "company", (
                f"{CSV_PATH}:{line}: relation {row['relation']!r} needs kind 'company', got {row['kind']!r}"
            )


def test_individuals_are_named_by_their_handle(rows):
    # The file does not guess who is behind a personal account: organization is the handle itself.
    for line, row in rows:
        if row["kind"] == "individual":
            assert row["organization"] == row["namespace"], (
                f"{CSV_PATH}:{line}: individual {row['namespace']!r} should have organization = namespace"
            )


def test_evidence_url_is_the_namespace_page_or_one_of_its_model_cards(rows):
    for line, row in rows:
        url, ns = row["evidence_url"], row["namespace"]
        page = f"https://huggingface.co/{ns}"
        assert url == page or url.startswith(page + "/"), (
            f"{CSV_PATH}:{line}: evidence_url {url!r} is not {page} or a model card under it"
        )


def test_reason_is_one_sentence(rows):
    for line, row in rows:
        reason = row["reason"]
        assert reason.endswith("."), f"{CSV_PATH}:{line}: reason should be a sentence ending in '.'"
        assert "\n" not in reason, f"{CSV_PATH}:{line}: reason spans several lines"


def test_required_companies_have_an_official_namespace(rows):
    official = {
        row["organization"] for _, row in rows if row["kind"] == "company" and row["relation"] == "official"
    }
    missing = [c for c in REQUIRED_COMPANIES if c not in official]
    assert not missing, f"{CSV_PATH}: no official company namespace for {missing}"


def test_each_organization_has_one_kind(rows):
    kinds = collections.defaultdict(set)
    for _, row in rows:
        kinds[row["organization"]].add(row["kind"])
    mixed = {org: sorted(k) for org, k in kinds.items() if len(k) > 1}
    assert not mixed, f"{CSV_PATH}: organizations listed with more than one kind: {mixed}"


def test_every_listed_namespace_is_an_author_in_the_census(rows, census):
    # Exact case: the file spells namespaces as the Hub (and so the census) does.
    downloads, _ = census
    absent = [
        (line, row["namespace"], row["kind"]) for line, row in rows if row["namespace"] not in downloads
    ]
    assert not absent, f"{CSV_PATH}: namespaces with no model in {CENSUS}: {absent}"


def test_top_30_authors_by_downloads_are_all_decided(rows, census):
    downloads, _ = census
    listed = {row["namespace"].lower() for _, row in rows}
    top30 = [author for author, _ in downloads.most_common(30)]
    assert len(top30) == 30
    undecided = [a for a in top30 if a.lower() not in listed]
    assert not undecided, (
        f"{CSV_PATH}: these top-30 authors by downloads in {CENSUS} are neither mapped nor listed "
        f"with a non-company kind: {undecided}"
    )


def test_legacy_rehosted_namespaces_hold_only_pre_namespace_models(rows, census):
    # legacy-rehosted means: checkpoints that lived at bare ids (bert-base-uncased, gpt2) before the
    # Hub moved them into a namespace. Such models predate the Hub's creation dates, so every one
    # carries the census's placeholder createdAt; a model created later would not be legacy.
    _, created = census
    legacy = [(line, row["namespace"]) for line, row in rows if row["relation"] == "legacy-rehosted"]
    assert legacy, f"{CSV_PATH}: expected legacy-rehosted rows (google-bert, openai-community, ...)"
    for line, ns in legacy:
        later = created[ns] - PLACEHOLDER_CREATED
        assert not later, (
            f"{CSV_PATH}:{line}: {ns} has models created after 2022-03-02 ({sorted(later)[:3]}), not legacy"
        )
