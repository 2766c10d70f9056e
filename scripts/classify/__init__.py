"""Version markers in Hugging Face model ids: the classifier of docs/version-markers.md.

Reads a model NAME (the part of the id after `author/`) word by word and reports every token that
says which release, iteration, generation or edition something is (a *marker*), its form, and
whose version it is (`refers_to`): this model's own, a base model's, an RL environment's, a
dataset's, or unclear. The record's `base_model:` and `dataset:` tags, its RL environment tags and
its pipeline/library are the evidence for the non-self values.

Pure functions; the only I/O is reading data/rl_environments.txt at import and the CLI:

    python -m scripts.classify < records.jsonl > classified.jsonl

The rules, with real examples, are in docs/version-markers.md ("Implementation notes");
tests/classifier_cases.tsv is the table of real ids the tests check.
"""

from scripts.classify.cli import main, record_problem, to_json
from scripts.classify.model import FORMS, REFERS_TO, SEED_RULE, Classification, Marker
from scripts.classify.records import classify_name, classify_record, family_key

__all__ = [
    "FORMS",
    "REFERS_TO",
    "SEED_RULE",
    "Classification",
    "Marker",
    "classify_name",
    "classify_record",
    "family_key",
    "main",
    "record_problem",
    "to_json",
]
