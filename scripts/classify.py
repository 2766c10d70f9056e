"""Version markers in Hugging Face model ids: the classifier of docs/version-markers.md.

Reads a model NAME (the part of the id after `author/`) word by word and reports every token that
says which release, iteration, generation or edition something is (a *marker*), its form, and
whose version it is (`refers_to`): this model's own, a base model's, an RL environment's, a
dataset's, or unclear. The record's `base_model:` and `dataset:` tags, its RL environment tags and
its pipeline/library are the evidence for the non-self values.

Pure functions; the only I/O is reading data/rl_environments.txt at import and the CLI:

    python -m scripts.classify < records.jsonl > classified.jsonl

The rules, with real examples, are in docs/version-markers.md ("Implementation notes");
tests/classifier_cases.tsv is the table of real ids the tests check.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from scripts import classify_decisions as decisions

# --------------------------------------------------------------------------------------------
# Public constants and types (other stages import exactly these names)
# --------------------------------------------------------------------------------------------

SEED_RULE = re.compile(r"(?<![A-Za-z0-9])[vV]\d+(?:[.\-_]\d+){0,2}(?![0-9])")

FORMS = (
    "v_major",
    "v_minor",
    "v_patch",
    "num_minor",
    "num_patch",
    "generation",
    "glued",
    "date",
    "prerelease",
    "revision",
    "checkpoint",
)
REFERS_TO = ("self", "base_model", "environment", "dataset", "unclear")


@dataclass(frozen=True, slots=True)
class Marker:
    text: str  # as it appears in the name ("v0.2", "3.1", "2407"; "2" of gpt2)
    form: str  # one of FORMS
    refers_to: str  # one of REFERS_TO
    position: int  # 0-based offset of text in the name
    major: int | None
    minor: int | None
    patch: int | None
    date: str | None  # form "date": "2024-07", "2023-06-13", "--06-13" (month-day), "2021"
    evidence: str  # why a non-self refers_to was chosen; "" for plain self


@dataclass(frozen=True, slots=True)
class Classification:
    id: str
    name: str
    author: str | None
    seed_rule: bool
    own_version: bool
    markers: tuple[Marker, ...]
    primary_form: str | None
    family: str


# --------------------------------------------------------------------------------------------
# Vocabularies: kinds of tokens a careful reader recognises (word lists, never id lists)
# --------------------------------------------------------------------------------------------

# A word: letters and digits, with a dot kept only between two digits ("3.1", "Qwen1.5", "1.1B").
_WORD = re.compile(r"(?:[A-Za-z0-9]|(?<=\d)\.(?=\d))+")
# Cheap pre-check: without a digit or an edition word a name holds no marker.
_MAYBE = re.compile(r"\d|alpha|beta|preview", re.I)

_NUMBER = re.compile(r"\d+(?:\.\d+)*")
# Parameter counts, MoE shapes, token and context sizes: 7b 1.5B 8x7b 125m 32k 3T 13b64k 2x7b.
_SIZE = re.compile(r"\d+(?:\.\d+)?(?:x\d+(?:\.\d+)?)?(?:[bmkt]|bn)(?:\d+k)?|\d+x\d+", re.I)
# A number glued to a checkpoint unit: 3ep 5epochs 1000steps 2epch 4iters 100ksteps.
_NUM_UNIT_CKPT = re.compile(r"(\d+(?:\.\d+)?)(k?)(?:steps?|epochs?|eps?|epch|epchs|iters?|iterations?)", re.I)
# A version glued after a size or a number+letters: 7Bv2.4 13Bv0.14 MFANN3bv0.3.
_SIZE_V = re.compile(r"\d+(?:\.\d+)?[A-Za-z]{1,2}([vV])(\d+(?:\.\d+){0,2})[A-Za-z]*")
_VWORD = re.compile(r"[vV](\d+(?:\.\d+)*)([A-Za-z][A-Za-z0-9]*)?")
_VERWORD = re.compile(r"(ver|version)(\d+(?:\.\d+){0,2})[A-Za-z]*", re.I)
# A v-number glued after letters, closing the word: bertv2, mobilenetv3small, Wizardv1.2. Read by
# _glued_v_groups in one pass (a lazy-prefix regex here is quadratic in the word's length).
_GLUED_V_TAIL = re.compile(r"[vV](\d+(?:\.\d+){0,2})([A-Za-z]*)")
_LETTERS_BEFORE = re.compile(r"[A-Za-z]+$")
_V_DIGIT = re.compile(r"[vV](?=\d)")
_PRE = re.compile(r"(alpha|beta|preview|rc)(\d+(?:\.\d+)?)?", re.I)
_REV = re.compile(r"(r|rev|revision)(\d+)", re.I)
_CKPT_GLUED = re.compile(
    r"(step|steps|ckpt|checkpoint|chkpt|epoch|epochs|ep|epch|iter|iters|iteration|it|gs)(\d+(?:\.\d+)?)(k?)",
    re.I,
)
_GLUED_DOT = re.compile(r"([A-Za-z]+)(\d{1,2}\.\d{1,2}(?:\.\d{1,2})?)([A-Za-z]{0,2})")
_MIXED_GEN = re.compile(r"(\d{1,2})([a-z])")  # gpt-4o, gpt-4v: a generation with a letter
_LLAMA_ALIAS = re.compile(r"[lL]([23])(?:\.(\d))?")  # L3-8B, airoboros-l2-13B: Llama 2 / 3
_SCI = re.compile(r"\d+(?:\.\d+)?e", re.I)  # 1e-4 2e-05 (the word before "-4")
_CELL = re.compile(r"[a-z]\d+")  # L6 H384 s6789 l4: shape or grid cells

_MONTH_WORDS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
# dec2021, Jun2022, 15-dec-23, 25feb, June27th, march-2024: a month name with a year or a day.
_MONTH_DATE = re.compile(
    r"(?<![A-Za-z0-9])(?:(?P<d1>[0-3]?\d)(?:st|nd|rd|th)?[-_ ]?)?"
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
    r"(?:[-_ ]?(?P<d2>[0-3]?\d)(?:st|nd|rd|th|(?=[-_ ]20[0-3]\d(?![0-9]))))?"
    r"(?:[-_ ]?(?P<y>20[0-3]\d|[12]\d)(?![0-9]))?(?![A-Za-z0-9])",
    re.I,
)
_HAS_MONTH_DIGIT = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}[-_ ]?\d"
    r"|\d(?:st|nd|rd|th)?[-_ ]?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
    re.I,
)
# Dates spread over words, tried at the start of a 4- or 2-digit number word.
_DATE_YMD = re.compile(r"((?:19|20)\d\d)[-_.](0[1-9]|1[0-2])(?:[-_.](0[1-9]|[12]\d|3[01]))?(?![0-9])")
_DATE_MY = re.compile(
    r"(?:([0-3]\d)[-_.])?([0-3]\d)[-_.](20[0-3]\d)(?![0-9])"
)  # DD-MM-YYYY MM-DD-YYYY MM-YYYY
_DATE_YY_MM_DD = re.compile(r"(2\d)[-_](0[1-9]|1[0-2])[-_](0[1-9]|[12]\d|3[01])(?![0-9.])")

# Words after which a number is a setting of the run, not a version (seed5, fold-3, bs_32, L-12).
_SETTING_WORDS = frozenset(
    """
seed seeds fold folds layer layers bs bsz batch batches batchsize size sizes lr wd dp dropout drop rank
lrank alpha k n top topk shot shots level levels split part parts shard class classes label labels gpu
gpus node nodes head heads beam beams len length seqlen maxlen max min dim dims depth ratio temp
temperature ws gas ms warmup decay kl eps epsilon lambda gamma tau mu sigma psi margin threshold thr
noise data dataset datasets samples sample examples example train val subset set sets window patch
block blocks chunk grid num no id idx index round rounds stage phase task tasks unit lesson chapter
week day lab hw group team user client clients worker agent player hr hrs hours hour mins minutes sec
ngram gram context ctx tokens tok token vocab emb hidden hid dmodel experts expert bit bits quant bpw
exl int fp bf float bfloat lora qlora r topp nbest best worst steps step epochs epoch ep iter iters
checkpoint ckpt gen times loss acc accuracy f score scores mse wer cer bleu rouge ppl cluster
clusters topic topics lang langs languages speakers speaker spk cls negatives neg hn pos kfold cv
trainset testset q p c model_size param params million billion per pct percent frac fraction way
ways order dimension dimensions sparsity pruned prune pruning weight weights mix over under of
encoder decoder enc dec grad lrate weightx snr warm accu neft temp
""".split()
)
_CKPT_WORDS = frozenset(
    "step steps ckpt checkpoint checkpoints chkpt epoch epochs ep iter iters iteration iterations".split()
)
_CKPT_UNITS = frozenset("step steps epoch epochs ep eps epch epchs iter iters iteration iterations".split())
# Experiment labels: exp-2, run3, trial-1 number parallel runs as often as successive ones.
_RUN_WORDS = frozenset(
    "run runs exp exps experiment trial try attempt sweep test tests testing pr "
    "training finetuning pretraining ft".split()
)
# Dataset names whose digits are identity or a size, not a version (sst-2, cifar-10, wmt-2014).
_DATASET_IDENTITY = frozenset(
    """
