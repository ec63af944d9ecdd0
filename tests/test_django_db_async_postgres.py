"""``database_retry`` on an ``async def`` against a real PostgreSQL: the connection the ORM's
async API uses dies (a ``pg_terminate_backend`` from another session, or a ``pg_ctl restart``),
and the next attempt runs on a new one, because the failed one is closed in the thread that
holds it; tenacity's plain ``@retry`` keeps reusing the dead one.

Each case runs the ``async_rows`` command of the test site in a child process (Django's
settings are per process), which prints a JSON summary: rows written, attempts, errors, the
connections Django opened (``connection_created``) and the ones pertinax closed (its debug
log), with the threads they belong to. One more case serves an async view with the test
site's runserver (WSGI: the view runs under async_to_sync).
"""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import pg_cluster
import pytest
from pg_commands import manage, run_rows, stored

ROWS = 40
CUT_AT = 17  # the row whose connection is ended just before it

pytestmark = pytest.mark.skipif(
    pg_cluster.pg_bin("initdb") is None, reason="needs Debian's postgresql package (.ci/run)"
)


@pytest.fixture(scope="module")
def postgres() -> t.Iterator[pg_cluster.Cluster]:
    with pg_cluster.cluster() as db:
        done = manage(db, "migrate", "--run-syncdb", "--database", "secondary")
        assert done.returncode == 0, done.stderr
        yield db


def async_rows(
    db: pg_cluster.Cluster, *args: str, restart_after: int | None = None
) -> tuple[int, dict[str, t.Any]]:
    """Runs ``async_rows`` on the ``secondary`` alias (restarting PostgreSQL once
    ``restart_after`` rows are in, if given); returns its exit code and summary."""
    code, summary, _ = run_rows(
        db, "async_rows", "--database", "secondary", *args, restart_after=restart_after
    )
    return code, summary


def assert_closed_in_the_orm_thread(summary: dict[str, t.Any]) -> None:
    # Closed where it was opened (the ORM's thread), never on the event loop's thread.
    assert summary["closed_where_opened"] is True
    assert summary["on_loop_thread"] == 0


@pytest.mark.parametrize("mode", ["pertinax", "policy"])
def test_a_dead_connection_is_closed_and_the_next_attempt_succeeds(
    postgres: pg_cluster.Cluster, mode: str
) -> None:
    code, summary = async_rows(
        postgres, "--mode", mode, "--count", str(ROWS), "--terminate-at", str(CUT_AT)
    )
    assert code == 0, summary
    assert summary["failure"] is None
    assert stored(postgres) == list(range(ROWS))
    # Row CUT_AT: one attempt on the ended connection, then one on a new connection.
    assert summary["attempts"] == ROWS + 1
    assert summary["errors"] == {"django.db.utils.OperationalError": 1}
    assert summary["closed"] == 1
    assert summary["opened"] == 2  # the first connection, and the one after the close
    assert summary["threads_opened"] == 1  # asgiref's one thread-sensitive thread
    assert_closed_in_the_orm_thread(summary)


def test_plain_tenacity_keeps_the_dead_connection(postgres: pg_cluster.Cluster) -> None:
    # The control: the same async function under tenacity's @retry(OperationalError). Nothing
    # closes the connection, so all ten attempts of row CUT_AT meet it, and it gives up.
    code, summary = async_rows(
        postgres, "--mode", "tenacity", "--count", str(ROWS), "--terminate-at", str(CUT_AT)
    )
    assert code == 3, summary
    assert summary["written"] == CUT_AT
    assert stored(postgres) == list(range(CUT_AT))
    assert summary["attempts"] == CUT_AT + 10
    assert summary["errors"] == {"django.db.utils.OperationalError": 10}
    assert summary["failure"] == "django.db.utils.OperationalError: the connection is closed"
    assert (summary["opened"], summary["closed"]) == (1, 0)


