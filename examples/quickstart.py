"""Quickstart: retry a flaky call with exponential backoff, printing each failed attempt.

Run it with `make demo` (or `python examples/quickstart.py` once pertinax is installed).
"""

from __future__ import annotations

from pertinax import (
    RetryCallState,
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

FAILURES_BEFORE_SUCCESS = 2
calls = 0


def report(retry_state: RetryCallState) -> None:
    """before_sleep hook: runs after a failed attempt, once the wait is chosen."""
    outcome = retry_state.outcome
    error = outcome.exception() if outcome is not None else None
    print(
        f"attempt {retry_state.attempt_number} failed with {error!r}; "
        f"waiting {retry_state.upcoming_sleep:.2f}s"
    )


@retry(
    stop=stop_after_attempt(5),
    wait=wait_exponential(multiplier=0.01, max=0.1),
    retry=retry_if_exception_type(ConnectionError),
    before_sleep=report,
)
def fetch_greeting(name: str) -> str:
    """Stand-in for a network call that fails twice before it answers."""
    global calls
    calls += 1
    if calls <= FAILURES_BEFORE_SUCCESS:
        raise ConnectionError(f"server busy (call {calls})")
    return f"hello, {name}"


def main() -> None:
    greeting = fetch_greeting("world")
    attempts = fetch_greeting.statistics["attempt_number"]
    print(f"result: {greeting!r} after {attempts} attempts")


if __name__ == "__main__":
    main()