sst cifar wikitext imagenet in esc food kinetics ucf dbpedia banking conll wmt semeval coco mnist
cola qqp mnli qnli rte wnli stsb mrpc glue superglue xnli anli fever hipe webnlg fiqa icdar bionlp
n2c2 voc cityscapes ade tacred ontonotes newsgroups imdb yelp amazon ag boolq copa wic wsc cb
multirc pubmedqa medqa mmlu gsm arc hellaswag piqa siqa winogrande truthfulqa dolly tweet tweeteval
tnews iflytek afqmc cmnli ocnli cluewsc csl chid cmrc drcd dureader lcqmc bq pawsx paws xquad mlqa
tydiqa librispeech voxpopuli fleurs
""".split()
)
# Words that name data: a version on them is the data's (preference_data_v9, synth_ds_v0.1).
_DATA_WORDS = frozenset("data dataset datasets ds corpus dump".split())
_WIKI_DUMP = re.compile(r"[a-z]{2,3}wiki")  # enwiki_20180420, jawiki-20240401: a Wikipedia dump
# Variant and packaging words a reader skips when asking "whose version is this?" (whisper-large-v2).
_VARIANT_WORDS = frozenset(
    """
base large small medium tiny mini mid xl xxl xlarge xxlarge huge giant nano micro lite light pro
plus max ultra turbo instruct instruction chat it hf code coder math vision text embed embedding
embeddings multilingual cased uncased cos dot distilled deduped sft dpo qa all cpt vl sharded fast
tts stt asr diffusers original full merged raw
""".split()
)
# Two-letter language codes (bge-small-en-v1.5): skipped like variant words.
_LANGS = frozenset(
    """
