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

from scripts.publish import after_2024_finding, history_finding, seed_gap, units
from scripts.publish.finding_rows import count, percent, query_rows
from scripts.publish.palette import measure_key
from scripts.schema import FINDINGS

# RQ3: a company needs this many models with their own version for its consistency to be judged.
MIN_VERSIONED = 10


def headline_snapshot(conn: sqlite3.Connection) -> str:
    return conn.execute("select snapshot from snapshots where headline").fetchone()[0]


def shown_text(row: dict) -> str:
    """A row's share_shown as the chart draws it, saying which share it is: corrected for the
    classifier's error with its 95% interval, read in full by hand, or the classifier's raw count
    with its error not measured."""
    kind = row["share_shown_is"]
    if kind == "corrected":
        return (
            f"{percent(row['share_shown'])} (corrected for the classifier's error, 95% interval "
            f"{percent(row['corrected_low'])}-{percent(row['corrected_high'])}; raw {percent(row['share_raw'])})"
        )
    if kind == "read in full by hand":
        return f"{percent(row['share_shown'])} (read in full by hand)"
    return f"{percent(row['share_shown'])} (raw: the classifier's error is not measured here)"


def short_kind(row: dict) -> str:
    return {"corrected": "corrected", "read in full by hand": "read in full"}.get(
        row["share_shown_is"], "raw"
    )


def finding_rq1(conn: sqlite3.Connection) -> dict | None:
    """RQ1: no own version / traditional / other scheme in the headline census (rq1_versioned_share,
    corrected per model by estimate_rq1), the seed rule taken apart into the own-version count
    (estimate_seed_gap), and whether the answer holds under every unit of counting."""
    snapshot = headline_snapshot(conn)
    per_unit = {
        unit: {measure_key(r["measure"]): r for r in rows if r["snapshot"] == snapshot}
        for unit, rows in units.by_unit(query_rows, conn, "rq1_versioned_share").items()
    }
    cursor = conn.execute("select * from estimate_seed_gap where snapshot = ? and band = 'all'", [snapshot])
    found = cursor.fetchone()
    if found is None or not set(RQ1_MEASURES) <= set(per_unit["model"]):
        return None
    gap = dict(zip([d[0] for d in cursor.description], found))
    shown = {u: {m: rows[m]["share_shown"] for m in RQ1_MEASURES} for u, rows in per_unit.items()}
    model = per_unit["model"]
    none, trad, other = (model[m] for m in RQ1_MEASURES)
    corrected = none["share_corrected"] is not None
    more = "traditional" if shown["model"]["traditional"] > shown["model"]["other scheme"] else "other scheme"
    holds = {
        u: (s["no own version"] > 0.5) == (shown["model"]["no own version"] > 0.5)
        and (s["traditional"] > s["other scheme"]) == (more == "traditional")
        for u, s in shown.items()
    }

    def split(row: dict) -> str:
        if row["share_corrected"] is None:
            return percent(row["share_shown"])
        return f"{percent(row['share_shown'])} ({percent(row['corrected_low'])}-{percent(row['corrected_high'])})"

    how = (
        f"corrected for the classifier's error on {none['labelled']} hand-labelled ids, with 95% intervals; "
        f"the classifier alone counts {percent(none['share_raw'])}, {percent(trad['share_raw'])} and "
        f"{percent(other['share_raw'])}"
        if corrected
        else "the classifier's counts: no hand-labelled ids for this census"
    )
    others = list(units.OTHER_UNITS)
    answer = (
        f"{'Most models carry no version of their own' if shown['model']['no own version'] > 0.5 else 'Most models carry a version of their own'}"
        f": in the {snapshot} census of {count(none['models'])} models, {split(none)} have none, "
        f"{split(trad)} a traditional version (major.minor.patch-like: v2, v0.2, 1.0.3) and {split(other)} "
        f"another scheme (Llama-2, gpt2, 2407, step-1000, r2) ({how}); more versioned names follow "
        f"{'a traditional scheme than another' if more == 'traditional' else 'another scheme than a traditional one'}. "
        f"The seed study's 79% / 21% rest on its rule (a v-number anywhere), {seed_gap.sentence(gap)}. "
        f"Counted {units.listed([units.UNIT_WORDS[u] for u in others])}, "
        f"{units.listed([percent(shown[u]['no own version']) for u in others])} carry no own version, and "
        f"traditional against other schemes stand at "
        f"{units.listed([percent(shown[u]['traditional']) + ' / ' + percent(shown[u]['other scheme']) for u in others])} "
        f"(raw counts): {units.verdict(holds)}."
    )
    return {
        "question": "Do Hub models follow traditional versioning (major.minor.patch), or free naming?",
        "answer": answer,
        "parts": {
            "caption": f"The seed rule's share taken apart into the own-version count ({snapshot} census, "
            "classifier counts, shares of its models)",
            "rows": seed_gap.table(gap),
        },
        "seed_claim": "Mostly no traditional versioning: 79% of models unversioned, 21% versioned.",
        "chart_query": "rq1_versioned_share",
        "rows_url": "/hub/rq1_versioning_schemes",
    }


RQ1_MEASURES = ("no own version", "traditional", "other scheme")


def rq2_tasks(rows: list[dict], names: set[str] | None = None) -> dict[str, dict[str, dict]]:
    """task -> measure -> row of rq2_versioning_by_task, for tasks with all three measures."""
    by_task: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_task.setdefault(r["pipeline_tag"], {})[r["measure"]] = r
    return {
        t: m
        for t, m in by_task.items()
        if t != "(none)" and {"seed rule", "own version"} <= set(m) and (names is None or t in names)
    }


