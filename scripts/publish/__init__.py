"""Publish stage: the site configuration, its metadata and its deployment."""