en zh de fr es ja ko ru ar hi it pt nl pl tr vi id th sv fi da no cs el he hu ro uk bg hr sk sl
sr lt lv et fa ur bn ta te ml mr gu kn pa sw ms tl ca eu gl af sq hy az be bs cy ga is ka kk km ky
lo mk mn my ne ps si so tg tk uz yo zu am ha ig xh
""".split()
)
# Format and quantisation tokens. A strong one anywhere, or a weak one among the last two words,
# makes the name a converted copy of another model (TheBloke/Mistral-7B-Instruct-v0.2-GGUF).
_FORMAT_ALPHA = frozenset(
    "gguf ggml gptq awq exl imatrix mlx bnb hqq aqlm llamafile onnx openvino "
    "coreml ctranslate mlc marlin eetq xs xxs ov".split()
)
_FORMAT_STRONG_ALPHA = _FORMAT_ALPHA - {"xs", "xxs", "ov"}
# First words of a converted copy's name (ct2fast-RedPajama-INCITE-..., onnx-...).
_CONVERSION_PREFIXES = _FORMAT_STRONG_ALPHA | {"ct2", "ct2fast", "ctranslate2", "exl2"}
_FORMAT_MIXED = re.compile(
    r"exl2|ct2|ctranslate2|\d+(?:\.\d+)?bpw|bpw\d*(?:\.\d+)?|q\d(?:_k)?|iq\d|q\d+f\d+|w\d+a\d+(?:g\d+)?|i1|"
    r"fp16|bf16|fp8|fp32|int4|int8|\d+bits?|nf4|h\d",
    re.I,
)
_FORMAT_MIXED_WEAK = re.compile(r"fp16|bf16|fp8|fp32|int4|int8|\d+bits?|nf4|h\d", re.I)

# Architectures whose glued "vN" is part of the product's name (mobilenetv3, layoutlmv3, yolov8).
_GLUED_V_IDENTITY = (
    "mobilenet",
    "layoutlm",
    "yolo",
    "swin",
    "convnext",
    "dino",
    "efficientnet",
    "mobilevit",
    "deberta",
    "beit",
    "resnet",
    "deeplab",
    "hgnet",
    "fbnet",
    "mvit",
    "owl",
    "simclr",
    "rwkv",
    "poolformer",
    "regnet",
    "ghostnet",
    "repvit",
    "fastvit",
    "pvt",
    "levit",
    "moco",
    "squeezenet",
    "shufflenet",
    "inception",
    "mnasnet",
    "xception",
    "densenet",
    "edgenext",
    "efficientformer",
    "segformer",
    "mixnet",
    "cait",
    "swiftformer",
    "lcnet",
    "ppocr",
    "dpn",
    "darknet",
    "gcvit",
    "maxvit",
    "rexnet",
    "hrnet",
    "mobileone",
    "vovnet",
    "xcit",
    "wav2vec",
    "gpt",
)
# Words ending in "v" whose glued digits are not a version (dev2, conv2d, env3, nov2023, kv8).
_NOT_V_WORDS = frozenset("dev rev conv env nov prev priv serv mov div adv kv lv qv cv tv uv".split())

# Families where a glued digit is a generation (gpt2, llama3, Qwen2, Phi3, sd15), with the largest
# plausible generation; squad/oasst/cv are datasets whose glued digit is their release.
_GLUED_FAMILIES = {
    "gpt": 5,
    "llama": 4,
    "qwen": 3,
    "phi": 4,
    "gemma": 3,
    "falcon": 3,
    "internlm": 3,
    "chatglm": 4,
    "baichuan": 3,
    "starcoder": 3,
    "codegen": 25,
    "idefics": 3,
    "blip": 3,
    "kosmos": 3,
    "florence": 3,
    "orca": 3,
    "yi": 2,
    "minicpm": 3,
    "stablelm": 3,
    "olmo": 2,
    "sd": 35,
    "claude": 4,
    "palm": 2,
    "gemini": 2,
    "hermes": 3,
    "openhermes": 3,
    "dolphin": 3,
    "openchat": 4,
    "llava": 2,
    "cogvlm": 3,
    "internvl": 3,
    "moondream": 3,
    "wizardlm": 3,
    "mixtral": 2,
    "mistral": 2,
    "deepseek": 3,
    "squad": 2,
    "oasst": 2,
    "cv": 20,
    "commonvoice": 20,
    "vicuna": 2,
    "solar": 2,
    "sdxl": 1,
}
_GLUED_FAMILY = re.compile(
    r"([A-Za-z]*?)("
    + "|".join(sorted(_GLUED_FAMILIES, key=len, reverse=True))
    + r")(\d+(?:\.\d+){0,2})([A-Za-z]{0,2}|sonnet|opus|haiku|turbo|chat|instruct|base|vision|coder|mini)",
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

# Known model families and their publishers (Hub authors). A marker that hangs on one of these
# names - walking back over variant, size and language words - is that family's version: "self"
# for its publisher, "base_model" for anyone else ("the name plainly embeds another known model
# with its version"). Closed families have no public weights: never a base, so "unclear".
_PUBLISHERS: dict[str, frozenset[str]] = {
    k: frozenset(v.split())
    for k, v in {
        "llama": "meta-llama facebook",
        "codellama": "codellama meta-llama",
        "mistral": "mistralai",
        "mixtral": "mistralai",
        "codestral": "mistralai",
        "qwen": "qwen",
        "codeqwen": "qwen",
        "phi": "microsoft",
        "gemma": "google",
        "codegemma": "google",
        "paligemma": "google",
        "recurrentgemma": "google",
        "gpt": "openai-community openai",
        "whisper": "openai",
        "stablediffusion": "runwayml stabilityai compvis",
        "sd": "runwayml stabilityai compvis",
        "deberta": "microsoft",
        "mdeberta": "microsoft",
        "minilm": "sentence-transformers microsoft nreimers cross-encoder",
        "mpnet": "sentence-transformers microsoft",
        "distiluse": "sentence-transformers",
        "bge": "baai",
        "gte": "thenlper alibaba-nlp",
        "e5": "intfloat",
        "nomic": "nomic-ai",
        "jina": "jinaai",
        "mxbai": "mixedbread-ai",
        "albert": "albert google",
        "tulu": "allenai",
        "sdxl": "stabilityai",
        "llava": "liuhaotian llava-hf lmms-lab",
        "vicuna": "lmsys",
        "zephyr": "huggingfaceh4",
        "openchat": "openchat",
        "openhermes": "teknium",
        "hermes": "nousresearch teknium",
        "dolphin": "cognitivecomputations ehartford",
        "tinyllama": "tinyllama",
        "solar": "upstage",
        "yi": "01-ai",
        "deepseek": "deepseek-ai",
        "internlm": "internlm",
        "chatglm": "thudm",
        "cogvlm": "thudm",
        "baichuan": "baichuan-inc",
        "starcoder": "bigcode",
        "falcon": "tiiuae",
        "stablelm": "stabilityai",
        "idefics": "huggingfacem4",
        "blip": "salesforce",
        "florence": "microsoft",
        "kosmos": "microsoft",
        "orca": "microsoft pankajmathur",
        "wizardlm": "wizardlm microsoft",
        "mobilenet": "google",
        "pythia": "eleutherai",
        "command": "cohereforai",
        "minicpm": "openbmb",
        "granite": "ibm-granite ibm",
        "controlnet": "lllyasviel",
        "animagine": "cagliostrolab linaqruf",
        "openjourney": "prompthero",
        "kandinsky": "kandinsky-community",
        "playground": "playgroundai",
        "olmo": "allenai",
        "neuralchat": "intel",
        "airoboros": "jondurbin",
        "seamless": "facebook",
        "internvl": "opengvlab",
        "moondream": "vikhyatk",
        "rvc": "",
        "unifiedqa": "allenai",
        "wd": "hakurei",
        "biobert": "dmis-lab",
        "w2vbert": "facebook",
        "claude": "",
        "gemini": "",
        "palm": "",
        "bard": "",
    }.items()
}
_CLOSED = frozenset("claude gemini palm bard".split())
_CLOSED_GPT_FROM = 3  # gpt2 has public weights; gpt-3, gpt-3.5, gpt-4, gpt-4o do not
# The largest major version each family has released: larger numbers on the name are not theirs
# (Weni's WeniGPT-Agents-Zephyr-1.0.20: zephyr has only alpha/beta). Default 5.
_FAMILY_MAX = {
    "zephyr": -1,
    "sdxl": 1,
    "tulu": 3,
    "mistral": 3,
    "mixtral": 1,
    "gpt": 5,
    "phi": 4,
    "gemma": 3,
    "qwen": 3,
    "yi": 2,
    "whisper": 3,
    "deberta": 3,
    "mdeberta": 3,
    "minilm": 3,
    "mpnet": 2,
    "bge": 2,
    "gte": 2,
    "e5": 2,
    "albert": 2,
    "llava": 2,
    "vicuna": 2,
    "tinyllama": 2,
    "solar": 2,
    "pythia": 1,
    "command": 1,
    "controlnet": 12,
    "openbuddy": 20,
    "stablediffusion": 4,
    "sd": 35,
    "llama": 4,
    "hermes": 3,
    "openhermes": 3,
    "dolphin": 3,
    "openchat": 4,
    "wd": 2,
    "biobert": 2,
    "w2vbert": 2,
}
# How each family writes its versions: v (v2, v0.2), n (2, 3.1, gpt2), d (dates), p (alpha, beta),
# r (r2). Families not listed: "vndp".
_FAMILY_KINDS = {
    "llama": "n",
    "mistral": "vd",
    "mixtral": "v",
    "codestral": "v",
    "zephyr": "p",
    "whisper": "v",
    "deberta": "v",
    "mdeberta": "v",
    "minilm": "v",
    "mpnet": "v",
    "distiluse": "v",
    "bge": "v",
    "gte": "v",
    "e5": "v",
    "nomic": "v",
    "jina": "v",
    "mxbai": "v",
    "albert": "v",
    "llava": "vn",
    "vicuna": "v",
    "openchat": "nd",
    "openhermes": "n",
    "hermes": "n",
    "dolphin": "n",
    "tinyllama": "v",
    "solar": "v",
    "yi": "n",
    "deepseek": "v",
    "internlm": "n",
    "chatglm": "n",
    "cogvlm": "n",
    "baichuan": "n",
    "starcoder": "n",
    "falcon": "n",
    "stablelm": "n",
    "idefics": "n",
    "blip": "n",
    "florence": "n",
    "kosmos": "n",
    "tulu": "n",
    "w2vbert": "n",
    "biobert": "v",
    "gpt": "nd",
    "claude": "nd",
    "gemini": "nd",
    "palm": "nd",
    "phi": "n",
    "gemma": "n",
    "qwen": "n",
    "codeqwen": "n",
    "sdxl": "n",
    "sd": "n",
    "stablediffusion": "vn",
    "mobilenet": "v",
    "pythia": "v",
    "command": "vd",
    "controlnet": "v",
    "animagine": "n",
    "openjourney": "v",
    "kandinsky": "n",
    "playground": "v",
    "olmo": "n",
    "neuralchat": "v",
    "airoboros": "n",
    "seamless": "v",
    "internvl": "v",
    "moondream": "n",
    "unifiedqa": "v",
    "wd": "vn",
    "orca": "vn",
    "wizardlm": "vn",
    "minicpm": "vn",
    "granite": "vr",
    "rvc": "v",
}
# Families whose versions belong to one variant only: Whisper's v2/v3 are "large-v2", "large-v3".
_FAMILY_NEEDS = {"whisper": "large"}
# Two-word families, joined: stable-diffusion-v1-5, neural-chat-7b-v3-1, command-r-v01.
_PAIR_FAMILIES = {
    "stablediffusion": "stablediffusion",
    "neuralchat": "neuralchat",
    "commandr": "command",
    "allminilm": "minilm",
    "allmpnet": "mpnet",
    "w2vbert": "w2vbert",
}
_NOT_SEPARATE_FAMILY = frozenset({"sd"})  # "sd-1" is a seed as often as Stable Diffusion 1

# Datasets whose release a marker names (squad_v2, common_voice_11_0, cv13, vqav2, oasst1), with
# their largest release: squad-17 is an iteration, not SQuAD 17.
_VERSIONED_DATASETS = {
    "squad": 2,
    "vqa": 2,
    "cord": 2,
    "logiqa": 2,
    "oasst": 2,
    "voice": 20,
    "multiwoz": 3,
    "commonvoice": 20,
    "msmarco": 3,
    "marco": 3,
}
_AUDIO_PIPELINES = frozenset(
    {
        "automatic-speech-recognition",
        "audio-classification",
        "text-to-speech",
        "audio-to-audio",
        "voice-activity-detection",
        "text-to-audio",
    }
)

# RL: record tags, algorithm words, and Unity ML-Agents environments (which carry no "-vN").
_RL_TAGS = frozenset(
    {
        "reinforcement-learning",
        "deep-reinforcement-learning",
        "stable-baselines3",
        "sample-factory",
        "ml-agents",
        "unity-ml-agents",
        "cleanrl",
        "deep-rl-class",
        "deep-rl-course",
        "rl-algo-impls",
        "skrl",
        "q-learning",
        "sb3",
    }
)
_RL_LIBRARIES = frozenset(
    {"stable-baselines3", "ml-agents", "sample-factory", "cleanrl", "rl-algo-impls", "skrl"}
)
_RL_NOT_ENV = frozenset(
    "ppo dqn a2c sac td3 ddpg trpo qrdqn tqc her ars reinforce q poca model agent "
    "test unit rl drl course deeprl policy".split()
)
_MLAGENTS = frozenset(
    "huggy pyramids snowballtarget soccertwos worm crawler pushblock 3dball "
    "foodcollector gridworld hallway walljump sorter matchthree dungeonescape".split()
)
_ENV_TAG = re.compile(r"(?:[A-Za-z0-9]+/)?([A-Za-z][A-Za-z0-9_\-]*?)-v(\d+)(?![0-9])")
_ENV_SUFFIX = re.compile(r"(?:noframeskip|deterministic|ram)+$")


_KIND = {
    "v_major": "v",
    "v_minor": "v",
    "v_patch": "v",
    "num_minor": "n",
    "num_patch": "n",
    "generation": "n",
    "glued": "n",
    "date": "d",
    "prerelease": "p",
    "revision": "r",
    "checkpoint": "",
}


def _family_fits(fam: str, form: str, major: int | None) -> bool:
    """Can this marker be a version of that family? Each family writes its versions its own way
    (Mistral v0.2, Llama 2 / 3.1, Zephyr beta) up to a largest major: Falcon-7B-Chat-v0.1 and
    llama-7b-v2 are their authors' versions, not Falcon's or Llama's."""
    kind = _KIND[form]
    if kind not in _FAMILY_KINDS.get(fam, "vndp"):
        return False
    return kind not in "vn" or (major or 0) <= _FAMILY_MAX.get(fam, 5)


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def _load_envs() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The RL environment families of data/rl_environments.txt, normalised.

    Returns (distinctive names, plain names, prefixes). A distinctive name (two capitals or a
    digit: LunarLander, PandaReachDense) marks an environment in any record; a plain word
    (Taxi, merge, reach) only in a reinforcement-learning record.
    """
    path = Path(__file__).resolve().parent.parent / "data" / "rl_environments.txt"
    distinctive, plain, prefixes = set(), set(), set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not re.fullmatch(r"[A-Za-z0-9\-]+\*?", line):
            raise ValueError(f"{path}:{lineno}: not an environment name: {line!r}")
        key = _norm(line.rstrip("*"))
        if line.endswith("*"):
            prefixes.add(key)
        elif sum(c.isupper() for c in line) >= 2 or any(c.isdigit() for c in line):
            distinctive.add(key)
        else:
            plain.add(key)
    return frozenset(distinctive), frozenset(plain), frozenset(prefixes)


_ENV_DISTINCT, _ENV_PLAIN, _ENV_PREFIXES = _load_envs()
_ENV_DISTINCT_LONG = tuple(sorted(k for k in _ENV_DISTINCT if len(k) >= 6))


@lru_cache(maxsize=8192)
def _env_lookup(parts: tuple[str, ...]) -> tuple[str, bool] | None:
    """Is the tail of these words an environment name? Returns (name, distinctive) or None.

    Tries the last word, the last two, the last three joined (lunar-lander, Pixelcopter-PLE), a
    prefix family as the first word (MiniGrid-DoorKey-5x5), and a distinctive name glued at the
    end of a word (PPOLunarLander).
    """
    best = None
    for k in range(len(parts) - 1, -1, -1):
        tail = parts[k:]
        raw = _norm("".join(tail))
        key = _ENV_SUFFIX.sub("", raw)
        if key in _ENV_DISTINCT:
            best = ("-".join(tail), True)
        elif key in _ENV_PLAIN and (best is None or key != raw):
            best = ("-".join(tail), key != raw)  # BreakoutNoFrameskip: an ALE id, not a plain word
        elif _norm(tail[0]) in _ENV_PREFIXES and len(tail) > 1:
            best = ("-".join(tail), True)
    if best is None and parts:
        last = _ENV_SUFFIX.sub("", _norm(parts[-1]))
        for env in _ENV_DISTINCT_LONG:
            if last.endswith(env):
                return parts[-1], True
    return best


# --------------------------------------------------------------------------------------------
# Scanning a name: words, then the markers the name alone shows
# --------------------------------------------------------------------------------------------


class _Mk:
    """A marker while scanning (before refers_to is decided)."""

    __slots__ = (
        "pos",
        "text",
        "form",
        "major",
        "minor",
        "patch",
        "date",
        "anchor",
        "lo",
        "hi",
        "hint",
        "family",
        "glued",
    )

    def __init__(self, pos, text, form, nums, date, anchor, lo, hi, hint, glued):
        self.pos, self.text, self.form = pos, text, form
        self.major, self.minor, self.patch = nums
        self.date, self.anchor, self.lo, self.hi = date, anchor, lo, hi
        self.hint = hint  # "env" / "envplain" / "cv" / "" from the name alone
        self.family = ""  # known family the marker hangs on (filled by _Scan)
        self.glued = glued  # digits glued to a word (gpt2, mistralv2, Taxiv3)

    def vals(self) -> tuple:
        """Numbers for comparison: v2 == 2 == 2.0 (missing minor and patch count as 0)."""
        if self.major is None:
            return ()
        return (self.major, self.minor or 0, self.patch or 0)


_NONE3 = (None, None, None)


def _nums(text: str) -> tuple[int | None, int | None, int | None]:
    parts = re.split(r"[.\-_]", text)
    if len(parts) == 1:
        return int(parts[0]), None, None
    if len(parts) == 2:
        return int(parts[0]), int(parts[1]), None
    return int(parts[0]), int(parts[1]), int(parts[2])


def _vform(n: int) -> str:
    return ("v_major", "v_minor", "v_patch")[min(n, 3) - 1]


_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid_md(m: int, d: int | None) -> bool:
    return 1 <= m <= 12 and (d is None or 1 <= d <= _MONTH_DAYS[m - 1])


def _digits_date(s: str) -> str | None:
    """ISO-like date of an all-digit token, or None.

    20240522 (YYYYMMDD), 2024061102 / 20231006..(date part of a stamp), 06152023 (MMDDYYYY),
    15062023 (DDMMYYYY), 240201 (YYMMDD), 2407 (YYMM), 0613 (MMDD, "--06-13"). 1024 and numbers
    of one repeated digit (1111) are not read as dates.
    """
    n = len(s)
    if s == "1024" or s.count(s[0]) == n:
        return None
    if n >= 8:
        y, m, d = int(s[:4]), int(s[4:6]), int(s[6:8])
        if 2000 <= y <= 2030 and _valid_md(m, d) and n in (8, 10, 12, 14):
            return f"{y:04d}-{m:02d}-{d:02d}"
        if n in (8, 12) and 2000 <= int(s[4:8]) <= 2030:  # MMDDYYYY / DDMMYYYY (+HHMM)
            y = int(s[4:8])
            a, b = int(s[:2]), int(s[2:4])
            if _valid_md(b, a):
                return f"{y:04d}-{b:02d}-{a:02d}"  # DDMMYYYY (preferred when both read)
            if _valid_md(a, b):
                return f"{y:04d}-{a:02d}-{b:02d}"  # MMDDYYYY
        return None
    if n == 6:
        y, m, d = int(s[:2]), int(s[2:4]), int(s[4:])
        if 18 <= y <= 29 and _valid_md(m, d):
            return f"20{y:02d}-{m:02d}-{d:02d}"
        return None
    if n == 4:
        a, b = int(s[:2]), int(s[2:])
        if 18 <= a <= 29 and 1 <= b <= 12:
            return f"20{a:02d}-{b:02d}"
        if _valid_md(a, b):
            return f"--{a:02d}-{b:02d}"
    return None


class _Scan:
    """The name-only reading of one name: its words and raw markers."""

    __slots__ = (
        "name",
        "words",
        "lows",
        "starts",
        "ends",
        "cls",
        "used",
        "fmt",
        "format_at",
        "markers",
        "owner",
        "n",
    )

    def __init__(self, name: str, maybe: bool | None = None):
        self.name = name
        ms = list(_WORD.finditer(name))
        self.n = n = len(ms)
        self.words = words = [m.group() for m in ms]
        self.lows = lows = [w.lower() for w in words]
        self.starts = [m.start() for m in ms]
        self.ends = [m.end() for m in ms]
        self.used = [False] * n  # word is consumed (by a marker or as a setting value)
        self.owner: list[_Mk | None] = [None] * n
        self.markers: list[_Mk] = []
        self.format_at = -1  # index of the first format/quantisation word, or -1
        # word classes: "n" number, "a" letters, "s" size/shape, "m" mixed; fmt: format token
        cls = []
        fmt = [False] * n
        for j, w in enumerate(words):
            lo = lows[j]
            if w.isalpha():
                cls.append("a")
                if lo in _FORMAT_ALPHA:
                    fmt[j] = True
                    if self.format_at < 0 and lo in _FORMAT_STRONG_ALPHA:
                        self.format_at = j
            elif w.isdigit() or _NUMBER.fullmatch(w):
                cls.append("n")
            elif _SIZE.fullmatch(w):
                cls.append("s")
            else:
                cls.append("m")
                if _FORMAT_MIXED.fullmatch(lo):
                    fmt[j] = True
                    if self.format_at < 0 and (j >= n - 2 or not _FORMAT_MIXED_WEAK.fullmatch(lo)):
                        self.format_at = j
        self.cls = cls
        self.fmt = fmt
        if n and (maybe if maybe is not None else _MAYBE.search(name)):
            self._scan()

    # -- helpers ----------------------------------------------------------------------------

    def sep(self, i: int) -> str:
        """The separator text before word i ('' for the first word)."""
        return self.name[self.ends[i - 1] : self.starts[i]] if i > 0 else ""

    def add(
        self,
        lo: int,
        hi: int,
        start: int,
        end: int,
        form: str,
        nums=_NONE3,
        date=None,
        anchor="",
        hint="",
        glued=False,
    ) -> _Mk:
        mk = _Mk(start, self.name[start:end], form, nums, date, anchor, lo, hi, hint, glued)
        self.markers.append(mk)
        for j in range(lo, hi + 1):
            self.used[j] = True
            self.owner[j] = mk
        return mk

    def prev_alpha(self, i: int) -> str:
        """The nearest alphabetic word (2+ letters) before word i, lower-cased ('' if none)."""
        for j in range(i - 1, max(i - 5, -1), -1):
            if self.cls[j] == "a" and len(self.words[j]) > 1:
                return self.lows[j]
        return ""

    def is_setting(self, j: int) -> bool:
        """Word j makes the number after it a setting (seed-5, L-12, lr1e-4, crfFalse-5)."""
        lo = self.lows[j]
        if lo in _SETTING_WORDS or lo in _DATASET_IDENTITY:
            return True
        if len(lo) == 1 and lo != "v":
            return True
        return lo.endswith(("true", "false")) or bool(_SCI.fullmatch(lo))

    def family_of(self, j: int) -> str:
        """The known family word j names (with its neighbour for two-word names), or ''."""
        lo = self.lows[j]
        if j > 0:
            pair = self.lows[j - 1] + lo
            if pair in _PAIR_FAMILIES:
                return _PAIR_FAMILIES[pair]
        if lo in _PUBLISHERS and lo not in _NOT_SEPARATE_FAMILY:
            return lo
        if lo.endswith("minilm"):
            return "minilm"
        return ""

    def env_before(self, i: int, glued_prefix: str) -> tuple[str, bool] | None:
        """The environment name a "vN" at word i closes (LunarLander-v2, lunar_lander_v2, Taxiv3)."""
        parts = []
        if glued_prefix:
            parts.append(glued_prefix)
            if i > 0 and self.sep(i) in ("-", "_"):
                parts.insert(0, self.words[i - 1])
        else:
            j = i - 1
            while j >= 0 and len(parts) < 3 and self.sep(j + 1) in ("-", "_", " "):
                if self.cls[j] == "n":
                    break
                parts.insert(0, self.words[j])
                j -= 1
        return _env_lookup(tuple(parts)) if parts else None

    # -- the scan ---------------------------------------------------------------------------

    def _scan(self) -> None:
        if _HAS_MONTH_DIGIT.search(self.name):
            self._month_dates()
        cls, used = self.cls, self.used
        i, n = 0, self.n
        while i < n:
            if used[i]:
                i += 1
                continue
            c = cls[i]
            if c == "n":
                i = self._number(i)
                continue
            if c == "a":
                self._alpha(i)
            elif c == "m":
                self._mixed(i)
            elif c == "s":
                self._size_word(i)
            i += 1
        if len(self.markers) > 1:
            self.markers.sort(key=lambda m: m.pos)

    def _month_dates(self) -> None:
        for m in _MONTH_DATE.finditer(self.name):
            y, d1, d2 = m.group("y"), m.group("d1"), m.group("d2")
            day = d1 or d2
            if not (y or day):
                continue
            mon = m.group("mon").lower()
            month = _MONTH_WORDS.get(mon)
            if month is None or (mon == "may" and not (y and len(y) == 4)):
                continue  # "may" is an English word: only with a 4-digit year
            if y and len(y) == 2 and day is None and not 18 <= int(y) <= 29:
                continue
            if day is not None and not _valid_md(month, int(day)):
                continue
            year = (int(y) + (2000 if len(y) == 2 else 0)) if y else None
            iso = (f"{year:04d}-{month:02d}" if year else f"--{month:02d}") + (
                f"-{int(day):02d}" if day else ""
            )
            lo = hi = None
            for j in range(self.n):
                if self.starts[j] < m.end() and self.ends[j] > m.start():
                    lo = j if lo is None else lo
                    hi = j
            if lo is None or any(self.used[lo : hi + 1]):
                continue
            self.add(lo, hi, m.start(), m.end(), "date", date=iso, anchor=self.prev_alpha(lo))

    # numbers ---------------------------------------------------------------------------------

    def _number(self, i: int) -> int:
        """Read the number word i (and the words it joins); return the next index to scan."""
        words, lows, cls, n = self.words, self.lows, self.cls, self.n
        w = words[i]
        start = self.starts[i]
        prev = lows[i - 1] if i > 0 else ""
        sep_b = self.sep(i)
        nxt = lows[i + 1] if i + 1 < n else ""
        sep_a = self.sep(i + 1) if i + 1 < n else ""

        # 1. Dates spread over words: 2024-05-22, 2024_05, 08-2024, 15-06-2024, 24_06_04.
        if len(w) in (2, 4) and sep_b != "." and i + 1 < n and sep_a in ("-", "_", "."):
            d = self._multiword_date(i)
            if d is not None:
                return d
        # 2. Checkpoints: checkpoint-1200, step_1000, epoch-2.5, global_step-5.
        if prev in _CKPT_WORDS and sep_b in ("-", "_", " ") and not self.used[i - 1]:
            lo = i - 2 if (prev == "step" and i >= 2 and lows[i - 2] == "global") else i - 1
            self._ckpt(lo, i, w, self.starts[lo], self.ends[i])
            return i + 1
        # 3. Runs of three or more bare numbers are settings or scores (10-10-0.4593, 16_32_0.05_2).
        k = i
        while k + 1 < n and cls[k + 1] == "n" and self.sep(k + 1) in ("-", "_", " ", "."):
            k += 1
        if k - i >= 2:
            for j in range(i, k + 1):
                self.used[j] = True
            return k + 1
        # 4. Settings before the number (seed-5, fold_3, L-12, lr-1e-4, crfFalse-5).
        if i > 0 and sep_b in ("-", "_", " ", ".") and self.is_setting(i - 1):
            if self.owner[i - 1] is None:
                return i + 1
        # 5. N-unit checkpoints: 18-Epochs, 1000_steps (not 0-step_100k, where "step" leads).
        if (
            nxt in _CKPT_UNITS
            and sep_a in ("-", "_", " ")
            and not (i + 2 < n and cls[i + 2] in "ns" and self.sep(i + 2) in ("-", "_"))
        ):
            self._ckpt(i, i + 1, w, start, self.ends[i + 1])
            return i + 2
        # 6. Values of settings and formats (1e-4, exl2-4.65, Q8_0), units after (4-bit, 3-shot).
        if i > 0 and sep_b in ("-", "_") and cls[i - 1] in ("m", "n") and self.owner[i - 1] is None:
            if cls[i - 1] == "n" or self.fmt[i - 1] or _SCI.fullmatch(prev) or _CELL.fullmatch(prev):
                return i + 1
        if nxt in (
            "bpw",
            "bit",
            "bits",
            "x",
            "shot",
            "shots",
            "hr",
            "hrs",
            "h",
            "hours",
            "k",
            "m",
            "b",
            "gb",
            "mb",
            "layers",
            "layer",
            "classes",
            "labels",
            "way",
            "fold",
            "folds",
            "percent",
            "pct",
            "samples",
            "examples",
            "langs",
            "languages",
            "dim",
            "sparsity",
        ):
            return i + 1
        # 7. Underscore decimals of sizes: stablelm-2-1_6b, internlm2-chat-1_8b.
        if sep_a == "_" and i + 1 < n and cls[i + 1] == "s" and len(w) == 1:
            self.used[i] = True
            self.cls[i] = "s"
            return i + 2
        if "." in w:
            self._dotted(i, w)
            return i + 1
        return self._integer(i, w)

    def _multiword_date(self, i: int) -> int | None:
        name, start = self.name, self.starts[i]
        for rx, order in ((_DATE_YMD, 0), (_DATE_MY, 1), (_DATE_YY_MM_DD, 2)):
            m = rx.match(name, start)
            if not m:
                continue
            g = m.groups()
            if order == 0:
                y, mo, d = int(g[0]), int(g[1]), (int(g[2]) if g[2] else None)
                if d is None and not 2000 <= y <= 2030:
                    continue
            elif order == 1:
                d, mo, y = (int(g[0]) if g[0] else None), int(g[1]), int(g[2])
                if d is not None and not _valid_md(mo, d) and _valid_md(d, mo):
                    d, mo = mo, d  # 02-19-2024: month first
            else:
                y, mo, d = 2000 + int(g[0]), int(g[1]), int(g[2])
            if not _valid_md(mo, d):
                continue
            hi = i
            while hi + 1 < self.n and self.starts[hi + 1] < m.end():
                hi += 1
            if self.ends[hi] != m.end():
                continue
            iso = f"{y:04d}-{mo:02d}" + (f"-{d:02d}" if d else "")
            self.add(i, hi, start, m.end(), "date", date=iso, anchor=self.prev_alpha(i))
            return self._after_date(hi + 1)
        return None

    def _after_date(self, k: int) -> int:
        """A time of day right after a date (2024-06-15_10-09-42, 20230613_151129) is the stamp's."""
        while (
            k < self.n
            and self.cls[k] == "n"
            and self.sep(k) in ("-", "_", ":", "T")
            and (len(self.words[k]) <= 2 or len(self.words[k]) in (4, 6))
        ):
            self.used[k] = True
            k += 1
        return k

    def _ckpt(self, lo: int, hi: int, num: str, start: int, end: int) -> None:
        if "." in num:
            a, b = num.split(".", 1)
            self.add(lo, hi, start, end, "checkpoint", (int(a), int(b) if b.isdigit() else None, None))
        else:
            self.add(lo, hi, start, end, "checkpoint", (int(num), None, None))

    def _dotted(self, i: int, w: str) -> None:
        parts = w.split(".")
        if len(parts) > 3:
            return
        if len(parts[0]) == 4:
            y, mo = int(parts[0]), int(parts[1])
            dd = int(parts[2]) if len(parts) == 3 else None
            if 2000 <= y <= 2030 and _valid_md(mo, dd) and len(parts[1]) == 2:
                self.add(
                    i,
                    i,
                    self.starts[i],
                    self.ends[i],
                    "date",
                    date=f"{y:04d}-{mo:02d}" + (f"-{dd:02d}" if dd else ""),
                )
            return
        major = int(parts[0])
        if major >= 100 or any(len(p) > 2 for p in parts[1:]) or (parts[0][0] == "0" and len(parts[0]) > 1):
            return  # 0.4593, 1.000, 100.5: scores and settings
        prev_i = i - 1
        if major == 0:
            # 0.2 is a version only in a version's place: after the head word, a size or a
            # family, or before a size or a family word (pippafeet-11B-0.2, mistral-0.3-7b,
            # Kant-Test-0.1-Mistral-7B); 0.05 and noise-data-0.1 are settings.
            if len(parts) == 2 and len(parts[1]) > 1:
                return
            nxt = i + 1
            ok = (
                prev_i <= 0
                or self.cls[prev_i] == "s"
                or self.family_of(prev_i)
                or (nxt < self.n and (self.cls[nxt] == "s" or self.family_of(nxt)))
            )
            if not ok:
                return
        if prev_i >= 0 and self.cls[prev_i] == "n" and self.owner[prev_i] is None:
            return  # a value in a list of values (1e-07-0.1)
        if (
            prev_i >= 0
            and self.owner[prev_i] is not None
            and self.owner[prev_i].form[0] == "v"
            and self.sep(i) == "_"
        ):
            return  # mobilenet_v2_1.0_224: a parameter of the version before it
        form = "num_minor" if len(parts) == 2 else "num_patch"
        mk = self.add(i, i, self.starts[i], self.ends[i], form, _nums(w), anchor=self.prev_alpha(i))
        if prev_i >= 0 and self.cls[prev_i] == "a":
            fam = self.family_of(prev_i)
            if fam and _family_fits(fam, form, major):
                mk.family = fam

    def _integer(self, i: int, w: str) -> int:
        words, lows, cls, n = self.words, self.lows, self.cls, self.n
        prev_i = i - 1
        prev = lows[prev_i] if prev_i >= 0 else ""
        sep_b = self.sep(i)
        lw = len(w)

        # dates held in one number: 20240522, 240201, 2407, 0613; a bare year
        if lw in (4, 6, 8, 10, 12, 14):
            val = int(w)
            if lw == 4 and 2015 <= val <= 2030:
                # a bare year is an edition (twitter-roberta-base-2021, robbert-2022) unless it
                # is a dataset's year (wmt-2014, semeval-2017) or one end of a range (2017-2019)
                nxt_year = (
                    i + 1 < n and cls[i + 1] == "n" and len(words[i + 1]) == 4 and self.sep(i + 1) in "-_"
                )
                prev_year = prev_i >= 0 and cls[prev_i] == "n" and len(words[prev_i]) == 4
                if not (prev in _DATASET_IDENTITY or nxt_year or prev_year):
                    self.add(i, i, self.starts[i], self.ends[i], "date", date=w, anchor=self.prev_alpha(i))
                return i + 1
            iso = _digits_date(w)
            if iso:
                self.add(i, i, self.starts[i], self.ends[i], "date", date=iso, anchor=self.prev_alpha(i))
                return self._after_date(i + 1)
            return i + 1
        # kohya-style epoch saves at the end of a name: style-v2-000025
        if lw >= 5 and w.startswith("000") and i == n - 1:
            self.add(i, i, self.starts[i], self.ends[i], "checkpoint", (int(w), None, None))
            return i + 1
        if w[0] == "0" and lw > 1 and not (lw == 2 and i + 1 < n and cls[i + 1] == "s"):
            return i + 1  # zero-padded counters: run-01, ch-006 (but Percival_01-7b)
        if prev_i < 0 or sep_b not in ("-", "_", " "):
            return i + 1
        prev_mk = self.owner[prev_i]
        after_env = prev_mk is not None and prev_mk.hint.startswith("env") and prev_mk.hi == prev_i
        if not after_env and (cls[prev_i] != "a" or len(prev) < 2 or prev in _RUN_WORDS):
            return i + 1  # a generation follows a word: Llama-2, stable-diffusion-2
        val = int(w)
        fam = "" if after_env else self.family_of(prev_i)
        if fam and not _family_fits(fam, "generation", val):
            fam = ""
        nxt_i = i + 1
        # Hyphen/underscore pairs are minor versions only on known families and Common Voice:
        # stable-diffusion-2-1, phi-1_5, wd-1-5-beta3, common_voice_11_0 (not NFCorpus-8-8).
        if (
            not after_env
            and nxt_i < n
            and cls[nxt_i] == "n"
            and "." not in words[nxt_i]
            and self.sep(nxt_i) in ("-", "_")
            and len(words[nxt_i]) == 1
            and val <= 20
            and (fam or prev == "voice")
            and not (nxt_i + 1 < n and cls[nxt_i + 1] == "s" and self.sep(nxt_i + 1) == "_")
        ):
            mk = self.add(
                i,
                nxt_i,
                self.starts[i],
                self.ends[nxt_i],
                "num_minor",
                (val, int(words[nxt_i]), None),
                anchor=prev,
            )
            mk.family = fam
            return nxt_i + 1
        if val < 1 or val > 20:
            return i + 1
        # the word after the number decides: a size, the end (format words aside), a family
        # word before, or a variant word after the head word
        j = nxt_i
        while j < n and self.fmt[j]:
            j += 1
        if (
            after_env
            or (nxt_i < n and cls[nxt_i] == "s")
            or j >= n
            or fam
            or (prev_i == 0 and nxt_i < n and lows[nxt_i] in _VARIANT_WORDS)
        ):
            mk = self.add(
                i,
                i,
                self.starts[i],
                self.ends[i],
                "generation",
                (val, None, None),
                anchor="" if after_env else prev,
            )
            mk.family = fam
        return i + 1

    # words with letters --------------------------------------------------------------------------

    def _alpha(self, i: int) -> None:
        lo = self.lows[i]
        n = self.n
        nxt_num = i + 1 < n and self.cls[i + 1] == "n"
        if lo in ("alpha", "beta", "preview"):
            if lo != "preview" and nxt_num and self.sep(i + 1) in ("-", "_", " "):
                self.used[i + 1] = True  # alpha_16, beta-0.1: a hyper-parameter and its value
                return
            if i > 0 and self.cls[i - 1] == "n" and self.lows[i - 1].startswith("0"):
                return  # 0.1-beta: a hyper-parameter value
            self.add(i, i, self.starts[i], self.ends[i], "prerelease", anchor=self.prev_alpha(i))
            return
        if not nxt_num or self.used[i + 1]:
            return
        sep = self.sep(i + 1)
        num = self.words[i + 1]
        comps = num.split(".")
        # version-2, ver_1.0, V_1.0, v.01, rev-3, revision_2
        if (
            lo in ("ver", "version", "v")
            and sep in ("-", "_", " ", ".")
            and len(comps) <= 3
            and len(comps[0]) <= 3
        ):
            if sep == "." and lo == "v" and len(comps) == 1:
                nums = (0, int(num), None)  # v.01 reads as 0.01, written as 0, 1
                form = "v_minor"
            else:
                nums, form = _nums(num), _vform(len(comps))
            self.add(i, i + 1, self.starts[i], self.ends[i + 1], form, nums, anchor=self.prev_alpha(i))
        elif lo in ("rev", "revision") and sep in ("-", "_", " ") and len(comps) == 1 and len(num) <= 3:
            self.add(
                i,
                i + 1,
                self.starts[i],
                self.ends[i + 1],
                "revision",
                (int(num), None, None),
                anchor=self.prev_alpha(i),
            )

    def _size_word(self, i: int) -> None:
        # step-1431k, checkpoint_500k: a step count in thousands after a checkpoint word
        lo = self.lows[i]
        if (
            i > 0
            and self.lows[i - 1] in _CKPT_WORDS
            and lo[-1] == "k"
            and lo[:-1].isdigit()
            and self.sep(i) in ("-", "_", " ")
            and not self.used[i - 1]
        ):
            self.add(
                i - 1, i, self.starts[i - 1], self.ends[i], "checkpoint", (int(lo[:-1]) * 1000, None, None)
            )

    def _lora_context(self) -> bool:
        lo = self.name.lower()
        return "lora" in lo or "rank" in lo or "peft" in lo or "adapter" in lo or "dora" in lo

    def _mixed(self, i: int) -> None:
        w, lo = self.words[i], self.lows[i]
        start, end_w = self.starts[i], self.ends[i]
        n = self.n
        c0 = w[0]
        if c0 in "vV":
            if lo == "v100":
                return  # the NVIDIA V100 GPU
            m = _VWORD.fullmatch(w)
            if m:
                self._vword(i, m)
                return
        if c0.isdigit():
            m = _NUM_UNIT_CKPT.fullmatch(w)
            if m:  # 3ep 5epochs 1000steps
                num, k = m.group(1), m.group(2)
                nums = (
                    (int(num) * (1000 if k else 1), None, None)
                    if "." not in num
                    else (int(num.split(".")[0]), int(num.split(".")[1]), None)
                )
                self.add(i, i, start, end_w, "checkpoint", nums)
                return
            m = _SIZE_V.fullmatch(w)
            if m:  # 7Bv2.4 13Bv0.14
                vpos = start + m.start(1)
                digits = m.group(2)
                self.add(
                    i,
                    i,
                    vpos,
                    vpos + 1 + len(digits),
                    _vform(digits.count(".") + 1),
                    _nums(digits),
                    anchor=self.prev_alpha(i),
                    glued=True,
                )
                return
            m = _MIXED_GEN.fullmatch(w)
            if m and i > 0 and self.cls[i - 1] == "a" and m.group(2) not in "bmktxe":
                fam = self.family_of(i - 1)  # gpt-4o, gpt-4v: after a family word only
                if fam and self.sep(i) in ("-", "_", " "):
                    mk = self.add(
                        i,
                        i,
                        start,
                        start + len(m.group(1)),
                        "generation",
                        (int(m.group(1)), None, None),
                        anchor=self.lows[i - 1],
                    )
                    mk.family = fam
            return
        m = _VERWORD.fullmatch(w)
        if m:  # version2 ver1.1
            self.add(
                i,
                i,
                start,
                start + len(m.group(1)) + len(m.group(2)),
                _vform(m.group(2).count(".") + 1),
                _nums(m.group(2)),
                anchor=self.prev_alpha(i),
            )
            return
        m = _CKPT_GLUED.fullmatch(w)
        if m:  # step1000 ckpt500 epoch3 ep11 iter3 it3
            num, k = m.group(2), m.group(3)
            if m.group(1).lower() == "it" and ("." in num or int(num) > 99):
                return
            nums = (
                (int(num) * (1000 if k else 1), None, None)
                if "." not in num
                else (int(num.split(".")[0]), int(num.split(".")[1]), None)
            )
            self.add(i, i, start, end_w, "checkpoint", nums)
            return
        m = _PRE.fullmatch(w)
        if m:  # beta3 rc1 alpha2 beta2.2 (alpha32, beta0.1: settings)
            num, word = m.group(2), m.group(1).lower()
            if (
                num is None
                or num[0] == "0"
                or (word != "rc" and ("." not in num and int(num) >= 10 or self._lora_context()))
            ):
                return
            self.add(i, i, start, end_w, "prerelease", _nums(num), anchor=self.prev_alpha(i))
            return
        m = _REV.fullmatch(w)
        if m:  # r2 rev3 (r16 is a LoRA rank)
            val = int(m.group(2))
            if self._is_revision(i, m.group(1).lower(), val):
                self.add(i, i, start, end_w, "revision", (val, None, None), anchor=self.prev_alpha(i))
            return
        m = _LLAMA_ALIAS.fullmatch(w)
        if m:  # L3-8B, airoboros-l2-13B (next to a size)
            if (i + 1 < n and self.cls[i + 1] == "s") or (i > 0 and self.cls[i - 1] == "s"):
                if m.group(2):
                    mk = self.add(
                        i,
                        i,
                        start + 1,
                        end_w,
                        "num_minor",
                        (int(m.group(1)), int(m.group(2)), None),
                        anchor="llama",
                        glued=True,
                    )
                else:
                    mk = self.add(
                        i,
                        i,
                        start + 1,
                        end_w,
                        "glued",
                        (int(m.group(1)), None, None),
                        anchor="llama",
                        glued=True,
                    )
                mk.family = "llama"
            return
        m = _GLUED_FAMILY.fullmatch(w)
        if m and self._glued_family(i, m):
            return
        groups = _glued_v_groups(w)
        if groups:
            self._glued_v(i, groups)
            return
        m = _GLUED_DOT.fullmatch(w)
        if m:  # svc4.1 model3.0 multiwoz2.1 (not epsilon6.0)
            pre, digits, suf = m.groups()
            pl = pre.lower()
            if (
                pl in _SETTING_WORDS
                or pl.endswith(("rate", "error", "ratio", "loss", "temp", "weight", "lr"))
                or len(pre) < 2
                or suf.lower() in ("b", "m", "k", "t", "bn", "x", "e")
            ):
                return
            if not 1 <= int(digits.split(".")[0]) <= 20:
                return  # fs0.1, p0.9: a setting's value
            dpos = self.starts[i] + len(pre)
            self.add(
                i,
                i,
                dpos,
                dpos + len(digits),
                "num_minor" if digits.count(".") == 1 else "num_patch",
                _nums(digits),
                anchor=pl,
                glued=True,
            )

    def _vword(self, i: int, m: re.Match) -> None:
        """v2 v0.2 v1beta v11p V0415MA3plus; joined with -5 / _1 / -2-3 when bare (v1-5)."""
        start = self.starts[i]
        n = self.n
        digits, suf = m.group(1), m.group(2) or ""
        if suf and len(suf) > 6 and not _PRE.fullmatch(suf):
            return
        env = None if suf or "." in digits else self.env_before(i, "")
        end = start + 1 + len(digits)
        hi = i
        text_digits = digits
        if "." not in digits and not suf and len(digits) <= 3 and env is None:
            # a date after v: v07-09-2023
            dm = _DATE_MY.match(self.name, start + 1)
            if dm and dm.end() <= len(self.name):
                hi2 = i
                while hi2 + 1 < n and self.starts[hi2 + 1] < dm.end():
                    hi2 += 1
                if self.ends[hi2] == dm.end():
                    g = dm.groups()
                    d, mo, y = (int(g[0]) if g[0] else None), int(g[1]), int(g[2])
                    if d is not None and not _valid_md(mo, d) and _valid_md(d, mo):
                        d, mo = mo, d
                    if _valid_md(mo, d):
                        self.add(
                            i,
                            hi2,
                            start,
                            dm.end(),
                            "date",
                            date=f"{y:04d}-{mo:02d}" + (f"-{d:02d}" if d else ""),
                            anchor=self.prev_alpha(i),
                        )
                        return
            k, comps = i, 1
            while (
                comps < 3
                and k + 1 < n
                and self.cls[k + 1] == "n"
                and "." not in self.words[k + 1]
                and self.sep(k + 1) in ("-", "_")
                and len(self.words[k + 1]) <= 2
                and not (k + 2 < n and self.cls[k + 2] == "s" and self.sep(k + 2) == "_")
            ):
                k += 1
                comps += 1
            if k > i:
                # v2-7 before more numbers is not v2.7 (v3-2024-05 is a version and a date)
                if k + 1 < n and self.cls[k + 1] == "n" and self.sep(k + 1) in ("-", "_"):
                    k = i
            if k > i:
                hi = k
                end = self.ends[k]
                text_digits = self.name[start + 1 : end]
        if "." not in digits and hi == i and len(digits) >= 4:
            iso = digits if (len(digits) == 4 and 1990 <= int(digits) <= 2030) else _digits_date(digits)
            if iso:
                self.add(i, i, start, end, "date", date=iso, anchor=self.prev_alpha(i))
                return
        comps = text_digits.count(".") + text_digits.count("-") + text_digits.count("_") + 1
        if comps > 3:
            return
        hint = "" if env is None else ("env" if env[1] else "envplain")
        mk = self.add(
            i, hi, start, end, _vform(comps), _nums(text_digits), anchor=self.prev_alpha(i), hint=hint
        )
        if env is not None:
            mk.anchor = env[0]
        if suf:
            p = _PRE.fullmatch(suf)
            if p and (p.group(1).lower() != "rc" or p.group(2)):
                self.add(
                    i,
                    hi,
                    end,
                    end + len(suf),
                    "prerelease",
                    _nums(p.group(2)) if p.group(2) else _NONE3,
                    anchor=self.prev_alpha(i),
                )

    def _glued_family(self, i: int, m: re.Match) -> bool:
        """gpt2 llama3 Qwen1.5 Phi3 sd15 NeuralLlama3 squad2 cv13; not distilgpt2, gemma2b, gpt4all."""
        pre, fam_w, digits, suf = m.groups()
        fam = fam_w.lower()
        if pre and not (pre[-1].islower() and fam_w[0].isupper()):
            return False  # only at a word's start or a CamelCase seam
        if pre and pre.lower().endswith(_GLUED_NOT_PREFIX):
            return True
        sl = suf.lower()
        if sl in ("b", "m", "k", "bn", "t") or (len(digits) > 1 and digits[0] == "0"):
            return True  # gemma2b, llama7b: a size, not a generation
        start = self.starts[i]
        dpos = start + len(pre) + len(fam_w)
        parts = digits.split(".")
        hint = "cv" if fam in ("cv", "commonvoice") else ""
        limit = _GLUED_FAMILIES[fam]
        if len(parts) == 1:
            val = int(digits)
            if not 1 <= val <= limit:
                return True
            mk = self.add(
                i, i, dpos, dpos + len(digits), "glued", (val, None, None), anchor=fam, hint=hint, glued=True
            )
        else:
            if int(parts[0]) > limit or any(len(p) > 2 for p in parts[1:]):
                return True
            form = "num_minor" if len(parts) == 2 else "num_patch"
            mk = self.add(
                i, i, dpos, dpos + len(digits), form, _nums(digits), anchor=fam, hint=hint, glued=True
            )
        mk.family = fam if fam in _PUBLISHERS else ""
        return True

    def _glued_v(self, i: int, groups: tuple[str, ...]) -> None:
        """mistralv2 EpicMixV4 JOSIEv4o LunarLanderV2 taxiv3 (not mobilenetv3, dev2, AAV2)."""
        head, letters, v, digits, suf = groups
        w = self.words[i]
        ll = letters.lower()
        if len(letters) < 2 and not (head and head[-1].isdigit()):
            return
        if v == "V" and not letters[-1].islower():
            return  # AAV2, HIV1: an acronym, not Name + V2
        if ll + "v" in _NOT_V_WORDS:
            return
        full = (head + letters).lower()
        if full.endswith(_GLUED_V_IDENTITY) or w.lower().startswith(_GLUED_V_IDENTITY):
            return
        if len(suf) > 6:
            return
        start = self.starts[i]
        vpos = start + len(head) + len(letters)
        if "." not in digits and len(digits) >= 4:
            iso = _digits_date(digits)
            if iso:
                self.add(i, i, vpos, vpos + 1 + len(digits), "date", date=iso, anchor=full, glued=True)
            return
        env = None if "." in digits else self.env_before(i, head + letters)
        hint = "" if env is None else ("env" if env[1] else "envplain")
        mk = self.add(
            i,
            i,
            vpos,
            vpos + 1 + len(digits),
            _vform(digits.count(".") + 1),
            _nums(digits),
            anchor=full if env is None else env[0],
            hint=hint,
            glued=True,
        )
        if full in _PUBLISHERS:
            mk.family = full
        if suf:
            p = _PRE.fullmatch(suf)
            if p and p.group(1).lower() != "rc":
                e = vpos + 1 + len(digits)
                self.add(i, i, e, e + len(suf), "prerelease", anchor=full)

    def _is_revision(self, i: int, word: str, val: int) -> bool:
        if word != "r":
            return True
        if val in (4, 8, 16, 32, 64, 128, 256, 512) or val > 20 or val == 0:
            return False  # LoRA ranks r8 r16 r64
        # grids of letter+digit cells (S2_M1_R3, e3_s6789_v3_l6_r2) and ANLI rounds (anli_R1_R2_R3)
        for j in (i - 1, i + 1):
            if 0 <= j < self.n:
                wj = self.lows[j]
                if _CELL.fullmatch(wj) or wj in _DATASET_IDENTITY:
                    return False
        return True


