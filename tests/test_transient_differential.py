"""retry_if_transient() and wait_retry_after() on pertinax's engine against tenacity 9.2.1
running the same decisions as plain Python: ``retry_if_exception(is_transient)`` and the
wait strategy's own ``__call__`` over tenacity's ``wait_exponential``. Every event of
generated scenarios is compared: attempts, sleeps, callbacks, the result or the exception,
and the statistics.
"""

from __future__ import annotations

import typing

import pertinax
import pytest
import tenacity
from hypothesis import given, settings
from hypothesis import strategies as st
from pertinax.transient import is_transient, wait_retry_after


class RateLimited(Exception):
    """A 429 as some SDKs raise it: a status and the wait as attributes."""

    def __init__(self, retry_after: object) -> None:
        super().__init__(f"slow down ({retry_after!r})")
        self.status_code = 429
        self.retry_after = retry_after


class AppError(Exception):
    """An application's own error, raised from whatever failed below it."""


def make(outcome: tuple[str, object]) -> BaseException | None:
    kind, arg = outcome
    if kind == "ok":
        return None
    if kind == "refused":
        return ConnectionRefusedError(111, "refused")
    if kind == "timeout":
        return TimeoutError("timed out")
    if kind == "missing":
        return FileNotFoundError(2, "missing", "x.csv")
    if kind == "value":
        return ValueError("bad value, try again")
    if kind == "limited":
        return RateLimited(arg)
    if kind == "wrapped":  # AppError raised from a refused connection
        try:
            raise ConnectionResetError("reset")
        except ConnectionResetError as cause:
            try:
                raise AppError("upstream failed") from cause
            except AppError as exc:
                return exc
    raise AssertionError(kind)


OUTCOMES = st.one_of(
    st.sampled_from(
        [("ok", None), ("refused", None), ("timeout", None), ("missing", None), ("value", None)]
    ),
    st.tuples(
        st.just("limited"),
        st.sampled_from([0, 1, 2.5, "3", "soon", "Thu, 01 Jan 1970 00:00:00 GMT"]),
    ),
    st.just(("wrapped", None)),
)

RETRIES = [
    "transient",
    "transient | retry_if_exception_type(ValueError)",
    "transient & retry_if_exception_message(match='.*again')",
    "transient | retry_if_result(lambda r: r is None)",
]


def build(lib: typing.Any, retry_expr: str, multiplier: float, cap: float) -> dict[str, typing.Any]:
    if lib is pertinax:
        transient = pertinax.retry_if_transient()
        fallback = pertinax.wait_exponential(multiplier=multiplier, max=4)
    else:
        transient = tenacity.retry_if_exception(is_transient)
        fallback = tenacity.wait_exponential(multiplier=multiplier, max=4)
    names = {name: getattr(lib, name) for name in lib.__all__}
    retry = eval(retry_expr, {**names, "transient": transient})  # noqa: S307  (test data)
    # The same wait_retry_after object type on both sides: under pertinax the engine runs it
    # natively, under tenacity its Python __call__ runs.
    return {"retry": retry, "wait": wait_retry_after(fallback=fallback, max=cap)}


def run(
    lib: typing.Any,
    outcomes: list[tuple[str, object]],
    attempts: int,
    retry_expr: str,
    multiplier: float,
    cap: float,
) -> list[typing.Any]:
    events: list[typing.Any] = []
    queue = list(outcomes)

    def attempt() -> object:
        events.append(("attempt",))
        exc = make(queue.pop(0)) if queue else None
        if exc is not None:
            raise exc
        return None if queue else "done"

    def before_sleep(state: typing.Any) -> None:
        events.append(("before_sleep", state.attempt_number, round(state.upcoming_sleep, 9)))

    controller = lib.Retrying(
        stop=lib.stop_after_attempt(attempts),
        sleep=lambda s: events.append(("sleep", round(s, 9))),
        before_sleep=before_sleep,
        **build(lib, retry_expr, multiplier, cap),
    )
    try:
        events.append(("returned", controller(attempt)))
    except lib.RetryError as err:
        last = err.last_attempt
        exc = last.exception()
        events.append(("retry_error", last.attempt_number, type(exc).__name__, str(exc)))
    except Exception as exc:  # noqa: BLE001
        events.append(("raised", type(exc).__name__, str(exc)))
    stats = controller.statistics
    events.append(("statistics", stats["attempt_number"], round(stats["idle_for"], 9)))
    return events


@settings(max_examples=150, deadline=None)
@given(
    outcomes=st.lists(OUTCOMES, min_size=1, max_size=6),
    attempts=st.integers(1, 5),
    retry_expr=st.sampled_from(RETRIES),
    multiplier=st.sampled_from([0.5, 1, 2]),
    cap=st.sampled_from([0, 2, 30]),
)
def test_same_events_as_tenacity(
    outcomes: list[tuple[str, object]],
    attempts: int,
    retry_expr: str,
    multiplier: float,
    cap: float,
) -> None:
    theirs = run(tenacity, outcomes, attempts, retry_expr, multiplier, cap)
    ours = run(pertinax, outcomes, attempts, retry_expr, multiplier, cap)
    assert ours == theirs


@pytest.mark.parametrize("retry_expr", RETRIES[:2] + RETRIES[3:])
def test_a_known_scenario(retry_expr: str) -> None:
    # refused, rate limited with Retry-After 2.5, then the answer: both libraries wait the
    # fallback's 1 s, then the server's 2.5 s.
    outcomes = [("refused", None), ("limited", 2.5), ("ok", None)]
    ours = run(pertinax, outcomes, 5, retry_expr, 1, 30)
    assert ours == run(tenacity, outcomes, 5, retry_expr, 1, 30)
    assert ours[-2:] == [("returned", "done"), ("statistics", 3, 3.5)]
    assert [e for e in ours if e[0] == "sleep"] == [("sleep", 1), ("sleep", 2.5)]
