"""Whose version a marker is (refers_to): the evidence rules of docs/version-markers.md, 1-8."""

from __future__ import annotations

import functools
import re

from scripts.classify.families import (
    _CHECKPOINT_FAMILIES,
    _CLOSED,
    _CLOSED_GPT_FROM,
    _FAMILY_NEEDS,
    _PUBLISHERS,
    _family_fits,
)
from scripts.classify.markers import _Mk
from scripts.classify.scan import _Scan
from scripts.classify.vocab import (
    _AUDIO_PIPELINES,
    _CELL,
    _CONVERSION_PREFIXES,
    _DATA_WORDS,
    _ENV_SUFFIX,
    _ENV_TAG,
    _FORMAT_STRONG_ALPHA,
    _LANGS,
    _MLAGENTS,
    _RL_LIBRARIES,
    _RL_NOT_ENV,
    _RL_TAGS,
    _VARIANT_WORDS,
    _VERSIONED_DATASETS,
    _WIKI_DUMP,
    _norm,
)

_SEP_RUN = re.compile(r"[^a-z0-9]+")
_FIRST_RUN = re.compile(r"[a-z0-9]*")  # what _SEP_RUN.split gives first, without the rest


# Base models and datasets repeat across many records (Llama-2-7b-hf, squad): each is scanned once.
@functools.lru_cache(maxsize=1 << 13)
def _tag_markers(name: str) -> tuple[tuple, ...]:
    """Markers of a base-model or dataset tag's name: (form, vals, date, anchor, text, head word)."""
    sc = _Scan(name)
    return tuple(
        (mk.form, mk.vals(), mk.date, mk.anchor, mk.text.lower(), _head_word(sc, mk.lo)) for mk in sc.markers
    )


def _head_word(sc: _Scan, lo: int) -> str:
    """The product word a version stands on, past variant, language and size words
    (DarkSapling in DarkSapling-DPO-7B-v2.0), or ''."""
    for j in range(lo - 1, max(lo - 6, -1), -1):
        if sc.owner[j] is not None:
            return ""
        w, c = sc.lows[j], sc.cls[j]
        if c == "s" or w in _VARIANT_WORDS or w in _LANGS:
            continue
        return _norm(w) if c == "a" and len(w) > 1 else ""
    return ""


_NUMERIC_FORMS = frozenset({"v_major", "v_minor", "v_patch", "num_minor", "num_patch", "generation", "glued"})


def _same_marker(mk: _Mk, other: tuple, head: str = "") -> bool:
    """Does marker mk of the name stand for the same version as `other` (a tag's marker)?
    head: the product word mk stands on (_head_word)."""
    oform, ovals, odate, oanchor, otext, ohead = other
    form = mk.form
    if form in _NUMERIC_FORMS:
        if oform not in _NUMERIC_FORMS:
            return False
        if mk.vals() != ovals:
            return _squashed(mk, ovals)
        # several numbers (0.2, 3.1) identify a version; one number (2, or 2.0) needs the same word
        several = bool(mk.minor) or bool(mk.patch)
        return (
            several
            or (mk.anchor != "" and _norm(mk.anchor) == _norm(oanchor))
            or (head != "" and head == ohead)
        )
    if form == "date":
        return oform == "date" and mk.date == odate
    if form != oform:
        return False
    if form == "prerelease":
        return mk.text.lower() == otext
    return mk.vals() == ovals and (form == "checkpoint" or mk.anchor == oanchor)