# --------------------------------------------------------------------------------------------
# Whose version: refers_to
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _glued_v_groups(word: str) -> tuple[str, str, str, str, str] | None:
    """(head, letters, v, digits, suffix) of a word ending in letters + vN[.N[.N]] + letters, or None.

    The v is the last one followed by a number that runs, with letters only after it, to the end;
    `letters` is the run of letters just before it and `head` (letters and digits) the rest.
    """
    for v in _V_DIGIT.finditer(word):
        m = _GLUED_V_TAIL.fullmatch(word, v.start())
        if not m:
            continue
        before = word[: m.start()]
        letters = _LETTERS_BEFORE.search(before)
        head = before[: letters.start()] if letters else ""
        if letters and (not head or head.isascii() and head.isalnum()):
            return head, letters.group(), word[m.start()], m.group(1), m.group(2)
    return None


def _tag_markers(name: str) -> tuple[tuple, ...]:
    """Markers of a base-model or dataset tag's name: (form, vals, date, anchor, text)."""
    return tuple((mk.form, mk.vals(), mk.date, mk.anchor, mk.text.lower()) for mk in _Scan(name).markers)


_NUMERIC_FORMS = frozenset({"v_major", "v_minor", "v_patch", "num_minor", "num_patch", "generation", "glued"})


