"""A marker while a name is scanned, and the number and date readings the scanners share."""

from __future__ import annotations

import re


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


_NUM_SEP = re.compile(r"[.\-_]")


def _nums(text: str) -> tuple[int | None, int | None, int | None]:
    parts = _NUM_SEP.split(text)
    if len(parts) == 1:
        return int(parts[0]), None, None
    if len(parts) == 2:
        return int(parts[0]), int(parts[1]), None
    return int(parts[0]), int(parts[1]), int(parts[2])


def _ckpt_nums(num: str, k: str) -> tuple[int, int | None, None]:
    """The numbers of a checkpoint glued to its unit: 1000steps, 100ksteps (x1000), epoch2.5 (2, 5)."""
    if "." not in num:
        return int(num) * (1000 if k else 1), None, None
    return int(num.split(".")[0]), int(num.split(".")[1]), None


def _vform(n: int) -> str:
    return ("v_major", "v_minor", "v_patch")[min(n, 3) - 1]


_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid_md(m: int, d: int | None) -> bool:
    return 1 <= m <= 12 and (d is None or 1 <= d <= _MONTH_DAYS[m - 1])


def _digits_date(s: str) -> str | None:
    """ISO-like date of an all-digit token, or None.

    20240522 (YYYYMMDD), 2024061102 / 20231006..(date part of a stamp), 06152023 (MMDDYYYY),
    15062023 (DDMMYYYY), 240201 (YYMMDD), 082023 (MMYYYY), 080524 (DDMMYY), 061524 (MMDDYY), 2407 (YYMM), 0613 (MMDD, "--06-13"). 1024 and numbers
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
        if 1 <= int(s[:2]) <= 12 and 2015 <= int(s[2:]) <= 2030:
            return f"{s[2:]}-{s[:2]}"  # MMYYYY (082023)
        a, b, y = int(s[:2]), int(s[2:4]), int(s[4:])  # DDMMYY (080524), else MMDDYY
        if 18 <= y <= 29:
            if _valid_md(b, a):
                return f"20{y:02d}-{b:02d}-{a:02d}"
            if _valid_md(a, b):
                return f"20{y:02d}-{a:02d}-{b:02d}"
        return None
    if n == 4:
        a, b = int(s[:2]), int(s[2:])
        if 18 <= a <= 29 and 1 <= b <= 12:
            return f"20{a:02d}-{b:02d}"
        if _valid_md(a, b):
            return f"--{a:02d}-{b:02d}"
    return None
