"""A testing mode: every retry in the process gives up after a few attempts and never sleeps.

While it is on, every decorated function, controller and iterator loop (sync and async, built
before or after it was turned on) stops after ``attempts`` attempts and waits 0 seconds
without calling its sleep function at all. What is retried does not change: an error the
policy would not retry still propagates at once. Logs and metrics record every attempt, as
usual, with waits of 0.

The mode is a process-wide setting that the engine reads when it compiles a controller's
plan; turning it on or off makes every plan compile again on its next call, so a call pays
nothing for the mode existing. Controllers whose class overrides ``iter()`` decide their own
steps and are not affected.

With pytest, ``pytest --pertinax-testing`` turns it on for the whole run, and the
``pertinax_testing`` fixture for one test.
"""

import types

from . import _pertinax

__all__ = ["is_testing", "set_testing", "testing"]


def _check(where: str, attempts: object) -> int:
    if isinstance(attempts, bool) or not isinstance(attempts, int):
        raise TypeError(f"{where} argument 'attempts' must be an int, got {attempts!r}")
    if not 1 <= attempts <= 0xFFFFFFFF:
        raise ValueError(f"{where} argument 'attempts' must be at least 1, got {attempts!r}")
    return attempts


def set_testing(testing: bool, *, attempts: int = 1, cap: bool = False) -> None:
    """Turns the testing mode on or off for the whole process.

    ``attempts`` is how many attempts every retry makes before giving up; with ``cap=True``
    it is only an upper bound, and a policy that gives up earlier still does.
    """
    if testing:
        _pertinax.set_testing(_check("set_testing()", attempts), bool(cap))
    else:
        _pertinax.set_testing(None)


def is_testing() -> bool:
    """Whether the testing mode is on."""
    return _pertinax.testing_mode() is not None


class testing:
    """``with testing(attempts=1):`` turns the testing mode on (or, with ``False``, off) for a
    block, then restores whatever was in force before. Nests."""

    __slots__ = ("_attempts", "_cap", "_previous", "_testing")

    def __init__(self, testing: bool = True, *, attempts: int = 1, cap: bool = False) -> None:
        self._testing = bool(testing)
        self._attempts = _check("testing()", attempts)
        self._cap = bool(cap)
        self._previous: list[tuple[int, bool] | None] = []

    def __repr__(self) -> str:
        return f"testing({self._testing!r}, attempts={self._attempts!r}, cap={self._cap!r})"

    def __enter__(self) -> None:
        self._previous.append(_pertinax.testing_mode())
        set_testing(self._testing, attempts=self._attempts, cap=self._cap)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        previous = self._previous.pop()
        if previous is None:
            _pertinax.set_testing(None)
        else:
            _pertinax.set_testing(*previous)