def _same_marker(mk: _Mk, other: tuple) -> bool:
    """Does marker mk of the name stand for the same version as `other` (a tag's marker)?"""
    oform, ovals, odate, oanchor, otext = other
    form = mk.form
    if form in _NUMERIC_FORMS:
        if oform not in _NUMERIC_FORMS or mk.vals() != ovals:
            return False
        # several numbers (0.2, 3.1) identify a version; one number (2, or 2.0) needs the same word
        several = bool(mk.minor) or bool(mk.patch)
        return several or (mk.anchor != "" and _norm(mk.anchor) == _norm(oanchor))
    if form == "date":
        return oform == "date" and mk.date == odate
    if form != oform:
        return False
    if form == "prerelease":
        return mk.text.lower() == otext
    return mk.vals() == ovals and (form == "checkpoint" or mk.anchor == oanchor)


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
        self.env_tags: dict[str, str] = {}
        base, data = [], []
        for t in tags:
            if not isinstance(t, str):
                continue
            if t.startswith("base_model:"):
                b = t[11:]
                for p in ("finetune:", "adapter:", "quantized:", "merge:"):
                    if b.startswith(p):
                        b = b[len(p) :]
                if b != model_id:  # a record naming itself as its base tells nothing
                    base.append(b)
            elif t.startswith("dataset:"):
                data.append(t[8:])
            elif t in _RL_TAGS:
                self.rl = True
            elif "-v" in t or "-V" in t:
                m = _ENV_TAG.match(t)
                if m:  # LunarLander-v2, FrozenLake-v1-4x4-no_slippery, ALE/Pong-v5
                    self.env_tags.setdefault(
                        _ENV_SUFFIX.sub("", _norm(m.group(1))) + "v" + str(int(m.group(2))), t
                    )
        self.base_tags = base
        self.dataset_tags = data
        # a namespace that names a format (mlx-community), or a name that opens with one (ct2fast-...)
        first = re.split(r"[^a-z0-9]+", model_id.rpartition("/")[2].lower())[0]
        self.converter = first in _CONVERSION_PREFIXES or any(
            w in _FORMAT_STRONG_ALPHA for w in re.split(r"[^a-z0-9]+", self.author)
        )
        self.common_voice = self.audio or any("common_voice" in d or "commonvoice" in d for d in data)


