"""Helpers for the asyncio tests: running a coroutine, a flaky coroutine function and a
recording async sleep."""

from __future__ import annotations

import asyncio
from typing import Any


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class Flaky:
    """An async callable that fails ``failures`` times, then returns ``value``."""

    def __init__(self, failures: int, value: Any = "ok", exc: type[BaseException] = ValueError):
        self.failures, self.value, self.exc = failures, value, exc
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        await asyncio.sleep(0)
        if self.calls <= self.failures:
            raise self.exc(f"failure {self.calls}")
        return self.value


class Sleeps:
    """A recording async sleep."""

    def __init__(self) -> None:
        self.seconds: list[Any] = []

    async def __call__(self, seconds: Any) -> None:
        self.seconds.append(seconds)
