"""Classifying a model id or record, and its family key."""

from __future__ import annotations

import re

from scripts.classify import decisions
from scripts.classify.families import _FAMILY_KINDS, _PAIR_FAMILIES, _PUBLISHERS, _family_fits
from scripts.classify.markers import _Mk
from scripts.classify.model import SEED_RULE, Classification, Marker
from scripts.classify.refers import _author_brand, _Context, _refers
from scripts.classify.scan import _Scan
from scripts.classify.vocab import _FORMAT_ALPHA, _VERSIONED_DATASETS, _may_have_marker

_SEP_RUN = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"\d+")
_LETTERS = re.compile(r"[A-Za-z]+")
_PLAIN_FORMAT = re.compile(
    r"(?<![a-z0-9])(?:gguf|ggml|gptq|awq|exl|imatrix|mlx|bnb|hqq|aqlm|llamafile|"
    r"onnx|openvino|coreml|ctranslate|mlc|marlin|eetq)(?![a-z0-9])"
)


def _family_from_scan(sc: _Scan, keep_env_data: bool = True, lower: str | None = None) -> str:
    """The name without marker, size and format tokens, lower-cased, separators as '-'.
    lower: sc.name.lower(), when the caller has it already."""
    name = sc.name
    cut = []
    for mk in sc.markers:
        if keep_env_data and (mk.hint in ("env", "cv") or mk.anchor in _VERSIONED_DATASETS):
            continue  # ppo-LunarLander-v2 and -v3 are different tasks, not releases
        cut.append((mk.pos, mk.pos + len(mk.text)))
    if "s" in sc.cls or True in sc.fmt:
        for j in range(sc.n):
            if (sc.cls[j] == "s" or sc.fmt[j]) and sc.owner[j] is None:
                cut.append((sc.starts[j], sc.ends[j]))
    if cut:
        cut.sort()
        out, last = [], 0
        for s, e in cut:
            if s > last:
                out.append(name[last:s])
            last = max(last, e)
        out.append(name[last:])
        rest = "-".join(out).lower()
    else:
        rest = name.lower() if lower is None else lower
    key = _SEP_RUN.sub("-", rest).strip("-")
    return key or name.lower()


def _plain_family(name: str, lower: str | None = None) -> str:
    lo = name.lower() if lower is None else lower
    key = _SEP_RUN.sub("-", _PLAIN_FORMAT.sub("", lo)).strip("-")
    return key or lo


def family_key(name: str) -> str:
    """Family key of a model NAME: without version, size and quantisation/format tokens.

    meta-llama's Llama-2-7b-hf and Llama-2-13b-hf share "llama-hf"; Mistral-7B-Instruct-v0.1..v0.3
    share "mistral-instruct". Environment and dataset versions stay in the key (ppo-LunarLander-v2
    and -v3 are different tasks, not releases). An id "author/name" is reduced to its name.
    Never empty: falls back to the lower-cased name.
    """
    if "/" in name:
        name = name.split("/", 1)[1]
    if not _may_have_marker(name):
        return _plain_family(name)
    return _family_from_scan(_Scan(name))


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


def classify_name(model_id: str, tags=(), pipeline_tag=None, library_name=None) -> Classification:
    """Classify one model id with its record's context (tags, pipeline_tag, library_name)."""
    if "/" in model_id:
        author, name = model_id.split("/", 1)
    else:
        author, name = None, model_id
    seed = ("v" in name or "V" in name) and SEED_RULE.search(name) is not None
    lower = name.lower()  # made once for every test below
    if not _may_have_marker(name, lower):
        return Classification(model_id, name, author, seed, False, (), None, _plain_family(name, lower))
    sc = _Scan(name, True)
    markers = sc.markers
    # Whether the name is a run of settings matters only to a checkpoint, scanned or saved.
    saved = decisions.saved_states(name, lower)
    checkpoint = saved or any(mk.form == "checkpoint" for mk in markers)
    in_run = checkpoint and decisions.hyperparameter_run(name)
    added = decisions.added_markers(name, markers, in_run, saved, lower)
    if not markers and not added:
        return Classification(
            model_id, name, author, seed, False, (), None, _family_from_scan(sc, lower=lower)
        )
    ctx = _Context(model_id, author, tags or (), pipeline_tag, library_name)
    out = [_added_marker(sc, f, ctx) for f in added]
    for mk in markers:
        if mk.hint == "cv" and not ctx.common_voice:
            continue  # cv13 outside an audio model: cross-validation as likely as Common Voice
        if mk.form == "checkpoint" and decisions.training_length(name, mk.pos, mk.text, in_run):
            continue
        ref, ev = _refers(sc, mk, ctx)
        if ref == "self" and mk.form == "generation" and _run_counter(name, mk):
            ref, ev = "unclear", "a run counter ending the name"
        out.append(Marker(mk.text, mk.form, ref, mk.pos, mk.major, mk.minor, mk.patch, mk.date, ev))
    out.sort(key=lambda m: m.position)
    primary = next((m.form for m in out if m.refers_to == "self"), None)
    return Classification(
        model_id,
        name,
        author,
        seed,
        primary is not None,
        tuple(out),
        primary,
        _family_from_scan(sc, lower=lower),
    )


def _added_marker(sc: _Scan, found: decisions.Found, ctx: _Context) -> Marker:
    """A saved state or stamp the decisions found: another model's when a base model of another
    author carries it, or when it stands before the format of a copy that is not the author's."""
    if found.counter:
        major = int(_DIGITS.search(found.text).group())
        return Marker(
            found.text, found.form, "unclear", found.position, major, None, None, None, "a run counter"
        )
    ref, evidence = "self", ""
    text = found.text.lower()
    for base in ctx.base_tags:
        if base.rpartition("/")[0].lower() != ctx.author and text in base.lower():
            ref, evidence = "base_model", f"base_model tag {base}"
    copy = ctx.converter or (sc.format_at >= 0 and found.position < sc.starts[sc.format_at])
    if ref == "self" and copy and not _author_brand(ctx, sc.name):
        ref, evidence = "base_model", "format copy of another model"
    return Marker(found.text, found.form, ref, found.position, None, None, None, found.date, evidence)


def _run_counter(name: str, mk: _Mk) -> bool:
    """A bare integer ending the name is a generation only after a family that numbers them."""
    if not decisions.trailing(name, mk.pos, mk.text, _FORMAT_ALPHA):
        return False
    words = [w.lower() for w in _LETTERS.findall(name[: mk.pos])]
    if not words:
        return False
    fam = _PAIR_FAMILIES.get("".join(words[-2:]), words[-1])
    if fam not in _PUBLISHERS and fam not in _FAMILY_KINDS:
        return True
    return not _family_fits(fam, "generation", mk.major)  # stablelm-12: no StableLM 12


def classify_record(record: dict) -> Classification:
    """Classify a record in snapshot shape (id, tags, pipeline_tag, library_name...)."""
    pipeline_tag, library_name = record.get("pipeline_tag"), record.get("library_name")
    return classify_name(
        record["id"],
        record.get("tags") or (),
        pipeline_tag if isinstance(pipeline_tag, str) else None,
        library_name if isinstance(library_name, str) else None,
    )
