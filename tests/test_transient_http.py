"""is_transient on what requests, urllib3, httpx and aiohttp raise against local servers:
statuses, refused connections, timeouts (a silent server, a full accept queue), connections
cut mid-answer, mistakes in the request, and an untrusted certificate."""

from __future__ import annotations

import asyncio
import typing

import pytest
from local_servers import (
    closed_port,
    full_backlog,
    raised,
    silent_server,
    status_server,
    tls_server,
)
from pertinax.transient import is_transient

TRANSIENT_STATUSES = [408, 425, 429, 500, 502, 503, 504]
PERMANENT_STATUSES = [400, 401, 403, 404, 409, 410, 422, 501]


@pytest.fixture(scope="module")
def http() -> typing.Iterator[typing.Any]:
    with status_server() as server:
        server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
        yield server


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


def test_an_untrusted_certificate_is_not_transient() -> None:
    # Every client reports it as a connection error; it fails the same way next time.
    import aiohttp
    import httpx
    import requests
    import urllib3

    with tls_server() as port:
        url = f"https://127.0.0.1:{port}/"
        by_requests = raised(lambda: requests.get(url, timeout=5))
        assert isinstance(by_requests, requests.exceptions.SSLError)
        by_httpx = raised(lambda: httpx.get(url))
        assert isinstance(by_httpx, httpx.ConnectError)
        by_urllib3 = raised(lambda: urllib3.PoolManager().request("GET", url, retries=False))
        assert isinstance(by_urllib3, urllib3.exceptions.SSLError)
        by_aiohttp = asyncio.run(_aiohttp_raised(url))
        assert isinstance(by_aiohttp, aiohttp.ClientConnectorCertificateError)
    for exc in (by_requests, by_httpx, by_urllib3, by_aiohttp):
        assert not is_transient(exc), exc
