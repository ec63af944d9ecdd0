"""Small helpers shared by the test modules."""

from __future__ import annotations


def no_sleep(_seconds: float) -> None:
    """A `sleep=` that returns at once."""


def script(*steps: object):  # type: ignore[no-untyped-def]
    """A function that raises or returns each step in turn, then repeats the last."""
    queue = list(steps)

    def fn(*args: object, **kwargs: object) -> object:
        step = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(step, BaseException):
            raise step
        return step

    return fn
