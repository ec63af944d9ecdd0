"""Recording: turn what each library does into plain, comparable data."""

from __future__ import annotations

import concurrent.futures
import re
from typing import Any

from .fixtures import (
    MAX_SLEEPS,
    CallbackError,
    Runaway,
    Scenario,
)

_ADDR = re.compile(r"0x[0-9a-fA-F]+")
_RCS_ID = re.compile(r"<RetryCallState \d+:")


def scrub(s: str) -> str:
    return _RCS_ID.sub("<RetryCallState ID:", _ADDR.sub("0x?", s))


def num(v: Any) -> tuple[str, str]:
    """A number as (type name, exact repr): ints and floats must not be confused."""
    return (type(v).__name__, repr(v))


class Recorder:
    """Everything observed during one run of one scenario under one library and form."""

    def __init__(self, lib: Any, sc: Scenario | None = None) -> None:
        self.lib = lib
        self.sc = sc
        self.events: list[Any] = []
        self.sleeps = 0
        self.calls = 0
        self.functions: list[Any] = []  # scripted functions made by hand-written cases
        self._origins: dict[int, str] = {}
        self._keep: list[Any] = []  # keeps labelled objects alive so ids are not reused
        self._states: list[Any] = []
        self.stats_source: Any = None  # () -> the statistics dict the user would look at

    # ---- labels -------------------------------------------------------------------------
    def label(self, obj: Any, name: str) -> None:
        self._keep.append(obj)
        self._origins[id(obj)] = name

    def origin(self, obj: Any) -> str | None:
        return self._origins.get(id(obj))

    def state_label(self, rs: Any) -> int:
        for i, s in enumerate(self._states):
            if s is rs:
                return i
        self._states.append(rs)
        return len(self._states) - 1

    # ---- normalisers --------------------------------------------------------------------
    def value(self, v: Any, depth: int = 0) -> Any:
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, float)):
            return num(v)
        if isinstance(v, tuple):
            return tuple(self.value(x, depth) for x in v)
        if isinstance(v, concurrent.futures.Future) or (
            hasattr(v, "attempt_number") and hasattr(v, "failed")
        ):
            return self.future(v, depth)
        if isinstance(v, BaseException):
            return self.exc(v, depth)
        return ("obj", type(v).__qualname__, scrub(repr(v)))

    def future(self, fut: Any, depth: int = 0) -> Any:
        if fut is None:
            return None
        d: dict[str, Any] = {
            "type": type(fut).__name__,
            "is_lib_future": isinstance(fut, self.lib.Future),
            "is_cf_future": isinstance(fut, concurrent.futures.Future),
            "attempt_number": fut.attempt_number,
            "failed": fut.failed,
            "repr": scrub(repr(fut)),
        }
        if fut.failed:
            d["exception"] = self.exc(fut.exception(), depth + 1)
        else:
            d["result"] = self.value(fut.result(), depth + 1)
        return d

    def exc(self, e: BaseException | None, depth: int = 0) -> Any:
        if e is None:
            return None
        mod = type(e).__module__
        if mod.split(".")[0] == self.lib.__name__.split(".")[0]:
            mod = "<lib>"
        d: dict[str, Any] = {
            "type": type(e).__qualname__,
            "module": mod,
            "is_lib_RetryError": isinstance(e, self.lib.RetryError),
            "is_lib_TryAgain": isinstance(e, self.lib.TryAgain),
            "str": scrub(str(e)),
            "repr": scrub(repr(e)),
            "origin": self.origin(e),
        }
        if depth < 3:
            d["cause"] = self.exc(e.__cause__, depth + 1)
            d["context"] = self.exc(e.__context__, depth + 1)
            d["suppress_context"] = e.__suppress_context__
            if hasattr(e, "last_attempt"):
                d["last_attempt"] = self.value(e.last_attempt, depth + 1)
        return d

    def stats(self, d: dict[str, Any] | None) -> Any:
        if d is None:
            return None
        out = []
        for k, v in d.items():  # insertion order is observable (repr), so keep it
            if k == "start_time":
                out.append((k, type(v).__name__))
            elif k == "delay_since_first_attempt":
                out.append((k, type(v).__name__, v if type(v) is int else "<time>"))
            else:
                out.append((k, self.value(v)))
        return out

    def snap(self, rs: Any) -> dict[str, Any]:
        """What a callback can see on the RetryCallState."""
        na = rs.next_action
        ro = rs.retry_object
        return {
            "rs": self.state_label(rs),
            "attempt_number": rs.attempt_number,
            "outcome": self.future(rs.outcome),
            "has_outcome_timestamp": rs.outcome_timestamp is not None,
            "seconds_since_start_is_none": rs.seconds_since_start is None,
            "upcoming_sleep": num(rs.upcoming_sleep),
            "next_action": None if na is None else (type(na).__name__, num(na.sleep)),
            "idle_for": num(rs.idle_for),
            "fn": "None" if rs.fn is None else self.origin(rs.fn) or scrub(repr(rs.fn)),
            "args": self.value(tuple(rs.args)),
            "kwargs": sorted((k, self.value(v)) for k, v in rs.kwargs.items()),
            "fn_name": scrub(rs.get_fn_name()),
            "retry_object": type(ro).__name__,
            "stats": self.stats(ro.statistics) if ro is not None else None,
            "repr": scrub(repr(rs)),
        }

    # ---- recording callbacks ------------------------------------------------------------
    def note(self, kind: str, rs: Any) -> None:
        self.events.append((kind, self.snap(rs)))

    def maybe_raise(self, where: str, attempt: int) -> None:
        if self.sc is not None and self.sc.raise_in == (where, attempt):
            e = CallbackError(f"{where} at {attempt}")
            self.label(e, f"raised-by-{where}")
            raise e

    def before(self, rs: Any) -> None:
        self.note("before", rs)
        self.maybe_raise("before", rs.attempt_number)

    def after(self, rs: Any) -> None:
        self.note("after", rs)
        self.maybe_raise("after", rs.attempt_number)

    def before_sleep(self, rs: Any) -> None:
        self.note("before_sleep", rs)
        self.maybe_raise("before_sleep", rs.attempt_number)

    def probe_retry(self, rs: Any) -> bool:
        self.note("probe_retry", rs)
        self.maybe_raise("probe_retry", rs.attempt_number)
        return False

    def probe_stop(self, rs: Any) -> bool:
        self.note("probe_stop", rs)
        self.maybe_raise("probe_stop", rs.attempt_number)
        return False

    def probe_wait(self, retry_state: Any) -> int:  # named so wait_chain's keyword call works
        self.note("probe_wait", retry_state)
        self.maybe_raise("probe_wait", retry_state.attempt_number)
        return 0

    def retry_error_callback(self, rs: Any) -> Any:
        self.note("retry_error_callback", rs)
        self.maybe_raise("retry_error_callback", rs.attempt_number)
        if self.sc is not None and self.sc.retry_error_callback == "outcome":
            return rs.outcome
        return ("gave up", rs.attempt_number)

    def sleep(self, seconds: Any) -> None:
        self.sleeps += 1
        self.events.append(
            (
                "sleep",
                type(seconds).__name__,
                isinstance(seconds, float),
                isinstance(seconds, self.lib.DoSleep),
                num(float(seconds)),
                self.stats(self.stats_source() if self.stats_source else None),
            )
        )
        self.maybe_raise("sleep", self.sleeps)
        if self.sleeps > MAX_SLEEPS:
            raise Runaway(f"sleep #{self.sleeps}")


class FalsyCallback:
    """A callable that is falsy: tenacity only uses retry_error_callback when it is truthy."""

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec

    def __bool__(self) -> bool:
        return False

    def __call__(self, rs: Any) -> Any:
        self.rec.note("falsy_callback", rs)
        return "falsy-callback-result"
