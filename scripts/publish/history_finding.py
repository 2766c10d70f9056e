"""The findings page's answer to the seed study's closing question, "version names => branch names?":
do versions live in git history and refs rather than in names?

`closing_question(conn, query_rows)` (wired in scripts/publish/findings.py) reads its figures from
the canned queries the site serves (canned_queries/history_*.sql, refs_versions_outside_names.sql)
through `query_rows(conn, name)`, so the sentences and the pages agree. The answer is two short
sentences: the models rewritten in place against the control group of the same population (raw and
corrected for the classifier's error, as its chart draws them, by number of rewrites), then whether
commit messages of rewrites name versions and whether 2025 retired older versions. `details` says
what each comparison shows and cannot, the predecessor shares under each definition, succession,
refs and the caveats (each figure also under `measures`). Census counts carry no sampling interval.
A figure whose tables are absent or empty in this build is left out; with none, there is no finding.
"""

from __future__ import annotations

import sqlite3

from scripts.derive.history import PAPER_PREDECESSOR_SHARE

QUESTION = "Version names => branch names? Do versions live in git history and refs rather than in names?"
SEED_CLAIM = "Left open: the study ends on the question."
# The tables each figure reads, which must hold rows for the figure to be stated.
NEEDS = {
    "control": "history_control",
    "definitions": "history_predecessor_definitions",
    "commits": "history_commit_versions",
    "retirements": "history_retirements",
    "predecessors": "history_predecessor_shares",
    "succession": "history_succession",
    "refs": "model_commit_counts",
}


def has_rows(conn: sqlite3.Connection, table: str) -> bool:
    exists = conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", [table]).fetchone()
    return bool(exists) and conn.execute(f"select exists (select 1 from [{table}])").fetchone()[0] == 1


def control_figure(conn, query_rows) -> dict | None:
    rows = query_rows(conn, "history_control_group")
    arms = {r["grp"]: r for r in rows if r["grouping"] == "all"}
    bands = sorted((r for r in rows if r["grouping"] == "rewrites"), key=lambda r: r["grp_order"])
    rewritten = next((r for r in arms.values() if r["rewritten"]), None)
    control = next((r for r in arms.values() if not r["rewritten"]), None)
    if rewritten is None or control is None:
        return None
    return {
        "population": f"models of the population Ajibode et al. drew the weight-change list from (NLP "
        f"models, 2024) found in the {rewritten['census']} census",
        "rewritten": rewritten["models"],
        "control": control["models"],
        "share_raw": rewritten["share_raw"],
        "control_share_raw": control["share_raw"],
        "share_corrected": rewritten["share_corrected"],
        "control_share_corrected": control["share_corrected"],
        "bands": [(r["grp"], r["models"], r["share_raw"], r["share_corrected"]) for r in bands],
        "caveat": "a rewrite counts commits touching a weight file, not why; language models only; "
        "shares are census counts (no sampling error), corrected ones carry the classifier's error "
        "rates measured on the uniformly drawn labelled ids",
    }


def definitions_figure(conn, query_rows) -> dict | None:
    rows = query_rows(conn, "history_predecessor_definitions")
    if not rows:
        return None
    newest = max(r["snapshot"] for r in rows)
    shares: dict[str, dict] = {}
    for r in rows:
        if r["snapshot"] == newest:
            shares.setdefault(r["definition"], {"order": r["definition_order"]})[r["level"]] = r
    return {
        "population": f"versions declared in model names of the {newest} census, by definition of the "
        "families counted",
        "snapshot": newest,
        "definitions": [
            (d, v.get("major", {}).get("share_raw"), v.get("minor", {}).get("share_raw"))
            for d, v in sorted(shares.items(), key=lambda kv: kv[1]["order"])
        ],
        "paper_major": PAPER_PREDECESSOR_SHARE["major"],
        "paper_minor": PAPER_PREDECESSOR_SHARE["minor"],
        "caveat": "the paper matched versions within base-model lineages by hand; a predecessor under "
        "another family name counts as missing here",
    }


def commits_figure(conn, query_rows) -> dict | None:
    rows = {r["grp_order"]: r for r in query_rows(conn, "history_commit_versions")}
    if 0 not in rows or 2 not in rows:
        return None
    return {
        "population": "commits that touched model weight files in the git histories of 1,031 Hub "
        "repositories (the safetensors study's sample, 2019-2024)",
        "rewrite_commits": rows[0]["total"],
        "rewrite_share_message": rows[0]["share_message"],
        "rewrite_with_version": rows[0]["version_in_message"],
        "upload_share_message": rows.get(1, {}).get("share_message"),
        "repositories": rows[2]["total"],
        "repositories_share_message": rows[2]["share_message"],
        "repositories_share_id": rows[2]["share_id"],
        "repositories_in_census": rows[2]["in_census"],
        "caveat": "a version named in a message is read by a regular expression from free text; it "
        "is evidence of a version in git history, not proof that the weights changed because of it",
    }


def retirements_figure(conn, query_rows) -> dict | None:
    rows = {r["superseded"]: r for r in query_rows(conn, "history_retirements")}
    if 1 not in rows:
        return None
    superseded, others = rows[1], rows.get(0)
    return {
        "population": "versions of the 2024-07-11 census whose family added a higher version to the "
        "Hub's listing between 2025-03-12 and 2025-07-02",
        "superseded": superseded["models"],
        "families": superseded["families"],
        "share_retired": superseded["share_retired"],
        "share_deleted": superseded["share_deleted"],
        "share_kept": superseded["share_kept"],
        "others": others and others["models"],
        "others_share_deleted": others and others["share_deleted"],
        "caveat": "a deletion outside the 16 weeks is not seen, and a deletion can be a rename",
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


def pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.1%}"