def _squashed(mk: _Mk, ovals: tuple) -> bool:
    """A two-digit number written without its dot for a tag's major.minor: V14 for v1-4, sd15 for 1.5
    (not v10 or v20 for a base's 1.0 or 2.0: a tenth or twentieth release as often)."""
    major = mk.major or 0
    return (
        mk.minor is None
        and 10 <= major <= 99
        and major % 10 != 0
        and len(ovals) == 3
        and ovals[2] == 0
        and ovals[:2] == (major // 10, major % 10)
    )


class _Context:
    """What a record tells beyond its name."""

    __slots__ = (
        "author",
        "rl",
        "env_tags",
        "base_tags",
        "dataset_tags",
        "audio",
        "common_voice",
        "converter",
    )

    def __init__(self, model_id, author, tags, pipeline_tag, library_name):
        self.author = (author or "").lower()
        self.rl = pipeline_tag == "reinforcement-learning" or library_name in _RL_LIBRARIES
        self.audio = pipeline_tag in _AUDIO_PIPELINES
        try:
            base, data, rl, self.env_tags, voice = _tags_reading(tuple(tags))
        except TypeError:  # a tag that cannot be a key (not a string): read without the cache
            base, data, rl, self.env_tags, voice = _tags_reading.__wrapped__(tags)
        self.rl = self.rl or rl
        # a record naming itself as its base tells nothing
        self.base_tags = tuple(b for b in base if b != model_id) if model_id in base else base
        self.dataset_tags = data
        # a namespace that names a format (mlx-community), or a name that opens with one (ct2fast-...)
        first = _FIRST_RUN.match(model_id.rpartition("/")[2].lower()).group()
        self.converter = first in _CONVERSION_PREFIXES or _format_namespace(self.author)
        self.common_voice = self.audio or voice


_BASE, _DATA, _RL, _ENV = "base", "data", "rl", "env"


# Tags repeat across records far more than records do: each distinct tag is read once.
@functools.lru_cache(maxsize=1 << 14)
def _tag_kind(t: str) -> tuple[str | None, str | None]:
    """What a tag tells: (_BASE, base model id), (_DATA, dataset id), (_RL, None), (_ENV, the
    environment's key), or (None, None)."""
    if t.startswith("base_model:"):
        b = t[11:]
        for p in ("finetune:", "adapter:", "quantized:", "merge:"):
            if b.startswith(p):
                b = b[len(p) :]
        return _BASE, b
    if t.startswith("dataset:"):
        return _DATA, t[8:]
    if t in _RL_TAGS:
        return _RL, None
    if "-v" in t or "-V" in t:
        m = _ENV_TAG.match(t)
        if m:  # LunarLander-v2, FrozenLake-v1-4x4-no_slippery, ALE/Pong-v5
            return _ENV, _ENV_SUFFIX.sub("", _norm(m.group(1))) + "v" + str(int(m.group(2)))
    return None, None


# Many records carry the same tags (transformers, pytorch, bert, region:us...): each distinct
# list is read once. The readings are shared, so _Context never changes them.
@functools.lru_cache(maxsize=1 << 12)
def _tags_reading(tags: tuple) -> tuple[tuple, tuple, bool, dict[str, str], bool]:
    """(base model ids, dataset ids, an RL tag among them, RL environment key -> first tag,
    a Common Voice dataset among them)."""
    base, data, rl, env_tags = [], [], False, {}
    for t in tags:
        if not isinstance(t, str):
            continue
        kind, value = _tag_kind(t)
        if kind is _BASE:
            base.append(value)
        elif kind is _DATA:
            data.append(value)
        elif kind is _RL:
            rl = True
        elif kind is _ENV:
            env_tags.setdefault(value, t)
    voice = any("common_voice" in d or "commonvoice" in d for d in data)
    return tuple(base), tuple(data), rl, env_tags, voice


@functools.lru_cache(maxsize=1 << 12)
def _format_namespace(author: str) -> bool:
    """Does a (lower-cased) namespace name a format (mlx-community, TheBloke's -GGUF forks)?"""
    return any(w in _FORMAT_STRONG_ALPHA for w in _SEP_RUN.split(author))


def _refers(sc: _Scan, mk: _Mk, ctx: _Context) -> tuple[str, str]:
    """Whose version marker mk is, and the evidence: the rules of docs/version-markers.md in order."""
    found = _rule1_environment(sc, mk, ctx) or _rule2_dataset_in_name(sc, mk)
    if found:
        return found
    own_base, found = _rule3_base_model_tag(sc, mk, ctx)
    if found:
        return found
    if mk.form == "checkpoint":
        fam = _checkpoint_family(sc, mk)
        if fam and ctx.author not in _PUBLISHERS[fam]:
            return "base_model", f"checkpoint of {fam}'s pre-training run"
        fam = ""
    else:
        fam = mk.family or _attached_family(sc, mk)
    publisher = bool(fam) and ctx.author in _PUBLISHERS.get(fam, ())
    found = _rule4_closed_model(mk, fam, publisher)
    if found:
        return found
    if fam and not publisher and _family_versioned_before(sc, mk, fam):
        return "self", f"a second version after {fam}'s"
    found = _rule5_converted_copy(sc, mk, ctx, fam, publisher, own_base) or _rule6_known_family(
        sc, mk, fam, publisher
    )
    if found:
        return found
    if own_base:
        return "self", "the author's own base_model tag carries it"
    return _rule7_dataset_tag(sc, mk, ctx) or ("self", "")  # 8. otherwise the model's own


def _rule1_environment(sc: _Scan, mk: _Mk, ctx: _Context) -> tuple[str, str] | None:
    """1. environment: a v-number closing an RL environment id (LunarLander-v2, taxiv3)."""
    form = mk.form
    if form[0] == "v" and (mk.hint == "env" or (mk.hint == "envplain" and ctx.rl)):
        key = _ENV_SUFFIX.sub("", _norm(mk.anchor)) + "v" + str(mk.major)
        tag = ctx.env_tags.get(key)
        return "environment", (
            f"RL environment tag {tag}" if tag else f"RL environment {mk.anchor}-v{mk.major}"
        )
    if ctx.rl and form[0] == "v" and mk.minor is None:
        lo = mk.lo
        prev = sc.words[max(0, lo - 3) : lo]
        if mk.glued:
            prev = prev[-1:] + [sc.words[lo][: mk.pos - sc.starts[lo]]]
        for k in range(len(prev)):
            key = _ENV_SUFFIX.sub("", _norm("".join(prev[k:]))) + "v" + str(mk.major)
            if key in ctx.env_tags:
                return "environment", f"RL environment tag {ctx.env_tags[key]}"
        # the Gym id shape Name-vN in a reinforcement-learning record (ReachCube-v0)
        if lo > 0 and not mk.glued and sc.sep(lo) == "-" and mk.major <= 9:
            pw = sc.words[lo - 1]
            pl = pw.lower()
            if pw[0].isalpha() and pl not in _MLAGENTS and pl not in _RL_NOT_ENV and sc.owner[lo - 1] is None:
                return (
                    "environment",
                    f"RL environment id shape {pw}-v{mk.major} in a reinforcement-learning record",
                )
    return None


def _rule2_dataset_in_name(sc: _Scan, mk: _Mk) -> tuple[str, str] | None:
    """2. dataset by name: squad2, squad_v2, vqav2, oasst1, common_voice_11_0, cv13 in an audio model."""
    anchor = mk.anchor
    if mk.hint == "cv":
        return "dataset", f"Common Voice {mk.text} (audio model)"
    if anchor in _VERSIONED_DATASETS and (mk.major or 0) <= _VERSIONED_DATASETS[anchor]:
        lo = mk.lo
        if anchor == "voice" and not (lo > 1 and sc.lows[lo - 2] == "common"):
            pass
        elif anchor == "marco" and not (lo > 1 and sc.lows[lo - 2] == "ms"):
            pass
        else:
            return "dataset", f"versioned dataset {anchor}"
    if anchor == "raw" and any(x.startswith("wikitext") for x in sc.lows[: mk.lo]):
        return "dataset", "dataset wikitext raw-vN config"
    low = anchor.lower()
    if low and (low in _DATA_WORDS or (low.endswith("wiki") and _WIKI_DUMP.fullmatch(low))):
        return "dataset", f"version of the data the name calls {anchor}"
    return None


def _rule3_base_model_tag(sc: _Scan, mk: _Mk, ctx: _Context) -> tuple[bool, tuple[str, str] | None]:
    """3. base_model tag: the same version stands in a base model's name (not the author's own).

    Returns (the author's own base carries it, the finding or None)."""
    own_base = False
    head = _head_word(sc, mk.lo) if ctx.base_tags else ""
    for base in ctx.base_tags:
        b_author, _, b_name = base.rpartition("/")
        for other in _tag_markers(b_name):
            if _same_marker(mk, other, head):
                if b_author.lower() == ctx.author:
                    own_base = True
                    break
                return own_base, ("base_model", f"base_model tag {base}")
    return own_base, None


def _rule4_closed_model(mk: _Mk, fam: str, publisher: bool) -> tuple[str, str] | None:
    """4. unclear: a closed model's version (no public weights, so never a base)."""
    if (
        fam
        and not publisher
        and (fam in _CLOSED or (fam == "gpt" and ((mk.major or 0) >= _CLOSED_GPT_FROM or mk.form == "date")))
    ):
        return "unclear", f"closed model {fam} {mk.text}: a teacher, judge or data source, not a base"
    return None


def _rule5_converted_copy(
    sc: _Scan, mk: _Mk, ctx: _Context, fam: str, publisher: bool, own_base: bool
) -> tuple[str, str] | None:
    """5. a converted copy (GGUF, exl2, AWQ, bpw...; or any model of a namespace that names a format,
    mlx-community): the versions before the format are the source's when something shows a source
    other than the author's own release (a known family, another author's base model on that word)."""
    copy = ctx.converter or (sc.format_at >= 0 and mk.hi < sc.format_at)
    if not copy:
        return None
    author = ctx.author
    if publisher:
        return "self", f"the author publishes {fam}"
    if not fam and (own_base or any(b.rpartition("/")[0].lower() == author for b in ctx.base_tags)):
        return "self", "format copy of the author's own model"
    evidence = _base_names(ctx, mk.anchor) if ctx.base_tags else not _author_brand(ctx, sc.name)
    if ctx.converter or fam or evidence:
        where = "namespace" if ctx.converter else sc.words[sc.format_at]
        return "base_model", f"format copy ({where}) of another model"
    return None


def _rule6_known_family(sc: _Scan, mk: _Mk, fam: str, publisher: bool) -> tuple[str, str] | None:
    """6. a known family's version, on someone else's name; a family carries one version, so a
    second one after it (Cinder-Phi-2-V1) is the author's."""
    if not fam:
        return None
    if publisher:
        return "self", f"the author publishes {fam}"
    if _family_versioned_before(sc, mk, fam):
        return "self", f"a second version after {fam}'s"
    return "base_model", f"name embeds {fam} {mk.text}"


def _rule7_dataset_tag(sc: _Scan, mk: _Mk, ctx: _Context) -> tuple[str, str] | None:
    """7. dataset tag: the same version, on the same word, in a dataset's name; the author's own
    data too when the name is the dataset's whole name, around the version, and a base model's
    (lmind_nq_train6000_eval6489_v1_recite_qa_v3_meta-llama_Llama-2-7b-hf: data plus base)."""
    found = _data_plus_base(sc, mk, ctx)
    if found:
        return "dataset", f"inside the name of dataset tag {found}"
    anchor = mk.anchor
    if not anchor:
        return None
    na = _norm(anchor)
    vals = mk.vals()
    for ds in ctx.dataset_tags:
        d_author, _, d_name = ds.rpartition("/")
        for _form, ovals, odate, oanchor, _text, _head in _tag_markers(d_name):
            if ((vals and vals == ovals) or (mk.date and mk.date == odate)) and _norm(oanchor) == na:
                if d_author.lower() == ctx.author:
                    return "self", f"the author's own dataset tag {ds}"
                return "dataset", f"dataset tag {ds}"
    return None


def _data_plus_base(sc: _Scan, mk: _Mk, ctx: _Context) -> str:
    """The dataset tag whose whole name holds the marker, in a name that also spells a base model
    tag's name elsewhere (the model is named data + base), or ''."""
    lower = sc.name.lower()
    bases = [b.rpartition("/")[2].lower() for b in ctx.base_tags]
    for ds in ctx.dataset_tags:
        d_name = ds.rpartition("/")[2].lower()
        at = lower.find(d_name) if len(mk.text) < len(d_name) else -1
        if at < 0 or not at <= mk.pos <= mk.pos + len(mk.text) <= at + len(d_name):
            continue
        rest = lower[:at] + "/" + lower[at + len(d_name) :]
        if any(len(b) > 2 and b in rest for b in bases):
            return ds
    return ""


def _checkpoint_family(sc: _Scan, mk: _Mk) -> str:
    """The family that publishes its pre-training checkpoints and that the name opens with, before
    the checkpoint (multiberts-seed_0-step_1400k_mnli: a fine-tune of MultiBERTs' saved state)."""
    for j in range(mk.lo):
        fam = sc.family_of(j)
        if fam in _CHECKPOINT_FAMILIES:
            return fam
    return ""


def _family_versioned_before(sc: _Scan, mk: _Mk, fam: str) -> bool:
    """Does an earlier marker of the name already version family `fam` (the 2 of Phi-2-V1)?"""
    return any(
        other.pos < mk.pos
        and other.form in _NUMERIC_FORMS
        and (other.family or _attached_family(sc, other)) == fam
        for other in sc.markers
    )


def _author_brand(ctx: _Context, name: str) -> bool:
    """Does the name carry a word of its author's namespace (Weni/WeniGPT, distil-whisper/distil-...)?"""
    plain = _norm(name)
    return any(len(w) >= 3 and w in plain for w in _SEP_RUN.split(ctx.author))


def _base_names(ctx: _Context, anchor: str | None) -> bool:
    """Does another author's base model carry, in its name, the word this version is attached to?"""
    if not anchor:
        return False
    word = _norm(anchor)
    return any(
        b.rpartition("/")[0].lower() != ctx.author and word in _norm(b.rpartition("/")[2])
        for b in ctx.base_tags
    )


def _attached_family(sc: _Scan, mk: _Mk) -> str:
    """Walk back from a marker over variant, size and shape words to a known family word."""
    if mk.glued:
        return ""
    form = mk.form
    passes = form in ("date", "prerelease")  # gpt-4o-2024-05-13, gpt-4-1106-preview, zephyr-7b-beta
    crossed_size = False
    j = mk.lo - 1
    steps = 0
    while j >= 0 and steps < 6:
        steps += 1
        o = sc.owner[j]
        if o is not None:
            if passes and not crossed_size and o.family:
                return o.family
            return ""
        c = sc.cls[j]
        w = sc.lows[j]
        if c == "a":
            fam = sc.family_of(j)
            if fam:
                if fam == "gpt" and steps > 1:
                    return ""  # mamba-gpt-3b-v4, h2ogpt: "gpt" as a plain word
                need = _FAMILY_NEEDS.get(fam)
                if need and need not in sc.lows[j + 1 : mk.lo]:
                    return ""  # whisper-tiny-v2: only Whisper large has a v2
                return fam if _family_fits(fam, form, mk.major, mk.minor) else ""
            if w in _VARIANT_WORDS or w in _LANGS or len(w) == 1:
                j -= 1
                continue
            return ""
        if c == "s":
            if form == "date":
                return ""  # llama-7b_2023_11_16: the author's date
            crossed_size = True
            j -= 1
            continue
        if c == "n":
            if j > 0 and len(sc.lows[j - 1]) == 1:
                j -= 1  # L-6 in ms-marco-MiniLM-L-6-v2
                continue
            return ""
        if w.endswith("minilm"):
            return "minilm"
        if w in _PUBLISHERS:  # a family whose name holds a digit: e5-base-v2, t5-v1_1-base
            return w if _family_fits(w, form, mk.major, mk.minor) else ""
        if _CELL.fullmatch(w) or sc.fmt[j]:
            j -= 1  # L6, H384 shape words
            continue
        return ""
    return ""
