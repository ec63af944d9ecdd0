"""is_transient on what databases and caches raise for real: PostgreSQL through psycopg
and psycopg2, sqlite3, Django's database wrappers (in a child process) and redis-py against
a real redis-server."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import typing
from pathlib import Path

import pytest
from local_servers import closed_port, postgres_server, raised, redis_server, silent_server
from pertinax.transient import is_transient

# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg() -> typing.Iterator[str]:
    import time

    import psycopg

    with postgres_server() as dsn:
        deadline = time.monotonic() + 30
        while True:  # the port opens before the server accepts sessions
            try:
                psycopg.connect(dsn).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE item (id int PRIMARY KEY, n int NOT NULL)")
            conn.execute("INSERT INTO item VALUES (1, 0), (2, 0)")
        yield dsn


def _serialization_failure(connect: typing.Callable[[], typing.Any]) -> BaseException:
    a, b = connect(), connect()
    try:
        for conn in (a, b):
            cur = conn.cursor()
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            cur.execute("SELECT n FROM item WHERE id = 1")
        a.cursor().execute("UPDATE item SET n = n + 1 WHERE id = 1")
        a.commit()
        return raised(lambda: b.cursor().execute("UPDATE item SET n = n + 1 WHERE id = 1"))
    finally:
        a.close()
        b.close()


def _deadlock(connect: typing.Callable[[], typing.Any]) -> BaseException:
    a, b = connect(), connect()
    try:
        a.cursor().execute("UPDATE item SET n = n + 1 WHERE id = 1")
        b.cursor().execute("UPDATE item SET n = n + 1 WHERE id = 2")
        blocked: list[BaseException] = []

        def take_second() -> None:
            try:
                a.cursor().execute("UPDATE item SET n = n + 1 WHERE id = 2")
            except BaseException as exc:  # noqa: BLE001
                blocked.append(exc)

        thread = threading.Thread(target=take_second)
        thread.start()
        import time

        time.sleep(0.3)  # a now waits for b's row
        mine = [raised(lambda: b.cursor().execute("UPDATE item SET n = n + 1 WHERE id = 1"))]
        thread.join()
        return (mine + blocked)[0]  # one of the two is chosen as the victim
    finally:
        a.close()
        b.close()


def _admin_shutdown(
    connect: typing.Callable[[], typing.Any], admin: typing.Callable[[], typing.Any]
) -> BaseException:
    victim = connect()
    try:
        cur = victim.cursor()
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
        killer = admin()
        killer.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
        killer.close()
        return raised(lambda: victim.cursor().execute("SELECT 1"))
    finally:
        victim.close()


def _statement_errors(connect: typing.Callable[[], typing.Any]) -> dict[str, BaseException]:
    out = {}
    for name, sql in [
        ("unique", "INSERT INTO item VALUES (1, 0)"),  # 23505
        ("syntax", "SELEC 1"),  # 42601
        ("undefined_table", "SELECT * FROM nothing_here"),  # 42P01
        ("division", "SELECT 1 / 0"),  # 22012
    ]:
        conn = connect()
        try:
            out[name] = raised(lambda s=sql, c=conn: c.cursor().execute(s))
        finally:
            conn.close()
    return out


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_postgres_sqlstates(pg: str, driver: str) -> None:
    module = __import__(driver)

    def connect() -> typing.Any:
        return module.connect(pg)

    def admin() -> typing.Any:
        conn = module.connect(pg)
        conn.autocommit = True
        return conn

    def code(exc: BaseException) -> str | None:
        return getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)

    serialization = _serialization_failure(connect)
    assert code(serialization) == "40001" and is_transient(serialization)
    deadlock = _deadlock(connect)
    assert code(deadlock) == "40P01" and is_transient(deadlock)
    shutdown = _admin_shutdown(connect, admin)
    # psycopg reports the server's 57P01; psycopg2 only sees the connection drop.
    assert isinstance(shutdown, module.OperationalError)
    assert code(shutdown) in ("57P01", None)
    assert is_transient(shutdown)
    refused = raised(
        lambda: module.connect(f"host=127.0.0.1 port={closed_port()} user=x connect_timeout=2")
    )
    assert isinstance(refused, module.OperationalError) and code(refused) is None
    assert is_transient(refused)
    errors = _statement_errors(connect)
    assert isinstance(errors["unique"], module.IntegrityError) and code(errors["unique"]) == "23505"
    assert isinstance(errors["syntax"], module.ProgrammingError)
    assert isinstance(errors["undefined_table"], module.ProgrammingError)
    assert isinstance(errors["division"], module.DataError)
    for name, exc in errors.items():
        assert not is_transient(exc), name


@pytest.mark.parametrize(
    ("sqlstate", "expected"),
    [
        ("08000", True),
        ("08006", True),
        ("08001", True),
        ("57P01", True),
        ("57P02", True),
        ("57P03", True),
        ("40001", True),
        ("40P01", True),
        ("23505", False),
        ("42501", False),
    ],
)
def test_psycopg_error_classes_by_sqlstate(sqlstate: str, expected: bool) -> None:
    # The class psycopg raises for each SQLSTATE, for codes a test server cannot produce
    # on demand (a network cut, a crash, a server starting up).
    import psycopg.errors

    exc = psycopg.errors.lookup(sqlstate)("as the server reports it")
    assert exc.sqlstate == sqlstate
    assert is_transient(exc) is expected


# --- sqlite3 ------------------------------------------------------------------------------------


def test_sqlite_locked_and_other_errors(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    writer = sqlite3.connect(path, timeout=0, isolation_level=None)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO t VALUES (1)")
        locked = raised(lambda: other.execute("INSERT INTO t VALUES (2)"))
        assert isinstance(locked, sqlite3.OperationalError) and "database is locked" in str(locked)
        assert is_transient(locked)
        writer.execute("COMMIT")
        missing = raised(lambda: other.execute("SELECT * FROM nope"))
        assert isinstance(missing, sqlite3.OperationalError)
        assert not is_transient(missing)
        duplicate = raised(lambda: other.execute("INSERT INTO t VALUES (1)"))
        assert isinstance(duplicate, sqlite3.IntegrityError)
        assert not is_transient(duplicate)
        typo = raised(lambda: other.execute("SELEC 1"))
        assert not is_transient(typo)
    finally:
        writer.close()
        other.close()


# --- Django -------------------------------------------------------------------------------------

DJANGO_CHILD = Path(__file__).with_name("django_db_errors.py")


def test_django_database_errors(pg: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(DJANGO_CHILD), pg, str(closed_port()), str(tmp_path / "db.sqlite")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen == {
        "refused": ["django.db.utils.OperationalError", True],
        "locked": ["django.db.utils.OperationalError", True],
        "closed": ["django.db.utils.InterfaceError", True],
        "unique": ["django.db.utils.IntegrityError", False],
        "syntax": ["django.db.utils.ProgrammingError", False],
        "division": ["django.db.utils.DataError", False],
    }


# --- redis-py -----------------------------------------------------------------------------------


def test_redis_errors() -> None:
    import redis

    refused = raised(lambda: redis.Redis(port=closed_port(), socket_connect_timeout=2).ping())
    assert isinstance(refused, redis.ConnectionError)
    assert is_transient(refused)
    with silent_server() as port:
        slow = raised(lambda: redis.Redis(port=port, socket_timeout=0.2).ping())
    assert isinstance(slow, redis.TimeoutError)
    assert is_transient(slow)
    with redis_server(password="right") as port:
        wrong = raised(lambda: redis.Redis(port=port, password="wrong").ping())
        assert isinstance(wrong, redis.AuthenticationError) and isinstance(
            wrong, redis.ConnectionError
        )
        assert not is_transient(wrong)
        client = redis.Redis(port=port, password="right")
        unknown = raised(lambda: client.execute_command("NO_SUCH_COMMAND"))
        assert isinstance(unknown, redis.ResponseError)
        assert not is_transient(unknown)
        client.close()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("BusyLoadingError", True),  # a replica still loading its data set
        ("TryAgainError", True),  # a cluster slot being migrated
        ("ClusterDownError", True),
        ("MaxConnectionsError", True),  # the pool is exhausted for now
        ("AuthorizationError", False),
        ("ReadOnlyError", False),
        ("DataError", False),
    ],
)
def test_redis_error_classes(name: str, expected: bool) -> None:
    # The classes redis-py raises for answers a single test server does not give on demand.
    import redis.exceptions

    exc = getattr(redis.exceptions, name)("as the server said it")
    assert is_transient(exc) is expected
