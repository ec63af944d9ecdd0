"""Running a scenario in an async form (``@retry`` on an ``async def``, ``await
AsyncRetrying(...)(fn)``, ``async for``), in a flavour: the recorder's callbacks and
strategies as they are (sync), or each behind a coroutine function (async)."""

from __future__ import annotations

import asyncio
import inspect
import random
import warnings
from typing import Any

from .fixtures import Scenario
from .recording import Recorder
from .running import ARGS, KWARGS, HarnessError, build_kwargs, perform

# Seconds for one scenario in one form; a run takes milliseconds.
RUN_TIMEOUT = 5.0


def as_coroutine_function(fn: Any) -> Any:
    async def shim(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return shim


def async_kwargs(lib: Any, sc: Scenario, rec: Recorder, flavour: str) -> dict[str, Any]:
    kw = build_kwargs(lib, sc, rec)
    kw["sleep"] = as_coroutine_function(rec.sleep)
    if flavour == "async":
        for name in ("before", "after", "before_sleep", "retry_error_callback"):
            # Only the recorder's own callbacks: a falsy callback object must stay falsy.
            if getattr(kw.get(name), "__self__", None) is rec:
                kw[name] = as_coroutine_function(kw[name])
        for name in ("stop", "wait", "retry"):
            if name in kw and callable(kw[name]):
                kw[name] = as_coroutine_function(kw[name])
    return kw


async def _run_async(
    lib: Any, sc: Scenario, form: str, flavour: str, policy: bool = False
) -> list[Any]:
    rec = Recorder(lib, sc)
    ev = rec.events
    random.seed(sc.seed)
    holder: dict[str, Any] = {}

    async def fn(*args: Any, **kwargs: Any) -> Any:
        rec.calls += 1
        k = rec.calls
        live = rec.stats_source() if rec.stats_source else None
        extra = None
        if form == "decorator":
            w = holder["wrapped"]
            extra = (w.retry.statistics is w.statistics, w.statistics is holder["stats0"])
        ev.append(("call", k, rec.value(args), sorted(kwargs.items()), rec.stats(live), extra))
        await asyncio.sleep(0)
        return perform(lib, rec, sc.script[min(k, len(sc.script)) - 1], k)

    rec.label(fn, "fn")
    try:
        kw = async_kwargs(lib, sc, rec, flavour)
    except HarnessError:
        raise
    except BaseException as e:  # noqa: BLE001 - a construction error is an observation
        ev.append(("build_error", rec.exc(e)))
        return ev

    # With `policy`, pertinax builds from Policy("scenario", **kw); tenacity gets the name.
    named = policy and hasattr(lib, "Policy")
    if policy and not named:
        kw = {**kw, "name": "scenario"}

    def controller() -> Any:
        return lib.Policy("scenario", **kw).async_retrying() if named else lib.AsyncRetrying(**kw)

    final: Any
    try:
        if form == "decorator":
            wrapped = lib.Policy("scenario", **kw)(fn) if named else lib.retry(**kw)(fn)
            holder["wrapped"] = wrapped
            holder["stats0"] = wrapped.statistics
            rec.stats_source = lambda: wrapped.statistics
            ev.append(
                (
                    "wrapper",
                    type(wrapped).__name__,
                    inspect.iscoroutinefunction(wrapped),
                    wrapped.__wrapped__ is fn,
                    wrapped.__name__,
                    wrapped.statistics == {},
                    type(wrapped.retry).__name__,
                )
            )
            result = await wrapped(*ARGS, **KWARGS)
            final = ("returned", rec.value(result))
        elif form == "call":
            r = controller()
            rec.stats_source = lambda: r.statistics
            ev.append(("controller", type(r).__name__, r.statistics == {}, str(r)))
            result = await r(fn, *ARGS, **KWARGS)
            final = ("returned", rec.value(result))
        else:
            r = controller()
            rec.stats_source = lambda: r.statistics
            ev.append(("controller", type(r).__name__, r.statistics == {}, str(r)))
            first = None
            async for attempt in r:
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
                ok = False
                value = None
                async with attempt as entered:
                    ev.append(("entered", entered))
                    value = await fn()
                    ok = True
                if ok:
                    rs.set_result(value)
            final = ("iteration_ended",)
    except BaseException as e:  # noqa: BLE001 - everything is recorded and compared
        if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit, asyncio.CancelledError)):
            raise
        final = ("raised", rec.exc(e))
    ev.append(("final", final))
    ev.append(("statistics", rec.stats(rec.stats_source() if rec.stats_source else None)))
    if form == "decorator":
        w = holder.get("wrapped")
        if w is not None:
            ev.append(
                (
                    "decorator_after",
                    w.statistics is holder["stats0"],
                    w.retry.statistics is w.statistics,
                )
            )
    ev.append(("random_after", random.random()))
    return ev


def without_callback_context(events: list[Any]) -> list[Any]:
    """Drop ``__context__`` from a final error raised by a callback, strategy or sleep.

    pertinax keeps the failed attempt's exception reachable there on purpose; tenacity leaves
    it empty. Everything else about the error is still compared.
    """
    out = []
    for e in events:
        if e[0] == "final" and e[1][0] == "raised":
            d = dict(e[1][1])
            if (d.get("origin") or "").startswith("raised-by-") or d["type"] in (
                "CallbackError",
                "Runaway",
            ):
                d["context"] = "<not compared>"
            e = ("final", ("raised", d))
        out.append(e)
    return out


def run_async_form(
    lib: Any, sc: Scenario, form: str, flavour: str, policy: bool = False
) -> list[Any]:
    loop = asyncio.new_event_loop()
    try:
        with warnings.catch_warnings():
            # A sync strategy wrapped as async never returns an un-awaited coroutine, but a
            # scenario may still build a predicate whose coroutine tenacity never awaits.
            warnings.simplefilter("ignore", RuntimeWarning)
            # Every attempt yields to the loop, so a driver that never stops is cancelled
            # here and reported, instead of hanging the suite.
            run = asyncio.wait_for(_run_async(lib, sc, form, flavour, policy), RUN_TIMEOUT)
            return without_callback_context(loop.run_until_complete(run))
    finally:
        loop.close()
