"""Outcome values: TryAgain, Future, RetryError, the actions, AttemptManager and IterState.

Each behaviour is checked side by side with tenacity 9.2.1; pickling of ``Future`` and
``RetryError`` goes beyond tenacity (whose objects hold a lock and cannot be pickled).
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import pickle
import re
import sys

import pertinax
import pytest
import tenacity
from pertinax import _outcome

BOTH = pytest.mark.parametrize("lib", [tenacity, pertinax], ids=["tenacity", "pertinax"])


class CustomError(Exception):
    pass


class UnderlyingError(Exception):
    pass


class TaggedFuture(pertinax.Future):
    """A Future subclass with an extra field, to check pickle keeps both."""

    def __init__(self, attempt_number: int, tag: str = "") -> None:
        super().__init__(attempt_number)
        self.tag = tag


class SameSignatureRetryError(pertinax.RetryError):
    pass


class ExtraArgRetryError(pertinax.RetryError):
    def __init__(self, last_attempt: pertinax.Future, code: int) -> None:
        super().__init__(last_attempt)
        self.code = code


def failed_future(lib, attempt: int, exc: BaseException):
    return lib.Future.construct(attempt, exc, True)


def raised(exc: BaseException) -> BaseException:
    """``exc`` after being raised and caught, so it carries a traceback."""
    try:
        raise exc
    except BaseException as caught:
        return caught


# --- module surface ---------------------------------------------------------------


def test_exported_from_package_and_module() -> None:
    names = (
        "NO_RESULT TryAgain Future RetryError BaseAction RetryAction DoAttempt DoSleep "
        "AttemptManager IterState"
    ).split()
    for name in names:
        assert getattr(pertinax, name) is getattr(_outcome, name)


def test_no_result_is_a_bare_sentinel() -> None:
    assert type(pertinax.NO_RESULT) is object


def test_try_again_is_an_exception() -> None:
    assert issubclass(pertinax.TryAgain, Exception)
    assert pertinax.TryAgain.__mro__[1:] == tenacity.TryAgain.__mro__[1:]


# --- Future -----------------------------------------------------------------------


@BOTH
def test_future_holds_attempt_number_and_result(lib) -> None:
    fut = lib.Future.construct(3, "value", False)
    assert fut.attempt_number == 3
    assert fut.done()
    assert fut.failed is False
    assert fut.result() == "value"


@BOTH
def test_future_holds_exception(lib) -> None:
    err = ValueError("bad")
    fut = lib.Future.construct(2, err, True)
    assert fut.failed is True
    assert fut.exception() is err
    with pytest.raises(ValueError) as info:
        fut.result()
    assert info.value is err


def test_future_is_a_concurrent_future_with_stdlib_repr() -> None:
    from concurrent import futures

    for value, has_exc in ((ValueError("x"), True), (5, False), (None, False)):
        ours = pertinax.Future.construct(1, value, has_exc)
        theirs = tenacity.Future.construct(1, value, has_exc)
        assert isinstance(ours, futures.Future)
        strip = re.compile(r" at 0x[0-9a-f]+")
        assert strip.sub("", repr(ours)) == strip.sub("", repr(theirs))


def test_future_construct_uses_the_subclass() -> None:
    fut = TaggedFuture.construct(4, 1, False)
    assert type(fut) is TaggedFuture
    assert fut.tag == ""


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_future_with_result_pickles(protocol: int) -> None:
    fut = pertinax.Future.construct(3, {"a": [1, 2]}, False)
    restored = pickle.loads(pickle.dumps(fut, protocol))
    assert type(restored) is pertinax.Future
    assert restored.attempt_number == 3
    assert restored.done() and not restored.failed
    assert restored.result() == {"a": [1, 2]}


def test_future_with_exception_pickles() -> None:
    fut = pertinax.Future.construct(7, raised(CustomError("boom", 1)), True)
    restored = pickle.loads(pickle.dumps(fut))
    assert restored.attempt_number == 7
    assert restored.failed
    exc = restored.exception()
    assert type(exc) is CustomError
    assert exc.args == ("boom", 1)


def test_future_subclass_pickles_with_its_extra_attributes() -> None:
    fut = TaggedFuture(5, tag="t")
    fut.set_result(None)
    fut.note = "extra"
    restored = pickle.loads(pickle.dumps(fut))
    assert type(restored) is TaggedFuture
    assert (restored.attempt_number, restored.tag, restored.note) == (5, "t", "extra")
    assert restored.result() is None


def test_future_pickle_state_is_independent_of_the_original() -> None:
    fut = pertinax.Future.construct(1, 10, False)
    restored = pickle.loads(pickle.dumps(fut))
    # A working condition variable of its own: callbacks and waits behave normally.
    seen = []
    restored.add_done_callback(seen.append)
    assert seen == [restored]
    assert restored.result(timeout=0) == 10


def test_future_copies() -> None:
    fut = pertinax.Future.construct(2, [1], False)
    shallow, deep = copy.copy(fut), copy.deepcopy(fut)
    assert shallow.result() is fut.result()
    assert deep.result() == [1] and deep.result() is not fut.result()
    assert shallow.attempt_number == deep.attempt_number == 2


def test_unfinished_future_refuses_to_pickle_with_a_clear_error() -> None:
    fut = pertinax.Future(9)
    with pytest.raises(TypeError, match=r"Future for attempt 9.*finished"):
        pickle.dumps(fut)
    fut.cancel()
    with pytest.raises(TypeError, match="finished"):
        pickle.dumps(fut)


def test_tenacity_future_does_not_pickle() -> None:
    # The gap pertinax closes: keep this as documentation of why __reduce__ exists.
    with pytest.raises(TypeError):
        pickle.dumps(tenacity.Future.construct(1, 1, False))


# --- RetryError -------------------------------------------------------------------


@BOTH
def test_retry_error_str_repr_args(lib) -> None:
    fut = failed_future(lib, 2, ValueError("x"))
    err = lib.RetryError(last_attempt=fut)
    assert err.last_attempt is fut
    assert err.args == (fut,)
    assert str(err) == f"RetryError[{fut}]"
    assert repr(err) == f"RetryError({fut!r})"


def test_retry_error_str_matches_tenacity() -> None:
    class MyError(pertinax.RetryError):
        pass

    class TheirError(tenacity.RetryError):
        pass

    for value in (123, "text", None):
        assert str(pertinax.RetryError(value)) == str(tenacity.RetryError(value))
        assert str(MyError(value)).replace("MyError", "X") == str(TheirError(value)).replace(
            "TheirError", "X"
        )


def _reraise_outcome(lib, make_exc, has_exc=True):
    exc = make_exc()
    fut = lib.Future.construct(3, exc, has_exc)
    err = lib.RetryError(fut)
    try:
        err.reraise()
    except BaseException as caught:
        return err, exc, caught
    raise AssertionError("reraise() returned")


def _try_again_from(cause: BaseException, explicit: bool):
    def make():
        try:
            raise cause
        except BaseException as inner:
            try:
                if explicit:
                    raise pertinax.TryAgain from inner
                raise pertinax.TryAgain
            except pertinax.TryAgain as again:
                return again

    return make


@BOTH
def test_reraise_raises_the_last_exception_itself(lib) -> None:
    err, exc, caught = _reraise_outcome(lib, lambda: raised(KeyError("k")))
    assert caught is exc


@BOTH
def test_reraise_of_a_result_raises_the_error_itself(lib) -> None:
    err, _, caught = _reraise_outcome(lib, lambda: "value", has_exc=False)
    assert caught is err


@pytest.mark.parametrize("explicit", [True, False], ids=["cause", "context"])
def test_reraise_unwraps_try_again_like_tenacity(explicit: bool) -> None:
    # Same scenario in both libraries; each one's TryAgain wraps an UnderlyingError.
    results = {}
    for lib in (tenacity, pertinax):

        def make(lib=lib):
            try:
                raise UnderlyingError("root")
            except UnderlyingError as inner:
                try:
                    if explicit:
                        raise lib.TryAgain from inner
                    raise lib.TryAgain
                except lib.TryAgain as again:
                    return again

        err, exc, caught = _reraise_outcome(lib, make)
        underlying = exc.__cause__ or exc.__context__
        assert caught is underlying
        results[lib.__name__] = (
            type(caught),
            caught.__cause__,
            caught.__suppress_context__,
            caught.__traceback__ is not None,
        )
    assert results["pertinax"] == results["tenacity"]


@BOTH
def test_reraise_of_a_bare_try_again_raises_it(lib) -> None:
    err, exc, caught = _reraise_outcome(lib, lambda: raised(lib.TryAgain()))
    assert caught is exc


def test_reraise_only_unwraps_pertinax_try_again() -> None:
    # A TryAgain from another library is just an exception to pertinax.
    err, exc, caught = _reraise_outcome(pertinax, _try_again_from(UnderlyingError(), True))
    assert type(caught) is UnderlyingError
    foreign = tenacity.TryAgain()
    foreign.__cause__ = UnderlyingError()
    err, exc, caught = _reraise_outcome(pertinax, lambda: foreign)
    assert caught is foreign


@pytest.mark.parametrize("has_exc", [True, False])
def test_retry_error_pickles(has_exc: bool) -> None:
    value = raised(CustomError("last")) if has_exc else {"result": 1}
    err = pertinax.RetryError(pertinax.Future.construct(4, value, has_exc))
    restored = pickle.loads(pickle.dumps(err))
    assert type(restored) is pertinax.RetryError
    assert restored.last_attempt.attempt_number == 4
    assert restored.last_attempt.failed is has_exc
    assert restored.args == (restored.last_attempt,)
    assert re.fullmatch(
        r"RetryError\[<Future at 0x[0-9a-f]+ state=finished \w+ \w+>\]", str(restored)
    )
    if has_exc:
        assert type(restored.last_attempt.exception()) is CustomError
    else:
        assert restored.last_attempt.result() == {"result": 1}


def test_retry_error_pickle_keeps_the_cause_chain_as_raised_by_the_controller() -> None:
    exc = raised(CustomError("last"))
    try:
        raise pertinax.RetryError(pertinax.Future.construct(2, exc, True)) from exc
    except pertinax.RetryError as caught:
        err = caught
    restored = pickle.loads(pickle.dumps(err))
    assert restored.__suppress_context__ is True
    # One object, as in the original: the cause is the last attempt's exception.
    assert restored.__cause__ is restored.last_attempt.exception()


def test_retry_error_of_int_pickles_like_tenacity() -> None:
    for lib in (tenacity, pertinax):
        restored = pickle.loads(pickle.dumps(lib.RetryError(last_attempt=123)))
        assert restored.last_attempt == 123


def test_retry_error_subclasses_pickle() -> None:
    fut = pertinax.Future.construct(1, raised(ValueError("v")), True)
    same = pickle.loads(pickle.dumps(SameSignatureRetryError(fut)))
    assert type(same) is SameSignatureRetryError
    assert str(same).startswith("SameSignatureRetryError[<Future")

    extra = ExtraArgRetryError(fut, code=503)
    extra.note = "n"
    restored = pickle.loads(pickle.dumps(extra))
    assert type(restored) is ExtraArgRetryError
    assert (restored.code, restored.note) == (503, "n")
    assert restored.last_attempt.attempt_number == 1
    with pytest.raises(ValueError, match="v"):
        restored.reraise()


def test_retry_error_pickle_keeps_notes() -> None:
    err = pertinax.RetryError(pertinax.Future.construct(1, 0, False))
    if sys.version_info >= (3, 11):
        err.add_note("context for the operator")
        assert pickle.loads(pickle.dumps(err)).__notes__ == ["context for the operator"]


# --- actions ----------------------------------------------------------------------


def test_do_sleep_is_a_float() -> None:
    sleep = pertinax.DoSleep(1.5)
    assert isinstance(sleep, float)
    assert sleep == 1.5 and [pertinax.DoSleep(1), pertinax.DoSleep(2)] == [1.0, 2.0]
    assert repr(sleep) == repr(tenacity.DoSleep(1.5))
    assert pickle.loads(pickle.dumps(sleep)) == 1.5


def test_do_attempt_is_a_plain_marker() -> None:
    assert pertinax.DoAttempt.__mro__[1:] == (object,)
    pertinax.DoAttempt()


@pytest.mark.parametrize("value", [3, 3.25, True, pertinax.DoSleep(2)])
def test_retry_action_matches_tenacity(value) -> None:
    ours, theirs = pertinax.RetryAction(value), tenacity.RetryAction(value)
    assert type(ours.sleep) is float and ours.sleep == theirs.sleep
    assert repr(ours) == repr(theirs) == str(ours)
    assert ours.NAME == theirs.NAME == "retry"
    assert tuple(ours.REPR_FIELDS) == tuple(theirs.REPR_FIELDS)


def test_retry_action_rejects_what_float_rejects() -> None:
    for value in ("soon", None):
        with pytest.raises(type(_capture(tenacity.RetryAction, value))):
            pertinax.RetryAction(value)


def _capture(fn, *args):
    try:
        fn(*args)
    except Exception as exc:
        return exc
    raise AssertionError("no error")


def test_base_action_repr_uses_repr_fields() -> None:
    class Pause(pertinax.BaseAction):
        REPR_FIELDS = ("why", "count")
        NAME = "pause"

        def __init__(self) -> None:
            self.why, self.count = "busy", 2

    assert repr(Pause()) == str(Pause()) == "Pause(why='busy', count=2)"
    assert pertinax.BaseAction.REPR_FIELDS == () and pertinax.BaseAction.NAME is None
    assert repr(pertinax.BaseAction()) == "BaseAction()"


# --- AttemptManager ---------------------------------------------------------------


class RecordingState:
    """Stands in for RetryCallState: AttemptManager only calls these two methods."""

    def __init__(self) -> None:
        self.calls: list = []

    def set_result(self, value) -> None:
        self.calls.append(("result", value))

    def set_exception(self, exc_info) -> None:
        self.calls.append(("exception", exc_info))


@BOTH
def test_attempt_manager_records_success_as_none(lib) -> None:
    state = RecordingState()
    manager = lib.AttemptManager(state)
    assert manager.retry_state is state
    with manager as entered:
        pass
    assert entered is None
    assert state.calls == [("result", None)]


@pytest.mark.parametrize("exc_type", [ValueError, KeyboardInterrupt, SystemExit, GeneratorExit])
def test_attempt_manager_swallows_everything(exc_type) -> None:
    outcomes = []
    for lib in (tenacity, pertinax):
        state = RecordingState()
        with lib.AttemptManager(state):
            raise exc_type("x")
        ((kind, (typ, value, tb)),) = state.calls
        assert kind == "exception" and typ is exc_type and type(value) is exc_type
        assert tb is value.__traceback__
        outcomes.append((kind, typ))
    assert outcomes[0] == outcomes[1]


def test_attempt_manager_exit_return_values_match_tenacity() -> None:
    err = ValueError()
    for args in ((None, None, None), (ValueError, err, None)):
        ours = pertinax.AttemptManager(RecordingState()).__exit__(*args)
        theirs = tenacity.AttemptManager(RecordingState()).__exit__(*args)
        assert ours == theirs


def test_attempt_manager_async() -> None:
    async def body() -> RecordingState:
        state = RecordingState()
        async with pertinax.AttemptManager(state) as entered:
            assert entered is None
            raise KeyError("k")
        return state

    state = asyncio.run(body())
    assert [c[0] for c in state.calls] == ["exception"]
    assert type(state.calls[0][1][1]) is KeyError


def test_attempt_manager_async_success() -> None:
    async def body() -> RecordingState:
        state = RecordingState()
        async with pertinax.AttemptManager(state):
            pass
        return state

    assert asyncio.run(body()).calls == [("result", None)]


@pytest.mark.parametrize("how", ["next", "send", "send_value"])
def test_attempt_manager_awaitables_finish_at_once_like_tenacitys(how) -> None:
    # tenacity's __aenter__/__aexit__ are coroutines that never suspend; pertinax's return
    # awaitables that finish on the first step, with the same value, however they are driven.
    results = []
    for lib in (tenacity, pertinax):
        manager = lib.AttemptManager(RecordingState())
        got = []
        for awaitable in (
            manager.__aenter__(),
            manager.__aexit__(None, None, None),
            manager.__aexit__(ValueError, ValueError("x"), None),
        ):
            step = awaitable.__await__()
            if how == "send_value":
                with pytest.raises(TypeError, match="just-started coroutine"):
                    step.send(1)
                step.close()
                continue
            with pytest.raises(StopIteration) as stop:
                next(step) if how == "next" else step.send(None)
            got.append(stop.value.value)
        results.append(got)
    assert results[0] == results[1] == ([] if how == "send_value" else [None, None, True])


def test_attempt_manager_awaitable_throw_raises_the_exception() -> None:
    step = pertinax.AttemptManager(RecordingState()).__aenter__().__await__()
    with pytest.raises(KeyError):
        step.throw(KeyError("k"))


# --- IterState --------------------------------------------------------------------


def test_iter_state_fields_match_tenacity() -> None:
    def shape(cls):
        return [
            (f.name, f.default, f.default_factory)
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        ]

    assert shape(pertinax.IterState) == shape(tenacity.IterState)
    assert pertinax.IterState.__slots__ == tenacity.IterState.__slots__
    assert not hasattr(pertinax.IterState(), "__dict__")


def test_iter_state_reset() -> None:
    state = pertinax.IterState()
    first_actions = state.actions
    state.actions.append(print)
    state.retry_run_result = state.stop_run_result = state.is_explicit_retry = True
    state.reset()
    assert state == pertinax.IterState()
    assert state.actions == [] and state.actions is not first_actions
    assert pertinax.IterState().actions is not pertinax.IterState().actions


# --- with the controller ----------------------------------------------------------


def _give_up(**kwargs) -> BaseException:
    retrying = pertinax.Retrying(stop=pertinax.stop_after_attempt(2), **kwargs)

    def fails() -> None:
        raise CustomError("nope")

    try:
        retrying(fails)
    except BaseException as caught:
        return caught
    raise AssertionError("did not give up")


def test_retry_error_from_the_controller_pickles() -> None:
    # What a Celery task or a multiprocessing worker sends back to its caller.
    err = _give_up()
    assert type(err) is pertinax.RetryError
    restored = pickle.loads(pickle.dumps(err))
    assert restored.last_attempt.attempt_number == 2
    assert type(restored.__cause__) is CustomError
    assert restored.__cause__ is restored.last_attempt.exception()
    with pytest.raises(CustomError, match="nope"):
        restored.reraise()


def test_retry_error_subclass_from_the_controller_pickles() -> None:
    err = _give_up(retry_error_cls=SameSignatureRetryError)
    restored = pickle.loads(pickle.dumps(err))
    assert type(restored) is SameSignatureRetryError
    assert restored.last_attempt.failed


def test_attempt_manager_with_a_real_state() -> None:
    state = pertinax.RetryCallState(None, None, (), {})
    with pertinax.AttemptManager(state):
        raise KeyError("k")
    assert isinstance(state.outcome, pertinax.Future)
    assert state.outcome.failed and state.outcome.attempt_number == 1
    with pertinax.AttemptManager(state):
        pass
    assert not state.outcome.failed and state.outcome.result() is None
