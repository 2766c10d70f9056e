"""The findings: each research question's answer in one or two sentences, computed from the built
database, beside the seed study's claim.

A finding is a function `finding_X(conn) -> dict | None` taking an open sqlite3 connection to the
built database and returning

    question    the question, as the seed study asks it
    answer      one or two sentences whose every figure comes from the database
    seed_claim  what the seed study (Al Achkar, Ben Aissa, Gazzeh, Yahiaoui) found
    chart_query the canned query whose rows and chart show the answer
    rows_url    a site-relative link to the rows the answer counts
    figures     {"svg": url, "png": url} of the chart rendered at build time (filled by `publish`)

or None when this build has no data to answer it. FINDING_FUNCTIONS lists them in page order; the
build (`publish`) writes them into the `findings` table the site reads, and renders their figures.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from scripts.publish import history_finding
from scripts.publish.metadata import canned_queries
from scripts.schema import FINDINGS

# RQ3: a company needs this many models with their own version for its consistency to be judged.
MIN_VERSIONED = 10


def percent(share: float | None, digits: int = 1) -> str:
    return "n/a" if share is None else f"{100 * share:.{digits}f}%"


def count(n: int) -> str:
    return f"{n:,}"


def query_rows(conn: sqlite3.Connection, name: str, **params) -> list[dict]:
    """Rows of canned query `name` with `params` (others at their defaults), as the site runs it."""
    query = canned_queries()[name]
    values = {p: "" for p in query.get("params", [])}
    values.update({k: str(v) for k, v in params.items()})
    cursor = conn.execute(query["sql"], values)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def headline_snapshot(conn: sqlite3.Connection) -> str:
    return conn.execute("select snapshot from snapshots where headline").fetchone()[0]


def share_of(row: dict) -> tuple[float, float | None, float | None, str]:
    """The share a row states, its 95% interval and what it is: corrected when the row has it."""
    if row.get("share_corrected") is not None:
        return row["share_corrected"], row.get("corrected_low"), row.get("corrected_high"), "corrected"
    share = row.get("share_raw", row.get("share"))
    return share, row.get("ci95_low"), row.get("ci95_high"), "classifier"


def interval(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f" (95% interval {percent(low)}-{percent(high)})"


def _split(row: dict) -> str:
    """'12.3% (95% interval 10.0-14.6%)' corrected, or the classifier's share where there is none."""
    share, low, high, _ = share_of(row)
    return f"{percent(share)}{interval(low, high)}"


def corrected_note(row: dict, kind: str) -> str:
    """How a corrected share relates to the classifier's, or nothing for a classifier share."""
    if kind != "corrected":
        return ""
    raw = row.get("share_raw", row.get("share"))
    if row.get("corrected_low") == row.get("corrected_high"):
        return f" once corrected (the classifier's {percent(raw)} is within its error rate)"
    return f" (corrected for the classifier's errors; it counts {percent(raw)})"


def finding_rq1(conn: sqlite3.Connection) -> dict | None:
    """RQ1: no own version / traditional / other scheme in the headline census, corrected for the
    classifier's error (estimate_rq1), beside the seed study's 79% / 21% and why its rule differs."""
    snapshot = headline_snapshot(conn)
    rows = {
        r["measure"]: r
        for r in query_rows(conn, "rq1_versioning_schemes")
        if r["snapshot"] == snapshot and r["band"] == "all"
    }
    if not {"no own version", "traditional", "other scheme"} <= set(rows):
        return None
    none, trad, other = rows["no own version"], rows["traditional"], rows["other scheme"]
    kind = (
        f"corrected for the classifier's error on {none['labelled']} hand-labelled ids"
        if none["share_corrected"] is not None
        else "the classifier's count; no labelled ids for this census"
    )
    answer = (
        f"Most models carry no version of their own: in the {snapshot} census of {count(none['models'])} "
        f"models, {_split(none)} have none ({kind}; the classifier alone counts "
        f"{percent(none['share_raw'])}), {_split(trad)} a traditional major.minor.patch-like version and "
        f"{_split(other)} another scheme (generations, glued numbers, dates, checkpoints). The seed "
        f"study's 79% / 21% rest on its rule, which here counts {percent(none['share_seed'] and 1 - none['share_seed'])} "
        f"as versioned: it counts environment, dataset and base-model versions "
        f"({percent(none['seed_not_own'])} of models carry only those) and misses bare and dated versions "
        f"({percent(none['own_not_seed_bare'] + none['own_not_seed_date'])})."
    )
    return {
        "question": "Do Hub models follow traditional versioning (major.minor.patch), or free naming?",
        "answer": answer,
        "seed_claim": "Mostly no traditional versioning: 79% of models unversioned, 21% versioned.",
        "chart_query": "rq1_versioned_share",
        "rows_url": "/hub/rq1_versioning_schemes",
    }


