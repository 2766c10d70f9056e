"""docs/architecture.md's module map lists every module of scripts/ and plugins/ as it is now."""

from scripts.dev import architecture


def test_module_map_is_current():
    text = architecture.DOC.read_text(encoding="utf-8")
    assert architecture.with_map(text) == text, "run python -m scripts.dev.architecture"


def test_every_module_is_in_the_map():
    text = architecture.DOC.read_text(encoding="utf-8")
    for folder in architecture.FOLDERS:
        for path in (architecture.ROOT / folder).rglob("*.py"):
            if "__pycache__" not in path.parts:
                assert f"`{path.relative_to(architecture.ROOT).as_posix()}`" in text
