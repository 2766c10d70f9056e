"""How a table of build/hub.db is declared, created and indexed; the declarations are in scripts/schema.py."""

from __future__ import annotations

import collections
from typing import NamedTuple

import sqlite_utils


class Column(NamedTuple):
    name: str
    type: object  # int, str, float; or a declared SQL type as text ("" for none)
    source: str | None = None  # the field of a Hub model record it is read from (census only)


class Index(NamedTuple):
    columns: tuple[str, ...]
    unique: bool = False
    # Made with the table, before its rows: rows arrive in this index's order, so it grows at its
    # right edge as rows go in (or, unique, it refuses a repeated row as it is inserted).
    early: bool = False


class Table:
    """A table's declaration; `row` is its row type (a named tuple of the columns, in order)."""

    def __init__(self, name, columns, *, pk=None, foreign_keys=(), indexes=(), row=None):
        self.name = name
        self.columns = tuple(columns)
        self.pk = pk
        self.foreign_keys = list(foreign_keys)
        self.indexes = tuple(indexes)
        self.names = tuple(c.name for c in self.columns)
        # the row type is bound to its name in scripts.schema, where pickle (the build's workers) finds it
        self.row = collections.namedtuple(row or _row_name(name), self.names, module="scripts.schema")
        self.insert = self.insert_into("main")

    def insert_into(self, schema: str) -> str:
        """The INSERT of a whole row into this table of the attached database `schema`."""
        return f"insert into [{schema}].[{self.name}] values ({', '.join('?' * len(self.columns))})"

    def create(self, db: sqlite_utils.Database) -> None:
        if all(isinstance(c.type, type) for c in self.columns):
            db[self.name].create(
                {c.name: c.type for c in self.columns}, pk=self.pk, foreign_keys=self.foreign_keys
            )
        else:
            declared = ", ".join(f"[{c.name}] {c.type}".rstrip() for c in self.columns)
            db.execute(f"create table [{self.name}] ({declared})")
        for index in self.indexes:
            if index.early:
                db[self.name].create_index(list(index.columns), unique=index.unique)


def _row_name(table: str) -> str:
    return "".join(part.capitalize() for part in table.split("_")) + "Row"


TABLES: dict[str, Table] = {}


def table(*args, **kwargs) -> Table:
    """Declare a table (in creation order: a table after those its foreign keys name)."""
    t = Table(*args, **kwargs)
    if t.name in TABLES:
        raise ValueError(f"table {t.name} is declared twice")
    TABLES[t.name] = t
    return t


def cols(spec: str, type_=str) -> list[Column]:
    """Columns of one type from a list of names: cols("a b c", int)."""
    return [Column(name, type_) for name in spec.split()]


def create_all(db: sqlite_utils.Database) -> None:
    """Every declared table, in declaration order, with its early indexes."""
    for t in TABLES.values():
        t.create(db)


def create_indexes(db: sqlite_utils.Database, name: str, unique: bool | None = None) -> None:
    """The indexes of a table that are made once its rows are in (all but the early ones, which
    exist already); `unique` limits them to unique (True) or non-unique (False) ones."""
    for index in TABLES[name].indexes:
        if unique is None or index.unique == unique:
            db[name].create_index(list(index.columns), unique=index.unique, if_not_exists=True)


def create_in(db: sqlite_utils.Database, name: str, schema: str) -> None:
    """A table, declared exactly as in main, in the attached database `schema` (no indexes)."""
    (create_sql,) = db.execute(
        "select sql from main.sqlite_master where type = 'table' and name = ?", [name]
    ).fetchone()
    prefix = f'CREATE TABLE "{name}"'
    if not create_sql.startswith(prefix):
        raise RuntimeError(f"unexpected declaration of {name}: {create_sql[:80]}")
    db.execute(f'CREATE TABLE [{schema}]."{name}"' + create_sql[len(prefix) :])


def ix(*columns: str, unique: bool = False, early: bool = False) -> Index:
    return Index(columns, unique, early)


def typed(spec: str) -> list[Column]:
    """Columns from "name name:int name:float ...": str unless a type follows the name."""
    types = {"int": int, "float": float, "": str}
    return [Column(name, types[kind]) for name, _, kind in (w.partition(":") for w in spec.split())]
