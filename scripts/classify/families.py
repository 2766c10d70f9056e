"""The known model families: publishers, how each writes its versions, last major, glued forms."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scripts.classify.vocab import _KIND


@dataclass(frozen=True, slots=True)
class Family:
    """One known model family.

    name: the family word, lower-cased, separators dropped ("stablediffusion", "minilm").
    publishers: the Hub authors who release it, space-separated; a marker hanging on the family
        is "self" for them and "base_model" for anyone else ("the name plainly embeds another
        known model with its version"); "" when nobody publishes weights under the name; None
        when the word is not a family a marker can hang on (squad, cv: datasets with glued releases).
    kinds: how it writes its versions: v (v2, v0.2), n (2, 3.1, gpt2), d (dates), p (alpha,
        beta), r (r2); None: "vndp".
    last_major: the largest major version it has released: larger numbers on the name are not its
        (Weni's WeniGPT-Agents-Zephyr-1.0.20: zephyr has only alpha/beta); None: 5.
    glued: a glued digit is a generation (gpt2, llama3, Qwen2, Phi3, sd15) up to this largest
        plausible one; None: a glued digit is not read as the family's. squad/oasst/cv are datasets
        whose glued digit is their release.
    releases: the (major, minor) versions it released, where that list is short and closed
        (ControlNet 1.0 and 1.1; T5 only ever wrote 1.1 in a name, t5-v1_1-base): another number on
        the name (HYDiT-ControlNet-v1.2, dialogstudio-t5-large-v1.0) is the author's.
    checkpoints: it publishes the saved states of its pre-training run as models of their own
        (MultiBERTs' seed_0-step_100k): a checkpoint on the family's name is the family's.
    needs: its versions belong to this variant only (Whisper's v2/v3 are "large-v2", "large-v3").
    pairs: two-word spellings, joined (stable-diffusion-v1-5, neural-chat-7b-v3-1, command-r-v01).
    closed: no public weights, so never a base: a teacher, judge or data source.
    """

    name: str
    publishers: str | None
    kinds: str | None = None
    last_major: int | None = None
    glued: int | None = None
    releases: tuple[tuple[int, int], ...] = ()
    checkpoints: bool = False
    needs: str = ""
    pairs: tuple[str, ...] = ()
    closed: bool = False


FAMILIES: tuple[Family, ...] = (
    Family("gpt", "openai-community openai", kinds="nd", last_major=5, glued=5),
    Family("llama", "meta-llama facebook", kinds="n", last_major=4, glued=4),
    Family("qwen", "qwen", kinds="n", last_major=3, glued=3),
    Family("phi", "microsoft", kinds="n", last_major=4, glued=4),
    Family("gemma", "google", kinds="n", last_major=3, glued=3),
    Family("falcon", "tiiuae", kinds="n", glued=3),
    Family("internlm", "internlm", kinds="n", glued=3),
    Family("chatglm", "thudm", kinds="n", glued=4),
    Family("baichuan", "baichuan-inc", kinds="n", glued=3),
    Family("starcoder", "bigcode", kinds="n", glued=3),
    Family("codegen", None, glued=25),
    Family("idefics", "huggingfacem4", kinds="n", glued=3),
    Family("blip", "salesforce", kinds="n", glued=3),
    Family("kosmos", "microsoft", kinds="n", glued=3),
    Family("florence", "microsoft", kinds="n", glued=3),
    Family("orca", "microsoft pankajmathur", kinds="vn", glued=3),
    Family("yi", "01-ai", kinds="n", last_major=2, glued=2),
    Family("minicpm", "openbmb", kinds="vn", glued=3),
    Family("stablelm", "stabilityai", kinds="n", glued=3),
    Family("olmo", "allenai", kinds="n", glued=2),
    Family("sd", "runwayml stabilityai compvis", kinds="n", last_major=35, glued=35),
    Family("claude", "", kinds="nd", glued=4, closed=True),
    Family("palm", "", kinds="nd", glued=2, closed=True),
    Family("gemini", "", kinds="nd", glued=2, closed=True),
    Family("hermes", "teknium nousresearch", kinds="n", last_major=3, glued=3),
    Family("openhermes", "teknium", kinds="n", last_major=3, glued=3),
    Family("dolphin", "cognitivecomputations ehartford", kinds="n", last_major=3, glued=3),
    Family("openchat", "openchat", kinds="nd", last_major=4, glued=4),
    Family("llava", "liuhaotian llava-hf lmms-lab", kinds="vn", last_major=2, glued=2),
    Family("cogvlm", "thudm", kinds="n", glued=3),
    Family("internvl", "opengvlab", kinds="v", glued=3),
    Family("moondream", "vikhyatk", kinds="n", glued=3),
    Family("wizardlm", "wizardlm microsoft", kinds="vn", glued=3),
    Family("mixtral", "mistralai", kinds="v", last_major=1, glued=2),
    Family("mistral", "mistralai", kinds="vd", last_major=3, glued=2),
    Family("deepseek", "deepseek-ai", kinds="v", glued=3),
    Family("squad", None, glued=2),
    Family("oasst", None, glued=2),
    Family("cv", None, glued=20),
    Family("commonvoice", None, glued=20),
    Family("vicuna", "lmsys", kinds="v", last_major=2, glued=2),
    Family("solar", "upstage", kinds="vn", last_major=2, glued=2),
    Family("sdxl", "stabilityai", kinds="n", last_major=1, glued=1),
    Family("codellama", "meta-llama codellama"),
    Family("codestral", "mistralai", kinds="v"),
    Family("codeqwen", "qwen", kinds="n"),
    Family("codegemma", "google"),
    Family("paligemma", "google"),
    Family("recurrentgemma", "google"),
    Family("whisper", "openai", kinds="v", last_major=3, needs="large"),
    Family(
        "stablediffusion",
        "runwayml stabilityai compvis",
        kinds="vn",
        last_major=4,
        pairs=("stablediffusion",),
    ),
    Family("deberta", "microsoft", kinds="v", last_major=3),
    Family("mdeberta", "microsoft", kinds="v", last_major=3),
    Family(
        "minilm",
        "microsoft sentence-transformers nreimers cross-encoder",
        kinds="v",
        last_major=3,
        pairs=("allminilm",),
    ),
    Family("mpnet", "microsoft sentence-transformers", kinds="v", last_major=2, pairs=("allmpnet",)),
    Family("distiluse", "sentence-transformers", kinds="v"),
    Family("bge", "baai", kinds="v", last_major=2),
    Family("gte", "thenlper alibaba-nlp", kinds="v", last_major=2),
    Family("e5", "intfloat", kinds="v", last_major=2),
    Family("nomic", "nomic-ai", kinds="v"),
    Family("jina", "jinaai", kinds="v"),
    Family("mxbai", "mixedbread-ai", kinds="v"),
    Family("albert", "google albert", kinds="v", last_major=2),
    Family("tulu", "allenai", kinds="n", last_major=3),
    Family("zephyr", "huggingfaceh4", kinds="p", last_major=-1),
    Family("tinyllama", "tinyllama", kinds="v", last_major=2),
    Family("mobilenet", "google", kinds="v"),
    Family("pythia", "eleutherai", kinds="v", last_major=1),
    Family("command", "cohereforai", kinds="vd", last_major=1, pairs=("commandr",)),
    Family("granite", "ibm ibm-granite", kinds="vr"),
    Family("controlnet", "lllyasviel", kinds="v", releases=((1, 0), (1, 1))),
    Family("animagine", "cagliostrolab linaqruf", kinds="n"),
    Family("openjourney", "prompthero", kinds="v"),
    Family("kandinsky", "kandinsky-community", kinds="n"),
    Family("playground", "playgroundai", kinds="v"),
    Family("neuralchat", "intel", kinds="v", pairs=("neuralchat",)),
    Family("airoboros", "jondurbin", kinds="n"),
    Family("seamless", "facebook", kinds="v"),
    Family("rvc", "", kinds="v"),
    Family("unifiedqa", "allenai", kinds="v"),
    Family("wd", "hakurei", kinds="vn", last_major=2),
    Family("biobert", "dmis-lab", kinds="v", last_major=2),
    Family("w2vbert", "facebook", kinds="n", last_major=2, pairs=("w2vbert",)),
    Family("bard", "", closed=True),
    Family("t5", "google google-t5", kinds="v", releases=((1, 1),)),
    Family("openllama", "openlm-research", kinds="v", last_major=2, pairs=("openllama",)),
    Family("multiberts", "google", kinds="", checkpoints=True),
    Family("openbuddy", None, last_major=20),
)

_PUBLISHERS: dict[str, frozenset[str]] = {
    f.name: frozenset(f.publishers.split()) for f in FAMILIES if f.publishers is not None
}
_GLUED_FAMILIES = {f.name: f.glued for f in FAMILIES if f.glued is not None}
_FAMILY_MAX = {f.name: f.last_major for f in FAMILIES if f.last_major is not None}
_FAMILY_KINDS = {f.name: f.kinds for f in FAMILIES if f.kinds is not None}
_FAMILY_RELEASES = {f.name: f.releases for f in FAMILIES if f.releases}
_CHECKPOINT_FAMILIES = frozenset(f.name for f in FAMILIES if f.checkpoints)
_FAMILY_NEEDS = {f.name: f.needs for f in FAMILIES if f.needs}
_PAIR_FAMILIES = {pair: f.name for f in FAMILIES for pair in f.pairs}
_CLOSED = frozenset(f.name for f in FAMILIES if f.closed)
_CLOSED_GPT_FROM = 3  # gpt2 has public weights; gpt-3, gpt-3.5, gpt-4, gpt-4o do not

_GLUED_FAMILY = re.compile(
    r"([A-Za-z]*?)("
    + "|".join(sorted(_GLUED_FAMILIES, key=len, reverse=True))
    + r")(\d+(?:\.\d+){0,2})([A-Za-z]{0,2}|sonnet|opus|haiku|turbo|chat|instruct|base|vision|coder|mini)",
    re.I,
)
# A family's glued generation with the author's own v-number glued after it: sd14v1, llama2v3,
# phi2v1, pbjsGPT2v2 (the family's generation, then the author's version of what is built on it).
_GLUED_FAMILY_V = re.compile(
    r"([A-Za-z]*?)("
    + "|".join(sorted(_GLUED_FAMILIES, key=len, reverse=True))
    + r")(\d+(?:\.\d+)?)([vV])(\d+(?:\.\d+){0,2})([A-Za-z]*)",
    re.I,
)
# Prefixes that make a product of their own: distilgpt2, DialoGPT, ruGPT3, KoGPT, BioGPT, MiniGPT4.
_GLUED_NOT_PREFIX = (
    "distil",
    "tiny",
    "code",
    "dialo",
    "ko",
    "h2o",
    "kinya",
    "bio",
    "med",
    "ru",
    "mini",
    "nano",
    "auto",
    "open",
    "fin",
    "law",
    "tele",
    "poly",
    "cerebras",
    "japanese",
    "thai",
)

_NOT_SEPARATE_FAMILY = frozenset({"sd"})  # "sd-1" is a seed as often as Stable Diffusion 1


def _family_fits(fam: str, form: str, major: int | None, minor: int | None = None) -> bool:
    """Can this marker be a version of that family? Each family writes its versions its own way
    (Mistral v0.2, Llama 2 / 3.1, Zephyr beta) up to a largest major: Falcon-7B-Chat-v0.1 and
    llama-7b-v2 are their authors' versions, not Falcon's or Llama's."""
    kind = _KIND[form]
    if kind not in _FAMILY_KINDS.get(fam, "vndp"):
        return False
    if kind not in "vn":
        return True
    releases = _FAMILY_RELEASES.get(fam)
    if releases is not None:
        return ((major or 0), (minor or 0)) in releases
    return (major or 0) <= _FAMILY_MAX.get(fam, 5)
