"""wait_retry_after: Retry-After from real responses of requests, httpx, aiohttp and urllib."""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import pickle
import typing
import urllib.parse

import pertinax
import pytest
from local_servers import status_server
from pertinax import wait_fixed, wait_retry_after
from pertinax.transient import parse_retry_after


@pytest.fixture(scope="module")
def http() -> typing.Iterator[typing.Any]:
    with status_server() as server:
        server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
        yield server


def http_date(seconds_from_now: float) -> str:
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        seconds=seconds_from_now
    )
    return email.utils.format_datetime(when, usegmt=True)


def url(http: typing.Any, code: int, retry_after: str | None = None) -> str:
    query = "" if retry_after is None else "?retry_after=" + urllib.parse.quote(retry_after)
    return f"{http.url}/status/{code}{query}"


def sleeps_of(get: typing.Callable[[], object], wait: typing.Any, attempts: int = 2) -> list[float]:
    """The sleeps a retry loop asks for while ``get`` keeps failing."""
    slept: list[float] = []
    retrying = pertinax.Retrying(
        wait=wait,
        stop=pertinax.stop_after_attempt(attempts),
        retry=pertinax.retry_if_exception_type(),
        sleep=slept.append,
        reraise=True,
    )
    with pytest.raises(Exception):  # noqa: B017  (whatever the client raises)
        retrying(get)
    return slept


FALLBACK = wait_fixed(0.25)


def test_requests_delta_seconds_and_cap(http: typing.Any) -> None:
    import requests

    def get(value: str) -> typing.Callable[[], object]:
        return lambda: requests.get(url(http, 429, value), timeout=5).raise_for_status()

    assert sleeps_of(get("7"), wait_retry_after(fallback=FALLBACK, max=30)) == [7.0]
    assert sleeps_of(get("120"), wait_retry_after(fallback=FALLBACK, max=5)) == [5.0]
    assert sleeps_of(get("0"), wait_retry_after(fallback=FALLBACK)) == [0.0]
    # Unreadable values: the fallback decides.
    for bad in ("soon", "-3", "1.5e3x", ""):
        assert sleeps_of(get(bad), wait_retry_after(fallback=FALLBACK)) == [0.25], bad
    # No header at all.
    no_header = lambda: requests.get(url(http, 503), timeout=5).raise_for_status()  # noqa: E731
    assert sleeps_of(no_header, wait_retry_after(fallback=FALLBACK)) == [0.25]


def test_requests_http_date(http: typing.Any) -> None:
    import requests

    future = http_date(120)
    get = lambda: requests.get(url(http, 503, future), timeout=5).raise_for_status()  # noqa: E731
    [slept] = sleeps_of(get, wait_retry_after(fallback=FALLBACK, max=300))
    assert 117 <= slept <= 120  # HTTP dates have whole seconds
    past = http_date(-3600)
    get = lambda: requests.get(url(http, 503, past), timeout=5).raise_for_status()  # noqa: E731
    assert sleeps_of(get, wait_retry_after(fallback=FALLBACK)) == [0.0]


def test_httpx_and_urllib(http: typing.Any) -> None:
    import urllib.request

    import httpx

    get = lambda: httpx.get(url(http, 429, "4")).raise_for_status()  # noqa: E731
    assert sleeps_of(get, wait_retry_after(fallback=FALLBACK)) == [4.0]
    get = lambda: urllib.request.urlopen(url(http, 503, "6"), timeout=5)  # noqa: E731
    assert sleeps_of(get, wait_retry_after(fallback=FALLBACK)) == [6.0]


def test_an_error_carrying_a_urllib3_response(http: typing.Any) -> None:
    import urllib3

    class UpstreamError(Exception):
        def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
            super().__init__(response.status)
            self.response = response

    def get() -> object:
        response = urllib3.PoolManager().request("GET", url(http, 503, "5"), retries=False)
        raise UpstreamError(response)

    assert sleeps_of(get, wait_retry_after(fallback=FALLBACK)) == [5.0]


