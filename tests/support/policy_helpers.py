"""Helpers for the policy tests: a flaky function, and a wait strategy's answers."""

from __future__ import annotations

from pertinax import RetryCallState, Retrying


class Flaky(Exception):
    """The error the policies under test retry."""


class Fatal(Exception):
    """An error they do not retry."""


def flaky(times: int, exc: BaseException | type[BaseException] = ConnectionError):
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise exc if isinstance(exc, BaseException) else exc(f"failure {len(calls)}")
        return "ok"

    fn.calls = calls  # type: ignore[attr-defined]
    return fn


def waits(wait, attempts: int, exc: BaseException | None = None) -> list[float]:
    """The wait strategy's answers after attempts 1..attempts."""
    out = []
    for n in range(1, attempts + 1):
        state = RetryCallState(Retrying(), None, (), {})
        state.attempt_number = n
        error = exc or ConnectionError("x")
        state.set_exception((type(error), error, None))
        out.append(float(wait(state)))
    return out


def expo(multiplier: float, low: float, high: float, attempts: int) -> list[float]:
    return [max(low, min(high, multiplier * 2 ** (n - 1))) for n in range(1, attempts + 1)]