def _refers(sc: _Scan, mk: _Mk, ctx: _Context) -> tuple[str, str]:
    form = mk.form
    author = ctx.author

    # 1. environment: a v-number closing an RL environment id (LunarLander-v2, taxiv3)
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

    # 2. dataset by name: squad2, squad_v2, vqav2, oasst1, common_voice_11_0, cv13 in an audio model
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
    if anchor and (anchor.lower() in _DATA_WORDS or _WIKI_DUMP.fullmatch(anchor.lower())):
        return "dataset", f"version of the data the name calls {anchor}"

    # 3. base_model tag: the same version stands in a base model's name (not the author's own)
    own_base = False
    for base in ctx.base_tags:
        b_author, _, b_name = base.rpartition("/")
        for other in _tag_markers(b_name):
            if _same_marker(mk, other):
                if b_author.lower() == author:
                    own_base = True
                    break
                return "base_model", f"base_model tag {base}"

    fam = "" if form == "checkpoint" else (mk.family or _attached_family(sc, mk))
    publisher = fam and author in _PUBLISHERS.get(fam, ())
    if (
        fam
        and not publisher
        and (fam in _CLOSED or (fam == "gpt" and ((mk.major or 0) >= _CLOSED_GPT_FROM or form == "date")))
    ):
        return "unclear", f"closed model {fam} {mk.text}: a teacher, judge or data source, not a base"

    if fam and not publisher and _family_versioned_before(sc, mk, fam):
        return "self", ""

    # 4. a converted copy (GGUF, exl2, AWQ, bpw...; or any model of a namespace that names a format,
    # mlx-community): the versions before the format are the source's when something shows a source
    # other than the author's own release (a known family, another author's base model on that word)
    copy = ctx.converter or (sc.format_at >= 0 and mk.hi < sc.format_at)
    if copy:
        if publisher or (
            not fam and (own_base or any(b.rpartition("/")[0].lower() == author for b in ctx.base_tags))
        ):
            return "self", ""
        evidence = _base_names(ctx, mk.anchor) if ctx.base_tags else not _author_brand(ctx, sc.name)
        if ctx.converter or fam or evidence:
            where = "namespace" if ctx.converter else sc.words[sc.format_at]
            return "base_model", f"format copy ({where}) of another model"

    # 5. a known family's version, on someone else's name; a family carries one version, so a
    # second one after it (Cinder-Phi-2-V1) is the author's
    if fam and _family_versioned_before(sc, mk, fam):
        return "self", ""
    if fam:
        if publisher:
            return "self", ""
        return "base_model", f"name embeds {fam} {mk.text}"
    if own_base:
        return "self", ""

    # 6. dataset tag: the same version, on the same word, in a dataset's name
    if anchor:
        na = _norm(anchor)
        vals = mk.vals()
        for ds in ctx.dataset_tags:
            d_author, _, d_name = ds.rpartition("/")
            for _form, ovals, odate, oanchor, _text in _tag_markers(d_name):
                if ((vals and vals == ovals) or (mk.date and mk.date == odate)) and _norm(oanchor) == na:
                    if d_author.lower() == author:
                        return "self", ""
                    return "dataset", f"dataset tag {ds}"
    return "self", ""


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
    return any(len(w) >= 3 and w in plain for w in re.split(r"[^a-z0-9]+", ctx.author))


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
                return fam if _family_fits(fam, form, mk.major) else ""
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
        if w == "e5":
            return w if _family_fits(w, form, mk.major) else ""
        if _CELL.fullmatch(w) or sc.fmt[j]:
            j -= 1  # L6, H384 shape words
            continue
        return ""
    return ""


