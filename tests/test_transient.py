"""is_transient: the standard library's errors, the cause chain, user rules, exception
groups, and the retry_if_transient strategy; on exceptions raised for real.

The HTTP clients' errors are in test_transient_http.py, AWS's in test_transient_aws.py and
the databases' in test_transient_databases.py.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import subprocess
import sys
import typing

import pertinax
import pytest
from pertinax import transient
from pertinax.transient import is_transient

from tests.support.local_servers import closed_port, raised, silent_server, status_server


@pytest.fixture(scope="module")
def http() -> typing.Iterator[typing.Any]:
    with status_server() as server:
        server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
        yield server


# --- the standard library --------------------------------------------------------------------


def test_connection_refused_is_transient() -> None:
    exc = raised(lambda: socket.create_connection(("127.0.0.1", closed_port()), timeout=2))
    assert isinstance(exc, ConnectionRefusedError)
    assert is_transient(exc)


def test_socket_timeout_is_transient() -> None:
    with silent_server() as port:
        sock = socket.create_connection(("127.0.0.1", port), timeout=0.1)
        try:
            exc = raised(lambda: sock.recv(1))
        finally:
            sock.close()
    assert isinstance(exc, socket.timeout) and isinstance(exc, TimeoutError)
    assert is_transient(exc)


@pytest.mark.parametrize(
    ("code", "transient"),
    [
        (errno.ENETUNREACH, True),
        (errno.EHOSTUNREACH, True),
        (errno.ENETDOWN, True),
        (errno.EHOSTDOWN, True),
        (errno.ENETRESET, True),
        (errno.EINVAL, False),
        (errno.EBADF, False),
        (None, False),
    ],
)
def test_network_errors_raised_as_plain_oserror(code: int | None, transient: bool) -> None:
    # What socket.connect() raises when the route or the interface is gone: a bare OSError.
    exc = OSError(code, os.strerror(code)) if code is not None else OSError("no errno")
    assert is_transient(exc) is transient


def test_name_resolution_is_transient_only_when_temporary() -> None:
    # The resolver's own failure (EAI_AGAIN) may pass; a name that does not exist will not.
    assert is_transient(socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"))
    # Built, not looked up: a machine without a resolver answers EAI_AGAIN for any name.
    assert not is_transient(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))


def test_file_not_found_is_not_transient(tmp_path: typing.Any) -> None:
    exc = raised(lambda: open(tmp_path / "missing.txt", "rb"))  # noqa: SIM115
    assert isinstance(exc, FileNotFoundError)
    assert not is_transient(exc)


def test_permission_error_is_not_transient(tmp_path: typing.Any) -> None:
    if os.geteuid() == 0:
        # root reads any file: take the exception the kernel's EACCES becomes.
        exc: BaseException = OSError(errno.EACCES, "Permission denied", str(tmp_path))
    else:
        locked = tmp_path / "locked"
        locked.write_text("x")
        locked.chmod(0)
        exc = raised(lambda: open(locked, "rb"))  # noqa: SIM115
    assert type(exc) is PermissionError
    assert not is_transient(exc)


def test_urllib_http_error_uses_its_status(http: typing.Any) -> None:
    import urllib.error
    import urllib.request

    for code, expected in [(503, True), (429, True), (404, False), (401, False)]:
        exc = raised(lambda c=code: urllib.request.urlopen(f"{http.url}/status/{c}", timeout=5))
        assert isinstance(exc, urllib.error.HTTPError)
        # An HTTPError is also the response: close it, or its socket leaks.
        with exc:
            assert is_transient(exc) is expected, code


def test_urllib_url_error_follows_its_context() -> None:
    import urllib.error
    import urllib.request

    exc = raised(lambda: urllib.request.urlopen(f"http://127.0.0.1:{closed_port()}/", timeout=2))
    assert isinstance(exc, urllib.error.URLError)
    # URLError has no verdict of its own: the ConnectionRefusedError it was raised while
    # handling decides.
    assert isinstance(exc.__context__, ConnectionRefusedError)
    assert is_transient(exc)


# --- the chain, user rules, and the strategy -----------------------------------------------------


def test_an_application_error_defers_to_its_cause() -> None:
    import requests

    class PaymentError(Exception):
        pass

    def charge() -> None:
        try:
            requests.get(f"http://127.0.0.1:{closed_port()}/", timeout=2)
        except requests.RequestException as exc:
            raise PaymentError("gateway down") from exc

    assert is_transient(raised(charge))

    def suppressed() -> None:
        try:
            requests.get(f"http://127.0.0.1:{closed_port()}/", timeout=2)
        except requests.RequestException:
            raise PaymentError("gateway down") from None

    assert not is_transient(raised(suppressed))


def test_a_permanent_error_is_not_rescued_by_its_cause(tmp_path: typing.Any) -> None:
    def load() -> None:
        try:
            socket.create_connection(("127.0.0.1", closed_port()), timeout=2)
        except ConnectionError:
            open(tmp_path / "fallback.json", "rb")  # noqa: SIM115

    exc = raised(load)
    assert isinstance(exc, FileNotFoundError) and isinstance(exc.__context__, ConnectionError)
    assert not is_transient(exc)


def test_a_cycle_in_the_chain_ends() -> None:
    a, b = ValueError("a"), KeyError("b")
    a.__cause__, b.__cause__ = b, a
    assert is_transient(a) is False


def test_user_rules_win_and_can_be_removed() -> None:
    exc = raised(lambda: socket.create_connection(("127.0.0.1", closed_port()), timeout=2))
    assert is_transient(exc)

    def never_refused(e: BaseException) -> bool | None:
        return False if isinstance(e, ConnectionRefusedError) else None

    with transient.registered(never_refused):
        assert not is_transient(exc)
        assert is_transient(TimeoutError())  # no opinion: the built-ins decide
        # The newest rule is asked first.
        with transient.registered(lambda e: True):
            assert is_transient(exc)
        assert not is_transient(exc)
    assert is_transient(exc)

    transient.register(never_refused)
    transient.unregister(never_refused)
    assert is_transient(exc)
    with pytest.raises(ValueError, match="not registered"):
        transient.unregister(never_refused)
    with pytest.raises(TypeError, match="'rule' must be callable, got 42"):
        transient.register(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^registered\(\) argument 'rule' must be callable"):
        transient.registered(42).__enter__()  # type: ignore[arg-type]


def test_registered_keeps_a_rule_that_was_registered_before() -> None:
    def never_timeout(e: BaseException) -> bool | None:
        return False if isinstance(e, TimeoutError) else None

    transient.register(never_timeout)
    try:
        with transient.registered(never_timeout):
            assert not is_transient(TimeoutError())
        assert not is_transient(TimeoutError())  # still registered, as before the block
    finally:
        transient.unregister(never_timeout)
    assert is_transient(TimeoutError())


def test_a_broken_rule_is_ignored_and_logged(transient_log: pytest.LogCaptureFixture) -> None:
    def broken(e: BaseException) -> bool:
        raise RuntimeError("bug in a rule")

    with transient.registered(broken):
        assert is_transient(TimeoutError())
    assert "bug in a rule" in transient_log.text


def test_is_transient_refuses_a_non_exception() -> None:
    with pytest.raises(TypeError, match="'exc' must be an exception, got 'boom'"):
        is_transient("boom")  # type: ignore[arg-type]


def test_import_pertinax_loads_no_framework() -> None:
    code = (
        "import sys, pertinax, pertinax.transient;"
        "from pertinax.transient import is_transient;"
        "is_transient(ConnectionError()); is_transient(ValueError());"
        "bad = [m for m in ('requests','httpx','aiohttp','urllib3','botocore','boto3','django',"
        "'psycopg','psycopg2','redis','sqlite3') if m in sys.modules];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_retry_if_transient_strategy(http: typing.Any) -> None:
    import requests

    calls: list[int] = []

    @pertinax.retry(
        retry=pertinax.retry_if_transient(),
        stop=pertinax.stop_after_attempt(3),
        wait=pertinax.wait_none(),
        reraise=True,
    )
    def fetch(code: int) -> int:
        calls.append(code)
        requests.get(f"{http.url}/status/{code}", timeout=5).raise_for_status()
        return code

    with pytest.raises(requests.HTTPError):
        fetch(503)
    assert calls == [503, 503, 503]
    calls.clear()
    with pytest.raises(requests.HTTPError):
        fetch(404)
    assert calls == [404]
    calls.clear()
    assert fetch(200) == 200 and calls == [200]


def test_retry_if_transient_composes_repr_and_pickle() -> None:
    import pickle

    strategy = pertinax.retry_if_transient()
    assert repr(strategy) == "retry_if_transient()"
    assert isinstance(strategy, pertinax.retry_base)
    assert repr(pickle.loads(pickle.dumps(strategy))) == "retry_if_transient()"
    either = strategy | pertinax.retry_if_exception_type(KeyError)
    both = strategy & pertinax.retry_if_exception_message(match=".*again")
    assert isinstance(either, pertinax.retry_any) and isinstance(both, pertinax.retry_all)
    attempts: list[str] = []

    def run(retry: typing.Any, exc: BaseException) -> int:
        attempts.clear()

        @pertinax.retry(retry=retry, stop=pertinax.stop_after_attempt(2), reraise=True)
        def f() -> None:
            attempts.append("x")
            raise exc

        with pytest.raises(type(exc)):
            f()
        return len(attempts)

    assert run(either, KeyError("k")) == 2
    assert run(either, ValueError("v")) == 1
    assert run(both, TimeoutError("try again")) == 2
    assert run(both, TimeoutError("gone")) == 1
    assert run(both, ValueError("try again")) == 1


def test_retry_if_transient_is_evaluated_natively(monkeypatch: pytest.MonkeyPatch) -> None:
    # The engine compiles an exact instance to its "exception, then predicate" test: the
    # Python `__call__` never runs, and the predicate runs only on failures.
    def spy(self: object, retry_state: object) -> bool:
        raise AssertionError("retry_if_transient.__call__ ran")

    monkeypatch.setattr(pertinax.retry_if_transient, "__call__", spy)
    attempts: list[int] = []

    @pertinax.retry(retry=pertinax.retry_if_transient(), stop=pertinax.stop_after_attempt(3))
    def f(n: int) -> int:
        attempts.append(n)
        if len(attempts) < n:
            raise TimeoutError
        return n

    assert f(1) == 1 and attempts == [1]
    attempts.clear()
    assert f(3) == 3 and attempts == [3, 3, 3]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.TaskGroup is Python 3.11+")
def test_an_exception_group_is_transient_when_all_its_members_are(tmp_path: typing.Any) -> None:
    async def connect() -> None:
        await asyncio.open_connection("127.0.0.1", closed_port())

    async def read_missing() -> None:
        try:
            await asyncio.sleep(5)
        finally:
            # Runs when the group cancels this task after the refused connection.
            open(tmp_path / "missing", "rb")  # noqa: SIM115, ASYNC230

    async def gather(*jobs: typing.Callable[[], typing.Awaitable[None]]) -> BaseException:
        try:
            async with asyncio.TaskGroup() as group:  # type: ignore[attr-defined]
                for job in jobs:
                    group.create_task(job())
        except BaseException as exc:  # noqa: BLE001
            return exc
        pytest.fail("the task group did not fail")

    both_down = asyncio.run(gather(connect, connect))
    assert [type(e) for e in both_down.exceptions] == [ConnectionRefusedError] * 2  # type: ignore[attr-defined]
    assert is_transient(both_down)
    mixed = asyncio.run(gather(connect, read_missing))
    assert {type(e) for e in mixed.exceptions} == {ConnectionRefusedError, FileNotFoundError}  # type: ignore[attr-defined]
    assert not is_transient(mixed)
