"""Derive stage: tables computed from the loaded and classified rows (versioning, summaries, estimates, history)."""
