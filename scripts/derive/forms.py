"""Which own-version forms are traditional (major.minor.patch-like) and which are not: one
definition for the estimates and the robustness table, light enough for any process to import."""

TRADITIONAL_FORMS = ("v_major", "v_minor", "v_patch", "num_minor", "num_patch")
OTHER_FORMS = ("generation", "glued", "date", "prerelease", "revision", "checkpoint")