def compared(a: float, b: float) -> str:
    """How share a stands to share b, in words (within one point: about as often)."""
    if abs(a - b) < 0.01:
        return "about as often as"
    return "less often than" if a < b else "more often than"


def trend(shares: list[float]) -> str:
    """Whether shares fall or rise steadily with the number of rewrites, or not."""
    steps = [b - a for a, b in zip(shares, shares[1:])]
    if steps and all(d <= 0 for d in steps):
        return "falling steadily with the number of rewrites"
    if steps and all(d >= 0 for d in steps):
        return "rising steadily with the number of rewrites"
    return "with no steady trend across the number of rewrites"


def control_sentence(c: dict) -> str:
    """The control-group comparison: raw and corrected figures, as the chart draws them."""
    corrected = ""
    if c["share_corrected"] is not None and c["control_share_corrected"] is not None:
        corrected = (
            f"; corrected for the classifier's error {pct(c['share_corrected'])} vs "
            f"{pct(c['control_share_corrected'])}"
        )
    bands = ", ".join(f"{pct(share)} ({grp})" for grp, _n, share, _c in c["bands"])
    return (
        f"Among the same population's models in the census, the {c['rewritten']:,} whose weights were "
        f"rewritten in place carry a version of their own in the name {compared(c['share_raw'], c['control_share_raw'])} "
        f"the {c['control']:,} never rewritten ({pct(c['share_raw'])} vs {pct(c['control_share_raw'])} raw"
        f"{corrected}), {trend([b[2] for b in c['bands']])} ({bands} raw)."
    )


def evidence_sentence(figures: dict) -> str | None:
    m, r = figures["commits"], figures["retirements"]
    parts = []
    if m is not None:
        parts.append(
            f"{pct(m['rewrite_share_message'])} of {m['rewrite_commits']:,} commits that rewrote a weight "
            f"file name a version in their message"
        )
    if r is not None:
        others = (
            f", against {pct(r['others_share_deleted'])} of the same families' versions not superseded"
            if r["others"]
            else ""
        )
        parts.append(
            f"in 2025, {pct(r['share_retired'])} of {r['superseded']:,} census versions superseded by a "
            f"higher version were deleted after it appeared ({pct(r['share_deleted'])} in any of the 16 "
            f"weeks{others}), so older versions are mostly kept beside newer ones"
            if r["share_kept"] >= 0.5
            else f"in 2025, {pct(r['share_retired'])} of {r['superseded']:,} census versions superseded by "
            f"a higher version were deleted after it appeared ({pct(r['share_deleted'])} in any of the 16 weeks{others})"
        )
    if not parts:
        return None
    sentence = "; ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


def answer_sentences(figures: dict) -> list[str]:
    """The answer: the control-group comparison, then commit messages and deletions (or the refs)."""
    out = []
    if (c := figures["control"]) is not None:
        out.append(control_sentence(c))
    if (e := evidence_sentence(figures)) is not None:
        out.append(e)
    elif (r := figures["refs"]) is not None:
        out.append(
            f"{r['share_tags_or_branches']:.1%} of the {r['models']:,} most-downloaded models whose refs "
            "were crawled have git tags or branches besides main."
        )
    return out[:2]


def detail_sentences(figures: dict) -> list[str]:
    """What follows the answer: what each comparison shows and cannot, the other figures, caveats."""
    out = []
    if (c := figures["control"]) is not None:
        out.append(
            f"Control group: the {c['population']}; rewritten and not rewritten are the same study's "
            "models, so both groups share its tasks and sources; it cannot tell whether a rewrite was a new "
            "version, nor rule out other differences between the groups (variant types differ)."
        )
    if (m := figures["commits"]) is not None:
        out.append(
            f"Commit messages: {m['population']}; {pct(m['repositories_share_message'])} of the "
            f"{m['repositories']:,} repositories with a rewrite name a version in a rewrite's message, and "
            f"{pct(m['repositories_share_id'])} of the {m['repositories_in_census']:,} of them in the census "
            f"carry one in the id (uploads: {pct(m['upload_share_message'])} of messages); a sample chosen by "
            "another study, not the Hub."
        )
    if (r := figures["retirements"]) is not None:
        out.append(
            f"Deletions: {r['population']} ({r['families']:,} families); it cannot see deletions before "
            "or after those weeks."
        )
    if (d := figures["definitions"]) is not None:
        shares = "; ".join(
            f"{name}: {pct(major)} of major, {pct(minor)} of minor" for name, major, minor in d["definitions"]
        )
        out.append(
            f"Where names do declare versions ({d['snapshot']}), the share with the previous version on the "
            f"Hub depends on which families are counted: {shares} (Ajibode et al.: {d['paper_major']:.0%} "
            f"and {d['paper_minor']:.0%})."
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
    else:
        out.append("Branch and tag names are not in this build: `make fetch-refs` crawls them.")
    out += [f"Caveat ({name}): {m['caveat']}." for name, m in figures.items() if m is not None]
    return out


FIGURES = {
    "control": control_figure,
    "commits": commits_figure,
    "retirements": retirements_figure,
    "definitions": definitions_figure,
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
        "chart_query": "history_control_group" if measures["control"] else "refs_versions_outside_names",
        "rows_url": "/hub/population_models?model__notblank=1",
        "measures": measures,
    }