# --------------------------------------------------------------------------------------------
# Family key
# --------------------------------------------------------------------------------------------

_SEP_RUN = re.compile(r"[^a-z0-9]+")
_PLAIN_FORMAT = re.compile(
    r"(?<![a-z0-9])(?:gguf|ggml|gptq|awq|exl|imatrix|mlx|bnb|hqq|aqlm|llamafile|"
    r"onnx|openvino|coreml|ctranslate|mlc|marlin|eetq)(?![a-z0-9])"
)


def _family_from_scan(sc: _Scan, keep_env_data: bool = True) -> str:
    """The name without marker, size and format tokens, lower-cased, separators as '-'."""
    name = sc.name
    cut = []
    for mk in sc.markers:
        if keep_env_data and (mk.hint in ("env", "cv") or mk.anchor in _VERSIONED_DATASETS):
            continue  # ppo-LunarLander-v2 and -v3 are different tasks, not releases
        cut.append((mk.pos, mk.pos + len(mk.text)))
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
        rest = "-".join(out)
    else:
        rest = name
    key = _SEP_RUN.sub("-", rest.lower()).strip("-")
    return key or name.lower()


def _plain_family(name: str) -> str:
    lo = name.lower()
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
    if not _MAYBE.search(name):
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
    seed = SEED_RULE.search(name) is not None
    if not _MAYBE.search(name):
        return Classification(model_id, name, author, seed, False, (), None, _plain_family(name))
    sc = _Scan(name, True)
    in_run = decisions.hyperparameter_run(name)
    taken = [(mk.pos, mk.pos + len(mk.text)) for mk in sc.markers]
    added = decisions.added_markers(name, taken, in_run)
    if not sc.markers and not added:
        return Classification(model_id, name, author, seed, False, (), None, _family_from_scan(sc))
    ctx = _Context(model_id, author, tags or (), pipeline_tag, library_name)
    out = [_added_marker(sc, f, ctx) for f in added]
    for mk in sc.markers:
        if mk.hint == "cv" and not ctx.common_voice:
            continue  # cv13 outside an audio model: cross-validation as likely as Common Voice
        if mk.form == "checkpoint" and decisions.training_length(mk.text, in_run):
            continue
        ref, ev = _refers(sc, mk, ctx)
        if ref == "self" and mk.form == "generation" and _run_counter(name, mk):
            ref, ev = "unclear", "a run counter ending the name"
        out.append(Marker(mk.text, mk.form, ref, mk.pos, mk.major, mk.minor, mk.patch, mk.date, ev))
    out.sort(key=lambda m: m.position)
    primary = next((m.form for m in out if m.refers_to == "self"), None)
    return Classification(
        model_id, name, author, seed, primary is not None, tuple(out), primary, _family_from_scan(sc)
    )


