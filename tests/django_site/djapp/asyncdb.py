"""The async ORM work of the ``async_rows`` command and of the ``api/async-row/`` view: one row
written through the ORM's async API, under ``database_retry``, ``retry(policy="database")`` or
tenacity's plain ``@retry`` (the control), counting attempts and errors."""

import collections
import typing as t

import pertinax
import tenacity
from django.db import connections
from django.db.utils import OperationalError

from .models import Row

STATS: dict[str, t.Any] = {"attempts": 0, "errors": collections.Counter()}


async def write(n: int, using: str) -> None:
    STATS["attempts"] += 1
    try:
        # Written already by an attempt whose commit's acknowledgement was cut off?
        if await Row.objects.using(using).filter(n=n).aexists():
            return
        await Row.objects.using(using).acreate(n=n)
    except Exception as e:
        STATS["errors"][f"{type(e).__module__}.{type(e).__name__}"] += 1
        raise


@pertinax.database_retry
async def write_with_pertinax(n: int, using: str) -> None:
    await write(n, using)


@pertinax.retry(policy="database")
async def write_by_policy_name(n: int, using: str) -> None:
    await write(n, using)


@tenacity.retry(
    retry=tenacity.retry_if_exception_type(OperationalError),
    stop=tenacity.stop_after_attempt(10),
    wait=tenacity.wait_exponential(multiplier=0.1, min=0.1, max=1),
    reraise=True,
)
async def write_with_tenacity(n: int, using: str) -> None:
    await write(n, using)


MODES = {
    "pertinax": write_with_pertinax,
    "policy": write_by_policy_name,
    "tenacity": write_with_tenacity,
}


def terminate_own_connection(using: str) -> None:
    """Another session ends the connection this thread holds on ``using`` (server side)."""
    import psycopg

    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    s = connections[using].settings_dict
    with psycopg.connect(
        host=s["HOST"], port=s["PORT"], user=s["USER"], dbname=s["NAME"], autocommit=True
    ) as other:
        # With a timeout, the call waits until the backend has gone.
        (ended,) = other.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()  # type: ignore[misc]
    assert ended, f"backend {pid} did not end"