def finding_rq2(conn: sqlite3.Connection) -> dict | None:
    """RQ2: the task with the highest seed-rule share, how much of it is the model's own, the range
    of own-version shares across tasks, and whether that holds under every unit of counting."""
    per_unit = units.by_unit(query_rows, conn, "rq2_versioning_by_task")
    tasks = rq2_tasks(per_unit["model"])
    if not tasks:
        return None
    by_unit = {u: rq2_tasks(rows, set(tasks)) for u, rows in per_unit.items()}
    top = max(tasks, key=lambda t: tasks[t]["seed rule"]["share_shown"])

    def claims(ts: dict) -> tuple[bool, bool, str]:
        own = {t: m["own version"]["share_shown"] for t, m in ts.items()}
        highest, lowest = max(own, key=own.get), min(own, key=own.get)
        under_half = own[top] < ts[top]["seed rule"]["share_shown"] / 2
        return under_half, own[highest] >= 2 * own[lowest], highest

    got = {u: claims(ts) for u, ts in by_unit.items() if top in ts}
    model_claims = got["model"]
    holds = {u: u in got and got[u][:2] == model_claims[:2] for u in units.UNITS}
    measures = tasks[top]
    seed, own = measures["seed rule"], measures["own version"]
    env = measures.get("RL environment version")
    own_rows = sorted(tasks.values(), key=lambda m: m["own version"]["share_shown"])
    low, high = own_rows[0]["own version"], own_rows[-1]["own version"]
    env_text = (
        f"; {percent(env['share_shown'])} carry an environment's version (LunarLander-v2)" if env else ""
    )
    lead = "The task matters, but not as the seed rule suggests" if model_claims[0] else "The task matters"
    others = [u for u in units.OTHER_UNITS if u in got]
    answer = (
        f"{lead}: {top} has the highest seed-rule share ({percent(seed['share_shown'])} of "
        f"{count(seed['models'])} models), yet only {shown_text(own)} carry a version of their own{env_text}. "
        f"Across the {len(tasks)} tasks with enough models, own-version shares run from "
        f"{percent(low['share_shown'])} ({low['pipeline_tag']}, {short_kind(low)}) to "
        f"{percent(high['share_shown'])} ({high['pipeline_tag']}, {short_kind(high)}). "
        f"Counted {units.listed([units.UNIT_WORDS[u] for u in others])} (raw counts), {top}'s own-version "
        f"share is {units.listed([percent(by_unit[u][top]['own version']['share_shown']) for u in others])} "
        f"against {units.listed([percent(by_unit[u][top]['seed rule']['share_shown']) for u in others])} by "
        f"the seed rule, and the highest own-version share is "
        f"{units.per_unit_values({u: got[u][2] for u in units.UNITS if u in got})}; "
        f"on its two claims ({top}'s own versions {'under' if model_claims[0] else 'at least'} half its "
        f"seed-rule share; the highest task's share {'at least' if model_claims[1] else 'under'} twice the "
        f"lowest's) {units.verdict(holds)}."
    )
    return {
        "question": "Does the task (image-to-text, reinforcement learning, ...) influence the versioning scheme?",
        "answer": answer,
        "seed_claim": "Reinforcement learning adopts traditional versioning (most of the 21% versioned); "
        "other tasks show no global consensus.",
        "chart_query": "rq2_versioning_by_task",
        "rows_url": f"/hub/model_versioning?snapshot={headline_snapshot(conn)}&pipeline_tag={top}",
    }


def rq3_judged(rows: list[dict]) -> list[dict]:
    """Companies with at least MIN_VERSIONED versioned models counted, by consistency."""
    judged = [
        r for r in rows if (r["versioned_models"] or 0) >= MIN_VERSIONED and r["consistency"] is not None
    ]
    return sorted(judged, key=lambda r: (r["consistency"], r["organization"]))


def finding_rq3(conn: sqlite3.Connection) -> dict | None:
    """RQ3: how consistently companies with enough versioned models write their versions, under
    every unit of counting."""
    per_unit = {
        u: rq3_judged(rows) for u, rows in units.by_unit(query_rows, conn, "rq3_company_consistency").items()
    }
    judged = per_unit["model"]
    if not judged:
        return None

    def consistent(rows: list[dict]) -> int:
        return sum(r["consistency"] >= 0.9 for r in rows)

    def median(rows: list[dict]) -> float:
        return rows[len(rows) // 2]["consistency"]

    most = {u: bool(rows) and 2 * consistent(rows) >= len(rows) for u, rows in per_unit.items()}
    holds = {u: bool(per_unit[u]) and most[u] == most["model"] for u in units.UNITS}
    lowest, highest = judged[0], judged[-1]
    others = [u for u in units.OTHER_UNITS if per_unit[u]]
    answer = (
        f"{'A' if most['model'] else 'No'} company-wide convention for most: "
        f"of the {len(judged)} companies with at least "
        f"{MIN_VERSIONED} versioned models, {consistent(judged)} write 90% or more of their versions in "
        f"one form; the median company writes {percent(median(judged), 0)} in its most common form, from "
        f"{percent(lowest['consistency'], 0)} ({lowest['organization']}) to "
        f"{percent(highest['consistency'], 0)} ({highest['organization']}). "
        f"Counted {units.listed([units.UNIT_WORDS[u] for u in others])}, "
        f"{units.listed([f'{consistent(per_unit[u])} of {len(per_unit[u])}' for u in others])} reach 90% "
        f"(medians {units.listed([percent(median(per_unit[u]), 0) for u in others])}; the most consistent: "
        f"{units.per_unit_values({u: per_unit[u][-1]['organization'] for u in units.UNITS if per_unit[u]})}): "
        f"{units.verdict(holds)}."
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
    **after_2024_finding.FINDINGS,
}


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
                json.dumps(f["parts"]) if f.get("parts") else None,
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
