"""RL environment names of data/rl_environments.txt and the lookup of an environment closing a name."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from scripts.classify.vocab import _ENV_SUFFIX, _norm


def _load_envs() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The RL environment families of data/rl_environments.txt, normalised.

    Returns (distinctive names, plain names, prefixes). A distinctive name (two capitals or a
    digit: LunarLander, PandaReachDense) marks an environment in any record; a plain word
    (Taxi, merge, reach) only in a reinforcement-learning record.
    """
    path = Path(__file__).resolve().parents[2] / "data" / "rl_environments.txt"
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
