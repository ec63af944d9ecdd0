"""is_transient: every classification rule, on exceptions the real libraries raise.

HTTP errors come from real clients talking to a local server; connection errors from a
closed port; timeouts from a server that never answers (or a full accept queue); database
errors from a real PostgreSQL, two real sqlite3 connections and a real redis-server.
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
from local_servers import closed_port, full_backlog, silent_server, status_server
from pertinax import transient
from pertinax.transient import is_transient

TRANSIENT_STATUSES = [408, 425, 429, 500, 502, 503, 504]
PERMANENT_STATUSES = [400, 401, 403, 404, 409, 410, 422, 501]


def raised(fn: typing.Callable[[], object]) -> BaseException:
    """The exception ``fn`` raises; the test fails if it returns."""
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001  (the point is to catch anything)
        return exc
    pytest.fail(f"{fn!r} did not raise")


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


# --- requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", TRANSIENT_STATUSES + PERMANENT_STATUSES)
def test_requests_http_error_by_status(http: typing.Any, code: int) -> None:
    import requests

    response = requests.get(f"{http.url}/status/{code}", timeout=5)
    exc = raised(response.raise_for_status)
    assert isinstance(exc, requests.HTTPError) and isinstance(exc, OSError)
    assert is_transient(exc) is (code in TRANSIENT_STATUSES)


def test_requests_connection_error_and_timeouts() -> None:
    import requests

    refused = raised(lambda: requests.get(f"http://127.0.0.1:{closed_port()}/", timeout=2))
    assert type(refused) is requests.ConnectionError
    assert is_transient(refused)
    with silent_server() as port:
        read = raised(lambda: requests.get(f"http://127.0.0.1:{port}/", timeout=0.2))
    assert type(read) is requests.ReadTimeout
    assert is_transient(read)
    with full_backlog() as port:
        connect = raised(lambda: requests.get(f"http://127.0.0.1:{port}/", timeout=0.2))
    assert type(connect) is requests.ConnectTimeout
    assert is_transient(connect)


def test_requests_protocol_errors(http: typing.Any) -> None:
    import requests

    cut = raised(lambda: requests.get(f"{http.url}/chunked-cut", timeout=5).content)
    assert type(cut) is requests.exceptions.ChunkedEncodingError
    assert is_transient(cut)
    closed = raised(lambda: requests.get(f"{http.url}/close", timeout=5))
    assert type(closed) is requests.ConnectionError  # "RemoteDisconnected", wrapped
    assert is_transient(closed)


def test_requests_mistakes_are_not_transient() -> None:
    import requests

    for url, kind in [
        ("no-scheme.example/x", requests.exceptions.MissingSchema),
        ("http://", requests.exceptions.InvalidURL),
        ("gopher://127.0.0.1/", requests.exceptions.InvalidSchema),
    ]:
        exc = raised(lambda u=url: requests.get(u, timeout=1))
        assert isinstance(exc, kind), (url, exc)
        assert not is_transient(exc), url


# --- urllib3 -----------------------------------------------------------------------------------


def test_urllib3_errors(http: typing.Any) -> None:
    import urllib3
    from urllib3.exceptions import (
        LocationParseError,
        MaxRetryError,
        NewConnectionError,
        ProtocolError,
        ReadTimeoutError,
    )

    pool = urllib3.PoolManager()
    refused = raised(
        lambda: pool.request("GET", f"http://127.0.0.1:{closed_port()}/", retries=False)
    )
    assert isinstance(refused, NewConnectionError)
    assert is_transient(refused)
    # With retries, urllib3 raises MaxRetryError; its last failure decides.
    exhausted = raised(
        lambda: pool.request("GET", f"http://127.0.0.1:{closed_port()}/", retries=urllib3.Retry(0))
    )
    assert isinstance(exhausted, MaxRetryError) and isinstance(exhausted.reason, NewConnectionError)
    assert is_transient(exhausted)
    with silent_server() as port:
        slow = raised(
            lambda: pool.request("GET", f"http://127.0.0.1:{port}/", timeout=0.2, retries=False)
        )
    assert isinstance(slow, ReadTimeoutError)
    assert is_transient(slow)
    dropped = raised(lambda: pool.request("GET", f"{http.url}/close", retries=False))
    assert isinstance(dropped, ProtocolError)
    assert is_transient(dropped)
    # A status_forcelist that runs out: "too many 503 error responses".
    forced = raised(
        lambda: pool.request(
            "GET",
            f"{http.url}/status/503",
            retries=urllib3.Retry(1, status_forcelist=[503], backoff_factor=0),
        )
    )
    assert isinstance(forced, MaxRetryError)
    assert is_transient(forced)
    bad = raised(lambda: pool.request("GET", "http://[::1", retries=False))
    assert isinstance(bad, LocationParseError)
    assert not is_transient(bad)


def test_urllib3_response_status_is_read_through_the_generic_rule(http: typing.Any) -> None:
    import urllib3

    class UpstreamError(Exception):
        def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
            super().__init__(response.status)
            self.response = response

    for code, expected in [(502, True), (403, False)]:
        response = urllib3.PoolManager().request("GET", f"{http.url}/status/{code}", retries=False)
        assert is_transient(UpstreamError(response)) is expected


# --- httpx -------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", TRANSIENT_STATUSES + PERMANENT_STATUSES)
def test_httpx_status_error(http: typing.Any, code: int) -> None:
    import httpx

    exc = raised(lambda: httpx.get(f"{http.url}/status/{code}").raise_for_status())
    assert isinstance(exc, httpx.HTTPStatusError)
    assert is_transient(exc) is (code in TRANSIENT_STATUSES)


def test_httpx_transport_errors(http: typing.Any) -> None:
    import httpx

    refused = raised(lambda: httpx.get(f"http://127.0.0.1:{closed_port()}/"))
    assert type(refused) is httpx.ConnectError
    assert is_transient(refused)
    with silent_server() as port:
        read = raised(lambda: httpx.get(f"http://127.0.0.1:{port}/", timeout=0.2))
    assert type(read) is httpx.ReadTimeout
    assert is_transient(read)
    with full_backlog() as port:
        connect = raised(lambda: httpx.get(f"http://127.0.0.1:{port}/", timeout=0.2))
    assert type(connect) is httpx.ConnectTimeout
    assert is_transient(connect)
    dropped = raised(lambda: httpx.get(f"{http.url}/close"))
    assert type(dropped) is httpx.RemoteProtocolError
    assert is_transient(dropped)
    wrong = raised(lambda: httpx.get("ftp://127.0.0.1/"))
    assert type(wrong) is httpx.UnsupportedProtocol
    assert not is_transient(wrong)


def test_httpx_async_client(http: typing.Any) -> None:
    asyncio.run(_httpx_async(http))


async def _httpx_async(http: typing.Any) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        response = await client.get(f"{http.url}/status/503")
        exc = raised(response.raise_for_status)
        assert is_transient(exc)
        try:
            await client.get(f"http://127.0.0.1:{closed_port()}/")
        except httpx.ConnectError as refused:
            assert is_transient(refused)
        else:
            pytest.fail("connecting to a closed port worked")


# --- aiohttp -----------------------------------------------------------------------------------


async def _aiohttp_raised(url: str, **kwargs: typing.Any) -> BaseException:
    import aiohttp

    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(url, **kwargs) as response:
                response.raise_for_status()
                await response.read()
    except BaseException as exc:  # noqa: BLE001
        return exc
    pytest.fail(f"{url} did not fail")


@pytest.mark.parametrize("code", [503, 429, 404, 401])
def test_aiohttp_response_error(http: typing.Any, code: int) -> None:
    import aiohttp

    exc = asyncio.run(_aiohttp_raised(f"{http.url}/status/{code}"))
    assert isinstance(exc, aiohttp.ClientResponseError)
    assert is_transient(exc) is (code in TRANSIENT_STATUSES)


def test_aiohttp_connection_errors(http: typing.Any) -> None:
    asyncio.run(_aiohttp_connection_errors(http))


async def _aiohttp_connection_errors(http: typing.Any) -> None:
    import aiohttp

    refused = await _aiohttp_raised(f"http://127.0.0.1:{closed_port()}/")
    assert isinstance(refused, aiohttp.ClientConnectorError)
    assert is_transient(refused)
    with silent_server() as port:
        slow = await _aiohttp_raised(
            f"http://127.0.0.1:{port}/", timeout=aiohttp.ClientTimeout(sock_read=0.2)
        )
    assert isinstance(slow, aiohttp.ServerTimeoutError)
    assert is_transient(slow)
    dropped = await _aiohttp_raised(f"{http.url}/close")
    assert isinstance(dropped, aiohttp.ServerDisconnectedError)
    assert is_transient(dropped)
    cut = await _aiohttp_raised(f"{http.url}/chunked-cut")
    assert isinstance(cut, aiohttp.ClientPayloadError)
    assert is_transient(cut)
    bad = await _aiohttp_raised("http:///nohost")
    assert isinstance(bad, aiohttp.ClientError) and not isinstance(
        bad, aiohttp.ClientConnectionError
    )
    assert not is_transient(bad)


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


def test_a_broken_rule_is_ignored_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    def broken(e: BaseException) -> bool:
        raise RuntimeError("bug in a rule")

    with transient.registered(broken):
        assert is_transient(TimeoutError())
    assert "bug in a rule" in caplog.text


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
