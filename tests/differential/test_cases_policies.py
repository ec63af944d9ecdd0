"""Differential hand-written cases. pertinax's presets, policies, ``wait_retry_after`` and
``retry_context`` against what a tenacity user writes by hand for the same job (the
patterns of a retry guide: a class of preset numbers, decorators built from it, a wait that
honours ``Retry-After``, a context manager), with the guide's checklist done right: only
transient errors are retried.

Under tenacity each case builds the hand-written equivalent; under pertinax, the one-liner.
Every event must match: each attempt, the ``RetryCallState`` each callback sees, each sleep,
the statistics, and the result or the exception (with its cause and context).
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


@pytest.fixture(autouse=True)
def _built_in_presets() -> Any:
    """The cases compare against the guide's numbers: the registry holds the presets as
    shipped, whatever an earlier test configured."""
    registry = getattr(CANDIDATE, "policies", None)
    if registry is not None:
        registry.reset()
    yield
    if registry is not None:
        registry.reset()


def preset_decorator(lib: Any, rec: Recorder, name: str, spelling: str) -> Any:
    if lib is REFERENCE:
        return lib.retry(**hand_written(lib, name), **hooks(rec))
    if spelling == "bare":
        bare = {"api": lib.api_retry, "database": lib.database_retry, "file_upload": lib.file_retry}
        return bare[name](**hooks(rec))
    if spelling == "by name":
        return lib.retry(policy=name, **hooks(rec))
    return lib.retry(policy=lib.policies.get(name), **hooks(rec))


def preset_controller(lib: Any, rec: Recorder, name: str, **overrides: Any) -> Any:
    if lib is REFERENCE:
        return lib.Retrying(**{**hand_written(lib, name), **hooks(rec), **overrides})
    return lib.policies.get(name).retrying(**hooks(rec), **overrides)


# --- the cases ------------------------------------------------------------------------


@case
def presets_against_the_guides_decorators(lib: Any, rec: Recorder) -> Any:
    out = []
    for name in PRESETS:
        for spelling in ("bare", "by name", "policy object"):
            for script in SCRIPTS:
                f = preset_decorator(lib, rec, name, spelling)(acting(rec, *script))
                rec.stats_source = lambda f=f: f.statistics
                out.append((name, spelling, script, outcome(rec, lambda f=f: f("order-1"))))
                out.append(stats(rec, f.statistics))
    return out


@case
def presets_as_controllers(lib: Any, rec: Recorder) -> Any:
    out = []
    for name in PRESETS:
        for script in SCRIPTS:
            r = preset_controller(lib, rec, name)
            rec.stats_source = lambda r=r: r.statistics
            out.append(
                (
                    "call",
                    name,
                    script,
                    outcome(rec, lambda r=r, script=script: r(acting(rec, *script))),
                )
            )
            out.append(stats(rec, r.statistics))
            r = preset_controller(lib, rec, name)
            out.append(("iterator", name, script, iterate(lib, rec, r, acting(rec, *script))))
            out.append(stats(rec, r.statistics))
    return out


@case
def preset_controllers_reused_copied_and_disabled(lib: Any, rec: Recorder) -> Any:
    out = []
    for name in PRESETS:
        r = preset_controller(lib, rec, name)
        for script in (("refused", "ok"), ("timeout",), ("404",)):  # one controller, reused
            out.append((name, script, outcome(rec, lambda r=r, s=script: r(acting(rec, *s)))))
            out.append(stats(rec, r.statistics))
        c = r.copy(stop=lib.stop_after_attempt(2), reraise=False)
        out.append(("copy", outcome(rec, lambda c=c: c(acting(rec, "refused")))))
        out.append((stats(rec, c.statistics), stats(rec, r.statistics)))
        off = preset_controller(lib, rec, name, enabled=False)
        out.append(("disabled", outcome(rec, lambda off=off: off(acting(rec, "refused")))))
        f = preset_decorator(lib, rec, name, "by name")(acting(rec, "refused", "ok"))
        same = f.retry_with()
        out.append(("retry_with()", outcome(rec, same), stats(rec, same.statistics)))
        out.append((f.statistics is same.statistics, type(f.retry).__name__))
    return out


# The guide's settings dict, as flat keys, and the numbers it gives each preset.
SETTINGS = {
    "API_MAX_ATTEMPTS": 4,
    "API_BACKOFF_MULTIPLIER": 1,
    "API_MIN_WAIT": 0.5,
    "API_MAX_WAIT": 10,
    "DATABASE_MAX_ATTEMPTS": 2,
    "FILE_UPLOAD_MAX_WAIT": 5,
}
CONFIGURED = {"api": (4, 1, 0.5, 10), "database": (2, 1, 0.5, 10), "file_upload": (3, 3, 2, 5)}


@case
def configured_presets_against_the_guides_settings(lib: Any, rec: Recorder) -> Any:
    out = []
    for name in PRESETS:
        script = ("refused", "503", "429 in 120 s", "ok")
        if lib is REFERENCE:
            kw = {**hand_written(lib, name, CONFIGURED[name]), **hooks(rec)}
            before, after = lib.retry(**kw), lib.retry(**kw)
        else:
            before = preset_decorator(lib, rec, name, "bare")
            lib.policies.configure(SETTINGS)
            after = preset_decorator(lib, rec, name, "by name")
        # Decorated before the settings changed, then after: both follow them.
        for when, decorate in (("before", before), ("after", after)):
            f = decorate(acting(rec, *script))
            out.append((name, when, outcome(rec, f), stats(rec, f.statistics)))
        if lib is not REFERENCE:
            lib.policies.reset()
    return out


@case
def retry_with_on_presets(lib: Any, rec: Recorder) -> Any:
    out = []
    for name in PRESETS:
        for overrides in (
            {"stop": lib.stop_after_attempt(2)},
            {"wait": lib.wait_fixed(0.5)},
            {"reraise": False},
            {"retry": lib.retry_if_exception_type(ValueError)},
            {"stop": lib.stop_after_attempt(6), "wait": lib.wait_none()},
        ):
            script = ("refused", "refused", "503", "503", "ok")
            f = preset_decorator(lib, rec, name, "bare")(acting(rec, *script))
            g = f.retry_with(**overrides)
            out.append((name, sorted(overrides), outcome(rec, g)))
            out.append((stats(rec, g.statistics), stats(rec, f.statistics)))
            out.append(outcome(rec, f))  # the preset itself is unchanged
            out.append(stats(rec, f.statistics))
    return out


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
    for cap, path in ((0, "native"), (10, "native"), (60, "native"), (10, "python")):
        fallback = lib.wait_exponential(multiplier=1, max=8)
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
        out.append((cap, outcome(rec, lambda r=r, script=script: r(acting(rec, *script)))))
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
