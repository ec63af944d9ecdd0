"""Building strategies: stored attributes, defaults and construction errors, as tenacity."""

import re
import warnings
from datetime import timedelta
from fractions import Fraction

import pertinax
import pertinax.nap
import pertinax.stop
import pertinax.wait
import pytest
import tenacity

from tests.support.strategies import (
    CASES,
    LIBS,
    MODULE_PAIRS,
    build,
    outcome,
    shape,
)


@pytest.mark.parametrize("case", sorted(CASES))
def test_stored_attributes_match_tenacity(case: str) -> None:
    assert shape(build(CASES[case], pertinax)) == shape(build(CASES[case], tenacity))


ODD_VALUES = [
    0,
    1,
    -1,
    2.5,
    True,
    None,
    "x",
    "1.5",
    "(",
    [],
    object(),
    float("nan"),
    float("inf"),
    10**400,
    timedelta(seconds=2),
    Fraction(1, 2),
    ValueError,
    (ValueError, KeyError),
    re.compile("a"),
]

CONSTRUCTORS = [
    ("stop", "stop_after_attempt", "max_attempt_number"),
    ("stop", "stop_after_delay", "max_delay"),
    ("stop", "stop_before_delay", "max_delay"),
    ("stop", "stop_when_event_set", "event"),
    ("wait", "wait_fixed", "wait"),
    ("wait", "wait_random", "min"),
    ("wait", "wait_random", "max"),
    ("wait", "wait_exception", "predicate"),
    ("wait", "wait_incrementing", "start"),
    ("wait", "wait_incrementing", "increment"),
    ("wait", "wait_incrementing", "max"),
    ("wait", "wait_exponential", "multiplier"),
    ("wait", "wait_exponential", "max"),
    ("wait", "wait_exponential", "exp_base"),
    ("wait", "wait_exponential", "min"),
    ("wait", "wait_random_exponential", "max"),
    ("wait", "wait_random_exponential", "min"),
    ("wait", "wait_exponential_jitter", "initial"),
    ("wait", "wait_exponential_jitter", "max"),
    ("wait", "wait_exponential_jitter", "exp_base"),
    ("wait", "wait_exponential_jitter", "jitter"),
    ("wait", "wait_exponential_jitter", "min"),
    ("wait", "wait_exponential_jitter", "multiplier"),
    ("retry", "retry_if_exception", "predicate"),
    ("retry", "retry_if_exception_type", "exception_types"),
    ("retry", "retry_if_not_exception_type", "exception_types"),
    ("retry", "retry_unless_exception_type", "exception_types"),
    ("retry", "retry_if_exception_cause_type", "exception_types"),
    ("retry", "retry_if_result", "predicate"),
    ("retry", "retry_if_not_result", "predicate"),
    ("retry", "retry_if_exception_message", "message"),
    ("retry", "retry_if_exception_message", "match"),
    ("retry", "retry_if_not_exception_message", "message"),
    ("retry", "retry_if_not_exception_message", "match"),
]


@pytest.mark.parametrize("module, cls, argument", CONSTRUCTORS)
def test_construction_accepts_what_tenacity_accepts(module: str, cls: str, argument: str) -> None:
    """Same values accepted, same values refused (same exception type) as tenacity.

    Where both refuse a value, pertinax's message names the class, the argument and the
    value; where both accept it, the stored attributes are the same.
    """
    theirs_mod, ours_mod = MODULE_PAIRS[module]
    for value in ODD_VALUES:
        results = []
        for mod in (theirs_mod, ours_mod):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = outcome(getattr(mod, cls), **{argument: value})
            results.append((result, [w.category for w in caught]))
        (theirs, their_warnings), (ours, our_warnings) = results
        assert our_warnings == their_warnings, value
        assert ours[0] == theirs[0], (value, ours, theirs)
        if ours[0] == "error":
            assert type(ours[1]) is type(theirs[1]), value
            if type(theirs[1]) is TypeError and "'message' or 'match'" in str(theirs[1]):
                assert str(ours[1]) == str(theirs[1])
            else:
                text = str(ours[1])
                assert cls in text and repr(argument) in text, text
                if argument != "match":
                    assert repr(value) in text, text
        else:
            assert shape(ours[1]) == shape(theirs[1]), value


def test_exact_errors_raised_at_construction() -> None:
    for lib in LIBS:
        with pytest.raises(ValueError, match=r"^wait_chain\(\) requires at least one strategy$"):
            lib.wait_chain()
        with pytest.raises(
            ValueError,
            match="^Cannot specify both 'initial' and 'multiplier' — use 'multiplier' only$",
        ):
            lib.wait_exponential_jitter(initial=2, multiplier=3)
        for cls in (lib.retry_if_exception_message, lib.retry_if_not_exception_message):
            name = cls.__name__
            with pytest.raises(TypeError) as both:
                cls(message="a", match="b")
            assert str(both.value) == f"{name}() takes either 'message' or 'match', not both"
            with pytest.raises(TypeError) as neither:
                cls()
            assert (
                str(neither.value) == f"{name}() missing 1 required argument 'message' or 'match'"
            )


def test_message_errors_name_the_subclass() -> None:
    class my_message(pertinax.retry_if_exception_message):
        pass

    with pytest.raises(TypeError, match=r"^my_message\(\) takes either"):
        my_message("a", "b")


def test_seconds_errors_name_the_strategy() -> None:
    with pytest.raises(ValueError) as info:
        pertinax.wait_fixed("soon")
    assert str(info.value).startswith(
        "wait_fixed() argument 'wait' must be a number of seconds or a datetime.timedelta, "
        "got 'soon'"
    )
    assert isinstance(info.value.__cause__, ValueError)

    class my_delay(pertinax.stop_after_delay):
        pass

    with pytest.raises(TypeError, match=r"^my_delay\(\) argument 'max_delay' .* got None"):
        my_delay(None)


def test_initial_is_deprecated_and_used_as_multiplier() -> None:
    with pytest.warns(DeprecationWarning, match="^The 'initial' parameter is deprecated") as rec:
        strategy = pertinax.wait_exponential_jitter(initial=3)
    assert rec[0].filename == __file__
    assert strategy.multiplier == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pertinax.wait_exponential_jitter(multiplier=3)
        pertinax.wait_exponential_jitter(initial=1, multiplier=1)


def test_compiled_match_is_kept_with_its_flags() -> None:
    pattern = re.compile("x", re.IGNORECASE)
    assert pertinax.retry_if_exception_message(match=pattern).match is pattern
    with pytest.raises(re.error, match=r"retry_if_exception_message\(\) argument 'match'"):
        pertinax.retry_if_exception_message(match="(")
