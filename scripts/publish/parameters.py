"""Canned query parameters: each one's default and valid values, declared beside the query.

A query's yml lists its parameters under `params` (Datasette's list of names) and describes each
under `parameters`:

    parameters:
      snapshot:
        values_sql: select snapshot from snapshots where kind = 'census' order by snapshot desc
        default_sql: select snapshot from snapshots where headline
      kind: {values: [company, non-profit, all], default: company}
      min_models: {type: integer, default: 500, min: 1}
      q: {type: text, default: Llama-3}

The build resolves `values_sql` and `default_sql` against the database (`resolve`), so the page can
offer the valid values as a list with the default chosen, and the site (plugins/hub_site.py, from
the metadata) refuses a value outside them, or a non-integer where an integer is due, with a message
naming the parameter.
"""

from __future__ import annotations

import sqlite3

SPEC_KEYS = {"description", "values", "values_sql", "default", "default_sql", "type", "min"}
TYPES = {"integer", "text", "choice"}


class ParameterError(ValueError):
    pass


def check(where, settings: dict) -> None:
    """Every parameter of `params` is described under `parameters`, with known keys only."""
    names = list(settings.get("params", []))
    specs = settings.get("parameters") or {}
    missing = [n for n in names if n not in specs]
    extra = [n for n in specs if n not in names]
    if missing or extra:
        raise ParameterError(
            f"{where}: every name in params needs an entry under parameters (missing {missing}, "
            f"not in params {extra})"
        )
    for name, spec in specs.items():
        unknown = set(spec or {}) - SPEC_KEYS
        if unknown:
            raise ParameterError(f"{where}: parameters.{name}: unknown keys {sorted(unknown)}")
        kind = kind_of(spec)
        if kind not in TYPES:
            raise ParameterError(f"{where}: parameters.{name}: type {kind!r} is not one of {sorted(TYPES)}")


def kind_of(spec: dict) -> str:
    if "values" in spec or "values_sql" in spec:
        return "choice"
    return spec.get("type", "text")


def resolve(conn: sqlite3.Connection, where: str, query: dict) -> None:
    """Fill in `values` and `default` from their SQL, and check that the default is valid."""
    for name, spec in (query.get("parameters") or {}).items():
        if "values_sql" in spec:
            spec["values"] = [str(r[0]) for r in conn.execute(spec.pop("values_sql"))]
        if "default_sql" in spec:
            row = conn.execute(spec.pop("default_sql")).fetchone()
            spec["default"] = None if row is None or row[0] is None else str(row[0])
        spec["type"] = kind_of(spec)
        default = spec.get("default")
        if spec["type"] == "choice" and default is not None and str(default) not in spec["values"]:
            raise ParameterError(f"{where}: parameters.{name}: default {default!r} is not among its values")
