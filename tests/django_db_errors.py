"""Django's database errors, raised for real, classified by pertinax.transient.

Run in a child process by tests/test_transient_databases.py (Django's settings are
process-wide): ``python django_db_errors.py PG_CONNINFO CLOSED_PORT SQLITE_PATH``. Prints a
JSON object: case -> [dotted class name, is_transient].
"""

from __future__ import annotations

import json
import sqlite3
import sys
import typing as t

# Django's PostgreSQL backend takes psycopg 3 when it can; psycopg2 is the driver whose
# closed connection raises InterfaceError, so hide psycopg 3 from this process.
sys.modules["psycopg"] = None  # type: ignore[assignment]

import django  # noqa: E402
from django.conf import settings  # noqa: E402
from pertinax.transient import is_transient  # noqa: E402

conninfo, closed_port, sqlite_path = sys.argv[1:4]
pg = dict(part.split("=", 1) for part in conninfo.split())

settings.configure(
    INSTALLED_APPS=[],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": pg["host"],
            "PORT": pg["port"],
            "USER": pg["user"],
            "NAME": pg["dbname"],
        },
        "down": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": "127.0.0.1",
            "PORT": closed_port,
            "USER": "nobody",
            "NAME": "nothing",
            "OPTIONS": {"connect_timeout": 2},
        },
        "lite": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": sqlite_path,
            "OPTIONS": {"timeout": 0},
        },
    },
)
django.setup()

from django.db import connections  # noqa: E402

seen: dict[str, list[t.Any]] = {}


def record(case: str, action: t.Callable[[], object]) -> None:
    try:
        action()
    except Exception as exc:
        seen[case] = [f"{type(exc).__module__}.{type(exc).__qualname__}", is_transient(exc)]
    else:
        seen[case] = ["no error", None]


record("refused", connections["down"].ensure_connection)

with connections["lite"].cursor() as cursor:
    cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
holder = sqlite3.connect(sqlite_path, isolation_level=None)
holder.execute("BEGIN IMMEDIATE")
with connections["lite"].cursor() as cursor:
    record("locked", lambda: cursor.execute("INSERT INTO t VALUES (1)"))
holder.execute("ROLLBACK")
holder.close()

default = connections["default"]
with default.cursor() as cursor:
    cursor.execute("CREATE TEMPORARY TABLE u (id int PRIMARY KEY)")
    cursor.execute("INSERT INTO u VALUES (1)")
    for case, sql in [
        ("unique", "INSERT INTO u VALUES (1)"),
        ("syntax", "SELEC 1"),
        ("division", "SELECT 1 / 0"),
    ]:
        record(case, lambda s=sql: cursor.execute(s))  # type: ignore[misc]
cursor = default.cursor()
default.connection.close()  # the server's side went away under Django
record("closed", lambda: cursor.execute("SELECT 1"))

print(json.dumps(seen))
