"""tenacity's own driving loops, in Python, for controllers the engine cannot drive.

A controller whose class replaces ``iter()``, ``begin()``, ``copy()`` or ``__call__`` is run
the way tenacity runs it: ``begin()``, then ``iter()`` decides each step and this module
carries it out. The loops need only what ``Controller`` lists, so this module never names
``BaseRetrying`` (which names it: a cycle).
"""

import typing as t

from ._outcome import AttemptManager, DoAttempt, DoSleep
from ._pertinax import RetryCallState


class Controller(t.Protocol):
    """What the loops use of a controller (every ``BaseRetrying`` has it)."""

    enabled: bool
    sleep: t.Callable[[int | float], t.Any]

    # tenacity's per-thread state (a `threading.local`).
    @property
    def _local(self) -> t.Any: ...

    def begin(self) -> None: ...

    def iter(self, retry_state: RetryCallState) -> t.Any: ...

    def copy(self) -> t.Any: ...


def _new_state(
    controller: Controller,
    fn: t.Callable[..., t.Any] | None,
    args: tuple[t.Any, ...],
    kwargs: dict[str, t.Any],
) -> RetryCallState:
    # The stub types `retry_object` as BaseRetrying, which this module cannot import; every
    # caller passes one.
    return RetryCallState(t.cast("t.Any", controller), fn, args, kwargs)


def copy_sharing_statistics(controller: Controller, statistics: dict[str, t.Any]) -> t.Any:
    """tenacity's wrapper, before each call: a fresh copy of the controller, whose statistics
    (and the original's, in this thread) are the decorated function's dict, emptied."""
    copy = controller.copy()
    statistics.clear()
    copy._local.statistics = statistics
    controller._local.statistics = statistics
    return copy


def call_wrapped(
    controller: Controller,
    f: t.Callable[..., t.Any],
    statistics: dict[str, t.Any],
    args: tuple[t.Any, ...],
    kwargs: dict[str, t.Any] | None,
) -> t.Any:
    """One call of a function decorated by such a controller."""
    if not controller.enabled:
        return f(*args, **(kwargs or {}))
    return copy_sharing_statistics(controller, statistics)(f, *args, **(kwargs or {}))


def call_with_iter(
    controller: Controller,
    fn: t.Callable[..., t.Any],
    args: tuple[t.Any, ...],
    kwargs: dict[str, t.Any],
) -> t.Any:
    """``Retrying.__call__`` as tenacity runs it."""
    controller.begin()
    retry_state = _new_state(controller, fn, args, kwargs)
    while True:
        do = controller.iter(retry_state=retry_state)
        if isinstance(do, DoAttempt):
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                retry_state.set_exception((type(exc), exc, exc.__traceback__))
            else:
                retry_state.set_result(result)
        elif isinstance(do, DoSleep):
            retry_state.prepare_for_next_attempt()
            controller.sleep(do)
        else:
            return do


def iterate_disabled(controller: Controller) -> t.Generator[AttemptManager, None, None]:
    """``for attempt in controller`` when it is disabled: one attempt, its error raised."""
    retry_state = _new_state(controller, None, (), {})
    yield AttemptManager(retry_state=retry_state)
    outcome = retry_state.outcome
    failure = outcome.exception() if outcome is not None and outcome.failed else None
    if failure is not None:
        raise failure


def iterate_with_iter(controller: Controller) -> t.Generator[AttemptManager, None, None]:
    """``for attempt in controller`` as tenacity runs it."""
    controller.begin()
    retry_state = _new_state(controller, None, (), {})
    while True:
        do = controller.iter(retry_state=retry_state)
        if isinstance(do, DoAttempt):
            yield AttemptManager(retry_state=retry_state)
        elif isinstance(do, DoSleep):
            retry_state.prepare_for_next_attempt()
            controller.sleep(do)
        else:
            break


async def call_with_iter_async(
    controller: Controller,
    fn: t.Callable[..., t.Any],
    args: tuple[t.Any, ...],
    kwargs: dict[str, t.Any],
    fn_is_async: bool,
) -> t.Any:
    """``AsyncRetrying.__call__`` as tenacity runs it: ``iter()`` and the sleep are awaited,
    and so is ``fn`` when it is a coroutine function."""
    controller.begin()
    retry_state = _new_state(controller, fn, args, kwargs)
    while True:
        do = await controller.iter(retry_state=retry_state)
        if isinstance(do, DoAttempt):
            try:
                result = await fn(*args, **kwargs) if fn_is_async else fn(*args, **kwargs)
            except BaseException as exc:
                retry_state.set_exception((type(exc), exc, exc.__traceback__))
            else:
                retry_state.set_result(result)
        elif isinstance(do, DoSleep):
            retry_state.prepare_for_next_attempt()
            await controller.sleep(do)
        else:
            return do
