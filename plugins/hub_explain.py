"""Site plugin: "Explain this model" on every model page and on the model lookup.

For one model of one census: each version marker of its id with its form, whose version it
decided (refers_to), the rule of the specification that decided it and the evidence the classifier
recorded; the model's family and the family's other versions by the same author; and the model's
hand label when it is in the validation sample (validation_labels, keyed by model id, with its
label_group for the group labels). Shown by templates/_hub_explain.html.

The rule is read from what version_markers stores: refers_to and the evidence text that rules 1-7
of docs/version-markers.md write, for the model's own markers too when a rule decided them (the
author's own family, base model, copy or dataset); an own marker with no evidence is rule 8's (no
rule gave it another owner).
"""

from __future__ import annotations

from datasette import hookimpl

DATABASE = "hub"
MODEL_TABLES = {"models", "model_versioning"}
LOOKUP = "browse_model_lookup"
LOOKUP_DEFAULT = "Llama-3"
FAMILY_LIMIT = 60
SPEC = "/rules/version-markers"
# evidence prefix -> (rule number, what the rule says), by refers_to; the first prefix that matches.
RULES = {
    "environment": [("", 1, "a v-number closing a reinforcement-learning environment's name or id")],
    "dataset": [
        ("dataset tag", 7, "the same version on the same word stands in a dataset: tag's name"),
        ("", 2, "a version of a dataset the name calls by name (squad_v2, common_voice_11_0, cv13)"),
    ],
    "base_model": [
        ("base_model tag", 3, "the same version stands in a base_model: tag's name (another author's)"),
        ("format copy", 5, "a version before a format or quantisation token: the source model's"),
        ("name embeds", 6, "a known family's version, on a model of someone who does not publish it"),
        (
            "checkpoint of",
            6,
            "a checkpoint of a family whose pre-training checkpoints are models of their own",
        ),
        ("", 3, "the base model's version"),
    ],
    "unclear": [
        (
            "closed model",
            4,
            "a closed model's version (no public weights, never a base): teacher, judge or data",
        ),
        (
            "",
            None,
            "cannot be told: a run counter or a number whose role the name does not show (decision 1)",
        ),
    ],
    "self": [
        (
            "a second version after",
            6,
            "a known family carries one version: a second one after it is the author's",
        ),
        ("the author publishes", 6, "the family's own publisher versions its own release"),
        (
            "the author's own base_model",
            3,
            "the same version stands in a base_model: tag of the author's own",
        ),
        ("format copy of the author's own", 5, "a format copy of the author's own model keeps its version"),
        ("the author's own dataset", 7, "the same version stands in a dataset: tag of the author's own"),
        ("", 8, "no rule gave the marker another owner: the model's own version"),
    ],
}
RULE_ANCHOR = "#whose-version-refers_to"


def rule_of(refers_to: str, evidence: str | None) -> dict:
    """The rule of the specification behind a marker's refers_to, from its recorded evidence."""
    for prefix, number, text in RULES.get(refers_to, []):
        if (evidence or "").startswith(prefix):
            name = f"rule {number}" if number else "decision"
            return {"number": number, "name": name, "text": text, "href": SPEC + RULE_ANCHOR}
    return {"number": None, "name": "unknown", "text": f"refers_to {refers_to}", "href": SPEC}


async def rows(db, sql: str, params) -> list[dict]:
    return [dict(r) for r in (await db.execute(sql, params)).rows]


async def explain(datasette, model: int) -> dict | None:
    """Everything the explain block shows for the model with key `model`, or None if there is none."""
    db = datasette.get_database(DATABASE)
    found = await rows(db, "select * from model_versioning where model = ?", [model])
    if not found:
        return None
    versioning = found[0]
    markers = await rows(db, "select * from version_markers where model = ? order by marker_index", [model])
    for m in markers:
        m["rule"] = rule_of(m["refers_to"], m["evidence"])
    label = None
    if await db.table_exists("validation_labels"):
        labels = await rows(
            db, "select * from validation_labels where model_id = ?", [versioning["model_id"]]
        )
        label = labels[0] if labels else None
    family = await rows(
        db,
        """select model, model_id, primary_text, primary_form, own_version, downloads
           from model_versioning
           where snapshot = ? and author is ? and family = ? and model != ?
           order by primary_major is null, primary_major, primary_minor, primary_patch, primary_date, model_id
           limit ?""",
        [versioning["snapshot"], versioning["author"], versioning["family"], model, FAMILY_LIMIT + 1],
    )
    return {
        "versioning": versioning,
        "markers": markers,
        "label": label,
        "family": family[:FAMILY_LIMIT],
        "family_more": len(family) > FAMILY_LIMIT,
        "spec": SPEC,
    }


async def lookup_model(datasette, q: str) -> int | None:
    """The model the lookup explains: the id equal to q (any case), else the most downloaded match."""
    db = datasette.get_database(DATABASE)
    q = q or LOOKUP_DEFAULT
    # The trigram index of the ids (scripts/publish/search_index.py) finds the candidates of each
    # LIKE without reading every row; the conditions after it keep the answer exactly theirs.
    exact = await db.execute(
        "select model from model_versioning where model in"
        " (select rowid from model_id_trigrams where model_id like :q)"
        " and lower(model_id) = lower(:q) order by downloads desc limit 1",
        {"q": q},
    )
    if exact.rows:
        return exact.rows[0][0]
    best = await db.execute(
        "select model from model_versioning where model in"
        " (select rowid from model_id_trigrams where model_id like '%' || :q || '%')"
        " and model_id like '%' || :q || '%' order by downloads desc limit 1",
        {"q": q},
    )
    return best.rows[0][0] if best.rows else None


@hookimpl
def extra_template_vars(template, database, table, request, datasette):
    if database != DATABASE or request is None:
        return {}
    url_vars = request.url_vars or {}
    if template in ("row-hub-models.html", "row-hub-model_versioning.html") and table in MODEL_TABLES:
        pks = url_vars.get("pks", "")

        async def row_vars():
            return {"hub_explain": await explain(datasette, int(pks)) if pks.isdigit() else None}

        return row_vars
    if template == "query.html" and url_vars.get("table") == LOOKUP:

        async def lookup_vars():
            model = await lookup_model(datasette, request.args.get("q", ""))
            return {"hub_explain": await explain(datasette, model) if model is not None else None}

        return lookup_vars
    return {}
