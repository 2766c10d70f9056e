"""Scanning number words: dates over words, checkpoints, settings, minor versions, generations."""

from __future__ import annotations

from scripts.classify.families import _family_fits
from scripts.classify.markers import _digits_date, _nums, _valid_md
from scripts.classify.vocab import (
    _ARCHITECTURE_V,
    _CELL,
    _CKPT_UNITS,
    _CKPT_WORDS,
    _DATASET_IDENTITY,
    _DATE_MY,
    _DATE_YMD,
    _DATE_YY_MM_DD,
    _RUN_WORDS,
    _SCI,
    _UNITS_AFTER_NUMBER,
    _VARIANT_WORDS,
)


class _NumberScan:
    __slots__ = ()

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
        if nxt in _UNITS_AFTER_NUMBER:
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
        if prev_i >= 0 and _ARCHITECTURE_V.fullmatch(self.lows[prev_i]):
            return  # mobilevitv2-1.0: the architecture's width multiplier
        form = "num_minor" if len(parts) == 2 else "num_patch"
        mk = self.add(i, i, self.starts[i], self.ends[i], form, _nums(w), anchor=self.prev_alpha(i))
        if prev_i >= 0 and self.cls[prev_i] == "a":
            fam = self.family_of(prev_i)
            if fam and _family_fits(fam, form, major):
                mk.family = fam

    def _number_date(self, i: int, w: str) -> int:
        """A date held in one number (20240522, 240201, 2407, 0613) or a bare year."""
        words, lows, cls, n = self.words, self.lows, self.cls, self.n
        prev_i = i - 1
        prev = lows[prev_i] if prev_i >= 0 else ""
        lw = len(w)
        val = int(w)
        if lw == 4 and 2015 <= val <= 2030:
            # a bare year is an edition (twitter-roberta-base-2021, robbert-2022) unless it
            # is a dataset's year (wmt-2014, semeval-2017) or one end of a range (2017-2019)
            nxt_year = i + 1 < n and cls[i + 1] == "n" and len(words[i + 1]) == 4 and self.sep(i + 1) in "-_"
            prev_year = prev_i >= 0 and cls[prev_i] == "n" and len(words[prev_i]) == 4
            if not (prev in _DATASET_IDENTITY or nxt_year or prev_year):
                self.add(i, i, self.starts[i], self.ends[i], "date", date=w, anchor=self.prev_alpha(i))
            return i + 1
        iso = _digits_date(w)
        if iso:
            self.add(i, i, self.starts[i], self.ends[i], "date", date=iso, anchor=self.prev_alpha(i))
            return self._after_date(i + 1)
        return i + 1

    def _integer(self, i: int, w: str) -> int:
        words, lows, cls, n = self.words, self.lows, self.cls, self.n
        prev_i = i - 1
        prev = lows[prev_i] if prev_i >= 0 else ""
        sep_b = self.sep(i)
        lw = len(w)

        # dates held in one number: 20240522, 240201, 2407, 0613; a bare year
        if lw in (4, 6, 8, 10, 12, 14):
            return self._number_date(i, w)
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
        before_size = nxt_i < n and cls[nxt_i] == "s"
        if val > 20 or (val < 1 and not (fam and before_size)):
            return i + 1  # SOLAR-0-70b: a family's generation 0 before a size
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
