"""Model instances read and inserted with fixed SQL, for the few statements every customer
request or submission runs (docs/architecture.md lists them).

The ORM spends about 0.3 ms of CPU building and compiling each statement and converting its
row; on the access chokepoints every portal request goes through (the user's memberships, the
application a page is about) that was a fifth of a draft step. A `Columns` reads the same row
with SQL written once and converts it as the ORM would (the fields' `from_db_value` and the
backend's converters), so the instance is the one the ORM would have built; `insert` writes a
new instance's row as `save()` would. Everything else goes through the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.db.transaction import TransactionManagementError

# What a bigint column can hold. An id from a URL outside it matches nothing (the ORM answers
# so too, where the database would refuse the parameter): check before querying.
ID_RANGE = range(-(2**63), 2**63)


class Columns:
    """A model's concrete columns under a table alias, and how to load them into instances."""

    def __init__(self, model: type[Model], alias: str, *, exclude: tuple[str, ...] = ()):
        self.model = model
        self.alias = alias
        # Excluded fields come back deferred, as with the ORM's `defer()`.
        self.fields = [field for field in model._meta.concrete_fields if field.name not in exclude]
        self.names = [field.attname for field in self.fields]
        quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
        self.sql = ", ".join(f"{alias}.{quote(field.column)}" for field in self.fields)
        self.table = f"{quote(model._meta.db_table)} {alias}"

    def __len__(self) -> int:
        return len(self.fields)

    def _for(self, connection) -> list[tuple[int, list[Callable], Any]]:
        """(position, converters, column) for each column that needs converting, kept on the
        connection (a backend's converters are its own methods: they go with it)."""
        cache = connection.__dict__.setdefault("_gatehouse_row_converters", {})
        found = cache.get(self)
        if found is None:
            found = []
            for position, field in enumerate(self.fields):
                column = field.get_col(self.alias)
                converters = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if converters:
                    found.append((position, converters, column))
            cache[self] = found
        return found

    def load(self, values: Sequence) -> Model:
        """Build the instance the ORM would build from these column values."""
        connection = connections[DEFAULT_DB_ALIAS]
        values = list(values)
        for position, converters, column in self._for(connection):
            value = values[position]
            for converter in converters:
                value = converter(value, column, connection)
            values[position] = value
        return self.model.from_db(connection.alias, self.names, values)

    def load_with(self, row: Sequence, field: str, related: Columns) -> Model:
        """Build the instance from the row's first columns and, from the next ones, the object
        its `field` points to (as `select_related(field)` would)."""
        instance = self.load(row[: len(self)])
        self.model._meta.get_field(field).set_cached_value(
            instance, related.load(row[len(self) : len(self) + len(related)])
        )
        return instance

    def prepared(self, field: str, value) -> Any:
        """The value as the ORM would send it to the database for the field (JSON, times)."""
        return self.model._meta.get_field(field).get_db_prep_save(
            value, connections[DEFAULT_DB_ALIAS]
        )


def fetch(sql: str, params: Sequence) -> list[tuple]:
    """Run one SELECT on the default database and return its rows."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def insert(instance: Model) -> Model:
    """INSERT a new instance as `save()` would (its defaults, each value prepared by its field),
    with one fixed statement per model; its primary key comes back from RETURNING.

    No signals are sent: nothing in the project listens to the models this is used for. A
    value the database computes (an expression) makes it fall back to `save()`."""
    connection = connections[DEFAULT_DB_ALIAS]
    model = type(instance)
    sql, fields = _insert_statement(model)
    values = []
    for field in fields:
        value = field.pre_save(instance, True)
        if hasattr(value, "resolve_expression"):
            instance.save(force_insert=True)
            return instance
        values.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        (pk,) = cursor.fetchone()
    setattr(instance, model._meta.pk.attname, pk)
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


_INSERTS: dict[type[Model], tuple[str, list]] = {}


def _insert_statement(model: type[Model]) -> tuple[str, list]:
    found = _INSERTS.get(model)
    if found is None:
        meta = model._meta
        quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
        fields = [field for field in meta.local_concrete_fields if field is not meta.auto_field]
        sql = (
            f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 - the model's own names
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(meta.pk.column)}"
        )
        found = _INSERTS[model] = (sql, fields)
    return found


def for_update(of: str = "") -> str:
    """The row-locking clause for the default database (none on SQLite, which locks the whole
    database for a write anyway), optionally `OF` one table alias."""
    connection = connections[DEFAULT_DB_ALIAS]
    features = connection.features
    if not features.has_select_for_update:
        return ""
    if not connection.in_atomic_block:  # as the ORM's select_for_update() refuses too
        raise TransactionManagementError("FOR UPDATE locks nothing outside a transaction.")
    return f" FOR UPDATE OF {of}" if of and features.has_select_for_update_of else " FOR UPDATE"