def test_aiohttp_async_retrying(http: typing.Any) -> None:
    import aiohttp

    slept: list[float] = []
    seen_before = len(http.seen)

    async def record(seconds: float) -> None:
        slept.append(seconds)

    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            async for attempt in pertinax.AsyncRetrying(
                wait=wait_retry_after(fallback=FALLBACK),
                stop=pertinax.stop_after_attempt(3),
                retry=pertinax.retry_if_transient(),
                sleep=record,
                reraise=True,
            ):
                with attempt:
                    async with session.get(url(http, 429, "2")) as response:
                        response.raise_for_status()

    with pytest.raises(aiohttp.ClientResponseError):
        asyncio.run(main())
    assert slept == [2.0, 2.0]
    assert len(http.seen) - seen_before == 3


def test_httpx_async_client_with_real_sleeps(http: typing.Any) -> None:
    import httpx

    start = len(http.seen)

    @pertinax.retry(
        wait=wait_retry_after(fallback=FALLBACK),
        stop=pertinax.stop_after_attempt(2),
        retry=pertinax.retry_if_transient(),
        reraise=True,
    )
    async def fetch() -> None:
        async with httpx.AsyncClient() as client:
            (await client.get(url(http, 503, "1"))).raise_for_status()

    with pytest.raises(httpx.HTTPStatusError):
        asyncio.run(fetch())
    first, second = http.seen[start:]
    assert 1.0 <= second.at - first.at < 2.0


def test_retry_after_attribute_and_cause() -> None:
    class RateLimited(Exception):
        def __init__(self, retry_after: object) -> None:
            super().__init__(retry_after)
            self.retry_after = retry_after

    def failing(exc: BaseException) -> typing.Callable[[], object]:
        def f() -> object:
            raise exc

        return f

    wait = wait_retry_after(fallback=FALLBACK, max=60)
    assert sleeps_of(failing(RateLimited(3)), wait) == [3.0]
    assert sleeps_of(failing(RateLimited(2.5)), wait) == [2.5]
    assert sleeps_of(failing(RateLimited(datetime.timedelta(seconds=9))), wait) == [9.0]
    assert sleeps_of(failing(RateLimited("11")), wait) == [11.0]
    assert sleeps_of(failing(RateLimited(float("nan"))), wait) == [0.25]

    class Wrapper(Exception):
        pass

    def wrapped() -> object:
        try:
            raise RateLimited(4)
        except RateLimited as exc:
            raise Wrapper("upstream busy") from exc

    assert sleeps_of(wrapped, wait) == [4.0]


def test_a_successful_outcome_uses_the_fallback() -> None:
    slept: list[float] = []
    retrying = pertinax.Retrying(
        wait=wait_retry_after(fallback=FALLBACK),
        stop=pertinax.stop_after_attempt(2),
        retry=pertinax.retry_if_result(lambda r: r is None),
        sleep=slept.append,
    )
    with pytest.raises(pertinax.RetryError):
        retrying(lambda: None)
    assert slept == [0.25]


def test_composes_with_plus_and_the_default_fallback_is_exponential() -> None:
    def fail() -> object:
        raise ConnectionError("down")

    combined = wait_retry_after(fallback=FALLBACK) + wait_fixed(1)
    assert isinstance(combined, pertinax.wait_combine)
    assert sleeps_of(fail, combined) == [1.25]
    assert sleeps_of(fail, wait_retry_after(), attempts=5) == [1.0, 2.0, 4.0, 8.0]


