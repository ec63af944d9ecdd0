"""Differential harness: run one retry scenario under tenacity and under a candidate library
(pertinax) and record every observable event, so that the two recordings can be compared.

A scenario is pure data. Its strategies are Python *source expressions* ("stop_after_attempt(3)
| probe_stop"), evaluated once per library in a namespace made of that library's public names
plus the harness' exception classes and recording probes. So a failing scenario prints as code
that reproduces it.

The candidate library is chosen with the environment variable ``PERTINAX_DIFF_CANDIDATE``
(default ``pertinax``); ``PERTINAX_DIFF_CANDIDATE=tenacity`` runs tenacity against itself,
which checks that the harness is deterministic.

Time: nothing here patches a clock. Delay-based stops are only generated with limits that a
test run cannot reach (``1e9``) or that are always reached (``0``), so the real clock cannot
change a decision. ``start_time`` and ``delay_since_first_attempt`` are compared by presence
and type only.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import importlib
import os
import random
import re
import threading
import warnings
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

FORMS = ("decorator", "call", "iterator")  # the async forms: tests/test_async_differential.py
MAX_SLEEPS = 8  # the recording sleep raises Runaway on the 9th call: bounds stop_never

# --------------------------------------------------------------------------------------------
# Exception classes shared by both libraries (so that identity and isinstance checks are fair)
# --------------------------------------------------------------------------------------------


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


class FalsyCallback:
    """A callable that is falsy: tenacity only uses retry_error_callback when it is truthy."""

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec

    def __bool__(self) -> bool:
        return False

    def __call__(self, rs: Any) -> Any:
        self.rec.note("falsy_callback", rs)
        return "falsy-callback-result"


# --------------------------------------------------------------------------------------------
# Normalisation: turn observed objects into plain, comparable data
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------

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


def namespace(lib: Any, rec: Recorder) -> dict[str, Any]:
    ns: dict[str, Any] = {n: getattr(lib, n) for n in LIB_NAMES}
    ns.update(EXCEPTIONS)
    ns.update(
        timedelta=timedelta,
        re=re,
        inf=float("inf"),
        EVENT_SET=EVENT_SET,
        EVENT_UNSET=EVENT_UNSET,
        probe_retry=rec.probe_retry,
        probe_stop=rec.probe_stop,
        probe_wait=rec.probe_wait,
        MyRetryError=my_retry_error(lib),
    )
    return ns


class HarnessError(Exception):
    """A scenario expression that does not even evaluate under tenacity: a harness bug."""


def build_kwargs(lib: Any, sc: Scenario, rec: Recorder) -> dict[str, Any]:
    ns = namespace(lib, rec)
    kw: dict[str, Any] = {"sleep": rec.sleep}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for f in ("stop", "wait", "retry"):
            src = getattr(sc, f)
            if src is not None:
                try:
                    kw[f] = eval(src, ns)  # noqa: S307 - the expressions are the test data
                except (NameError, SyntaxError, AttributeError) as e:
                    raise HarnessError(f"{f}={src}: {e!r}") from e
    rec.events.append(
        ("construction_warnings", [(w.category.__name__, str(w.message)) for w in caught])
    )
    if sc.reraise is not None:
        kw["reraise"] = sc.reraise
    for f in ("before", "after", "before_sleep"):
        v = getattr(sc, f)
        if v == "None":
            kw[f] = None
        elif v == "rec":
            kw[f] = getattr(rec, f)
    cb = sc.retry_error_callback
    if cb == "None":
        kw["retry_error_callback"] = None
    elif cb == "falsy":
        kw["retry_error_callback"] = FalsyCallback(rec)
    elif cb in ("value", "outcome"):
        kw["retry_error_callback"] = rec.retry_error_callback
    ec = sc.retry_error_cls
    if ec == "MyRetryError":
        kw["retry_error_cls"] = my_retry_error(lib)
    elif ec == "ValueError":
        kw["retry_error_cls"] = ValueError
    elif ec == "lambda":
        kw["retry_error_cls"] = lambda fut: ErrC(f"gave up at {fut.attempt_number}")
    if sc.name is not None:
        kw["name"] = sc.name
    if sc.enabled is not None:
        kw["enabled"] = sc.enabled
    return kw


def perform(lib: Any, rec: Recorder, step: tuple[Any, ...], k: int, prefix: str = "") -> Any:
    """Act out one scripted outcome for attempt k: return a value or raise. Raised objects are
    labelled "{prefix}a{k}" so that where an exception comes from can be compared."""
    kind = step[0]
    tag = f"{prefix}a{k}"
    if kind == "return":
        return step[1]
    if kind == "raise":
        _, cls, msg, cause = step
        e = EXCEPTIONS[cls](msg)
        rec.label(e, tag)
        if cause is None:
            raise e
        c = EXCEPTIONS[cause[0]](cause[1])
        rec.label(c, f"{tag}.cause")
        raise e from c
    if kind == "halt":
        e = Halt(step[1])
        rec.label(e, tag)
        raise e
    if kind == "tryagain":
        _, how, cls, msg = step
        t = lib.TryAgain(msg) if msg else lib.TryAgain()
        rec.label(t, tag)
        if how is None:
            raise t
        u = EXCEPTIONS[cls](msg)
        rec.label(u, f"{tag}.underlying")
        if how == "cause":
            raise t from u
        try:
            raise u
        except BaseException:
            raise t  # noqa: B904 - the implicit __context__ is the point
    raise AssertionError(f"unknown script step {step!r}")


ARGS = (1, "two")
KWARGS = {"three": 3.0}


_CHILDREN = ("stops", "wait_funcs", "strategies", "retries")
_OWN_PREDICATE = ("retry_if_result", "retry_if_not_result", "retry_if_exception", "wait_exception")


def mutate_strategies(obj: Any, path: str, out: list[Any], depth: int = 0) -> None:
    """Change the documented attributes of a strategy tree in place, the way users patch
    `fn.retry.stop.max_attempt_number`: tenacity reads them at every call. Records each change."""
    if depth > 6:
        return
    for name in _CHILDREN:
        members = getattr(obj, name, None)
        if isinstance(members, (tuple, list)):
            for i, m in enumerate(members):
                mutate_strategies(m, f"{path}.{name}[{i}]", out, depth + 1)

    def change(attr: str, new: Any) -> None:
        out.append((path, attr, scrub(repr(getattr(obj, attr))), scrub(repr(new))))
        setattr(obj, attr, new)

    for attr in (
        "max_attempt_number",
        "wait_fixed",
        "wait_random_min",
        "wait_random_max",
        "start",
        "increment",
        "min",
        "exp_base",
        "jitter",
    ):
        v = getattr(obj, attr, None)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            change(attr, v + 1)
    for attr in ("multiplier", "max", "max_delay"):
        v = getattr(obj, attr, None)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            change(attr, v * 2)
    for attr in ("exception_types", "exception_cause_types"):
        if hasattr(obj, attr):
            change(attr, (ErrB, ErrC, ValueError))
    if isinstance(getattr(obj, "message", None), str):
        change("message", "retry me" if obj.message != "retry me" else "boom")
    if getattr(obj, "match", None) is not None:
        change("match", re.compile("r"))
    if type(obj).__name__ in _OWN_PREDICATE and callable(getattr(obj, "predicate", None)):
        new = (lambda v: v == "ok") if "result" in type(obj).__name__ else (lambda e: 1)
        out.append((path, "predicate", "<callable>", "<callable>"))
        obj.predicate = new


def run(lib: Any, sc: Scenario, form: str) -> list[Any]:
    """Run the scenario under lib in the given form; return the full recording.

    The controller (or the decorated function) is built once and invoked sc.calls times; each
    invocation restarts the script."""
    rec = Recorder(lib, sc)
    ev = rec.events
    random.seed(sc.seed)
    holder: dict[str, Any] = {}
    invocation = [0]

    def fn(*args: Any, **kwargs: Any) -> Any:
        rec.calls += 1
        k = rec.calls
        live = rec.stats_source() if rec.stats_source else None
        extra = None
        if form == "decorator":
            w = holder["wrapped"]
            extra = (w.retry.statistics is w.statistics, w.statistics is holder["stats0"])
        ev.append(("call", k, rec.value(args), sorted(kwargs.items()), rec.stats(live), extra))
        step = sc.script[min(k, len(sc.script)) - 1]
        return perform(lib, rec, step, k, prefix=f"c{invocation[0]}." if invocation[0] > 1 else "")

    rec.label(fn, "fn")
    try:
        kw = build_kwargs(lib, sc, rec)
    except HarnessError:
        raise
    except BaseException as e:
        ev.append(("build_error", rec.exc(e)))
        return ev

    try:
        if form == "decorator":
            target = lib.retry(**kw)(fn)
            holder["wrapped"] = target
            holder["stats0"] = target.statistics
            rec.stats_source = lambda: target.statistics
            ev.append(
                (
                    "wrapper",
                    type(target).__name__,
                    target.__wrapped__ is fn,
                    target.__name__,
                    target.statistics == {},
                    type(target.retry).__name__,
                )
            )
        else:
            target = lib.Retrying(**kw)
            rec.stats_source = lambda: target.statistics
            ev.append(("controller", type(target).__name__, target.statistics == {}, str(target)))
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        ev.append(("construction_error", rec.exc(e)))
        return ev

    def iterate() -> Any:
        first = None
        for attempt in target:
            rs = attempt.retry_state
            if first is None:
                first = rs
            ev.append(
                (
                    "yield",
                    type(attempt).__name__,
                    rs.attempt_number,
                    rs is first,
                    rs.outcome is None,
                )
            )
            ok, value = False, None
            with attempt as entered:
                ev.append(("entered", entered))
                value = fn()
                ok = True
            if ok:
                rs.set_result(value)  # in iterator mode the final value is discarded
        return ("iteration_ended",)

    for i in range(1, sc.calls + 1):
        if i > 1 and sc.mutate:
            changes: list[Any] = []
            owner = target.retry if form == "decorator" else target
            for f in ("stop", "wait", "retry"):
                # only objects the scenario made: never a library default or singleton
                if f in kw and getattr(owner, f) is kw[f]:
                    mutate_strategies(kw[f], f, changes)
            ev.append(("mutated", changes))
        invocation[0] = i
        rec.calls = 0
        rec.sleeps = 0
        try:
            if form == "decorator":
                final = ("returned", rec.value(target(*ARGS, **KWARGS)))
            elif form == "call":
                final = ("returned", rec.value(target(fn, *ARGS, **KWARGS)))
            else:
                final = iterate()
        except BaseException as e:  # noqa: BLE001 - everything is recorded and compared
            if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit)):
                raise
            final = ("raised", rec.exc(e))
        ev.append(("final", final))
        ev.append(("statistics", rec.stats(rec.stats_source())))
        if form == "decorator":
            ev.append(
                (
                    "decorator_after",
                    target.statistics is holder["stats0"],
                    target.retry.statistics is target.statistics,
                )
            )
    ev.append(("random_after", random.random()))  # the same number of draws were made
    return ev


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------


class Mismatch(AssertionError):
    """The recordings differ; ref_event/cand_event are the first differing events."""

    ref_event: Any = None
    cand_event: Any = None


def _fmt(x: Any) -> str:
    s = repr(x)
    return s if len(s) < 3000 else s[:3000] + "..."


_HOOK_ORIGINS = frozenset(
    {"before", "after", "before_sleep", "stop", "wait", "retry", "retry_error_callback"}
)


# pertinax's documented, deliberate differences from tenacity 9.2.1 (see the README's
# "Migrating from tenacity" table). They are aligned here, in one place, so that everything
# else about the same events is still compared.
def _deliberate(ref: Any, cand: Any) -> Any:
    """Return ``cand`` with the deliberate differences from ``ref`` aligned to ``ref``."""
    if isinstance(ref, dict) and isinstance(cand, dict):
        out = {k: _deliberate(ref.get(k), v) if k in ref else v for k, v in cand.items()}
        if "type" in ref and "context" in ref and out.get("type") == ref.get("type"):
            # 1. An error raised by a callback or a strategy keeps the failed attempt's
            #    exception as its __context__ (tenacity leaves it None).
            origin = out.get("origin") or ""
            raised_by_hook = (
                origin.startswith("raised-by-")
                or origin in _HOOK_ORIGINS
                or out.get("type") in ("CallbackError", "CallbackErrorProbe", "Runaway")
            )
            if raised_by_hook and ref.get("context") is None and out.get("context") is not None:
                out["context"] = None
            # 2. A strategy that is not callable gets a TypeError that names the strategy
            #    and the value, and ends with Python's own message (which tenacity raises).
            ref_str, cand_str = ref.get("str"), out.get("str")
            if (
                ref.get("type") == "TypeError"
                and isinstance(ref_str, str)
                and isinstance(cand_str, str)
                and ref_str.endswith("is not callable")
                and cand_str.endswith(ref_str)
            ):
                out["str"], out["repr"] = ref_str, ref.get("repr")
                # ... and, raised while evaluating the strategy, it keeps the attempt's
                # exception as its __context__ too (difference 1).
                if ref.get("context") is None:
                    out["context"] = None
        return out
    if isinstance(ref, (list, tuple)) and isinstance(cand, (list, tuple)) and len(ref) == len(cand):
        return type(cand)(_deliberate(r, c) for r, c in zip(ref, cand, strict=True))
    return cand


def compare(ref: list[Any], cand: list[Any], what: str) -> None:
    cand = _deliberate(ref, cand)
    if ref == cand:
        return
    n = next(
        (i for i, (a, b) in enumerate(zip(ref, cand, strict=False)) if a != b),
        min(len(ref), len(cand)),
    )
    msg = [f"difference in {what}", f"first differing event #{n}"]
    lo = max(0, n - 2)
    for i in range(lo, n):
        msg.append(f"  same      #{i}: {_fmt(ref[i])}")
    msg.append(f"  tenacity  #{n}: {_fmt(ref[n]) if n < len(ref) else '<no more events>'}")
    msg.append(f"  candidate #{n}: {_fmt(cand[n]) if n < len(cand) else '<no more events>'}")
    if isinstance(ref[n] if n < len(ref) else None, tuple) and n < len(cand):
        a, b = ref[n], cand[n]
        if isinstance(b, tuple) and len(a) == len(b):
            for j, (x, y) in enumerate(zip(a, b, strict=True)):
                if x != y:
                    if isinstance(x, dict) and isinstance(y, dict):
                        for key in sorted(set(x) | set(y)):
                            if x.get(key) != y.get(key):
                                msg.append(f"    field {j}.{key}: {x.get(key)!r} != {y.get(key)!r}")
                    else:
                        msg.append(f"    field {j}: {_fmt(x)} != {_fmt(y)}")
    err = Mismatch("\n".join(msg))
    err.ref_event = ref[n] if n < len(ref) else None
    err.cand_event = cand[n] if n < len(cand) else None
    raise err


def check(sc: Scenario, ref: Any, cand: Any, forms: tuple[str, ...] = FORMS) -> list[Any]:
    """Run the scenario under both libraries in every form; raise Mismatch on a difference.
    Returns the reference recordings (for coverage events)."""
    out = []
    for form in forms:
        a = run(ref, sc, form)
        b = run(cand, sc, form)
        compare(a, b, f"form={form}: {sc.source()}")
        out.append(a)
    return out


def observe(case: Any, lib: Any) -> Any:
    """Run a hand-written case (a function of the library returning data); an exception
    escaping it is part of the observation."""
    rec = Recorder(lib)
    try:
        return ("returned", case(lib, rec))
    except Mismatch:
        raise
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        return ("raised", rec.exc(e), rec.events)


# --------------------------------------------------------------------------------------------
# Hypothesis strategies (expressions as source text)
# --------------------------------------------------------------------------------------------

EXC_NAMES = ("ErrA", "ErrB", "ErrC", "ErrD", "ValueError", "OSError", "KeyError")
MESSAGES = ("", "boom", "retry me", "bad {x}")
RESULTS = (None, "ok", "again", 0, 1.5)


def _combine(
    children: st.SearchStrategy[tuple[str, bool]], ops: tuple[str, str], funcs: tuple[str, str]
) -> st.SearchStrategy[tuple[str, bool]]:
    """Combine (source, is_base) expressions with an infix operator or a combinator call.
    An infix operator needs a strategy object on the left; a plain callable goes right."""

    @st.composite
    def comb(draw: Any) -> tuple[str, bool]:
        how = draw(st.sampled_from(ops + funcs))
        if how in funcs:
            members = draw(st.lists(children, min_size=0, max_size=3))
            return f"{how}({', '.join(m for m, _ in members)})", True
        a, b = draw(children), draw(children)
        if not a[1]:
            a, b = b, a
        if not a[1]:
            return f"{funcs[0]}({a[0]}, {b[0]})", True
        return f"({a[0]} {how} {b[0]})", True

    return comb()


# Delay limits a real run can't be near: always reached (0) or never reached (1e9 s).
# 1e9 + 0.5 for stop_before_delay: an upcoming sleep of exactly 1e9 (10**9 from
# wait_exponential(exp_base=10)) would need half a second of elapsed time to cross it.
RUN_DELAYS = ("0", "0.0", "1e9", "timedelta(0)", "timedelta(days=20000)")
RUN_BEFORE_DELAYS = ("0", "1e9 + 0.5", "timedelta(0)")
# For direct evaluation on a state whose timestamps the test sets, any limit is fine.
ANY_DELAYS = ("0", "1", "0.5", "2.5", "timedelta(seconds=1)", "3", "1e9")


def stops(
    delays: tuple[str, ...] = RUN_DELAYS, before_delays: tuple[str, ...] = RUN_BEFORE_DELAYS
) -> st.SearchStrategy[str]:
    base = st.one_of(
        st.just(("stop_never", True)),
        st.integers(0, 6).map(lambda n: (f"stop_after_attempt({n})", True)),
        st.sampled_from(delays).map(lambda d: (f"stop_after_delay({d})", True)),
        st.sampled_from(before_delays).map(lambda d: (f"stop_before_delay({d})", True)),
        st.sampled_from(["EVENT_SET", "EVENT_UNSET"]).map(
            lambda e: (f"stop_when_event_set({e})", True)
        ),
    )
    plain = st.sampled_from(["probe_stop", "(lambda rs: rs.attempt_number >= 4)"]).map(
        lambda s: (s, False)
    )
    tree = st.recursive(
        st.one_of(base, base, plain),
        lambda ch: _combine(ch, ("|", "&"), ("stop_any", "stop_all")),
        max_leaves=4,
    )
    return tree.map(lambda t: t[0])


_NUM = st.sampled_from(["0", "1", "2", "3", "0.5", "1.5", "0.1", "10", "2.5"])


def _kwargs(**opts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    @st.composite
    def make(draw: Any) -> str:
        parts = []
        for k, s in opts.items():
            v = draw(st.one_of(st.none(), s))
            if v is not None:
                parts.append(f"{k}={v}")
        return ", ".join(parts)

    return make()


_EXP = dict(
    multiplier=st.sampled_from(["1", "2", "0.5", "3", "0", "1e-3", "-1", "1.0"]),
    max=st.sampled_from(
        ["10", "40", "100.5", "inf", "0", "1e-100", "timedelta(seconds=30)", "2**70", "7"]
    ),
    exp_base=st.sampled_from(["2", "3", "1.5", "1", "0.5", "10", "2.0"]),
    min=st.sampled_from(["0", "1", "5", "0.25", "20", "timedelta(seconds=2)", "0.0"]),
)


def waits(falsy: bool = True) -> st.SearchStrategy[str]:
    base = st.one_of(
        _NUM.map(lambda n: (f"wait_fixed({n})", True)),
        st.just(("wait_fixed(timedelta(milliseconds=1500))", True)),
        st.just(("wait_none()", True)),
        _kwargs(
            start=st.sampled_from(["0", "1", "-5", "2.5", "100"]),
            increment=st.sampled_from(["0", "1", "100", "-2", "0.5"]),
            max=st.sampled_from(["5", "250.5", "0", "timedelta(seconds=3)"]),
        ).map(lambda a: (f"wait_incrementing({a})", True)),
        _kwargs(**_EXP).map(lambda a: (f"wait_exponential({a})", True)),
        st.just(("wait_exponential(multiplier=1e300, max=1e-100)", True)),
        _kwargs(
            min=st.sampled_from(["0", "1", "0.5"]), max=st.sampled_from(["1", "2", "5.5", "0"])
        ).map(lambda a: (f"wait_random({a})", True)),
        st.tuples(
            st.sampled_from(["wait_random_exponential", "wait_full_jitter"]), _kwargs(**_EXP)
        ).map(lambda t: (f"{t[0]}({t[1]})", True)),
        _kwargs(
            initial=st.sampled_from(["1", "2"]),
            max=st.sampled_from(["60", "10", "0.5", "timedelta(seconds=20)"]),
            exp_base=st.sampled_from(["2", "3", "1.5"]),
            jitter=st.sampled_from(["0", "1", "0.5", "timedelta(seconds=1)"]),
            min=st.sampled_from(["0", "5", "timedelta(seconds=1)"]),
            multiplier=st.sampled_from(["1", "10", "0.5"]),
        ).map(lambda a: (f"wait_exponential_jitter({a})", True)),
        st.just(("wait_exception(lambda e: len(str(e)))", True)),
    )
    plain = st.sampled_from(
        [
            "probe_wait",
            "(lambda retry_state: retry_state.attempt_number * 0.25)",
            "(lambda retry_state: retry_state.attempt_number)",
        ]
    ).map(lambda s: (s, False))

    @st.composite
    def chain(draw: Any, ch: Any) -> tuple[str, bool]:
        members = draw(st.lists(ch, min_size=1, max_size=3))
        return f"wait_chain({', '.join(m for m, _ in members)})", True

    @st.composite
    def summed(draw: Any, ch: Any) -> tuple[str, bool]:
        members = draw(st.lists(ch.filter(lambda t: t[1]), min_size=1, max_size=3))
        return f"sum([{', '.join(m for m, _ in members)}])", True

    @st.composite
    def plus(draw: Any, ch: Any) -> tuple[str, bool]:
        a, b = draw(ch), draw(ch)
        if not a[1] and not b[1]:
            return f"wait_combine({a[0]}, {b[0]})", True
        return f"({a[0]} + {b[0]})", True  # callable + wait goes through __radd__

    tree = st.recursive(
        st.one_of(base, base, plain),
        lambda ch: st.one_of(
            chain(ch),
            summed(ch),
            plus(ch),
            st.lists(ch, max_size=3).map(
                lambda ms: (f"wait_combine({', '.join(m for m, _ in ms)})", True)
            ),
        ),
        max_leaves=4,
    )
    exprs = tree.map(lambda t: t[0])
    if not falsy:
        return exprs
    return st.one_of(exprs, exprs, st.sampled_from(["0", "None", "0.0", "False", "sum([])"]))


def _types() -> st.SearchStrategy[str]:
    one = st.sampled_from(list(EXC_NAMES) + ["Exception", "BaseException", "Halt"])
    return st.one_of(
        st.just(""),
        one,
        st.lists(one, min_size=1, max_size=3, unique=True).map(lambda ts: f"({', '.join(ts)},)"),
    )


def retries() -> st.SearchStrategy[str]:
    base = st.one_of(
        _types().map(lambda t: (f"retry_if_exception_type({t})", True)),
        _types().map(lambda t: (f"retry_if_not_exception_type({t})", True)),
        _types().map(lambda t: (f"retry_unless_exception_type({t})", True)),
        _types().filter(bool).map(lambda t: (f"retry_if_exception_cause_type({t})", True)),
        st.tuples(
            st.sampled_from(["retry_if_exception_message", "retry_if_not_exception_message"]),
            st.sampled_from(
                [
                    "message='boom'",
                    "message=''",
                    "'retry me'",
                    "match='b'",
                    "match='.*me'",
                    "match=re.compile('B', re.I)",
                    "match='boom$'",
                ]
            ),
        ).map(lambda t: (f"{t[0]}({t[1]})", True)),
        st.just(("retry_if_exception(lambda e: 'o' in str(e))", True)),
        st.sampled_from(
            [
                "retry_if_result(lambda v: v is None)",
                "retry_if_result(lambda v: v == 'again')",
                "retry_if_not_result(lambda v: v == 'ok')",
            ]
        ).map(lambda s: (s, True)),
        st.sampled_from(["retry_always", "retry_never"]).map(lambda s: (s, True)),
    )
    plain = st.sampled_from(
        ["probe_retry", "(lambda rs: rs.outcome.failed and rs.attempt_number < 3)"]
    ).map(lambda s: (s, False))

    @st.composite
    def comb(draw: Any, ch: Any) -> tuple[str, bool]:
        how = draw(st.sampled_from(["|", "&", "retry_any", "retry_all"]))
        if how in ("retry_any", "retry_all"):
            ms = draw(st.lists(ch, max_size=3))
            return f"{how}({', '.join(m for m, _ in ms)})", True
        a, b = draw(ch), draw(ch)
        if not a[1] and not b[1]:
            return f"retry_{'any' if how == '|' else 'all'}({a[0]}, {b[0]})", True
        return f"({a[0]} {how} {b[0]})", True  # plain | base works through __ror__

    tree = st.recursive(st.one_of(base, base, plain), comb, max_leaves=4)
    return tree.map(lambda t: t[0])


def _raise_step() -> st.SearchStrategy[tuple[Any, ...]]:
    exc = st.sampled_from(EXC_NAMES)
    msg = st.sampled_from(MESSAGES)
    return st.tuples(st.just("raise"), exc, msg, st.one_of(st.none(), st.tuples(exc, msg)))


def _try_again_step() -> st.SearchStrategy[tuple[Any, ...]]:
    exc = st.sampled_from(EXC_NAMES)
    msg = st.sampled_from(MESSAGES)
    return st.tuples(st.just("tryagain"), st.sampled_from([None, "cause", "context"]), exc, msg)


def steps() -> st.SearchStrategy[tuple[Any, ...]]:
    msg = st.sampled_from(MESSAGES)
    raise_ = _raise_step()
    ret = st.tuples(st.just("return"), st.sampled_from(RESULTS))
    again = _try_again_step()
    halt = st.tuples(st.just("halt"), msg)
    # weights: raise 3, return 3, TryAgain 1; a BaseException (which ends most runs) rarely
    kind = st.sampled_from(["raise"] * 9 + ["return"] * 9 + ["tryagain"] * 3 + ["halt"])
    return kind.flatmap(
        lambda k: {"raise": raise_, "return": ret, "tryagain": again, "halt": halt}[k]
    )


@st.composite
def scenarios(draw: Any) -> Scenario:
    def opt(s: st.SearchStrategy[Any]) -> Any:
        return draw(st.one_of(st.none(), s))

    stop = opt(stops())
    if stop is None or draw(st.booleans()):
        # usually also bound by an attempt count, so that not every case hits the Runaway guard
        n = draw(st.integers(1, 6))
        bound = f"stop_after_attempt({n})"
        stop = bound if stop is None else f"stop_any({stop}, {bound})"
        if draw(st.integers(0, 9)) == 0:
            stop = None
    raise_in = None
    if draw(st.integers(0, 9)) == 0:
        raise_in = (
            draw(
                st.sampled_from(
                    [
                        "before",
                        "after",
                        "before_sleep",
                        "sleep",
                        "retry_error_callback",
                        "probe_retry",
                        "probe_stop",
                        "probe_wait",
                    ]
                )
            ),
            draw(st.integers(1, 3)),
        )
    calls = draw(st.sampled_from([1, 1, 1, 2]))
    # mostly a few failures first, so that most runs retry and sleep at least once
    failures = st.one_of(_raise_step(), _raise_step(), _raise_step(), _try_again_step())
    script = draw(st.lists(failures, max_size=3)) + draw(st.lists(steps(), min_size=1, max_size=4))
    return Scenario(
        script=tuple(script),
        stop=stop,
        wait=draw(st.one_of(waits(), waits(), waits(), waits(), st.none())),
        retry=draw(st.one_of(retries(), retries(), retries(), st.none())),
        reraise=opt(st.booleans()),
        before=draw(st.sampled_from([OMIT, "None", "rec", "rec"])),
        after=draw(st.sampled_from([OMIT, "None", "rec", "rec"])),
        before_sleep=draw(st.sampled_from([OMIT, "None", "rec", "rec"])),
        retry_error_callback=draw(
            st.sampled_from([OMIT, OMIT, "None", "value", "outcome", "falsy"])
        ),
        retry_error_cls=draw(st.sampled_from([OMIT, OMIT, "MyRetryError", "ValueError", "lambda"])),
        name=opt(st.sampled_from(["named", ""])),
        enabled=draw(st.sampled_from([None, None, None, None, None, None, True, False])),
        raise_in=raise_in,
        seed=draw(st.integers(0, 1000)),
        calls=calls,
        mutate=calls > 1 and draw(st.booleans()),
    )
