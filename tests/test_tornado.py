"""``TornadoRetrying``: tornado coroutines retried by the engine, and ``@retry`` without
tornado importable."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pertinax
import pytest
from pertinax import (
    RetryError,
    retry,
    stop_after_attempt,
    wait_fixed,
)


def test_tornado_coroutines_are_retried_by_the_engine() -> None:
    from tornado import gen, ioloop

    calls: list[int] = []

    @retry(stop=stop_after_attempt(4), wait=wait_fixed(0))
    @gen.coroutine
    def work(x: int) -> Any:
        calls.append(x)
        yield gen.sleep(0)
        if len(calls) < 3:
            raise ValueError
        return x * 2

    assert gen.is_coroutine_function(work)
    assert type(work.retry) is pertinax.TornadoRetrying
    assert ioloop.IOLoop.current().run_sync(lambda: work(21)) == 42
    assert calls == [21, 21, 21]
    assert work.statistics["attempt_number"] == 3


def test_tornado_give_up_and_call_form() -> None:
    from tornado import gen, ioloop

    @gen.coroutine
    def fail() -> Any:
        yield gen.sleep(0)
        raise KeyError("k")

    sleeps: list[Any] = []

    @gen.coroutine
    def sleep(seconds: Any) -> Any:
        sleeps.append(seconds)
        yield gen.sleep(0)

    r = pertinax.TornadoRetrying(sleep=sleep, stop=stop_after_attempt(3), wait=wait_fixed(0.25))
    with pytest.raises(RetryError) as info:
        ioloop.IOLoop.current().run_sync(lambda: r(fail))
    assert isinstance(info.value.__cause__, KeyError)
    assert sleeps == [0.25, 0.25]
    assert r.statistics["attempt_number"] == 3
    assert "TornadoRetrying object at 0x" in repr(r)


def test_without_tornado_retry_takes_the_plain_path() -> None:
    from tornado import gen

    @gen.coroutine
    def coroutine() -> Any:
        yield gen.sleep(0)

    with mock.patch.object(pertinax, "tornado", None):
        wrapped = retry(stop=stop_after_attempt(1))(coroutine)
    assert type(wrapped.retry) is pertinax.Retrying
