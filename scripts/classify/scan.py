"""Scanning a name: its words, their classes, and the markers the name alone shows."""

from __future__ import annotations

import re
from itertools import accumulate

from scripts.classify.envs import _env_lookup
from scripts.classify.families import _NOT_SEPARATE_FAMILY, _PAIR_FAMILIES, _PUBLISHERS
from scripts.classify.markers import _NONE3, _Mk, _valid_md
from scripts.classify.scan_numbers import _NumberScan
from scripts.classify.scan_v import _VScan
from scripts.classify.scan_words import _WordScan
from scripts.classify.vocab import (
    _CKPT_WORDS,
    _DATASET_IDENTITY,
    _FORMAT_ALPHA,
    _FORMAT_MIXED,
    _FORMAT_MIXED_WEAK,
    _FORMAT_STRONG_ALPHA,
    _HAS_MONTH_DIGIT,
    _MONTH_DATE,
    _MONTH_WORDS,
    _NUMBER,
    _SCI,
    _SETTING_WORDS,
    _SIZE,
    _WORD,
    _WORD_ASCII,
    _may_have_marker,
)

_STRONG, _WEAK = 2, 1
# The letter words _WordScan._alpha reads (it returns at once on any other).
_ALPHA_READ = frozenset(("alpha", "beta", "preview", "ver", "version", "v", "rev", "revision"))
_WORD_ASCII_SPLIT = re.compile(f"({_WORD_ASCII.pattern})")


def _word_class(w: str) -> tuple[str, str, bool, int]:
    """(lower-cased, class, format token, strength) of a word. Classes: "n" number, "a" letters,
    "s" size/shape, "m" mixed. Strength: 0 none; for letters, any non-zero value means a format
    that marks a copy; for mixed words, _STRONG always, _WEAK only near the end of the name."""
    lo = w.lower()
    if w.isalpha():
        if lo in _FORMAT_ALPHA:
            return lo, "a", True, _STRONG if lo in _FORMAT_STRONG_ALPHA else 0
        return lo, "a", False, 0
    if w.isdigit() or _NUMBER.fullmatch(w):
        return lo, "n", False, 0
    if _SIZE.fullmatch(w):
        return lo, "s", False, 0
    if _FORMAT_MIXED.fullmatch(lo):
        return lo, "m", True, _WEAK if _FORMAT_MIXED_WEAK.fullmatch(lo) else _STRONG
    return lo, "m", False, 0


# Names share most of their words (bert, base, v2, 7b, gguf): each distinct word is classed once,
# kept in a plain dict (a hit is one lookup in C; an LRU cache also relinks its entry on each hit),
# emptied when full so that it stays bounded.
_CLASSES: dict[str, tuple[str, str, bool, int]] = {}
_CLASSES_MAX = 1 << 15


def _word_classes(words: list[str]) -> list[tuple[str, str, bool, int]]:
    """_word_class of each word."""
    got = list(map(_CLASSES.get, words))
    if None in got:
        for k, w in enumerate(words):
            if got[k] is None:
                if len(_CLASSES) >= _CLASSES_MAX:
                    _CLASSES.clear()
                got[k] = _CLASSES[w] = _word_class(w)
    return got


_MONTH_STEM = re.compile("jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec")


def _may_name_month(name: str) -> bool:
    """False when the name holds no month abbreviation: a cheap test before _HAS_MONTH_DIGIT
    (re.I also folds some non-ASCII letters, so a non-ASCII name always takes the pattern)."""
    return not name.isascii() or _MONTH_STEM.search(name.lower()) is not None


def _format_at(cls: list[str], strength: list[int]) -> int:
    """The index of the first word that marks a converted copy, or -1: a weak mixed format (fp16,
    int8) marks one only among the last two words."""
    n = len(cls)
    for j, s in enumerate(strength):
        if s and (cls[j] == "a" or s == _STRONG or j >= n - 2):
            return j
    return -1


class _Scan(_NumberScan, _WordScan, _VScan):
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
        if name.isascii():
            # One split gives separators and words in turn; their lengths summed give the
            # offsets (separator k spans offs[2k]:offs[2k+1], word k offs[2k+1]:offs[2k+2]).
            parts = _WORD_ASCII_SPLIT.split(name)
            self.words = words = parts[1::2]
            self.n = n = len(words)
            offs = list(accumulate(map(len, parts), initial=0))
            self.starts = offs[1:-1:2]
            self.ends = offs[2::2]
        else:
            ms = list(_WORD.finditer(name))
            self.n = n = len(ms)
            self.words = words = [m.group() for m in ms]
            self.starts = [m.start() for m in ms]
            self.ends = [m.end() for m in ms]
        self.used = [False] * n  # word is consumed (by a marker or as a setting value)
        self.owner: list[_Mk | None] = [None] * n
        self.markers: list[_Mk] = []
        self.format_at = -1  # index of the first format/quantisation word, or -1
        if n:
            # lows and fmt are only read: the tuples zip gives serve; cls is changed (_number)
            self.lows, cls, self.fmt, strength = zip(*_word_classes(words))
            self.cls = list(cls)
            if True in self.fmt:
                self.format_at = _format_at(self.cls, strength)
        else:
            self.lows, self.cls, self.fmt = [], [], []
        if n and (maybe if maybe is not None else _may_have_marker(name)):
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
        if _may_name_month(self.name) and _HAS_MONTH_DIGIT.search(self.name):
            self._month_dates()
        cls, used, lows = self.cls, self.used, self.lows
        i, n = 0, self.n
        while i < n:
            if used[i]:
                i += 1
                continue
            c = cls[i]
            if c == "n":
                i = self._number(i)
                continue
            # _alpha reads only edition and version words, _size_word only a size after a
            # checkpoint word: other words are passed without a call.
            if c == "a":
                if lows[i] in _ALPHA_READ:
                    self._alpha(i)
            elif c == "m":
                self._mixed(i)
            elif c == "s":
                if i and lows[i - 1] in _CKPT_WORDS:
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
