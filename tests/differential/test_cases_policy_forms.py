"""Differential hand-written cases. pertinax's policies in every form, against what a tenacity
user writes by hand for the same job: statistics after a re-raised give-up (sync and async
forms), ``wait_retry_after`` against a hand-written wait that honours ``Retry-After``, the
presets on coroutines, and ``retry_context`` (``with`` and ``async with``) against a
hand-written context manager. Helpers: tests/support/differential/guide.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.support.differential import Recorder
from tests.support.differential.guide import (
    PRESETS,
    SCRIPTS,
    RetryAfterOr,
    acting,
    hand_async_retry_context,
    hand_retry_context,
    hand_transient,
    hand_written,
    hooks,
)
from tests.support.differential_cases import (
    CANDIDATE,
    REFERENCE,
    Cases,
    compare_case,
    iterate,
    needs_candidate,
    outcome,
    stats,
)

CASES = Cases()
case = CASES.register


# The cases compare against the guide's numbers: the registry holds the presets as shipped,
# whatever an earlier test configured.
pytestmark = pytest.mark.usefixtures("fresh_policies")


@case
def statistics_after_reraise(lib: Any, rec: Recorder) -> Any:
    out = []
    kw = {"stop": lib.stop_after_attempt(3), "wait": lib.wait_fixed(1), "reraise": True}
    for retry in (
        lib.retry_if_exception_type(ConnectionError),
        lib.retry_if_result(lambda v: v is not None),  # gives up on a result: a RetryError
    ):
        for script in (("refused",), ("refused", "bad value"), ("ok",)):
            f = lib.retry(retry=retry, sleep=rec.sleep, **kw)(acting(rec, *script))
            out.append(("decorator", script, outcome(rec, f)))
            out.append(stats(rec, f.statistics))
            r = lib.Retrying(retry=retry, sleep=rec.sleep, **kw)
            out.append(
                ("call", script, outcome(rec, lambda r=r, script=script: r(acting(rec, *script))))
            )
            out.append(stats(rec, r.statistics))
            r = lib.Retrying(retry=retry, sleep=rec.sleep, **kw)
            out.append(("iterator", script, iterate(lib, rec, r, acting(rec, *script))))
            out.append(stats(rec, r.statistics))
            # a retry_error_callback wins over reraise
            f = lib.retry(
                retry=retry, sleep=rec.sleep, retry_error_callback=rec.retry_error_callback, **kw
            )(acting(rec, *script))
            out.append(("callback", script, outcome(rec, f)))
            out.append(stats(rec, f.statistics))
            out.append(("async", script, asyncio.run(async_reraise(lib, rec, retry, kw, script))))
    return out


async def async_reraise(lib: Any, rec: Recorder, retry: Any, kw: Any, script: Any) -> Any:
    """The async decorator, call and ``async for`` forms, then each one's statistics."""

    async def sleep(seconds: float) -> None:
        rec.sleep(seconds)

    def wrap(body: Any) -> Any:
        async def call() -> Any:
            return body()

        return call

    out = []
    f = lib.retry(retry=retry, sleep=sleep, **kw)(wrap(acting(rec, *script)))
    r = lib.AsyncRetrying(retry=retry, sleep=sleep, **kw)
    for form, run in (("decorator", f), ("call", lambda: r(wrap(acting(rec, *script))))):
        try:
            out.append((form, "returned", await run()))
        except Exception as e:  # noqa: BLE001
            out.append((form, "raised", rec.exc(e)))
        out.append(stats(rec, (f if form == "decorator" else r).statistics))
    r = lib.AsyncRetrying(retry=retry, sleep=sleep, **kw)
    body = acting(rec, *script)
    try:
        async for attempt in r:
            ok = False
            with attempt:
                value = body()
                ok = True
            if ok:
                attempt.retry_state.set_result(value)
        out.append(("iterator", "ended"))
    except Exception as e:  # noqa: BLE001
        out.append(("iterator", "raised", rec.exc(e)))
    out.append(stats(rec, r.statistics))
    return out


