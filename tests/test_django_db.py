"""database_retry under Django, on SQLite files with real locks held by a second connection:
"database is locked" is retried, a transaction is retried whole from outside, never from
inside an atomic block the call does not own, on a non-default alias; settings changes reach
functions decorated before."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import typing as t

import pertinax
import pytest
from djapp.testing import clean_metrics, django_env  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("django_env", "clean_metrics")
ALIAS = "secondary"
ATTEMPTS: list[int] = []


@contextlib.contextmanager
def locked(mode: str, hold: float | None = None) -> t.Iterator[None]:
    """Another connection holds a lock on the alias's file: ``"exclusive"`` (no one reads or
    writes) or ``"shared"`` (an open read: no one commits). Released after ``hold`` seconds
    (in a thread) or on leaving the block."""
    from django.db import connections

    path = connections[ALIAS].settings_dict["NAME"]
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    if mode == "exclusive":
        other.execute("BEGIN EXCLUSIVE")
    else:
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM djapp_row").fetchall()
    released = threading.Event()

    def release() -> None:
        if not released.is_set():
            released.set()
            other.execute("COMMIT")

    timer = threading.Timer(hold, release) if hold is not None else None
    if timer:
        timer.start()
    try:
        yield
    finally:
        if timer:
            timer.join()
        release()
        other.close()


def rows() -> list[int]:
    from djapp.models import Row

    return sorted(Row.objects.using(ALIAS).values_list("n", flat=True))


@pytest.fixture(autouse=True)
def empty() -> t.Iterator[None]:
    from djapp.models import Row

    Row.objects.using(ALIAS).all().delete()
    ATTEMPTS.clear()
    yield
    Row.objects.using(ALIAS).all().delete()


@pertinax.database_retry
def write(n: int) -> None:
    from djapp.models import Row

    ATTEMPTS.append(n)
    Row.objects.using(ALIAS).create(n=n)


@pertinax.database_retry
def transfer() -> None:
    """Two writes in one transaction, decorated from outside the atomic block."""
    from django.db import transaction
    from djapp.models import Row

    ATTEMPTS.append(0)
    with transaction.atomic(using=ALIAS):
        Row.objects.using(ALIAS).create(n=1)
        Row.objects.using(ALIAS).create(n=2)


def test_database_is_locked_is_retried_until_the_lock_goes() -> None:
    from django.db.utils import OperationalError

    with locked("exclusive"):
        with pytest.raises(OperationalError, match="database is locked"):
            write.__wrapped__(7)  # type: ignore[attr-defined]  # the control: no retry
    ATTEMPTS.clear()
    with locked("exclusive", hold=0.4):
        write(7)
    assert rows() == [7]
    assert len(ATTEMPTS) >= 2  # the lock outlived the first attempts


def test_a_transaction_decorated_from_outside_is_retried_whole() -> None:
    # A reader holds a shared lock: the transaction's writes succeed but COMMIT is refused,
    # so the whole transaction rolls back and runs again.
    with locked("shared", hold=0.4):
        transfer()
    assert rows() == [1, 2]
    assert len(ATTEMPTS) >= 2


def test_never_retries_inside_an_atomic_block_it_does_not_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from django.db import transaction
    from django.db.utils import OperationalError

    with caplog.at_level(logging.WARNING, logger="pertinax.django"):
        with locked("exclusive"):
            with pytest.raises(OperationalError, match="database is locked"):
                with transaction.atomic(using=ALIAS):
                    write(8)
    assert ATTEMPTS == [8]
    [line] = [r.getMessage() for r in caplog.records if r.name == "pertinax.django"]
    assert "not retrying OperationalError: database is locked" in line
    assert "'secondary' is inside an atomic block opened outside the retried call" in line
    assert rows() == []


def test_other_sqlite_errors_are_not_retried() -> None:
    from django.db import connections
    from django.db.utils import OperationalError

    @pertinax.database_retry
    def broken() -> None:
        ATTEMPTS.append(0)
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    with pytest.raises(OperationalError, match="no such table"):
        broken()
    assert ATTEMPTS == [0]


def test_settings_changes_reach_functions_decorated_before() -> None:
    from django.db.utils import OperationalError
    from django.test import override_settings

    def attempts_while_locked() -> int:
        ATTEMPTS.clear()
        with locked("exclusive"), pytest.raises(OperationalError):
            write(9)
        return len(ATTEMPTS)

    with override_settings(PERTINAX={"policies": {"database": {"attempts": 4, "wait": 0}}}):
        assert attempts_while_locked() == 4
    flat = {
        "DATABASE_MAX_ATTEMPTS": 2,
        "DATABASE_BACKOFF_MULTIPLIER": 0,
        "DATABASE_MIN_WAIT": 0,
        "DATABASE_MAX_WAIT": 0,
    }
    with override_settings(RETRY_CONFIG=flat):
        assert attempts_while_locked() == 2
    # Back to the project's RETRY_CONFIG: ten attempts.
    assert attempts_while_locked() == 10


def test_every_spelling_of_the_database_policy_gets_the_django_handling() -> None:
    from django.db import transaction
    from django.db.utils import OperationalError
    from djapp.models import Row

    @pertinax.retry(policy="database")
    def by_name(n: int) -> None:
        ATTEMPTS.append(n)
        Row.objects.using(ALIAS).create(n=n)

    def in_a_loop(n: int) -> None:
        with pertinax.retry_context(policy="database") as retrying:
            for attempt in retrying:
                with attempt:
                    ATTEMPTS.append(n)
                    Row.objects.using(ALIAS).create(n=n)

    for n, write_one in ((21, by_name), (22, in_a_loop)):
        ATTEMPTS.clear()
        with locked("exclusive", hold=0.3):
            write_one(n)
        assert len(ATTEMPTS) >= 2
        ATTEMPTS.clear()
        with locked("exclusive"), pytest.raises(OperationalError):
            with transaction.atomic(using=ALIAS):
                write_one(n + 10)
        assert ATTEMPTS == [n + 10]  # refused inside the atomic block
    assert rows() == [21, 22]


@pytest.mark.parametrize("change", ["configure", "register"])
def test_the_django_handling_survives_direct_registry_changes(
    change: str, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import connections, transaction
    from django.db.utils import OperationalError
    from pertinax import policies
    from pertinax.integrations.django import conf

    try:
        if change == "configure":  # on top of the settings the app applied
            policies.configure(
                {"database": {"attempts": 5, "wait": 0.2, "retry_on": ["builtins.OSError"]}}
            )
        elif change == "register":
            policies.register(
                policies.Policy(
                    "database",
                    stop=pertinax.stop_after_attempt(5),
                    wait=pertinax.wait_fixed(0.2),
                    retry=pertinax.retry_if_exception_type(OperationalError),
                    reraise=True,
                )
            )
        # Retried outside an atomic block: the lock outlives the first attempt, not the waits.
        with locked("exclusive", hold=0.3):
            write(30)
        assert len(ATTEMPTS) >= 2 and rows() == [30]
        # Not retried inside an atomic block the call does not own, and says why.
        ATTEMPTS.clear()
        with caplog.at_level(logging.WARNING, logger="pertinax.django"):
            with locked("exclusive"), pytest.raises(OperationalError):
                with transaction.atomic(using=ALIAS):
                    write(31)
        assert ATTEMPTS == [31]
        assert any("inside an atomic block" in r.getMessage() for r in caplog.records)
        # SQLite's permanent errors are decided by Django's rules, whatever the policy says.
        ATTEMPTS.clear()

        @pertinax.database_retry
        def broken() -> None:
            ATTEMPTS.append(0)
            with connections[ALIAS].cursor() as cursor:
                cursor.execute("SELECT * FROM no_such_table")

        with pytest.raises(OperationalError, match="no such table"):
            broken()
        assert ATTEMPTS == [0]
    finally:
        assert conf.apply()
