"""Which own-version forms are traditional (major.minor.patch-like); every other form is not. One
definition for the estimates and the robustness table, light enough for any process to import."""

TRADITIONAL_FORMS = ("v_major", "v_minor", "v_patch", "num_minor", "num_patch")
