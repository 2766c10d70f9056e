"""The findings page's answer to the seed study's closing question, "version names => branch names?":
do versions live in git history and refs rather than in names?

`closing_question(conn, query_rows)` (wired in scripts/publish/findings.py) reads its figures from
the canned queries the site serves (canned_queries/history_*.sql, refs_versions_outside_names.sql)
through `query_rows(conn, name)`, so the sentences and the pages agree. The answer is two short
sentences; `details` states which population each figure covers, the other figures and the caveats
(each figure also under `measures`). A figure whose tables are absent
or empty in this build is left out; with none, there is no finding (None).
"""

from __future__ import annotations

import sqlite3

QUESTION = "Version names => branch names? Do versions live in git history and refs rather than in names?"
SEED_CLAIM = "Left open: the study ends on the question."
# The tables each figure reads, which must hold rows for the figure to be stated.
NEEDS = {
    "rewritten": "history_rewritten",
    "predecessors": "history_predecessor_shares",
    "succession": "history_succession",
    "refs": "model_commit_counts",
}


def has_rows(conn: sqlite3.Connection, table: str) -> bool:
    exists = conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", [table]).fetchone()
    return bool(exists) and conn.execute(f"select exists (select 1 from [{table}])").fetchone()[0] == 1


def rewritten_figure(conn, query_rows) -> dict | None:
    rows = [r for r in query_rows(conn, "history_rewritten_in_place") if r["grouping"] == "all"]
    if not rows:
        return None
    r = rows[0]
    return {
        "population": f"models of the weight-changes snapshot (open pre-trained language models of "
        f"Ajibode et al., 2024) whose weight files were rewritten in place, found in the {r['census']} census",
        "models": r["models"],
        "share_raw": r["share_raw"],
        "ci95_low": r["ci95_low"],
        "ci95_high": r["ci95_high"],
        "share_corrected": r["share_corrected"],
        "corrected_low": r["corrected_low"],
        "corrected_high": r["corrected_high"],
        "census_share_raw": r["census_share_raw"],
        "census_share_corrected": r["census_share_corrected"],
        "caveat": "language models only; only files changed at least twice are listed; "
        "the comparison has the group's own mix of tasks and libraries",
    }


def predecessor_figure(conn, query_rows) -> dict | None:
    rows = query_rows(conn, "history_predecessors")
    if not rows:
        return None
    newest = max(r["snapshot"] for r in rows)
    shares = {(r["population_order"], r["level"]): r for r in rows if r["snapshot"] == newest}
    if (0, "major") not in shares or (0, "minor") not in shares:
        return None
    return {
        "population": f"versions declared in model names of the {newest} census, in families of two or "
        "more models (the Hub as a registry), and in every family",
        "snapshot": newest,
        "major": shares[0, "major"]["share_raw"],
        "minor": shares[0, "minor"]["share_raw"],
        "major_versions": shares[0, "major"]["versions"],
        "minor_versions": shares[0, "minor"]["versions"],
        "major_every_family": shares.get((1, "major"), {}).get("share_raw"),
        "minor_every_family": shares.get((1, "minor"), {}).get("share_raw"),
        "paper_major": shares[0, "major"]["paper_share"],
        "paper_minor": shares[0, "minor"]["paper_share"],
        "caveat": "a predecessor published under another family name counts as missing; "
        "the paper's population and matching differ",
    }


def succession_figure(conn, query_rows) -> dict | None:
    rows = [
        r for r in query_rows(conn, "history_succession") if r["population"].startswith("declared a version")
    ]
    if not rows:
        return None
    families = rows[0]["population_families"]
    by_outcome = {r["outcome"]: r["families"] for r in rows}
    gained = sum(n for outcome, n in by_outcome.items() if outcome.startswith("newer version"))
    return {
        "population": f"families that declared a version in the {rows[0]['old_snapshot']} census and are "
        f"still in the {rows[0]['new_snapshot']} census",
        "old_snapshot": rows[0]["old_snapshot"],
        "new_snapshot": rows[0]["new_snapshot"],
        "families": families,
        "gained_newer": round(gained / families, 4),
        "gained_families": gained,
        "as_new_repository": by_outcome.get("newer version as a new repository", 0),
        "kept_without_newer": round(by_outcome.get("no newer version and repository kept", 0) / families, 4),
        "caveat": "ids are compared exactly, so a renamed repository looks like a new one",
    }


