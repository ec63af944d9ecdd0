"""Outcome values: TryAgain, Future, the actions and IterState. RetryError is in
``test_retry_error.py``, AttemptManager in ``test_attempt_manager.py``.

Each behaviour is checked side by side with tenacity 9.2.1; pickling of ``Future`` goes
beyond tenacity (whose objects hold a lock and cannot be pickled).
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re

import pertinax
import pytest
import tenacity
from pertinax import _outcome

from tests.support.outcomes import BOTH, CustomError, raised


class TaggedFuture(pertinax.Future):
    """A Future subclass with an extra field, to check pickle keeps both."""

    def __init__(self, attempt_number: int, tag: str = "") -> None:
        super().__init__(attempt_number)
        self.tag = tag


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
