"""Vocabularies of the classifier: word lists and patterns a careful reader recognises (never id lists)."""

from __future__ import annotations

import functools
import re

# A word: letters and digits, with a dot kept only between two digits ("3.1", "Qwen1.5", "1.1B").
_WORD = re.compile(r"(?:[A-Za-z0-9]|(?<=\d)\.(?=\d))+")
# The same words in an ASCII name, matched a run at a time rather than a character at a time
# (\d is wider than 0-9 outside ASCII, so other names take _WORD).
_WORD_ASCII = re.compile(r"[A-Za-z0-9]+(?:(?<=[0-9])\.(?=[0-9])[A-Za-z0-9]+)*")
# Cheap pre-check: without a digit or an edition word a name holds no marker.
_MAYBE = re.compile(r"\d|alpha|beta|preview", re.I)
_MAYBE_LOWER = re.compile(r"[0-9]|alpha|beta|preview")


def _may_have_marker(name: str, lower: str | None = None) -> bool:
    """_MAYBE.search(name), without case folding for an ASCII name (lower-cased first).
    lower: name.lower(), when the caller has it already."""
    if name.isascii():
        return _MAYBE_LOWER.search(name.lower() if lower is None else lower) is not None
    return _MAYBE.search(name) is not None


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
# An architecture named with its glued v (mobilevitv2, efficientnetv2): a bare decimal right after
# it is the architecture's width multiplier (mobilevitv2-1.0, mobilevitv2-1.5), not a version.
_ARCHITECTURE_V = re.compile(r"(?:" + "|".join(_GLUED_V_IDENTITY) + r")v\d+")
# Words ending in "v" whose glued digits are not a version (dev2, conv2d, env3, nov2023, kv8).
_NOT_V_WORDS = frozenset("dev rev conv env nov prev priv serv mov div adv kv lv qv cv tv uv".split())

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


_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@functools.lru_cache(maxsize=1 << 13)
def _norm(s: str) -> str:
    return _NOT_ALNUM.sub("", s.lower())


# Units after a number that make it a quantity, not a version (4-bit, 3-shot, 8x, 12-layers).
_UNITS_AFTER_NUMBER = frozenset(
    "bpw bit bits x shot shots hr hrs h hours k m b gb mb layers layer classes labels way fold folds "
    "percent pct samples examples langs languages dim sparsity".split()
)
