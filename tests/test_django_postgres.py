"""database_retry survives a real PostgreSQL restart; tenacity's plain retry does not.

A temporary cluster (Debian's initdb/pg_ctl) runs on a free loopback port. A management
command writes 500 rows, one transaction each, on the ``secondary`` alias (not ``default``);
the test restarts PostgreSQL with ``pg_ctl restart -m fast`` while it runs.

Each row is an existence check, then an INSERT in autocommit (its own transaction); a third
run puts each INSERT in ``transaction.atomic()``. The control needs the autocommit form to fail
every time: when the restart happens to cut a connection inside an atomic block, Django's
``Atomic.__exit__`` drops the connection itself (its rollback fails), so a plain retry can
recover by luck; in autocommit nothing drops it.
"""

from __future__ import annotations

import typing as t

import pg_cluster
import pytest
from pg_commands import manage, run_rows, stored

ROWS = 500
RESTART_AFTER = 150

pytestmark = pytest.mark.skipif(
    pg_cluster.pg_bin("initdb") is None, reason="needs Debian's postgresql package (.ci/run)"
)


@pytest.fixture(scope="module")
def postgres() -> t.Iterator[pg_cluster.Cluster]:
    with pg_cluster.cluster() as db:
        done = manage(db, "migrate", "--run-syncdb", "--database", "secondary", "-v", "0")
        assert done.returncode == 0, done.stderr
        yield db


def run_with_restart(
    db: pg_cluster.Cluster, *extra: str
) -> tuple[int, dict[str, t.Any], list[str]]:
    """Runs write_rows, restarts PostgreSQL once RESTART_AFTER rows are in, and returns the
    exit code, the command's JSON summary and its progress lines."""
    return run_rows(
        db,
        "write_rows",
        *("--count", str(ROWS), "--pause", "0.004", "--database", "secondary", *extra),
        restart_after=RESTART_AFTER,
    )


@pytest.mark.parametrize("form", ["autocommit", "atomic"])
def test_database_retry_writes_every_row_once_across_a_restart(
    postgres: pg_cluster.Cluster, form: str
) -> None:
    code, summary, lines = run_with_restart(postgres, *(["--atomic"] if form == "atomic" else []))
    assert code == 0, (summary, lines[-10:])
    assert summary["failure"] is None
    assert summary["written"] == ROWS
    rows = stored(postgres)
    assert rows == list(range(ROWS))  # every row, exactly once (n is unique, ordered)
    # The restart cost retries: attempts beyond one per row, all on database errors.
    retries = summary["attempts"] - ROWS
    assert retries >= 1
    assert sum(summary["errors"].values()) == retries
    assert set(summary["errors"]) <= {
        "django.db.utils.OperationalError",
        "django.db.utils.InterfaceError",
    }
    print(
        f"\npertinax ({form}): {ROWS} rows, 1 restart, {summary['attempts']} attempts, {summary['errors']}"
    )


def test_plain_tenacity_retry_does_not_survive_the_restart(postgres: pg_cluster.Cluster) -> None:
    # The same command under @tenacity.retry(retry=retry_if_exception_type(OperationalError)):
    # nothing closes the connection the restart killed, so every attempt reuses it.
    code, summary, lines = run_with_restart(postgres, "--plain-tenacity")
    assert code == 3, (summary, lines[-10:])
    rows = stored(postgres)
    assert RESTART_AFTER < summary["written"] == len(rows) < ROWS
    assert rows == list(range(len(rows)))  # the rows after the restart are missing
    # The first row after the restart: all ten attempts on the dead connection, each one
    # OperationalError "the connection is closed", then the command gives up.
    assert summary["attempts"] == summary["written"] + 10
    assert summary["errors"] == {"django.db.utils.OperationalError": 10}
    assert summary["failure"] == "django.db.utils.OperationalError: the connection is closed"
    print(f"\ntenacity: {summary}")
