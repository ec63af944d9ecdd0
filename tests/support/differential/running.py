"""Running a scenario under a library, in each form, with every callback recording."""

from __future__ import annotations

import random
import re
import warnings
from datetime import timedelta
from typing import Any

from .fixtures import (
    EVENT_SET,
    EVENT_UNSET,
    EXCEPTIONS,
    LIB_NAMES,
    ErrB,
    ErrC,
    Halt,
    Scenario,
    my_retry_error,
)
from .recording import (
    FalsyCallback,
    Recorder,
    scrub,
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


def run(
    lib: Any, sc: Scenario, form: str, policy: bool = False, registered: bool = False
) -> list[Any]:
    """Run the scenario under lib in the given form; return the full recording.

    The controller (or the decorated function) is built once and invoked sc.calls times; each
    invocation restarts the script. With ``policy``, a library that has ``Policy`` builds
    them from ``Policy("scenario", **kwargs)`` (the policy as decorator, ``retrying()``), and
    one without builds them with ``name="scenario"``, what a policy adds. With ``registered``
    too, the policy is registered and the decorator is ``retry(policy="scenario")``."""
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
        named = hasattr(lib, "Policy") and policy
        if policy and not named:
            kw = {**kw, "name": "scenario"}
        if form == "decorator" and named and registered:
            lib.policies.register(lib.Policy("scenario", **kw))
            target = lib.retry(policy="scenario")(fn)
        elif form == "decorator":
            target = lib.Policy("scenario", **kw)(fn) if named else lib.retry(**kw)(fn)
        if form == "decorator":
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
            target = lib.Policy("scenario", **kw).retrying() if named else lib.Retrying(**kw)
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
        # A policy gives each controller its own copies of the strategies: patching the
        # scenario's objects cannot reach them (tests/test_policies.py covers fn.retry.*).
        if i > 1 and sc.mutate and not policy:
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
