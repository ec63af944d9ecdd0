"""The Redis store against a real redis-server: once with a password and an ACL user, once
with TLS (a CA and certificate made by the test). Eight processes share one budget and one
breaker; threads and asyncio tasks share them in one process; Redis going away and coming
back; credentials kept out of reprs and logs."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from pertinax import CircuitBreaker, CircuitOpenError, RetryBudget
from pertinax.integrations.redis import RedisStore

from tests.support import redis_server

WORKER = Path(__file__).parent / "support" / "redis_fleet_worker.py"


@pytest.fixture(scope="module", params=["acl", "tls"])
def server(request):
    with redis_server.running(tls=request.param == "tls") as s:
        yield s


@pytest.fixture
def prefix() -> str:
    # The ACL user may only touch keys under "fleet:"; a fresh prefix per test.
    return f"{redis_server.ACL_PREFIX}:{uuid.uuid4().hex[:8]}"


def make_store(server, prefix: str, **kwargs) -> RedisStore:
    ca = str(server.ca) if server.ca else None
    return RedisStore(server.url(), prefix=prefix, ssl_ca_certs=ca, timeout=2.0, **kwargs)


def run_fleet(server, prefix: str, mode: str, tmp_path: Path, n: int = 8) -> list[dict]:
    go = tmp_path / f"go-{mode}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                server.url(),
                prefix,
                str(server.ca or ""),
                mode,
                str(go),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for _ in range(n)
    ]
    try:
        time.sleep(0.5)  # let every worker import and connect before the start
        go.touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err.decode()
            results.append(json.loads(out))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def test_eight_processes_share_the_allowance_exactly_and_open_the_breaker_once(
    server, prefix, tmp_path
) -> None:
    results = run_fleet(server, prefix, "limits", tmp_path)
    assert sum(r["paid"] for r in results) == 25
    store = make_store(server, prefix)
    stats = store.budget_stats("shared")
    assert (stats["retries"], stats["exhausted"], stats["available"]) == (25, 8 * 40 - 25, 0.0)
    # The window is 20 failures: the 20th recorded anywhere opens it, once, for everyone.
    assert sum(r["opened"] for r in results) == 1
    assert store.breaker_stats("shared") == {
        "state": "open",
        "opened": 1,
        "half_opened": 0,
        "closed": 0,
    }
    # Outcomes recorded after it opened were calls admitted before: at most 8 in flight.
    assert 8 * 30 - 20 - 8 <= sum(r["refused"] for r in results) <= 8 * 30 - 20


def test_eight_processes_share_them_through_decorated_functions(server, prefix, tmp_path) -> None:
    results = run_fleet(server, prefix, "engine", tmp_path)
    # 8 processes x 5 calls: 40 first attempts, plus exactly the 25 retries the budget held.
    assert sum(r["budget"] for r in results) == 40 + 25
    store = make_store(server, prefix)
    assert store.budget_stats("engine")["retries"] == 25
    # The breaker opened once for the fleet, after 20 failures; every call after that in
    # any process was refused before its function ran (up to 8 in flight when it opened).
    assert sum(r["opened"] for r in results) == 1
    assert store.breaker_stats("engine")["opened"] == 1
    assert 20 <= sum(r["breaker"] for r in results) <= 20 + 8 * 2
    assert sum(r["refused"] for r in results) >= 40 - (20 + 8 * 2)


def test_async_calls_use_the_shared_breaker(server, prefix) -> None:
    from pertinax import retry, stop_after_attempt

    breaker = CircuitBreaker(
        "aio", window=4, minimum_calls=4, open_for=60, store=make_store(server, prefix)
    )
    calls = 0

    @retry(stop=stop_after_attempt(2), breaker=breaker)
    async def fetch() -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        raise OSError("down")

    async def main() -> int:
        refused = 0
        for _ in range(5):
            try:
                await fetch()
            except CircuitOpenError:
                refused += 1
            except Exception:
                pass
        return refused

    assert asyncio.run(main()) == 3
    assert calls == 4
    assert make_store(server, prefix).breaker_stats("aio")["state"] == "open"


def test_in_half_open_exactly_one_process_sends_the_trials(server, prefix, tmp_path) -> None:
    store = make_store(server, prefix)
    opener = CircuitBreaker("trials", window=1, minimum_calls=1, open_for=0.2, store=store)
    opener.record(opener.acquire(), "failure")
    assert opener.state == "open"
    time.sleep(0.25)
    results = run_fleet(server, prefix, "trials", tmp_path)
    admitted = sorted(r["admitted"] for r in results)
    assert admitted == [0] * 7 + [3]
    assert store.breaker_stats("trials")["half_opened"] == 1


def test_trials_close_it_for_the_fleet(server, prefix) -> None:
    a = CircuitBreaker(
        "close",
        window=2,
        minimum_calls=2,
        open_for=0.1,
        half_open_calls=2,
        store=make_store(server, prefix),
    )
    b = CircuitBreaker(
        "close",
        window=2,
        minimum_calls=2,
        open_for=0.1,
        half_open_calls=2,
        store=make_store(server, prefix),
    )
    a.record(a.acquire(), "failure")
    b.record(b.acquire(), "failure")
    with pytest.raises(CircuitOpenError):
        a.acquire()
    time.sleep(0.15)
    trials = [a.acquire(), a.acquire()]
    with pytest.raises(CircuitOpenError, match="half-open"):
        b.acquire()  # a holds the lease
    for ticket in trials:
        a.record(ticket, "success")
    assert a.state == "closed"
    b.record(b.acquire(), "success")
    assert b.state == "closed"


def test_threads_share_a_store_backed_budget_exactly(server, prefix) -> None:
    budget = RetryBudget("threads", ratio=0, capacity=30, store=make_store(server, prefix))
    paid = []
    threads = [
        threading.Thread(target=lambda: paid.append(sum(budget.withdraw() for _ in range(10))))
        for _ in range(8)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(paid) == 30


def test_successes_refill_the_shared_budget(server, prefix) -> None:
    store = make_store(server, prefix)
    one = RetryBudget("refill", ratio=0.5, capacity=1, store=store)
    two = RetryBudget("refill", ratio=0.5, capacity=1, store=store)
    assert one.withdraw()
    assert not two.withdraw()
    two.deposit()
    two.deposit()  # two successes at 0.5 are one retry, handed over as one batch
    assert one.withdraw()
    assert not one.withdraw()
    assert store.budget_stats("refill")["successes"] == 2


def test_asyncio_tasks_share_a_store_backed_breaker(server, prefix) -> None:
    breaker = CircuitBreaker(
        "tasks", window=5, minimum_calls=5, open_for=60, store=make_store(server, prefix)
    )
    refused = 0

    async def client() -> None:
        nonlocal refused
        for _ in range(5):
            try:
                ticket = breaker.acquire()
            except CircuitOpenError:
                refused += 1
                continue
            await asyncio.sleep(0)
            breaker.record(ticket, "failure")

    async def main() -> None:
        await asyncio.gather(*(client() for _ in range(4)))

    asyncio.run(main())
    assert breaker.state == "open"
    assert breaker.stats()["opened"] == 1


def test_keys_carry_the_prefix_and_expire(server, prefix) -> None:
    store = make_store(server, prefix, ttl=30)
    RetryBudget("ttl", store=store).withdraw()
    c = CircuitBreaker("ttl", open_for=100, store=store)
    c.record(c.acquire(), "success")
    assert sorted(k.decode() for k in store.client.keys(f"{prefix}:*")) == [
        f"{prefix}:breaker:ttl",
        f"{prefix}:budget:ttl",
    ]
    assert 0 < store.client.pttl(f"{prefix}:budget:ttl") <= 30_000
    # A breaker's key outlives its open wait, whatever the ttl.
    assert 100_000 < store.client.pttl(f"{prefix}:breaker:ttl") <= 111_000


def test_the_default_users_password_alone_works(server) -> None:
    url = server.url(user=None, password=redis_server.PASSWORD)
    ca = str(server.ca) if server.ca else None
    store = RedisStore(url, prefix="any-app", ssl_ca_certs=ca, fail_open=False)
    budget = RetryBudget(f"default-{uuid.uuid4().hex[:6]}", ratio=0, capacity=1, store=store)
    assert [budget.withdraw(), budget.withdraw()] == [True, False]
    assert store.budget_stats(budget.name)["retries"] == 1
    assert redis_server.PASSWORD not in repr(store)


def test_the_acl_user_cannot_leave_its_prefix(server) -> None:
    store = make_store(server, "other-app", fail_open=False)
    assert RetryBudget("denied", store=store).withdraw() is False


# --- Redis unreachable ----------------------------------------------------------------------


def test_unreachable_redis_falls_back_to_local_state_and_logs_once(caplog) -> None:
    port = redis_server.free_port()  # nothing listens there
    url = f"redis://app:hunter2-secret@127.0.0.1:{port}/0"
    store = RedisStore(url, reconnect_after=60)
    budget = RetryBudget("down", capacity=2, store=store)
    breaker = CircuitBreaker("down", window=1, minimum_calls=1, open_for=60, store=store)
    with caplog.at_level(logging.DEBUG, logger="pertinax.redis"):
        assert [budget.withdraw() for _ in range(3)] == [True, True, False]
        breaker.record(breaker.acquire(), "failure")
        with pytest.raises(CircuitOpenError):
            breaker.acquire()
    lines = [r.getMessage() for r in caplog.records if r.name == "pertinax.redis"]
    assert len(lines) == 1
    assert "unreachable (ConnectionError): local state decides" in lines[0]
    assert "hunter2" not in caplog.text
    assert "hunter2" not in repr(store)
    assert repr(store) == f"RedisStore('redis://app:***@127.0.0.1:{port}/0', prefix='pertinax')"


def test_fail_closed_refuses_retries_and_calls() -> None:
    store = RedisStore(f"redis://127.0.0.1:{redis_server.free_port()}/0", fail_open=False)
    assert RetryBudget("closed", store=store).withdraw() is False
    with pytest.raises(CircuitOpenError):
        CircuitBreaker("closed", store=store).acquire()


def test_a_silent_server_costs_one_timeout_not_redis_pys_retries() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # accepts connections, never answers
    try:
        store = RedisStore(f"redis://127.0.0.1:{listener.getsockname()[1]}/0", timeout=0.05)
        assert store.client.get_retry()._retries == 0
        start = time.monotonic()
        assert RetryBudget("silent", capacity=1, store=store).withdraw() is True  # local
        # One timeout of 0.05 s; redis-py's defaults would wait 5 s per try, and retry.
        assert time.monotonic() - start < 2.0
    finally:
        listener.close()


def test_reconnects_after_redis_comes_back(caplog, tmp_path) -> None:
    server = redis_server.start()
    try:
        store = RedisStore(server.url(), prefix="fleet:back", reconnect_after=0.2, timeout=0.5)
        budget = RetryBudget("back", ratio=0, capacity=1, store=store)
        assert budget.withdraw() is True  # from Redis
        server.stop()
        with caplog.at_level(logging.INFO, logger="pertinax.redis"):
            assert budget.withdraw() is True  # Redis is gone: the local tokens pay
            assert budget.withdraw() is False
            server = redis_server.start(port=server.port, directory=server.directory)
            time.sleep(0.3)
            # Redis restarted empty: its state is a full budget again.
            assert budget.withdraw() is True
        messages = [r.getMessage() for r in caplog.records if r.name == "pertinax.redis"]
        assert len(messages) == 2
        assert "reachable again" in messages[1]
        assert redis_server.ACL_PASSWORD not in caplog.text
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"url": 3}, TypeError, "url must be a string, got 3"),
        (
            {"url": "http://x"},
            ValueError,
            "url must be a redis://, rediss:// or unix:// URL, got http://x",
        ),
        ({"url": "ftp://u:pw@h"}, ValueError, "got ftp://u:\\*\\*\\*@h"),
        (
            {"url": "redis://:pw@h:notaport"},
            ValueError,
            "url has a bad port .*got redis://:\\*\\*\\*@h",
        ),
        ({"prefix": ""}, ValueError, "prefix must be a non-empty string, got ''"),
        ({"prefix": 3}, TypeError, "prefix must be a non-empty string, got 3"),
        ({"timeout": 0}, ValueError, "timeout must be a positive number of seconds, got 0"),
        ({"ttl": "1"}, TypeError, "ttl must be a positive number of seconds, got '1'"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message) -> None:
    kwargs = {"url": "redis://127.0.0.1:1/0", **kwargs}
    with pytest.raises(error, match=message):
        RedisStore(kwargs.pop("url"), **kwargs)


def test_a_store_is_checked_where_it_is_given() -> None:
    from pertinax.integrations.redis import MetricsPublisher

    with pytest.raises(TypeError, match="MetricsPublisher: store must be a RedisStore.*got 3"):
        MetricsPublisher(3)
    for cls, methods in ((RetryBudget, "budget_withdraw"), (CircuitBreaker, "breaker_acquire")):
        for store in (3, "redis://h", object()):
            with pytest.raises(TypeError, match=f"store must be None or a store with {methods}"):
                cls("checked", store=store)


def test_a_lost_lease_lets_another_process_run_the_trials(server, prefix) -> None:
    store_a = make_store(server, prefix, lease=0.2)
    store_b = make_store(server, prefix, lease=0.2)
    a = CircuitBreaker(
        "lease", window=1, minimum_calls=1, open_for=0.05, half_open_calls=1, store=store_a
    )
    b = CircuitBreaker(
        "lease", window=1, minimum_calls=1, open_for=0.05, half_open_calls=1, store=store_b
    )
    a.record(a.acquire(), "failure")
    time.sleep(0.1)
    a.acquire()  # a takes the lease and its one trial, then never reports (it died)
    with pytest.raises(CircuitOpenError):
        b.acquire()
    time.sleep(0.25)  # the lease expires
    ticket = b.acquire()
    b.record(ticket, "success")
    assert b.state == "closed"


def test_the_per_second_floor_is_shared_too(server, prefix) -> None:
    store = make_store(server, prefix)
    one = RetryBudget("floor", ratio=0, capacity=0, min_per_second=2, store=store)
    two = RetryBudget("floor", ratio=0, capacity=0, min_per_second=2, store=store)
    # One second's worth (two retries) for the fleet, then one every half second.
    assert [one.withdraw(), two.withdraw(), one.withdraw(), two.withdraw()] == [
        True,
        True,
        False,
        False,
    ]
    time.sleep(0.55)
    assert [two.withdraw(), one.withdraw()] == [True, False]


def test_import_pertinax_never_imports_redis_and_the_store_names_its_extra() -> None:
    code = (
        "import sys, pertinax\n"
        "assert 'redis' not in sys.modules, 'import pertinax imported redis'\n"
        "sys.modules['redis'] = None\n"
        "try:\n"
        "    import pertinax.integrations.redis\n"
        "except ImportError as e:\n"
        "    assert \"pip install 'pertinax[redis]'\" in str(e), e\n"
        "else:\n"
        "    raise AssertionError('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
