"""Whether an answer holds whatever the unit of counting: the same measure per model, per family,
per author and without checkpoint-only names (the robustness table, scripts/derive/robustness.py),
read through the canned query each chart draws, so that a sentence, its chart and its table
quote the same rows.
"""

from __future__ import annotations

UNITS = ("model", "family", "author", "without_checkpoints")
OTHER_UNITS = UNITS[1:]
# How a sentence names a unit of counting.
UNIT_WORDS = {
    "model": "per model",
    "family": "per family",
    "author": "per author",
    "without_checkpoints": "without checkpoint-only names",
}


def listed(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def per_unit_values(values: dict[str, str]) -> str:
    """'X under every unit', or 'X per model and per family, Y per author ...'."""
    if len(set(values.values())) == 1 and len(values) == len(UNITS):
        return f"{next(iter(values.values()))} under every unit"
    grouped: dict[str, list[str]] = {}
    for unit, value in values.items():
        grouped.setdefault(value, []).append(UNIT_WORDS[unit])
    return listed([f"{value} {listed(words)}" for value, words in grouped.items()])


def verdict(holds: dict[str, bool]) -> str:
    """Whether a conclusion holds under every unit, in words."""
    failing = [UNIT_WORDS[u] for u in UNITS if not holds[u]]
    if not failing:
        return "the conclusion holds under all four units of counting"
    return f"the conclusion does not hold {listed(failing)}"


def by_unit(query_rows, conn, name: str, **params) -> dict[str, list[dict]]:
    """unit -> the rows of canned query `name` with that unit (other parameters as given)."""
    return {unit: query_rows(conn, name, unit=unit, **params) for unit in UNITS}