def finding_rq2(conn: sqlite3.Connection) -> dict | None:
    """RQ2: the task with the highest seed-rule share, and how much of it is the model's own."""
    rows = query_rows(conn, "rq2_versioning_by_task")
    by_task: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_task.setdefault(r["pipeline_tag"], {})[r["measure"]] = r
    tasks = {t: m for t, m in by_task.items() if t != "(none)" and {"seed rule", "own version"} <= set(m)}
    if not tasks:
        return None
    top = max(tasks, key=lambda t: share_of(tasks[t]["seed rule"])[0])
    measures = tasks[top]
    seed = share_of(measures["seed rule"])[0]
    own, own_low, own_high, own_kind = share_of(measures["own version"])
    env = measures.get("RL environment version")
    own_shares = sorted((share_of(m["own version"])[0], t) for t, m in tasks.items())
    (low_share, low_task), (high_share, high_task) = own_shares[0], own_shares[-1]
    env_text = f", {percent(share_of(env)[0])} carry an environment's version (LunarLander-v2)" if env else ""
    lead = "The task matters, but not as the seed rule suggests" if own < seed / 2 else "The task matters"
    answer = (
        f"{lead}: {top} has the highest seed-rule share "
        f"({percent(seed)} of {count(measures['seed rule']['models'])} models), yet only "
        f"{percent(own)}{interval(own_low, own_high) if own_low != own_high else ''} carry a version of "
        f"their own{corrected_note(measures['own version'], own_kind)}{env_text}. Across the {len(tasks)} tasks with "
        f"enough models, own-version shares run from {percent(low_share)} ({low_task}) to "
        f"{percent(high_share)} ({high_task})."
    )
    return {
        "question": "Does the task (image-to-text, reinforcement learning, ...) influence the versioning scheme?",
        "answer": answer,
        "seed_claim": "Reinforcement learning adopts traditional versioning (most of the 21% versioned); "
        "other tasks show no global consensus.",
        "chart_query": "rq2_versioning_by_task",
        "rows_url": f"/hub/model_versioning?snapshot={headline_snapshot(conn)}&pipeline_tag={top}",
    }


