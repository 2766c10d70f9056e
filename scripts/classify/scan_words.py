"""Scanning words with letters: edition words, sizes, and mixed letter+digit words."""

from __future__ import annotations

import functools
import re

from scripts.classify.families import _GLUED_FAMILY, _GLUED_FAMILY_V
from scripts.classify.markers import _ckpt_nums, _nums, _vform
from scripts.classify.scan_v import _glued_v_groups
from scripts.classify.vocab import (
    _CKPT_GLUED,
    _CKPT_WORDS,
    _GLUED_DOT,
    _LLAMA_ALIAS,
    _MIXED_GEN,
    _NUM_UNIT_CKPT,
    _PRE,
    _REV,
    _SETTING_WORDS,
    _SIZE_V,
    _VERWORD,
    _VWORD,
)

_LETTER_LED_FIRST = (_VERWORD, _CKPT_GLUED, _PRE, _REV, _LLAMA_ALIAS)


# Mixed words repeat across names (gpt2, llama2, wav2vec2): each is matched once.
@functools.lru_cache(maxsize=1 << 13)
def _letter_led_reading(w: str) -> tuple:
    """The patterns a letter-led mixed word matches, in _letter_led's order: (the first of
    _LETTER_LED_FIRST that fully matches, its match) or (None, None, then the glued-family,
    glued-family-v, glued-v and glued-dot readings, each None when it does not match)."""
    for pattern in _LETTER_LED_FIRST:
        m = pattern.fullmatch(w)
        if m:
            return pattern, m, None, None, None, None
    # A word is ASCII letters, digits and dots: the v-readings need a v, the glued dot a dot.
    v = "v" in w or "V" in w
    return (
        None,
        None,
        _GLUED_FAMILY.fullmatch(w),
        _GLUED_FAMILY_V.fullmatch(w) if v else None,
        _glued_v_groups(w) if v else None,
        _GLUED_DOT.fullmatch(w) if "." in w else None,
    )


class _WordScan:
    __slots__ = ()

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
        c0 = w[0]
        if c0 in "vV":
            if lo == "v100":
                return  # the NVIDIA V100 GPU
            m = _VWORD.fullmatch(w)
            if m:
                self._vword(i, m)
                return
        if c0.isdigit():
            self._digit_led(i)
            return
        self._letter_led(i)

    def _digit_led(self, i: int) -> None:
        """Mixed words that open with a digit: 3ep 1000steps, 7Bv2.4, gpt-4o."""
        w = self.words[i]
        start, end_w = self.starts[i], self.ends[i]
        m = _NUM_UNIT_CKPT.fullmatch(w)
        if m:  # 3ep 5epochs 1000steps
            num, k = m.group(1), m.group(2)
            self.add(i, i, start, end_w, "checkpoint", _ckpt_nums(num, k))
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

    def _letter_led(self, i: int) -> None:
        """Mixed words that open with a letter: version2, step1000, beta3, r2, L3, gpt2, svc4.1."""
        w = self.words[i]
        start, end_w = self.starts[i], self.ends[i]
        first, m, glued_family, glued_family_v, groups, glued_dot = _letter_led_reading(w)
        if first is _VERWORD:  # version2 ver1.1
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
        if first is _CKPT_GLUED:  # step1000 ckpt500 epoch3 ep11 iter3 it3
            num, k = m.group(2), m.group(3)
            if m.group(1).lower() == "it" and ("." in num or int(num) > 99):
                return
            self.add(i, i, start, end_w, "checkpoint", _ckpt_nums(num, k))
            return
        if first is _PRE:  # beta3 rc1 alpha2 beta2.2 (alpha32, beta0.1: settings)
            num, word = m.group(2), m.group(1).lower()
            if (
                num is None
                or num[0] == "0"
                or (word != "rc" and ("." not in num and int(num) >= 10 or self._lora_context()))
            ):
                return
            self.add(i, i, start, end_w, "prerelease", _nums(num), anchor=self.prev_alpha(i))
            return
        if first is _REV:  # r2 rev3 (r16 is a LoRA rank)
            val = int(m.group(2))
            if self._is_revision(i, m.group(1).lower(), val):
                self.add(i, i, start, end_w, "revision", (val, None, None), anchor=self.prev_alpha(i))
            return
        if first is _LLAMA_ALIAS:  # L3-8B, airoboros-l2-13B (next to a size)
            self._llama_alias(i, m)
            return
        if glued_family and self._glued_family(i, glued_family.groups()):
            return
        if glued_family_v and self._glued_family_v(i, glued_family_v):
            return
        if groups:
            self._glued_v(i, groups)
            return
        if glued_dot:  # svc4.1 model3.0 multiwoz2.1 (not epsilon6.0)
            self._glued_dot(i, glued_dot)

    def _glued_family_v(self, i: int, m: re.Match) -> bool:
        """sd14v1 llama2v3: the family's glued generation, then the author's glued v-number."""
        pre, fam_w, digits, v, vdigits, suf = m.groups()
        if len(suf) > 6 or not self._glued_family(i, (pre, fam_w, digits, "")) or self.owner[i] is None:
            return False
        vpos = self.starts[i] + m.start(4)
        self.add(
            i,
            i,
            vpos,
            vpos + 1 + len(vdigits),
            _vform(vdigits.count(".") + 1),
            _nums(vdigits),
            anchor=(pre + fam_w + digits).lower(),
            glued=True,
        )
        return True

    def _llama_alias(self, i: int, m: re.Match) -> None:
        """L3-8B, airoboros-l2-13B: Llama 2 / 3 next to a size."""
        start, end_w = self.starts[i], self.ends[i]
        n = self.n
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

    def _glued_dot(self, i: int, m: re.Match) -> None:
        """A dotted number glued after letters: svc4.1 model3.0 multiwoz2.1 (not epsilon6.0)."""
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
