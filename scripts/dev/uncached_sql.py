"""The SQL of the uncached pages, before and after scripts/publish/search_index.py, on one build:

    python -m scripts.dev.uncached_sql [build/hub.db]

Each query as Datasette (or the model lookup) runs it, median of 3, in ms. "Before" reads what
the page read without this stage's work: the counted GROUP BY for a facet, the index the planner
used before (`INDEXED BY`), the bare LIKE for the lookup.
"""

import sqlite3
import statistics
import sys
import time

c: sqlite3.Connection


def t(sql, p=()):
    xs = []
    for _ in range(3):
        s = time.perf_counter()
        c.execute(sql, p).fetchall()
        xs.append((time.perf_counter() - s) * 1000)
    return round(statistics.median(xs), 1)


def facet(col, table, where=""):
    return f"select {col} as value, count(*) as count from (select * from {table} {where}) where {col} is not null group by {col} order by count desc, value limit 31"


def main() -> None:
    global c
    c = sqlite3.connect(f"file:{sys.argv[1] if len(sys.argv) > 1 else 'build/hub.db'}?mode=ro", uri=True)
    fc = "select value, count from facet_counts where table_name=? and column_name=? order by count desc, value limit 31"
    for tbl, col in [
        ("models", "snapshot"),
        ("models", "pipeline_tag"),
        ("models", "library_name"),
        ("model_versioning", "primary_form"),
        ("model_versioning", "organization"),
    ]:
        print(
            f"unfiltered facet {tbl}.{col}: counted {t(facet(col, tbl))} ms -> facet_counts {t(fc, [tbl, col])} ms"
        )
    w = "where snapshot='2024-07-11' and pipeline_tag='text-generation'"
    old_m = "models indexed by idx_models_pipeline_tag"
    old_v = "model_versioning indexed by idx_model_versioning_pipeline_tag"
    print(
        "filtered models count:",
        t(f"select count(*) from {old_m} {w}"),
        "->",
        t(f"select count(*) from models {w}"),
    )
    print(
        "filtered models facet library_name:",
        t(facet("library_name", old_m, w)),
        "->",
        t(facet("library_name", "models", w)),
    )
    print(
        "filtered models sort likes:",
        t(f"select * from {old_m} {w} order by likes desc limit 101"),
        "->",
        t(f"select * from models {w} order by likes desc limit 101"),
    )
    print(
        "filtered mv rows by downloads:",
        t(f"select * from {old_v} {w} order by downloads desc limit 101"),
        "->",
        t(f"select * from model_versioning {w} order by downloads desc limit 101"),
    )
    print(
        "filtered mv count:",
        t(f"select count(*) from {old_v} {w}"),
        "->",
        t(f"select count(*) from model_versioning {w}"),
    )
    for col in ("primary_form", "organization"):
        print(
            f"filtered mv facet {col}:", t(facet(col, old_v, w)), "->", t(facet(col, "model_versioning", w))
        )
    old_l = "select model_id from model_versioning where model_id like '%'||?||'%' order by downloads desc limit 200"
    new_l = "select model_id from model_versioning where model in (select rowid from model_id_trigrams where model_id like '%'||?||'%') and model_id like '%'||?||'%' order by downloads desc limit 200"
    for q in ["Llama-3", "mistral", "v0.2", "bigscience", "xq9z", "ab"]:
        a = [r for r in c.execute(old_l, [q])]
        b = [r for r in c.execute(new_l, [q, q])]
        print(
            f"lookup {q!r}: LIKE {t(old_l, [q])} ms -> trigram {t(new_l, [q, q])} ms; same ids {set(a) == set(b)} ({len(a)})"
        )
    old_e = (
        "select model from model_versioning where lower(model_id) = lower(?) order by downloads desc limit 1"
    )
    new_e = "select model from model_versioning where model in (select rowid from model_id_trigrams where model_id like ?) and lower(model_id)=lower(?) order by downloads desc limit 1"
    print(
        "explain exact 'meta-llama/Meta-Llama-3-8B':",
        t(old_e, ["meta-llama/Meta-Llama-3-8B"]),
        "->",
        t(new_e, ["meta-llama/Meta-Llama-3-8B"] * 2),
    )


if __name__ == "__main__":
    main()