def refs_figure(conn, query_rows) -> dict | None:
    rows = [r for r in query_rows(conn, "refs_versions_outside_names") if r["models"]]
    if not rows:
        return None
    r = rows[0]  # all organizations and namespaces together
    return {
        "population": f"the most-downloaded models of the {r['snapshot']} census whose git refs were crawled",
        "models": r["models"],
        "share_version_in_refs": r["share_version_in_refs"],
        "share_tags_or_branches": r["share_tags_or_branches"],
        "share_version_in_name": r["share_version_in_name"],
        "caveat": "refs as the Hub answered when they were crawled, not as of the census date",
    }


def answer_sentences(figures: dict) -> list[str]:
    """The answer: at most two short sentences, the rewritten models first, then the refs."""
    out = []
    if (w := figures["rewritten"]) is not None:
        out.append(
            f"{w['share_raw']:.1%} of the {w['models']:,} models whose weights were rewritten in place carry "
            f"a version of their own in the name, against {w['census_share_raw']:.1%} of census models of "
            "the same tasks and libraries: their versions live in git history."
        )
    if (r := figures["refs"]) is not None:
        out.append(
            f"{r['share_tags_or_branches']:.1%} of the {r['models']:,} most-downloaded models whose refs "
            "were crawled have git tags or branches besides main."
        )
    else:
        out.append("Branch and tag names are not in this build: `make fetch-refs` crawls them.")
    return out[:2]


def detail_sentences(figures: dict) -> list[str]:
    """What follows the answer: each figure's population, the other figures, and the caveats."""
    out = []
    if (w := figures["rewritten"]) is not None:
        corrected = ""
        if w["share_corrected"] is not None:
            corrected = (
                f"; corrected for the classifier's errors {w['share_corrected']:.1%} "
                f"(95% interval {w['corrected_low']:.1%}-{w['corrected_high']:.1%}) against "
                f"{w['census_share_corrected']:.1%}"
            )
        out.append(
            f"Rewritten models: the {w['models']:,} {w['population']}, {w['share_raw']:.1%} with an own "
            f"version (95% interval {w['ci95_low']:.1%}-{w['ci95_high']:.1%}{corrected})."
        )
    if (p := figures["predecessors"]) is not None:
        out.append(
            f"Where names do declare versions ({p['snapshot']}), {p['major']:.0%} of major and {p['minor']:.0%} "
            f"of minor versions in families of two or more models have their previous version on the Hub "
            f"({p['major_every_family']:.0%} and {p['minor_every_family']:.0%} over every family; "
            f"Ajibode et al.: {p['paper_major']:.0%} and {p['paper_minor']:.0%})."
        )
    if (s := figures["succession"]) is not None:
        out.append(
            f"Of the {s['families']:,} {s['population']}, {s['gained_newer']:.1%} gained a newer declared "
            f"version ({s['as_new_repository']} of {s['gained_families']} as a new repository), while "
            f"{s['kept_without_newer']:.1%} kept the same repositories with no newer name."
        )
    if (r := figures["refs"]) is not None:
        out.append(
            f"Refs: {r['models']:,} {r['population']}; {r['share_version_in_refs']:.1%} have a version in a "
            f"ref's name ({r['share_version_in_name']:.1%} in the model's name)."
        )
    out += [f"Caveat ({name}): {m['caveat']}." for name, m in figures.items() if m is not None]
    return out


FIGURES = {
    "rewritten": rewritten_figure,
    "predecessors": predecessor_figure,
    "succession": succession_figure,
    "refs": refs_figure,
}


def closing_question(conn: sqlite3.Connection, query_rows) -> dict | None:
    measures = {
        name: figure(conn, query_rows) if has_rows(conn, NEEDS[name]) else None
        for name, figure in FIGURES.items()
    }
    if all(m is None for m in measures.values()):
        return None
    return {
        "question": QUESTION,
        "answer": " ".join(answer_sentences(measures)),
        "details": " ".join(detail_sentences(measures)),
        "seed_claim": SEED_CLAIM,
        "chart_query": "history_rewritten_in_place"
        if measures["rewritten"]
        else "refs_versions_outside_names",
        "rows_url": "/hub/weight_change_models?model__notblank=1",
        "measures": measures,
    }
