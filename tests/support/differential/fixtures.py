"""What both libraries share in a differential run: exception classes (so identity and
isinstance checks are fair), events, the names scenario expressions may use, the candidate
library, and the scenario itself, pure data.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import threading
from typing import Any

FORMS = ("decorator", "call", "iterator")  # the async forms: tests/test_async_differential.py
MAX_SLEEPS = 8  # the recording sleep raises Runaway on the 9th call: bounds stop_never


class ErrA(Exception):
    pass


class ErrB(ErrA):
    pass


class ErrC(Exception):
    pass


class ErrD(ErrC):
    pass


class Halt(BaseException):
    """A BaseException that is not one of the three pertinax deliberately never retries
    (KeyboardInterrupt, SystemExit, GeneratorExit): it must behave exactly as in tenacity."""


class CallbackError(Exception):
    """Raised on purpose from a callback, probe or the sleep."""


class Runaway(Exception):
    """Raised by the recording sleep once MAX_SLEEPS sleeps were asked for."""


EXCEPTIONS = {
    c.__name__: c for c in (ErrA, ErrB, ErrC, ErrD, Halt, ValueError, OSError, KeyError, TypeError)
}

EVENT_SET = threading.Event()
EVENT_SET.set()
EVENT_UNSET = threading.Event()

# Every public strategy / helper name that scenario expressions may use.
LIB_NAMES = (
    "retry",
    "Retrying",
    "RetryError",
    "TryAgain",
    "Future",
    "RetryCallState",
    "stop_after_attempt",
    "stop_after_delay",
    "stop_before_delay",
    "stop_all",
    "stop_any",
    "stop_never",
    "stop_when_event_set",
    "wait_chain",
    "wait_combine",
    "wait_exception",
    "wait_exponential",
    "wait_exponential_jitter",
    "wait_fixed",
    "wait_full_jitter",
    "wait_incrementing",
    "wait_none",
    "wait_random",
    "wait_random_exponential",
    "retry_all",
    "retry_always",
    "retry_any",
    "retry_if_exception",
    "retry_if_exception_cause_type",
    "retry_if_exception_message",
    "retry_if_exception_type",
    "retry_if_not_exception_message",
    "retry_if_not_exception_type",
    "retry_if_not_result",
    "retry_if_result",
    "retry_never",
    "retry_unless_exception_type",
)


def load_candidate() -> tuple[Any, str | None]:
    """Return (module, None), or (None, reason) when the candidate cannot be imported."""
    name = os.environ.get("PERTINAX_DIFF_CANDIDATE", "pertinax")
    try:
        return importlib.import_module(name), None
    except Exception as e:  # ImportError, or a half-built extension raising anything else
        return None, f"candidate {name!r} is not importable: {type(e).__name__}: {e}"


_MY_RETRY_ERRORS: dict[int, type] = {}


def my_retry_error(lib: Any) -> type:
    """A user subclass of the library's RetryError, one per library, named identically."""
    cls = _MY_RETRY_ERRORS.get(id(lib))
    if cls is None:
        cls = type("MyRetryError", (lib.RetryError,), {"__module__": __name__})
        _MY_RETRY_ERRORS[id(lib)] = cls
    return cls


OMIT = "omit"


@dataclasses.dataclass(frozen=True)
class Scenario:
    script: tuple[tuple[Any, ...], ...]  # one outcome per attempt; the last one repeats
    stop: str | None = None  # source expressions; None = argument not passed
    wait: str | None = None
    retry: str | None = None
    reraise: bool | None = None
    before: str = OMIT  # OMIT | "None" | "rec"
    after: str = OMIT
    before_sleep: str = OMIT
    retry_error_callback: str = OMIT  # OMIT | "None" | "value" | "outcome" | "falsy"
    retry_error_cls: str = OMIT  # OMIT | "MyRetryError" | "ValueError" | "lambda"
    name: str | None = None
    enabled: bool | None = None
    raise_in: tuple[str, int] | None = None  # (callback name, attempt or sleep number)
    seed: int = 0
    calls: int = 1  # invocations of the same controller / decorated function
    mutate: bool = False  # change strategy attributes in place before each later invocation

    def source(self) -> str:
        """The Retrying(...) arguments as code (for messages and bug reports)."""
        parts = []
        for f in ("stop", "wait", "retry"):
            v = getattr(self, f)
            if v is not None:
                parts.append(f"{f}={v}")
        if self.reraise is not None:
            parts.append(f"reraise={self.reraise}")
        for f in ("before", "after", "before_sleep"):
            v = getattr(self, f)
            if v != OMIT:
                parts.append(f"{f}={'None' if v == 'None' else 'recorder'}")
        if self.retry_error_callback != OMIT:
            parts.append(f"retry_error_callback=<{self.retry_error_callback}>")
        if self.retry_error_cls != OMIT:
            parts.append(f"retry_error_cls={self.retry_error_cls}")
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        if self.enabled is not None:
            parts.append(f"enabled={self.enabled}")
        return (
            f"Retrying({', '.join(parts)})  script={list(self.script)}"
            f"  raise_in={self.raise_in}  seed={self.seed}  calls={self.calls}"
            f"  mutate={self.mutate}"
        )
