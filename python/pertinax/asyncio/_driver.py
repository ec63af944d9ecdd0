"""Carrying out the engine's steps on an event loop: the attempt, the sleep, and any
coroutine callback or strategy the engine hands back (``AWAIT``), whose result goes back in.
The engine decides everything; nothing here chooses what happens next.
"""

import sys
import typing as t

from .. import _pertinax

_ATTEMPT = _pertinax.ATTEMPT
_SLEEP = _pertinax.SLEEP
_AWAIT = _pertinax.AWAIT
_Call = _pertinax.Call

# What `_run` returns when it stops at an attempt for an `async for` loop.
_AT_ATTEMPT: t.Any = object()


async def _failure_of(awaitable: t.Awaitable[object]) -> Exception | None:
    """Awaits a pertinax-own hook's coroutine (``on_recovered``) and returns the Exception it
    raised, if any, for the engine to report: it must not replace the call's result.
    Cancellation and other BaseExceptions propagate."""
    try:
        await awaitable
    except Exception as exc:  # noqa: BLE001 - handed to the engine, which reports it
        return exc
    return None


def _portable_async_sleep(seconds: float) -> t.Awaitable[None]:
    """The default sleep: ``trio.sleep`` inside a trio run, else ``asyncio.sleep``.

    Both are looked up at call time, so ``mock.patch("asyncio.sleep", ...)`` is honoured.
    """
    # trio can only be running if something imported it; then sniffio is importable too.
    if "trio" in sys.modules:
        import sniffio

        if sniffio.current_async_library() == "trio":
            import trio  # type: ignore[import-untyped, unused-ignore]

            return t.cast("t.Awaitable[None]", trio.sleep(seconds))
    # Imported here, not at module level: asyncio costs more to import than pertinax itself.
    import asyncio

    return asyncio.sleep(seconds)


async def _resume(call: t.Any, awaitable: t.Any) -> tuple[int, t.Any]:
    """Awaits what the engine asked for and hands it the result. An exception raised there
    propagates with the attempt's own exception as its context."""
    try:
        value = await awaitable
    except BaseException as exc:
        call.add_context(exc)
        raise
    return call.advance(value)  # type: ignore[no-any-return]


async def _run(
    call: t.Any,
    fn: t.Any,
    args: t.Any,
    kwargs: t.Any,
    fn_is_async: bool,
    stop_at_attempt: bool,
) -> t.Any:
    """Carries out ``call``'s steps and returns its final value.

    With ``stop_at_attempt`` (an ``async for`` loop) it returns ``_AT_ATTEMPT`` at the next
    attempt instead of running ``fn``; the loop's body runs the attempt.
    """
    try:
        kind, value = call.advance()
        while True:
            if kind == _ATTEMPT:
                if stop_at_attempt:
                    return _AT_ATTEMPT
                try:
                    value = await fn(*args, **kwargs) if fn_is_async else fn(*args, **kwargs)
                except BaseException as exc:
                    # The engine decides: an interrupt or a non-retryable error comes back
                    # out of the next advance() as this same object.
                    call.set_exception(exc)
                else:
                    call.set_result(value)
                    value = None
                kind, value = call.advance()
            elif kind == _SLEEP:
                call.prepare()
                if not call.skips_sleep:  # testing mode (pertinax.testing) never sleeps
                    await call.sleep(value)
                kind, value = call.advance()
            elif kind == _AWAIT:
                kind, value = await _resume(call, value)
            else:
                return value
    finally:
        # This frame outlives the call inside any traceback through it; holding the call would
        # make frame -> call -> state -> exception -> traceback -> frame a reference cycle.
        del call