def finding_rq3(conn: sqlite3.Connection) -> dict | None:
    """RQ3: how consistently companies with enough versioned models write their versions."""
    rows = query_rows(conn, "rq3_company_consistency")
    judged = [r for r in rows if (r["versioned"] or 0) >= MIN_VERSIONED and r["consistency"] is not None]
    if not judged:
        return None
    judged.sort(key=lambda r: r["consistency"])
    consistent = [r for r in judged if r["consistency"] >= 0.9]
    median = judged[len(judged) // 2]["consistency"]
    lowest, highest = judged[0], judged[-1]
    answer = (
        f"{'No' if 2 * len(consistent) < len(judged) else 'A'} company-wide convention for most: "
        f"of the {len(judged)} companies with at least "
        f"{MIN_VERSIONED} versioned models, {len(consistent)} write 90% or more of their versions in "
        f"one form; the median company writes {percent(median, 0)} in its most common form, from "
        f"{percent(lowest['consistency'], 0)} ({lowest['organization']}) to "
        f"{percent(highest['consistency'], 0)} ({highest['organization']})."
    )
    return {
        "question": "Do big companies on the Hub follow versioning trends of their own?",
        "answer": answer,
        "seed_claim": "No company-wide versioning pattern either (Google, OpenAI and Meta examined).",
        "chart_query": "rq3_company_consistency",
        "rows_url": f"/hub/model_versioning?snapshot={headline_snapshot(conn)}&organization_kind=company"
        "&own_version=1",
    }


def finding_time(conn: sqlite3.Connection) -> dict | None:
    """Change over time: own-version share of models created in the first and the last dated year."""
    rows = [r for r in query_rows(conn, "time_versioned_share") if r["measure"] == "own version"]
    dated = sorted((r for r in rows if r["period_kind"] == "month of creation"), key=lambda r: r["period"])
    if len(dated) < 24:
        return None
    first, last = dated[:12], dated[-12:]

    def pooled(group):
        return sum(r["versioned"] for r in group) / sum(r["models"] for r in group)

    early = [r for r in rows if r["period_kind"] == "placeholder creation date"]
    early_text = (
        f"; models created on or before 2022-03-02 (the Hub's placeholder date): {percent(pooled(early))}"
        if early
        else ""
    )
    trend = "grown" if pooled(last) > pooled(first) else "not grown"
    answer = (
        f"Versioning in names has {trend}: {percent(pooled(last))} of models created "
        f"{last[0]['period']} to {last[-1]['period']} carry a version of their own, against "
        f"{percent(pooled(first))} of those created {first[0]['period']} to {first[-1]['period']}"
        f"{early_text}."
    )
    return {
        "question": "Has versioning changed over time?",
        "answer": answer,
        "seed_claim": "Not examined: the seed study is a single scrape without dates.",
        "chart_query": "time_versioned_share",
        "rows_url": f"/hub/model_versioning?snapshot={headline_snapshot(conn)}&own_version=1"
        f"&created_month__gte={last[0]['period']}",
    }


def finding_closing_question(conn: sqlite3.Connection) -> dict | None:
    """The closing question: versions in git history (weights rewritten in place), predecessors of
    declared versions, succession between censuses, and git refs when crawled
    (scripts/publish/history_finding.py)."""
    return history_finding.closing_question(conn, query_rows)


FINDING_FUNCTIONS = {
    "rq1": finding_rq1,
    "rq2": finding_rq2,
    "rq3": finding_rq3,
    "time": finding_time,
    "closing_question": finding_closing_question,
}
from scripts.publish import after_2024_finding  # noqa: E402  (it uses the helpers above)

FINDING_FUNCTIONS.update(after_2024_finding.FINDINGS)


def compute(conn: sqlite3.Connection) -> dict[str, dict]:
    """key -> finding, in page order, for the findings this database can answer."""
    found = {}
    for key, function in FINDING_FUNCTIONS.items():
        finding = function(conn)
        if finding is not None:
            found[key] = {**finding, "figures": finding.get("figures", {})}
    return found


def write_table(conn: sqlite3.Connection, found: dict[str, dict]) -> None:
    """The findings table the site reads (scripts/schema.py): one row per finding, in page order."""
    conn.execute(f"delete from {FINDINGS.name}")
    conn.executemany(
        FINDINGS.insert,
        [
            FINDINGS.row(
                key,
                i,
                f["question"],
                f["answer"],
                f.get("details"),
                f["seed_claim"],
                f["chart_query"],
                f["rows_url"],
                json.dumps(f["figures"]),
            )
            for i, (key, f) in enumerate(found.items())
        ],
    )
    conn.commit()


def publish(db_path: Path, figures_dir: Path | None = None, queries: dict | None = None) -> dict[str, dict]:
    """Compute the findings of the database at db_path, render their figures into figures_dir
    (with the canned queries' final chart specs, `queries`), and store them in its findings table."""
    conn = sqlite3.connect(db_path)
    try:
        found = compute(conn)
        if figures_dir is not None and queries is not None:
            from scripts.publish import figures

            for key, finding in found.items():
                # a finding whose query this build does not list (its data is absent) has no figure
                if finding["chart_query"] in queries:
                    finding["figures"] = figures.render(
                        conn, key, queries[finding["chart_query"]], figures_dir
                    )
        write_table(conn, found)
    finally:
        conn.close()
    return found
