"""The site's one colour per version form and per measure, applied to every chart.

Forms keep their colour on every chart (the traditional major.minor.patch-like forms in blues and
greens, the other schemes in warm colours and purples). A measure is known by its name without a
parenthesis ("seed rule (v-number anywhere)" is the seed rule); an unknown one takes a spare colour
chosen from its name, so that it too keeps one colour wherever it appears.

`style(spec, rows)` fills the colour scale of each `color` encoding on a form or measure field with
these colours, for the values the rows hold, in the palette's order; the build applies it to every
canned query's chart (scripts/publish/metadata.py), so the page and the figure files agree.
"""

from __future__ import annotations

import copy
import hashlib
import re

FORMS = {
    "v_major": "#1f77b4",
    "v_minor": "#6baed6",
    "v_patch": "#17becf",
    "num_minor": "#2ca02c",
    "num_patch": "#98df8a",
    "generation": "#9467bd",
    "glued": "#c5b0d5",
    "date": "#ff7f0e",
    "prerelease": "#e377c2",
    "revision": "#8c564b",
    "checkpoint": "#d62728",
    "unversioned": "#bdbdbd",
}
FORM_FIELDS = {"form", "primary_form", "top_form", "marker_form"}
MEASURES = {
    "own version": "#3366cc",
    "own version, corrected": "#0b2f6b",
    "seed rule": "#b35806",
    "rl environment version": "#1b9e77",
    "no own version": "#9e9e9e",
    "traditional": "#2a9d8f",
    "other scheme": "#9467bd",
    "seed study": "#000000",
    "rewritten in place": "#3366cc",
    "census, same tasks and libraries": "#9e9e9e",
}
MEASURE_FIELDS = {"measure", "population"}
SPARE = ["#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#7570b3", "#d95f02", "#666666", "#1f78b4"]
# Groups too small to judge are drawn in this colour (or at this opacity) on every chart.
TOO_FEW = "#c8c8c8"


def measure_key(name: str) -> str:
    return re.sub(r"\s*\(.*?\)", "", str(name)).strip().lower()


def colour(field: str, value) -> str:
    """The site's colour for `value` of a form or measure field."""
    if field in FORM_FIELDS and value in FORMS:
        return FORMS[value]
    key = measure_key(value)
    if key in MEASURES:
        return MEASURES[key]
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return SPARE[digest[0] % len(SPARE)]


def order(field: str, values) -> list:
    """Values in the palette's order (forms as listed above, then measures, then the rest)."""
    listed = list(FORMS) if field in FORM_FIELDS else list(MEASURES)

    def rank(v):
        key = v if field in FORM_FIELDS else measure_key(v)
        return (listed.index(key) if key in listed else len(listed), str(v))

    return sorted(set(values), key=rank)


def encodings(spec):
    """Every `encoding` dict in a Vega-Lite spec, layers, facets and concatenations included."""
    if isinstance(spec, dict):
        if isinstance(spec.get("encoding"), dict):
            yield spec["encoding"]
        for value in spec.values():
            if isinstance(value, (dict, list)):
                yield from encodings(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from encodings(item)


def calculated(spec, field: str) -> list[str]:
    """The string literals of the `calculate` transforms that make `field` (the values a measure
    built inside the spec can take), so that such a measure takes the site's colours too."""
    found = []
    if isinstance(spec, dict):
        if spec.get("as") == field and isinstance(spec.get("calculate"), str):
            found += re.findall(r"[?:]\s*'([^']*)'", spec["calculate"])
        for value in spec.values():
            found += calculated(value, field)
    elif isinstance(spec, list):
        for item in spec:
            found += calculated(item, field)
    return found


def style(spec: dict, rows: list[dict]) -> dict:
    """A copy of spec whose form and measure colours are the site's, for the values in rows."""
    spec = copy.deepcopy(spec)
    for encoding in encodings(spec):
        channel = encoding.get("color")
        if not isinstance(channel, dict) or "field" not in channel or "range" in channel.get("scale", {}):
            continue
        field = channel["field"]
        values = [r[field] for r in rows if r.get(field) is not None] or calculated(spec, field)
        if not values or field not in FORM_FIELDS | MEASURE_FIELDS:
            continue
        domain = order(field, values)
        channel["scale"] = {
            **channel.get("scale", {}),
            "domain": domain,
            "range": [colour(field, v) for v in domain],
        }
    return spec