def _added_marker(sc: _Scan, found: decisions.Found, ctx: _Context) -> Marker:
    """A saved state or stamp the decisions found: another model's when a base model of another
    author carries it, or when it stands before the format of a copy that is not the author's."""
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
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", name[: mk.pos])]
    if not words:
        return False
    pair = "".join(words[-2:])
    return not (words[-1] in _PUBLISHERS or words[-1] in _FAMILY_KINDS or pair in _PAIR_FAMILIES)


def classify_record(record: dict) -> Classification:
    """Classify a record in snapshot shape (id, tags, pipeline_tag, library_name...)."""
    pipeline_tag, library_name = record.get("pipeline_tag"), record.get("library_name")
    return classify_name(
        record["id"],
        record.get("tags") or (),
        pipeline_tag if isinstance(pipeline_tag, str) else None,
        library_name if isinstance(library_name, str) else None,
    )


# --------------------------------------------------------------------------------------------
# CLI: JSON Lines in, JSON Lines out
# --------------------------------------------------------------------------------------------


def to_json(c: Classification) -> dict:
    """The CLI's object for one classification (markers carry all their fields)."""
    return {
        "id": c.id,
        "seed_rule": c.seed_rule,
        "own_version": c.own_version,
        "markers": [
            {
                "text": m.text,
                "form": m.form,
                "refers_to": m.refers_to,
                "position": m.position,
                "major": m.major,
                "minor": m.minor,
                "patch": m.patch,
                "date": m.date,
                "evidence": m.evidence,
            }
            for m in c.markers
        ],
        "primary_form": c.primary_form,
        "family": c.family,
    }


def record_problem(rec: dict) -> str | None:
    """Why a decoded record cannot be classified (wrong types, text that is not Unicode), or None."""
    tags = rec.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        return '"tags" must be a list of strings'
    for field in ("pipeline_tag", "library_name"):
        if rec.get(field) is not None and not isinstance(rec[field], str):
            return f'"{field}" must be a string or null, not {type(rec[field]).__name__}'
    for field in ("id", "pipeline_tag", "library_name", *(["tags"] if tags else [])):
        for text in tags if field == "tags" else [rec.get(field)]:
            try:
                (text or "").encode("utf-8")
            except UnicodeEncodeError as e:
                return f'"{field}" is not valid Unicode ({e.reason} at position {e.start})'
    return None


def main(argv: list[str] | None = None) -> int:
    """Read Hub model records as JSON Lines on stdin; write one classification per line.

    Every line, blank ones included, must be a JSON object with a string "id" (and "tags", when
    present, a list). A line that is not gets `stdin:N: ...` on stderr and no output line; once
    all valid lines are written the exit status is 2.
    """
    import argparse

    argparse.ArgumentParser(prog="python -m scripts.classify", description=main.__doc__).parse_args(argv)
    bad = 0
    write = sys.stdout.write
    for lineno, line in enumerate(sys.stdin, 1):
        try:
            rec = json.loads(line)
        except ValueError as e:
            why = "blank line" if not line.strip() else f"not valid JSON ({e})"
            print(f'stdin:{lineno}: {why}; expected a JSON object with a string "id"', file=sys.stderr)
            bad += 1
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
            print(f'stdin:{lineno}: not a JSON object with a string "id"', file=sys.stderr)
            bad += 1
            continue
        why = record_problem(rec)
        if why:
            print(f"stdin:{lineno}: {why}", file=sys.stderr)
            bad += 1
            continue
        write(json.dumps(to_json(classify_record(rec)), ensure_ascii=False) + "\n")
    sys.stdout.flush()
    if bad:
        print(f"stdin: {bad} line(s) rejected", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
