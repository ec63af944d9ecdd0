"""RetryError: its str and repr, reraise (and how it unwraps TryAgain), and pickling (also
of one a controller raised), side by side with tenacity 9.2.1 (whose RetryError holds a
lock and cannot be pickled)."""

from __future__ import annotations

import pickle
import re
import sys

import pertinax
import pytest
import tenacity

from tests.support.outcomes import BOTH, CustomError, UnderlyingError, failed_future, raised


class SameSignatureRetryError(pertinax.RetryError):
    pass


class ExtraArgRetryError(pertinax.RetryError):
    def __init__(self, last_attempt: pertinax.Future, code: int) -> None:
        super().__init__(last_attempt)
        self.code = code


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
