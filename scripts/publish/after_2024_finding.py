"""Findings on the Hub after 2024: RQ3 for the frontier labs (2023-2026) and the versioned share of
the ids new each week of 2025, beside the census months.

Each `finding_X(conn)` has the shape of scripts/publish/findings.py's findings and reads its figures
from the canned queries the site serves (rq3_frontier_labs, time_weekly_2025), so sentence, page and
chart agree; None when this build has no such data.
"""

from __future__ import annotations

import sqlite3

from scripts.publish.finding_rows import count, percent, query_rows

# A lab needs this many releases in each era for its scheme change to be stated.
MIN_RELEASES = 10
SCHEMES = ("v-number", "bare number", "date edition", "other")


def finding_frontier(conn: sqlite3.Connection) -> dict | None:
    """RQ3 for frontier labs: how many version their releases, which scheme, and who changed it."""
    labs = query_rows(conn, "rq3_frontier_labs", min_releases=1)
    if not labs:
        return None
    releases = sum(r["releases"] for r in labs)
    own = sum(round(r["share_own"] * r["releases"]) for r in labs)
    judged = [r for r in labs if r["releases"] >= MIN_RELEASES]
    by_scheme = {s: sum(1 for r in judged if r["main_scheme"] == s) for s in SCHEMES}
    both = [r for r in judged if r["scheme_change"] in ("same", "changed")]
    changed = [r for r in both if r["scheme_change"] == "changed"]
    mostly = [r for r in judged if r["share_own"] >= 0.5]
    scheme_text = ", ".join(f"{s}s for {n}" for s, n in sorted(by_scheme.items(), key=lambda kv: -kv[1]) if n)
    changed_text = (
        " ("
        + "; ".join(f"{r['org']}: {r['scheme_before']} to {r['scheme_after']}" for r in changed[:4])
        + ")"
        if changed
        else ""
    )
    answer = (
        f"Frontier labs version their open-weight releases in the name far more than the Hub at large: "
        f"{percent(own / releases)} of {count(releases)} tracked releases of {len(labs)} labs carry an own "
        f"version; of the {len(judged)} labs with {MIN_RELEASES} or more releases, {len(mostly)} version "
        f"most of them; their most common scheme: {scheme_text}. Of the {len(both)} labs with releases before and after "
        f"2024-07-11, {len(changed)} changed their most common scheme{changed_text}."
    )
    return {
        "question": "Do the frontier labs version their open-weight releases consistently, 2023-2026?",
        "answer": answer,
        "details": "Population: the open-weight frontier releases of about 70 labs tracked on 2026-08-17 "
        "(Interconnects-AI/tracked-models, Apache-2.0), a curated selection, not a census; counts of every "
        "listed release (no sampling error), read by the same classifier as the census. Before and after: "
        "ids in the 2024-07-11 census against the others (an id renamed after the census counts as after).",
        "seed_claim": "No company-wide versioning pattern (Google, OpenAI and Meta examined, 2024).",
        "chart_query": "rq3_frontier_labs",
        "rows_url": "/hub/frontier_models",
    }


def finding_2025_weeks(conn: sqlite3.Connection) -> dict | None:
    """The own-version share of the 2025 weeks' new ids beside the census's last year of months."""
    rows = query_rows(conn, "time_weekly_2025")
    weeks = [r for r in rows if r["population"].startswith("new ids") and r["relation"] == "all"]
    months = [r for r in rows if r["population"].startswith("census")][-12:]
    if not weeks or not months:
        return None

    def pooled(group, column="own_version"):
        return sum(r[column] for r in group) / sum(r["models"] for r in group)

    relations = {
        r["relation"]: r for r in rows if r["population"].startswith("new ids") and r["relation"] != "all"
    }
    by_relation = {}
    for relation in relations:
        group = [r for r in rows if r["relation"] == relation and r["population"].startswith("new ids")]
        by_relation[relation] = (pooled(group), pooled(group, "base_version_only"))
    copies = " and ".join(
        f"{percent(base)} of {relation} ids carry only their base's version ({percent(own)} their own)"
        for relation, (own, base) in by_relation.items()
        if relation in ("quantized", "adapter")
    )
    shares = [r["share_own"] for r in weeks]
    answer = (
        f"{percent(pooled(weeks))} of the {count(sum(r['models'] for r in weeks))} weekly additions to the Hub (ids "
        f"new in a week's listing) in the {len(weeks)} weeks from {weeks[0]['period'][12:]} to {weeks[-1]['period'][12:]} carry a version of "
        f"their own (weeks from {percent(min(shares))} to {percent(max(shares))}), against "
        f"{percent(pooled(months))} of the census's survivors created {months[0]['period']} to "
        f"{months[-1]['period']}; {copies}."
    )
    return {
        "question": "Has versioning changed since 2024, among the ids new each week of 2025?",
        "answer": answer,
        "details": "Two populations, told apart: a census's survivors by month of creation (models deleted "
        "before 2024-07-11 are not counted) and a week's new ids in the Hub's listing (created or renamed "
        "that week; MSC-empirical/msc-empirical, no license stated). Counts of every id, no sampling error; "
        "the week ending 2025-06-25 looks partial.",
        "seed_claim": "Not examined: the seed study is a single scrape without dates.",
        "chart_query": "time_weekly_2025",
        "rows_url": "/hub/weekly_model_changes?change=added",
    }


FINDINGS = {"rq3_frontier": finding_frontier, "time_2025": finding_2025_weeks}