def test_parse_retry_after() -> None:
    now = datetime.datetime(2026, 1, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 5 ") == 5.0
    assert parse_retry_after(b"3") == 3.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after(datetime.datetime(2026, 1, 1, 12, 1), now=now) == 60.0
    for bad in ("soon", "", "-1", object(), True, -2, float("inf")):
        assert parse_retry_after(bad) is None, bad


def test_repr_pickle_and_bad_arguments() -> None:
    wait = wait_retry_after(fallback=FALLBACK, max=12)
    assert repr(wait) == "wait_retry_after(fallback=wait_fixed(0.25), max=12)"
    assert repr(wait_retry_after(max=2.5)) == (
        "wait_retry_after(fallback=wait_exponential(min=1, max=30), max=2.5)"
    )
    assert isinstance(wait, pertinax.wait.wait_base)
    copy = pickle.loads(pickle.dumps(wait))
    assert copy.max == 12.0 and copy.fallback.wait_fixed == 0.25
    with pytest.raises(TypeError, match="'fallback' must be a wait strategy, got 3"):
        wait_retry_after(fallback=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'max' must be >= 0, got -1"):
        wait_retry_after(max=-1)
    with pytest.raises(ValueError, match="argument 'max' must be a number of seconds"):
        wait_retry_after(max="soon")  # type: ignore[arg-type]
    assert wait_retry_after(max=datetime.timedelta(minutes=1)).max == 60.0
    with pytest.raises(TypeError):
        wait_retry_after(FALLBACK)  # type: ignore[call-arg]  # keyword-only


def test_the_engine_runs_it_natively_unless_the_fallback_is_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Compiled natively, the engine reads `_seconds` and the fallback itself; the Python
    # `__call__` only runs for a subclass or a Python fallback. Both give the same waits.
    called: list[str] = []
    original = wait_retry_after.__call__

    def spy(self: wait_retry_after, retry_state: typing.Any) -> float:
        called.append(type(self).__name__)
        return original(self, retry_state)

    monkeypatch.setattr(wait_retry_after, "__call__", spy)

    class RateLimited(Exception):
        retry_after = 2

    def fail() -> object:
        raise RateLimited

    def down() -> object:
        raise ConnectionError

    class mine(wait_retry_after):
        pass

    assert sleeps_of(fail, wait_retry_after(fallback=FALLBACK)) == [2.0]
    assert sleeps_of(down, wait_retry_after(fallback=FALLBACK)) == [0.25]
    assert called == []
    assert sleeps_of(fail, wait_retry_after(fallback=lambda rs: 0.75)) == [2.0]
    assert sleeps_of(down, wait_retry_after(fallback=lambda rs: 0.75)) == [0.75]
    assert sleeps_of(fail, mine(fallback=FALLBACK)) == [2.0]
    # As in tenacity, the wait is also asked after the last attempt (stop_before_delay
    # reads it): two calls per two-attempt loop.
    assert called == ["wait_retry_after"] * 4 + ["mine"] * 2


def test_changing_max_after_decoration_takes_effect() -> None:
    class RateLimited(Exception):
        retry_after = 20

    wait = wait_retry_after(fallback=FALLBACK, max=30)
    slept: list[float] = []

    @pertinax.retry(wait=wait, stop=pertinax.stop_after_attempt(2), sleep=slept.append)
    def f() -> None:
        raise RateLimited

    with pytest.raises(pertinax.RetryError):
        f()
    wait.max = 5.0
    with pytest.raises(pertinax.RetryError):
        f()
    assert slept == [20.0, 5.0]


def test_a_broken_headers_object_falls_back(transient_log: pytest.LogCaptureFixture) -> None:
    class Headers:
        def get(self, key: str) -> str:
            raise RuntimeError("broken headers")

    class Odd(Exception):
        headers = Headers()

    def fail() -> object:
        raise Odd

    assert sleeps_of(fail, wait_retry_after(fallback=FALLBACK)) == [0.25]
    assert "broken headers" in transient_log.text


def test_a_cycle_through_the_compiled_wait_is_collected() -> None:
    import gc
    import weakref

    class RateLimited(Exception):
        retry_after = 0

    def build() -> weakref.ref[typing.Any]:
        fallback = wait_fixed(0)
        wait = wait_retry_after(fallback=fallback)

        @pertinax.retry(wait=wait, stop=pertinax.stop_after_attempt(2))
        def f() -> None:
            raise RateLimited

        with pytest.raises(pertinax.RetryError):
            f()  # compiles the plan, natively: RetryAfter holding `_seconds` and the fallback
        wait.owner = f  # type: ignore[attr-defined]  # f -> controller -> plan -> wait -> f
        fallback.owner = f  # type: ignore[attr-defined]
        return weakref.ref(f)

    ref = build()
    gc.collect()
    assert ref() is None