def test_an_async_view_under_asgi_closes_its_requests_dead_connection(
    postgres: pg_cluster.Cluster,
) -> None:
    # Each row is a request to an async view through Django's ASGI application, which runs
    # each request's ORM calls in a thread of its own (a ThreadSensitiveContext).
    code, summary = async_rows(
        postgres, "--via", "asgi", "--count", str(ROWS), "--terminate-at", str(CUT_AT)
    )
    assert code == 0, summary
    assert stored(postgres) == list(range(ROWS))
    assert summary["attempts"] == ROWS + 1
    assert summary["errors"] == {"django.db.utils.OperationalError": 1}
    assert summary["closed"] == 1
    assert summary["opened"] == ROWS + 1  # one per request, and one after the close
    assert_closed_in_the_orm_thread(summary)


@pytest.mark.parametrize("mode", ["pertinax", "policy"])
def test_never_retries_inside_a_foreign_atomic_block(
    postgres: pg_cluster.Cluster, mode: str
) -> None:
    # Row CUT_AT is written from sync code inside transaction.atomic(), through
    # async_to_sync: the async function's queries run in that sync code's thread, inside its
    # transaction, so the failure must propagate after one attempt.
    code, summary = async_rows(
        postgres, "--mode", mode, "--count", str(ROWS), "--atomic-at", str(CUT_AT)
    )
    assert code == 3, summary
    assert summary["written"] == CUT_AT
    assert summary["attempts"] == CUT_AT + 1
    assert summary["errors"] == {"django.db.utils.OperationalError": 1}
    assert summary["failure"].startswith("django.db.utils.OperationalError: terminating connection")
    assert summary["closed"] == 0  # a connection in an atomic block is the block's to handle
    [warning] = summary["refused"]
    assert "'secondary' is inside an atomic block opened outside the retried call" in warning


@pytest.mark.parametrize("via", ["call", "asgi"])
def test_async_writes_survive_a_postgresql_restart(postgres: pg_cluster.Cluster, via: str) -> None:
    code, summary = async_rows(
        postgres,
        "--via",
        via,
        "--count",
        "300",
        "--pause",
        "0.004",
        restart_after=60,
    )
    assert code == 0, summary
    assert summary["failure"] is None
    assert summary["written"] == 300
    assert stored(postgres) == list(range(300))  # every row, exactly once
    retries = summary["attempts"] - 300
    assert retries >= 1
    assert sum(summary["errors"].values()) == retries
    assert set(summary["errors"]) <= {
        "django.db.utils.OperationalError",
        "django.db.utils.InterfaceError",
    }
    if via == "call":
        # The one long-lived connection the restart killed was closed (in its thread) before
        # a retry. Under ASGI each request opens its own and Django closes it at the request's
        # end, so the restart most often cuts none in use (the terminate test covers that).
        assert summary["closed"] >= 1
    assert_closed_in_the_orm_thread(summary)
    print(f"\nasync via {via}: 300 rows, 1 restart: {summary}")


def test_an_async_view_behind_runserver_recovers_within_the_request(
    postgres: pg_cluster.Cluster, tmp_path: Path
) -> None:
    # Under WSGI (runserver) Django runs an async view through async_to_sync: the event loop
    # is in another thread, and the view's queries come back to the request's thread, where
    # its connection lives. ?terminate=1 ends that connection before the view's write.
    from djapp.server import runserver

    postgres.query("TRUNCATE djapp_row")
    with runserver(tmp_path, PERTINAX_TEST_PG=str(postgres.port)) as base:
        first = get_json(f"{base}/api/async-row/secondary/1/")
        second = get_json(f"{base}/api/async-row/secondary/2/?terminate=1")
    assert first == {"n": 1, "attempts": 1}
    # Two attempts for row 2: one on the ended connection, one on a new one.
    assert second == {"n": 2, "attempts": 3}
    assert stored(postgres) == [1, 2]
    log = (tmp_path / "server.log").read_text()
    assert "retrying in 0.1 seconds: attempt 1 raised OperationalError" in log


def get_json(url: str) -> t.Any:
    import urllib.request

    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.status == 200
        return json.loads(response.read())
