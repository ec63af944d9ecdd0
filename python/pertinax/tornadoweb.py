"""Retrying Tornado coroutines: ``TornadoRetrying`` (tenacity's ``tenacity.tornadoweb``).

This module needs tornado. ``@retry`` picks ``TornadoRetrying`` for functions decorated with
``@tornado.gen.coroutine``. The Rust engine decides, as for every other driver; the
coroutine below only yields the attempts and the sleeps to Tornado.
"""

import sys
import typing

try:
    from tornado import gen
except ImportError as exc:  # pragma: no cover - the test environment has tornado
    raise ImportError(
        "pertinax.tornadoweb needs tornado, which is not installed (pip install tornado)"
    ) from exc

from . import _pertinax
from ._outcome import DoAttempt, DoSleep
from ._pertinax import RetryCallState
from ._retrying import BaseRetrying
from ._utils import override

if typing.TYPE_CHECKING:
    from tornado.concurrent import Future

_RetValT = typing.TypeVar("_RetValT")


class TornadoRetrying(BaseRetrying):
    """Retries Tornado coroutines; ``sleep`` must return something Tornado can yield."""

    sleep: typing.Callable[..., "Future[None]"]

    def __init__(
        self,
        sleep: "typing.Callable[[float], Future[None]]" = gen.sleep,
        **kwargs: typing.Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sleep = sleep

    @gen.coroutine
    @override
    def __call__(  # type: ignore[override]
        self,
        fn: "typing.Callable[..., typing.Generator[typing.Any, typing.Any, _RetValT] | Future[_RetValT]]",
        *args: typing.Any,
        **kwargs: typing.Any,
    ) -> "typing.Generator[typing.Any, typing.Any, _RetValT]":
        if type(self).iter is not BaseRetrying.iter:
            result = yield self._call_with_iter(fn, args, kwargs)
            return result  # type: ignore[no-any-return]
        # Tornado yields what the sync engine decides: its plan never asks to await.
        call = _pertinax.Call(
            engine=self._engine_or_new(),
            controller=self,
            func=fn,
            args=args,
            kwargs=kwargs,
            statistics=self.statistics,
            is_async=False,
            observable=False,
        )
        try:
            while True:
                kind, value = call.advance()
                if kind == _pertinax.ATTEMPT:
                    try:
                        value = yield fn(*args, **kwargs)
                    except BaseException as exc:
                        call.set_exception(exc)
                    else:
                        call.set_result(value)
                        value = None
                elif kind == _pertinax.SLEEP:
                    call.prepare()
                    if not call.skips_sleep:  # testing mode never sleeps
                        yield call.sleep(value)
                else:
                    return value  # type: ignore[no-any-return]
        finally:
            # A traceback through this frame must not keep the call (and its exception).
            del call

    @gen.coroutine
    def _call_with_iter(
        self,
        fn: typing.Callable[..., typing.Any],
        args: tuple[typing.Any, ...],
        kwargs: dict[str, typing.Any],
    ) -> typing.Generator[typing.Any, typing.Any, typing.Any]:
        # A subclass that overrides iter() is driven through it, as tenacity drives it.
        self.begin()
        retry_state = RetryCallState(self, fn, args, kwargs)
        while True:
            do = self.iter(retry_state=retry_state)
            if isinstance(do, DoAttempt):
                try:
                    result = yield fn(*args, **kwargs)
                except BaseException:
                    retry_state.set_exception(sys.exc_info())
                else:
                    retry_state.set_result(result)
            elif isinstance(do, DoSleep):
                retry_state.prepare_for_next_attempt()
                yield self.sleep(do)
            else:
                return do
