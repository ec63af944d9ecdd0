"""TEMPORARY stand-in for pertinax.transient until that module lands; deleted then."""

from __future__ import annotations

import typing

from .retry import retry_if_exception
from .wait import wait_base, wait_exponential


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, (ConnectionError, TimeoutError))


class retry_if_transient(retry_if_exception):
    def __init__(self) -> None:
        super().__init__(is_transient)

    def __repr__(self) -> str:
        return "retry_if_transient()"

    def __reduce__(self) -> tuple[typing.Any, ...]:
        return (type(self), ())


class wait_retry_after(wait_base):
    def __init__(
        self,
        *,
        fallback: typing.Any = wait_exponential(multiplier=1, min=1, max=30),
        max: float = 30.0,
    ) -> None:
        self.fallback = fallback
        self.max = max

    def __call__(self, retry_state: typing.Any) -> float:
        outcome = retry_state.outcome
        if outcome is not None and outcome.failed:
            value = getattr(outcome.exception(), "retry_after", None)
            if value is not None:
                return min(float(value), self.max)
        return float(self.fallback(retry_state))

    def __reduce__(self) -> tuple[typing.Any, ...]:
        return (_rebuild, (self.fallback, self.max))


def _rebuild(fallback: typing.Any, max: float) -> wait_retry_after:
    return wait_retry_after(fallback=fallback, max=max)
