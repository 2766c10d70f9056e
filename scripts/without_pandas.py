"""Imported first by scripts/build.py: when the build runs as a program (`python -m scripts.build`
and the processes it starts), `import pandas` fails there as if pandas were not installed.

sqlite-utils and pyarrow import pandas whenever it is installed (the test tools install it),
90 MiB in the build's process, in each worker forked from it and in its side process, and the
build hands neither of them a DataFrame. Imported as a library (the tests, the site), nothing
changes.
"""

from __future__ import annotations

import importlib.abc
import sys

PROGRAM = "scripts.build"


class WithoutPandas(importlib.abc.MetaPathFinder):
    """A finder, first on sys.meta_path, that refuses pandas and its submodules. (A None in
    sys.modules would not do: pyarrow's compiled import takes that None for the module.)"""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"No module named {name!r} (kept out of {PROGRAM})", name=name)
        return None


def running_as_program() -> bool:
    """This process runs PROGRAM: as __main__, or as __mp_main__ in a process it spawned."""
    return any(
        getattr(getattr(sys.modules.get(main), "__spec__", None), "name", None) == PROGRAM
        for main in ("__main__", "__mp_main__")
    )


if running_as_program() and "pandas" not in sys.modules:
    sys.meta_path.insert(0, WithoutPandas())