@case
def wait_retry_after_against_a_hand_written_wait(lib: Any, rec: Recorder) -> Any:
    out = []
    fallbacks = {
        "exponential": lambda: lib.wait_exponential(multiplier=1, max=8),
        "fixed": lambda: lib.wait_fixed(1),
        "none": lambda: lib.wait_none(),
        "chain": lambda: lib.wait_chain(lib.wait_fixed(1), lib.wait_fixed(2.5)),
        "incrementing": lambda: lib.wait_incrementing(start=1, increment=2),
        "random": lambda: lib.wait_random(0, 1) + lib.wait_fixed(0.5),
    }
    runs = [(cap, "native", "exponential") for cap in (0, 10, 60)]
    runs += [(10, path, kind) for kind in fallbacks for path in ("native", "python")]
    for cap, path, kind in runs:
        fallback = fallbacks[kind]()
        if lib is REFERENCE:
            wait = RetryAfterOr(fallback, cap)
        elif path == "native":
            wait = lib.wait_retry_after(fallback=fallback, max=cap)
        else:  # a subclass is not compiled: its Python __call__ runs, and must agree
            wait = type("MyWait", (lib.wait_retry_after,), {})(fallback=fallback, max=cap)
        script = (
            "429 in 2 s",
            "429 in 120 s",
            "429 at a past date",
            "429 unreadable",
            "httpx 503 in 1 s",
            "throttled 3",
            "throttled 0.25",
            "refused",
            "ok",
        )
        r = lib.Retrying(
            stop=lib.stop_after_attempt(len(script)),
            wait=wait,
            retry=lib.retry_if_exception(hand_transient),
            **hooks(rec),
        )
        out.append((cap, path, kind, outcome(rec, lambda r=r, s=script: r(acting(rec, *s)))))
        out.append(stats(rec, r.statistics))
    return out


@case
def async_presets(lib: Any, rec: Recorder) -> Any:
    async def sleep(seconds: float) -> None:
        rec.sleep(seconds)

    async def before_sleep(rs: Any) -> None:
        rec.before_sleep(rs)

    async def run() -> Any:
        out = []
        for name in PRESETS:
            for script in SCRIPTS:
                body = acting(rec, *script)

                async def call(*args: Any, body: Any = body) -> Any:
                    return body(*args)

                extra = {"sleep": sleep, "before_sleep": before_sleep, "after": rec.after}
                if lib is REFERENCE:
                    kw = {**hand_written(lib, name), **extra}
                    f = lib.retry(**kw)(call)
                    controller = lib.AsyncRetrying(**kw)
                else:
                    f = lib.retry(policy=name, **extra)(call)
                    controller = lib.policies.get(name).async_retrying(**extra)
                try:
                    out.append(("decorator", name, script, ("returned", await f("sku"))))
                except Exception as e:  # noqa: BLE001
                    out.append(("decorator", name, script, ("raised", rec.exc(e))))
                out.append(stats(rec, f.statistics))
                loop_body = acting(rec, *script)
                try:
                    async for attempt in controller:
                        ok = False
                        with attempt:
                            value = loop_body()
                            ok = True
                        if ok:
                            attempt.retry_state.set_result(value)
                    out.append(("iterator", name, script, "ended"))
                except Exception as e:  # noqa: BLE001
                    out.append(("iterator", name, script, ("raised", rec.exc(e))))
                out.append(stats(rec, controller.statistics))
        return out

    return asyncio.run(run())


@case
def retry_context_against_the_guides_context_manager(lib: Any, rec: Recorder) -> Any:
    out = []
    for script in SCRIPTS:
        body = acting(rec, *script)

        def block(body: Any = body) -> Any:
            if lib is REFERENCE:
                manager = hand_retry_context(lib, rec)
            else:
                manager = lib.retry_context(policy="api", **hooks(rec))
            with manager as retrying:
                for attempt in retrying:
                    ok = False
                    with attempt:
                        value = body()
                        ok = True
                    if ok:
                        attempt.retry_state.set_result(value)
                return stats(rec, retrying.statistics)

        out.append((script, outcome(rec, block)))
        out.append((script, asyncio.run(async_block(lib, rec, script))))
    return out


async def async_block(lib: Any, rec: Recorder, script: Any) -> Any:
    """``async with retry_context(...)`` and ``async for``, against the same by hand."""

    async def sleep(seconds: float) -> None:
        rec.sleep(seconds)

    body = acting(rec, *script)
    if lib is REFERENCE:
        manager = hand_async_retry_context(lib, sleep, rec)
    else:
        manager = lib.retry_context(policy="api", **{**hooks(rec), "sleep": sleep})
    try:
        async with manager as retrying:
            async for attempt in retrying:
                ok = False
                with attempt:
                    value = body()
                    ok = True
                if ok:
                    attempt.retry_state.set_result(value)
            return ("returned", type(retrying).__name__, stats(rec, retrying.statistics))
    except Exception as e:  # noqa: BLE001
        return ("raised", rec.exc(e))


@needs_candidate
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_case(case_fn: Any) -> None:
    compare_case(case_fn, CANDIDATE)


# The harness's own check: each case gives tenacity the same events twice.
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_harness_cases_are_deterministic(case_fn: Any) -> None:
    compare_case(case_fn, REFERENCE)
