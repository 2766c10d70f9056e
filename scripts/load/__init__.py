"""Load stage: one loader per snapshot kind (and the curated organization map), writing schema tables."""
