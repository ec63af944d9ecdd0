"""``database_retry`` on ``async def`` functions that use the ORM's async API, on SQLite files
locked by a second connection (in the test process): retried like the sync form, never inside
an atomic block the call does not own (the queries run in another thread than the retry loop),
and the policy's own coroutine hooks are awaited. PostgreSQL connections that die are in
tests/test_django_db_async_postgres.py."""

from __future__ import annotations

import asyncio
import logging
import threading
import typing as t

import pertinax
import pytest
from djapp.testing import clean_metrics, django_env  # noqa: F401 - fixtures

from tests.test_django_db import ALIAS, locked, rows

pytestmark = pytest.mark.usefixtures("django_env", "clean_metrics")
ATTEMPTS: list[int] = []
THREADS: list[int] = []  # the thread each attempt's queries ran in


@pytest.fixture(autouse=True)
def empty() -> t.Iterator[None]:
    from djapp.models import Row

    Row.objects.using(ALIAS).all().delete()
    ATTEMPTS.clear()
    THREADS.clear()
    yield
    Row.objects.using(ALIAS).all().delete()


async def create(n: int) -> None:
    from asgiref.sync import sync_to_async
    from djapp.models import Row

    ATTEMPTS.append(n)
    THREADS.append(await sync_to_async(threading.get_ident)())
    await Row.objects.using(ALIAS).acreate(n=n)


@pertinax.database_retry
async def awrite(n: int) -> None:
    await create(n)


@pertinax.retry(policy="database")
async def awrite_by_name(n: int) -> None:
    await create(n)


async def awrite_in_a_loop(n: int) -> None:
    from pertinax import policies

    async for attempt in policies.get("database").async_retrying():
        with attempt:
            await create(n)


FORMS = {"database_retry": awrite, "policy=": awrite_by_name, "async for": awrite_in_a_loop}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_database_is_locked_is_retried_until_the_lock_goes(form: str) -> None:
    with locked("exclusive", hold=0.4):
        asyncio.run(FORMS[form](7))
    assert rows() == [7]
    assert len(ATTEMPTS) >= 2  # the lock outlived the first attempts
    # The queries ran in asgiref's thread-sensitive thread, not in the test's thread.
    assert len(set(THREADS)) == 1 and THREADS[0] != threading.get_ident()


@pytest.mark.parametrize("form", sorted(FORMS))
def test_never_retries_inside_an_atomic_block_it_does_not_own(
    form: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Sync code in an atomic block calls the async function through async_to_sync: the
    # coroutine runs on an event loop in another thread, and its queries come back to this
    # thread, inside the transaction. The retry loop itself sees no atomic block.
    from asgiref.sync import async_to_sync
    from django.db import transaction
    from django.db.utils import OperationalError

    with caplog.at_level(logging.WARNING, logger="pertinax.django"):
        with locked("exclusive"):
            with pytest.raises(OperationalError, match="database is locked"):
                with transaction.atomic(using=ALIAS):
                    async_to_sync(FORMS[form])(8)
    assert ATTEMPTS == [8]
    assert THREADS == [threading.get_ident()]
    [line] = [r.getMessage() for r in caplog.records if r.name == "pertinax.django"]
    assert "not retrying OperationalError: database is locked" in line
    assert "'secondary' is inside an atomic block opened outside the retried call" in line
    assert rows() == []
    # The same call outside the atomic block is retried.
    ATTEMPTS.clear()
    with locked("exclusive", hold=0.3):
        async_to_sync(FORMS[form])(9)
    assert len(ATTEMPTS) >= 2 and rows() == [9]


def test_coroutine_hooks_of_the_database_policy_are_awaited() -> None:
    # A policy registered with an async before_sleep and an async retry predicate: Django's
    # handling wraps them, and the async driver still awaits both, after closing connections.
    from django.db.utils import OperationalError
    from pertinax import policies
    from pertinax.asyncio import retry_if_exception
    from pertinax.integrations.django import conf

    seen: list[str] = []

    async def before_sleep(retry_state: pertinax.RetryCallState) -> None:
        await asyncio.sleep(0)
        seen.append(f"before_sleep {retry_state.attempt_number}")

    async def lookup_error(exc: BaseException) -> bool:
        await asyncio.sleep(0)
        seen.append(f"decided {type(exc).__name__}")
        return isinstance(exc, LookupError)

    attempts = {"n": 0}

    @pertinax.database_retry
    async def flaky() -> str:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise KeyError("not yet")  # decided by the policy's own (async) predicate
        if attempts["n"] == 2:
            raise OperationalError("database is locked")  # decided by Django's rules
        return "done"

    try:
        policies.register(
            policies.Policy(
                "database",
                stop=pertinax.stop_after_attempt(5),
                retry=retry_if_exception(lookup_error),
                before_sleep=before_sleep,
                reraise=True,
            )
        )
        assert asyncio.run(flaky()) == "done"
        assert attempts["n"] == 3
        assert seen == ["decided KeyError", "before_sleep 1", "before_sleep 2"]
        # A permanent error for the async predicate is not retried.
        attempts["n"] = 0
        seen.clear()

        @pertinax.database_retry
        async def wrong() -> None:
            attempts["n"] += 1
            raise ValueError("a bug")

        with pytest.raises(ValueError, match="a bug"):
            asyncio.run(wrong())
        assert attempts["n"] == 1 and seen == ["decided ValueError"]
    finally:
        assert conf.apply()


def test_a_controllers_own_copy_of_the_predicate_is_the_one_awaited() -> None:
    # tenacity's idiom: changing fn.retry's strategies changes that function only. The async
    # form must follow the function's own copy, not the policy's.
    from django.db.utils import OperationalError

    @pertinax.database_retry
    async def once(n: int) -> None:
        await create(n)

    once.retry.retry.inner = pertinax.retry_never  # type: ignore[attr-defined]
    with locked("exclusive"), pytest.raises(OperationalError, match="database is locked"):
        asyncio.run(once(5))
    assert ATTEMPTS == [5]
    with locked("exclusive", hold=0.3):
        asyncio.run(awrite(6))  # the policy's other functions still retry
    assert len(ATTEMPTS) >= 3 and rows() == [6]


def test_under_trio_the_hooks_work_in_the_callers_thread() -> None:
    # trio has no asgiref threads, and Django lets a thread with no asyncio loop run sync
    # queries: the awaited hooks do their work right there instead.
    trio = pytest.importorskip("trio")
    from django.db import transaction
    from django.db.utils import OperationalError
    from djapp.models import Row

    @pertinax.database_retry
    async def write_sync_orm(n: int) -> None:
        await trio.sleep(0)
        ATTEMPTS.append(n)
        Row.objects.using(ALIAS).create(n=n)

    with locked("exclusive", hold=0.3):
        trio.run(write_sync_orm, 11)
    assert len(ATTEMPTS) >= 2 and rows() == [11]
    ATTEMPTS.clear()
    with locked("exclusive"), pytest.raises(OperationalError, match="database is locked"):
        with transaction.atomic(using=ALIAS):
            trio.run(write_sync_orm, 12)
    assert ATTEMPTS == [12]  # the caller's atomic block, seen from the trio run
