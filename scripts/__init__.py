"""hub-versioning: the pipeline acquire -> snapshot -> load -> classify -> derive -> publish."""
