"""Snapshot folders: their kinds, reading and checking them, and writing them in one rename."""
