"""Scanning v-numbers: v2, v0.2-beta, and versions glued to a word (gpt2, mistralv2, Taxiv3)."""

from __future__ import annotations

import re
from functools import lru_cache

from scripts.classify.families import _GLUED_FAMILIES, _GLUED_NOT_PREFIX, _PUBLISHERS
from scripts.classify.markers import _NONE3, _digits_date, _nums, _valid_md, _vform
from scripts.classify.vocab import (
    _CELL,
    _DATASET_IDENTITY,
    _DATE_MY,
    _GLUED_V_IDENTITY,
    _GLUED_V_TAIL,
    _LETTERS_BEFORE,
    _NOT_V_WORDS,
    _PRE,
    _V_DIGIT,
)


class _VScan:
    __slots__ = ()

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

    def _glued_family(self, i: int, groups: tuple[str, str, str, str]) -> bool:
        """gpt2 llama3 Qwen1.5 Phi3 sd15 NeuralLlama3 squad2 cv13; not distilgpt2, gemma2b, gpt4all.

        groups: (prefix, family word, digits, suffix) of the word."""
        pre, fam_w, digits, suf = groups
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
