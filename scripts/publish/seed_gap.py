"""RQ1's comparison with the seed study: the seed rule's share taken apart into the own-version
share, in parts whose printed figures add up exactly.

seed rule share - what it counts without an own version + own versions it misses = own-version
share (estimate_seed_gap, classifier counts). Each figure is printed to 0.1 point; rounding each
on its own can leave the printed sum 0.1 off, so the parts are rounded together (largest remainder:
the parts whose rounding moved them furthest give way), and no printed figure is more than 0.1
point from its exact value.
"""

from __future__ import annotations

import math

# estimate_seed_gap's parts in the order printed: (the table's label, the sentence's word).
COUNTED = {
    "seed_not_own_environment": ("RL environment versions (LunarLander-v2)", "environments"),
    "seed_not_own_dataset": ("dataset versions (squad_v2)", "datasets"),
    "seed_not_own_base_model": ("base models' versions (...-Mistral-7B-v0.2-GGUF)", "base models"),
    "seed_not_own_other": ("other v-numbers that version nothing of the model's", "other v-numbers"),
}
MISSED = {
    "own_not_seed_date": ("dates (2407)", "dates"),
    "own_not_seed_checkpoint": ("checkpoints (step-1000)", "checkpoints"),
    "own_not_seed_number": ("bare numbers (Llama-3.1)", "bare numbers"),
    "own_not_seed_generation": ("generations (Llama-2)", "generations"),
    "own_not_seed_glued": ("numbers glued to a name (gpt2)", "glued numbers"),
    "own_not_seed_v_unseen": ("v-numbers glued to a word (mistralv2)", "v-numbers glued to a word"),
    "own_not_seed_edition": ("prereleases and revisions (rc1, r2)", "prereleases and revisions"),
}
TENTHS = 1000  # a share in tenths of a percentage point


def _tenths(share: float) -> int:
    return math.floor(share * TENTHS + 0.5)


def printed_parts(gap: dict) -> dict[str, int]:
    """Column -> printed value in tenths of a point, for seed_rule_share, own_version_share, every
    part and the two totals, such that seed - counted + missed = own and each total is its parts'
    sum, exactly."""
    seed, own = _tenths(gap["seed_rule_share"]), _tenths(gap["own_version_share"])
    exact = {c: gap[c] * TENTHS for c in (*COUNTED, *MISSED)}
    printed = {c: _tenths(gap[c]) for c in exact}
    sign = {**{c: -1 for c in COUNTED}, **{c: 1 for c in MISSED}}
    # Off by how much, in tenths: > 0 means the printed parts give more than `own`.
    off = seed + sum(sign[c] * printed[c] for c in printed) - own
    while off:
        step = -1 if off > 0 else 1  # the direction the parts' signed sum must move
        # the part whose printed value, moved by one tenth that way, stays closest to its exact value
        movable = [c for c in printed if printed[c] + step * sign[c] >= 0]
        column = min(movable, key=lambda c: (abs(printed[c] + step * sign[c] - exact[c]), c))
        printed[column] += step * sign[column]
        off += step
    printed["seed_rule_share"], printed["own_version_share"] = seed, own
    printed["seed_not_own"] = sum(printed[c] for c in COUNTED)
    printed["own_not_seed"] = sum(printed[c] for c in MISSED)
    return printed


def tenths_text(value: int) -> str:
    return f"{value // 10}.{value % 10}%"


def table(gap: dict) -> list[dict]:
    """The decomposition as rows (sign, part, share) for the findings page's small table."""
    printed = printed_parts(gap)
    rows = [{"sign": "", "part": "the seed rule counts as versioned", "share": printed["seed_rule_share"]}]
    rows += [{"sign": "-", "part": label, "share": printed[c]} for c, (label, _) in COUNTED.items()]
    rows += [{"sign": "+", "part": label, "share": printed[c]} for c, (label, _) in MISSED.items()]
    rows.append(
        {"sign": "=", "part": "own version (the classifier's count)", "share": printed["own_version_share"]}
    )
    return [{**r, "share": tenths_text(r["share"])} for r in rows]


def sentence(gap: dict) -> str:
    """The decomposition in words: every nonzero printed part, each side's total, and the result."""
    printed = printed_parts(gap)

    def listed(columns: dict) -> str:
        return ", ".join(
            f"{word} {tenths_text(printed[c])}" for c, (_, word) in columns.items() if printed[c]
        )

    return (
        f"which counts {tenths_text(printed['seed_rule_share'])} of this census as versioned; take away "
        f"the {tenths_text(printed['seed_not_own'])} it counts without a version of their own "
        f"({listed(COUNTED)}) and add the {tenths_text(printed['own_not_seed'])} own versions it misses "
        f"({listed(MISSED)}): {tenths_text(printed['own_version_share'])}, the classifier's own-version "
        "count before correction"
    )
