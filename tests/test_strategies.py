"""Stop, wait and retry strategies (and the nap sleeps), differential against tenacity 9.2.1.

The first half checks the Python surface: names, signatures, stored attributes,
construction errors, operators, pickling and subclassing. The second half evaluates
strategies, which runs through the Rust engine (``_pertinax.evaluate_*``), and compares
every value, its type, and every error with what tenacity returns for the same state.
Random strategies are compared under the same ``random.seed``.
"""

import dataclasses
import importlib
import inspect
import math
import pickle
import random
import re
import sys
import threading
import time
import types
import typing
import warnings
from datetime import timedelta
from fractions import Fraction

import pertinax
import pertinax.nap
import pertinax.stop
import pertinax.wait
import pytest
import tenacity

LIBS = (tenacity, pertinax)
T_RETRY = sys.modules["tenacity.retry"]
P_RETRY = sys.modules["pertinax.retry"]
MODULE_PAIRS = {
    "stop": (tenacity.stop, pertinax.stop),
    "wait": (tenacity.wait, pertinax.wait),
    "retry": (T_RETRY, P_RETRY),
    "before": (tenacity.before, pertinax.before),
    "after": (tenacity.after, pertinax.after),
    "before_sleep": (tenacity.before_sleep, pertinax.before_sleep),
    "nap": (tenacity.nap, pertinax.nap),
}


# Module-level callables, so strategies holding them pickle by value.
def attempt_as_wait(retry_state):
    return retry_state.attempt_number


def wait_named_rs(rs):
    return 0.25


def stop_on_third(retry_state):
    return retry_state.attempt_number >= 3


def retry_on_odd(retry_state):
    return retry_state.attempt_number % 2 == 1


def is_none(value):
    return value is None


def is_value_error(exc):
    return isinstance(exc, ValueError)


def exception_args(exc):
    # A truthy-or-falsy non-bool: predicates' raw values must pass through unchanged.
    return exc.args


def wait_for_exception(exc):
    return len(str(exc))


# --- helpers ----------------------------------------------------------------------


def classes_of(module) -> list[type]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and value.__module__ == module.__name__
    ]


def parameters(fn) -> list[tuple[str, typing.Any, typing.Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


_CHILDREN = ("stops", "wait_funcs", "strategies", "retries")


def shape(obj: typing.Any) -> typing.Any:
    """A library-neutral description of a strategy: class name, attributes, children."""
    if isinstance(obj, (tenacity.stop.stop_base, tenacity.wait.wait_base, T_RETRY.retry_base)):
        pass
    elif not isinstance(
        obj, (pertinax.stop.stop_base, pertinax.wait.wait_base, P_RETRY.retry_base)
    ):
        return value_shape(obj)
    fields = []
    for name, value in sorted(vars(obj).items()):
        if name in _CHILDREN:
            fields.append((name, tuple(shape(child) for child in value)))
        else:
            fields.append((name, value_shape(value, owner=obj)))
    return (type(obj).__name__, tuple(fields))


def value_shape(value: typing.Any, owner: typing.Any = None) -> typing.Any:
    if isinstance(value, types.MethodType):
        return ("bound", value.__func__.__name__, value.__self__ is owner)
    if isinstance(value, re.Pattern):
        return ("pattern", value.pattern, value.flags)
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    if isinstance(value, (int, float, Fraction)):
        return (type(value).__name__, value)
    return value


def build(case, lib):
    return case(lib)


def outcome(fn, *args, **kwargs):
    """("ok", value) or ("error", exception) for a call."""
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as exc:
        return ("error", exc)


def same_number(ours, theirs) -> bool:
    if type(ours) is not type(theirs):
        return False
    if isinstance(ours, float) and math.isnan(ours):
        return math.isnan(theirs)
    return ours == theirs


def assert_same_outcome(ours, theirs, *, exact_message: bool = True) -> None:
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        assert same_number(ours[1], theirs[1]), (ours[1], theirs[1])
    else:
        assert type(ours[1]) is type(theirs[1]), (ours[1], theirs[1])
        if exact_message:
            assert str(ours[1]) == str(theirs[1])


# --- module surface ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MODULE_PAIRS))
def test_module_public_names_match_tenacity(name: str) -> None:
    def public(module) -> set[str]:
        return {
            n for n, v in vars(module).items() if not n.startswith("_") and not inspect.ismodule(v)
        }

    theirs, ours = MODULE_PAIRS[name]
    assert public(ours) == public(theirs)


def test_private_singleton_classes_and_module_objects() -> None:
    assert type(pertinax.stop.stop_never) is pertinax.stop._stop_never
    assert type(P_RETRY.retry_never) is P_RETRY._retry_never
    assert type(P_RETRY.retry_always) is P_RETRY._retry_always
    assert pertinax.nap.time is time
    assert pertinax.wait.random is random
    assert not hasattr(pertinax.wait, "wait_full_jitter")
    assert pertinax.wait_full_jitter is pertinax.wait.wait_random_exponential


def test_package_reexports_strategies() -> None:
    for name in tenacity.__all__:
        theirs = getattr(tenacity, name)
        module = getattr(theirs, "__module__", "")
        if module.split(".")[-1] in ("stop", "wait", "retry", "before", "after", "before_sleep"):
            if name == "retry":
                continue
            ours = getattr(pertinax, name)
            assert ours.__module__ == module.replace("tenacity", "pertinax"), name


@pytest.mark.parametrize("name", ["stop", "wait", "retry"])
def test_type_aliases_match_tenacity(name: str) -> None:
    theirs, ours = MODULE_PAIRS[name]
    alias = {"stop": "StopBaseT", "wait": "WaitBaseT", "retry": "RetryBaseT"}[name]
    assert repr(getattr(ours, alias)) == repr(getattr(theirs, alias)).replace(
        "tenacity.", "pertinax."
    )


@pytest.mark.parametrize("name", ["stop", "wait", "retry"])
def test_classes_and_signatures_match_tenacity(name: str) -> None:
    theirs, ours = MODULE_PAIRS[name]
    assert sorted(c.__name__ for c in classes_of(ours)) == sorted(
        c.__name__ for c in classes_of(theirs)
    )
    for cls in classes_of(theirs):
        mine = getattr(ours, cls.__name__)
        assert parameters(mine.__init__) == parameters(cls.__init__), cls.__name__
        assert [b.__name__ for b in mine.__mro__] == [b.__name__ for b in cls.__mro__]
        assert mine.__abstractmethods__ == cls.__abstractmethods__


@pytest.mark.parametrize("module", ["stop", "wait", "retry"])
def test_bases_are_abstract(module: str) -> None:
    cls = getattr(MODULE_PAIRS[module][1], f"{module}_base")
    with pytest.raises(TypeError):
        cls()
    with pytest.raises(TypeError):
        type("NoCall", (cls,), {})()
    custom = type("Custom", (cls,), {"__call__": lambda self, rs: 7})()
    assert custom(None) == 7


# --- construction -----------------------------------------------------------------

CASES: dict[str, typing.Callable[[typing.Any], typing.Any]] = {
    "stop_after_attempt(3)": lambda t: t.stop_after_attempt(3),
    "stop_after_attempt(2.5)": lambda t: t.stop_after_attempt(2.5),
    "stop_after_delay(1)": lambda t: t.stop_after_delay(1),
    "stop_after_delay(td)": lambda t: t.stop_after_delay(timedelta(seconds=1)),
    "stop_before_delay(1)": lambda t: t.stop_before_delay(1),
    "stop_before_delay(td)": lambda t: t.stop_before_delay(timedelta(milliseconds=1500)),
    "stop_any": lambda t: t.stop_any(t.stop_after_attempt(3), stop_on_third, t.stop_never),
    "stop_all": lambda t: t.stop_all(t.stop_after_attempt(2), t.stop_after_delay(1)),
    "stop_any()": lambda t: t.stop_any(),
    "stop_all()": lambda t: t.stop_all(),
    "stop_never": lambda t: t.stop_never,
    "wait_fixed(1)": lambda t: t.wait_fixed(1),
    "wait_fixed(td)": lambda t: t.wait_fixed(timedelta(seconds=1)),
    "wait_none": lambda t: t.wait_none(),
    "wait_random()": lambda t: t.wait_random(),
    "wait_random(1, 20)": lambda t: t.wait_random(1, 20),
    "wait_random(td)": lambda t: t.wait_random(timedelta(seconds=1), timedelta(seconds=2)),
    "wait_combine": lambda t: t.wait_combine(t.wait_fixed(1), attempt_as_wait, wait_named_rs),
    "wait_combine()": lambda t: t.wait_combine(),
    "wait_chain": lambda t: t.wait_chain(t.wait_fixed(1), t.wait_fixed(2), t.wait_fixed(3)),
    "wait_chain(fn)": lambda t: t.wait_chain(t.wait_fixed(1), attempt_as_wait),
    "wait_exception": lambda t: t.wait_exception(wait_for_exception),
    "wait_incrementing()": lambda t: t.wait_incrementing(),
    "wait_incrementing(500, 100)": lambda t: t.wait_incrementing(500, 100),
    "wait_incrementing(td)": lambda t: t.wait_incrementing(
        timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=5)
    ),
    "wait_incrementing(neg)": lambda t: t.wait_incrementing(1, -3, 10),
    "wait_exponential()": lambda t: t.wait_exponential(),
    "wait_exponential(max=40)": lambda t: t.wait_exponential(max=40),
    "wait_exponential(min=20)": lambda t: t.wait_exponential(min=20),
    "wait_exponential(min=20, mult=2)": lambda t: t.wait_exponential(min=20, multiplier=2),
    "wait_exponential(min=10, max=100)": lambda t: t.wait_exponential(min=10, max=100),
    "wait_exponential(0.5, 60, 3)": lambda t: t.wait_exponential(0.5, 60, 3),
    "wait_exponential(min>max)": lambda t: t.wait_exponential(min=50, max=10),
    "wait_exponential(max=inf)": lambda t: t.wait_exponential(max=float("inf")),
    "wait_exponential(float base)": lambda t: t.wait_exponential(exp_base=2.0),
    "wait_exponential(underflow)": lambda t: t.wait_exponential(multiplier=1e300, max=1e-100),
    "wait_exponential(mult=0)": lambda t: t.wait_exponential(multiplier=0),
    "wait_exponential(mult<0)": lambda t: t.wait_exponential(multiplier=-1),
    "wait_exponential(base=1)": lambda t: t.wait_exponential(exp_base=1),
    "wait_exponential(base<1)": lambda t: t.wait_exponential(exp_base=0.5, max=10),
    "wait_exponential(Fraction)": lambda t: t.wait_exponential(multiplier=Fraction(1, 3), max=50),
    "wait_exponential(td)": lambda t: t.wait_exponential(
        max=timedelta(minutes=1), min=timedelta(seconds=2)
    ),
    "wait_random_exponential()": lambda t: t.wait_random_exponential(),
    "wait_random_exponential(0.5, 60)": lambda t: t.wait_random_exponential(0.5, 60),
    "wait_random_exponential(min=5)": lambda t: t.wait_random_exponential(min=5, max=60),
    "wait_exponential_jitter()": lambda t: t.wait_exponential_jitter(),
    "wait_exponential_jitter(max=60)": lambda t: t.wait_exponential_jitter(max=60),
    "wait_exponential_jitter(min=5)": lambda t: t.wait_exponential_jitter(min=5, max=60),
    "wait_exponential_jitter(mult=10, j=0)": lambda t: t.wait_exponential_jitter(
        multiplier=10, jitter=0, max=60
    ),
    "wait_exponential_jitter(td)": lambda t: t.wait_exponential_jitter(
        max=timedelta(seconds=60), jitter=timedelta(milliseconds=500), min=timedelta(seconds=1)
    ),
    "wait_exponential_jitter(float base)": lambda t: t.wait_exponential_jitter(exp_base=2.0),
    "retry_never": lambda t: t.retry_never,
    "retry_always": lambda t: t.retry_always,
    "retry_if_exception": lambda t: t.retry_if_exception(is_value_error),
    "retry_if_exception(raw)": lambda t: t.retry_if_exception(exception_args),
    "retry_if_exception_type()": lambda t: t.retry_if_exception_type(),
    "retry_if_exception_type(VE)": lambda t: t.retry_if_exception_type(ValueError),
    "retry_if_exception_type(tuple)": lambda t: t.retry_if_exception_type((KeyError, OSError)),
    "retry_if_not_exception_type()": lambda t: t.retry_if_not_exception_type(),
    "retry_if_not_exception_type(VE)": lambda t: t.retry_if_not_exception_type(ValueError),
    "retry_unless_exception_type()": lambda t: t.retry_unless_exception_type(),
    "retry_unless_exception_type(VE)": lambda t: t.retry_unless_exception_type(ValueError),
    "retry_if_exception_cause_type()": lambda t: t.retry_if_exception_cause_type(),
    "retry_if_exception_cause_type(NE)": lambda t: t.retry_if_exception_cause_type(NameError),
    "retry_if_result": lambda t: t.retry_if_result(is_none),
    "retry_if_result(raw)": lambda t: t.retry_if_result(len),
    "retry_if_not_result": lambda t: t.retry_if_not_result(is_none),
    "retry_if_exception_message(message)": lambda t: t.retry_if_exception_message(message="boom"),
    "retry_if_exception_message('')": lambda t: t.retry_if_exception_message(message=""),
    "retry_if_exception_message(match)": lambda t: t.retry_if_exception_message(match="bo+"),
    "retry_if_exception_message(.*)": lambda t: t.retry_if_exception_message(match=".*oom"),
    "retry_if_exception_message(re)": lambda t: t.retry_if_exception_message(
        match=re.compile("BOOM", re.IGNORECASE)
    ),
    "retry_if_not_exception_message(message)": lambda t: t.retry_if_not_exception_message("boom"),
    "retry_if_not_exception_message(match)": lambda t: t.retry_if_not_exception_message(match="bo"),
    "retry_any": lambda t: t.retry_any(t.retry_if_result(is_none), retry_on_odd),
    "retry_all": lambda t: t.retry_all(t.retry_if_exception_type(), retry_on_odd),
    "retry_any()": lambda t: t.retry_any(),
    "retry_all()": lambda t: t.retry_all(),
}
STOP_CASES = [k for k in CASES if k.startswith("stop")]
WAIT_CASES = [k for k in CASES if k.startswith("wait")]
RETRY_CASES = [k for k in CASES if k.startswith("retry")]


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


# --- operators --------------------------------------------------------------------


def fn_a(retry_state):
    return True


def fn_b(retry_state):
    return False


def op_outcome(make):
    """Shape of what an operator expression builds, or the type of the error it raises."""
    try:
        return ("ok", shape(make()))
    except Exception as exc:
        return ("error", type(exc))


def test_stop_operators_match_tenacity() -> None:
    def exprs(t):
        a, b, c = t.stop_after_attempt(1), t.stop_after_delay(2), t.stop_never
        return {
            "a|b": lambda: a | b,
            "a&b": lambda: a & b,
            "a|b|c": lambda: a | b | c,
            "a&b|c": lambda: a & b | c,
            "a|(b&c)": lambda: a | (b & c),
            "a|fn": lambda: a | fn_a,
            "a&fn": lambda: a & fn_a,
            "fn|a": lambda: fn_a | a,
            "fn&a": lambda: fn_a & a,
            "a|1": lambda: a | 1,
        }

    theirs, ours = exprs(tenacity), exprs(pertinax)
    for key in theirs:
        assert op_outcome(ours[key]) == op_outcome(theirs[key]), key
    a, b = pertinax.stop_after_attempt(1), pertinax.stop_after_delay(2)
    combined = a | b
    assert type(combined) is pertinax.stop_any and combined.stops[0] is a and combined.stops[1] is b
    # No flattening for stops.
    assert type((a | b | a).stops[0]) is pertinax.stop_any


def test_wait_operators_match_tenacity() -> None:
    def exprs(t):
        a, b, c = t.wait_fixed(1), t.wait_random(0, 3), t.wait_exponential()
        return {
            "a+b": lambda: a + b,
            "a+b+c": lambda: a + b + c,
            "sum": lambda: sum([a, b, c]),
            "sum([a])": lambda: sum([a]),
            "sum([])": lambda: sum([]),
            "0+a": lambda: 0 + a,
            "False+a": lambda: False + a,
            "True+a": lambda: True + a,
            "5+a": lambda: 5 + a,
            "0.0+a": lambda: 0.0 + a,
            "a+5": lambda: a + 5,
            "fn+a": lambda: attempt_as_wait + a,
            "a+fn": lambda: a + attempt_as_wait,
            "None+a": lambda: None + a,
        }

    theirs, ours = exprs(tenacity), exprs(pertinax)
    for key in theirs:
        assert op_outcome(ours[key]) == op_outcome(theirs[key]), key
    a = pertinax.wait_fixed(1)
    assert 0 + a is a and sum([a]) is a
    with pytest.raises(TypeError):
        5 + a  # type: ignore[operator]


def test_retry_operators_match_tenacity() -> None:
    def operands(t):
        a = t.retry_if_exception_type(ValueError)
        b = t.retry_if_result(is_none)
        return {
            "a": a,
            "b": b,
            "any": t.retry_any(a, b),
            "all": t.retry_all(a, b),
            "never": t.retry_never,
            "fn": fn_a,
        }

    theirs, ours = operands(tenacity), operands(pertinax)
    names = list(theirs)
    # Every pair and triple of operands under every mix of | and &.
    for first in names:
        for second in names:
            for third in [None, *names]:
                for ops in (("|", "|"), ("&", "&"), ("|", "&"), ("&", "|")):
                    expr = f"x {ops[0]} y" if third is None else f"x {ops[0]} y {ops[1]} z"

                    def evaluate(env, expr=expr):
                        return lambda: eval(expr, {}, env)  # noqa: S307

                    def env(lib_operands, first=first, second=second, third=third):
                        return {
                            "x": lib_operands[first],
                            "y": lib_operands[second],
                            "z": lib_operands[third] if third else None,
                        }

                    assert op_outcome(evaluate(env(ours))) == op_outcome(evaluate(env(theirs))), (
                        expr,
                        first,
                        second,
                        third,
                    )


def test_retry_or_flattens() -> None:
    a, b, c = pertinax.retry_if_exception_type(), pertinax.retry_if_result(is_none), fn_b
    combined = a | b | c
    assert type(combined) is pertinax.retry_any
    assert combined.retries == (a, b, c)
    assert (c | a | b).retries == (c, a, b)
    assert ((a & b) & (a & c)).retries == (a, b, a, c)


# --- pickling and subclassing -------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_every_strategy_pickles_by_value(case: str, protocol: int) -> None:
    strategy = build(CASES[case], pertinax)
    restored = pickle.loads(pickle.dumps(strategy, protocol))
    assert type(restored) is type(strategy)
    assert shape(restored) == shape(strategy)
    if isinstance(strategy, pertinax.retry_if_exception) and hasattr(restored, "_check"):
        assert restored.predicate.__self__ is restored


@pytest.mark.parametrize("singleton", ["stop_never", "retry_never", "retry_always"])
def test_singletons_unpickle_to_themselves(singleton: str) -> None:
    obj = getattr(pertinax, singleton)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(obj, protocol)) is obj


def test_singleton_subclasses_pickle_by_value() -> None:
    sub = type(pertinax.stop_never)
    never = types.new_class("never_sub", (sub,))
    never.__module__ = __name__
    globals()["never_sub"] = never
    restored = pickle.loads(pickle.dumps(never()))
    assert type(restored) is never


def test_event_strategies_do_not_pickle_like_tenacity() -> None:
    event = threading.Event()
    for lib in LIBS:
        with pytest.raises(TypeError):
            pickle.dumps(lib.stop_when_event_set(event))
        with pytest.raises(TypeError):
            pickle.dumps(lib.sleep_using_event(event))


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_strategy_is_subclassable(case: str) -> None:
    strategy = build(CASES[case], pertinax)
    cls = type(strategy)
    sub = type(f"my_{cls.__name__}", (cls,), {"extra": 1})
    instance = sub.__new__(sub)
    instance.__dict__.update(vars(strategy))
    assert isinstance(instance, cls) and instance.extra == 1


def test_subclass_with_its_own_init() -> None:
    class capped_exponential(pertinax.wait_exponential):
        def __init__(self, cap: float) -> None:
            super().__init__(multiplier=0.5, max=cap)
            self.cap = cap

    strategy = capped_exponential(8)
    assert (strategy.multiplier, strategy.max, strategy.min, strategy.exp_base) == (
        0.5,
        8.0,
        0.0,
        2,
    )


# --- the Rust contract: __call__ only delegates -------------------------------------


class RecordingNative:
    def __init__(self) -> None:
        self.calls: list[tuple[str, typing.Any, typing.Any]] = []

    def __getattr__(self, name: str):
        if name == "strategy_changed":
            # attribute writes notify the engine; not an evaluation
            return lambda strategy: None

        def evaluate(strategy, retry_state):
            self.calls.append((name, strategy, retry_state))
            return "from-native"

        return evaluate


@pytest.mark.parametrize("case", sorted(CASES))
def test_builtin_call_delegates_to_the_native_evaluator(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    native = RecordingNative()
    for module in (pertinax.stop, pertinax.wait, P_RETRY):
        monkeypatch.setattr(module, "_pertinax", native)
    strategy = build(CASES[case], pertinax)
    state = object()
    assert strategy(state) == "from-native"
    kind = {"stop": "evaluate_stop", "wait": "evaluate_wait", "retr": "evaluate_retry"}[case[:4]]
    assert native.calls == [(kind, strategy, state)]


# --- nap --------------------------------------------------------------------------


def test_sleep_looks_up_time_sleep_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(pertinax.nap.time, "sleep", slept.append)
    pertinax.nap.sleep(1.5)
    pertinax.sleep(pertinax.DoSleep(2))
    assert slept == [1.5, 2.0]
    assert pertinax.sleep is pertinax.nap.sleep


def test_sleep_using_event_returns_when_set() -> None:
    event = threading.Event()
    sleeper = pertinax.sleep_using_event(event)
    assert sleeper.event is event
    started = time.monotonic()
    sleeper(0.01)
    assert time.monotonic() - started >= 0.005
    event.set()
    started = time.monotonic()
    assert sleeper(30) is None
    assert time.monotonic() - started < 5
    assert parameters(pertinax.sleep_using_event.__call__) == parameters(
        tenacity.sleep_using_event.__call__
    )


# --- evaluation (through the Rust engine) -------------------------------------------


@dataclasses.dataclass
class Scenario:
    attempt: typing.Any = 1
    seconds: typing.Any = 0.0  # None: no outcome timestamp
    upcoming: typing.Any = 0.0
    value: typing.Any = None
    failed: bool = False
    no_outcome: bool = False


def make_state(lib, scenario: Scenario):
    state = lib.RetryCallState(None, None, (), {})
    state.attempt_number = scenario.attempt
    state.start_time = 0
    state.outcome_timestamp = scenario.seconds
    state.upcoming_sleep = scenario.upcoming
    if not scenario.no_outcome:
        state.outcome = lib.Future.construct(scenario.attempt, scenario.value, scenario.failed)
    return state


def compare(case, scenario: Scenario, *, seed: int | None = None, exact_message=True) -> None:
    results = []
    for lib in LIBS:
        strategy = build(case, lib) if callable(case) else case[lib.__name__]
        state = make_state(lib, scenario)
        if seed is not None:
            random.seed(seed)
        results.append(outcome(strategy, state))
    theirs, ours = results
    assert_same_outcome(ours, theirs, exact_message=exact_message)


ATTEMPTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 31, 32, 33, 60, 64, 100, 1000, -1]


@pytest.mark.parametrize("case", STOP_CASES)
def test_stop_evaluation_matches_tenacity(case: str) -> None:
    for attempt in [0, 1, 2, 3, 4, 2.5]:
        for seconds in [0, 0.999, 1, 1.0, 1.001, 1.5, Fraction(3, 2), 100]:
            for upcoming in [0, 0.0, 0.0001, 0.5, Fraction(1, 2)]:
                compare(CASES[case], Scenario(attempt, seconds, upcoming))


@pytest.mark.parametrize("case", ["stop_after_delay(1)", "stop_before_delay(1)"])
def test_delay_stops_need_an_outcome_time(case: str) -> None:
    compare(CASES[case], Scenario(seconds=None))


def test_stop_when_event_set() -> None:
    event = threading.Event()
    strategies = {lib.__name__: lib.stop_when_event_set(event) for lib in LIBS}
    compare(strategies, Scenario())
    event.set()
    compare(strategies, Scenario())
    assert strategies["pertinax"](make_state(pertinax, Scenario())) is True


def test_stop_with_unusable_values_fails_like_tenacity() -> None:
    # tenacity accepts these at construction and fails when called.
    for case in (lambda t: t.stop_after_attempt("3"), lambda t: t.stop_after_attempt(None)):
        compare(case, Scenario(), exact_message=False)


def test_stop_combinators_short_circuit_and_propagate_errors() -> None:
    calls: list[int] = []

    def recording(retry_state):
        calls.append(retry_state.attempt_number)
        return False

    class Boom(Exception):
        pass

    boom = Boom()

    def exploding(retry_state):
        raise boom

    state = make_state(pertinax, Scenario(attempt=1))
    assert pertinax.stop_any(pertinax.stop_after_attempt(1), exploding)(state) is True
    assert pertinax.stop_all(pertinax.stop_after_attempt(5), exploding)(state) is False
    assert pertinax.stop_any(recording, recording)(state) is False and calls == [1, 1]
    with pytest.raises(Boom) as info:
        pertinax.stop_any(recording, exploding)(state)
    assert info.value is boom


@pytest.mark.parametrize("case", [c for c in WAIT_CASES if "random" not in c and "jitter" not in c])
def test_wait_evaluation_matches_tenacity(case: str) -> None:
    for attempt in ATTEMPTS:
        compare(CASES[case], Scenario(attempt=attempt, value=ValueError("slow"), failed=True))
        compare(CASES[case], Scenario(attempt=attempt, value="ok"))


@pytest.mark.parametrize("case", [c for c in WAIT_CASES if "random" in c or "jitter" in c])
def test_random_wait_evaluation_matches_tenacity_under_the_same_seed(case: str) -> None:
    for attempt in [*ATTEMPTS, 2000]:
        for seed in range(5):
            compare(CASES[case], Scenario(attempt=attempt), seed=seed)


def test_random_waits_use_the_random_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # Patching `random` must reach the engine, as it reaches tenacity.
    # Distinct fakes, so computing uniform() from random() would show.
    monkeypatch.setattr(random, "random", lambda: 0.75)
    monkeypatch.setattr(random, "uniform", lambda a, b: a + (b - a) * 0.25)
    for case in (
        "wait_random(1, 20)",
        "wait_random_exponential(0.5, 60)",
        "wait_exponential_jitter(max=60)",
    ):
        for attempt in (1, 3, 10):
            compare(CASES[case], Scenario(attempt=attempt))


def test_wait_exponential_skips_the_power_past_the_cap() -> None:
    class ExplodingPower(float):
        def __pow__(self, exponent, modulo=None):
            raise AssertionError("power computed past the cap")

    for attempt in (7, 50, 10**6):
        compare(
            lambda t: t.wait_exponential(max=40, exp_base=ExplodingPower(2)),
            Scenario(attempt=attempt),
        )


def test_wait_exponential_overflow_falls_back_to_max() -> None:
    compare(lambda t: t.wait_exponential(max=float("inf"), exp_base=2.0), Scenario(attempt=2000))
    compare(lambda t: t.wait_exponential(min=5, exp_base=10.0, max=float("inf")), Scenario(5000))
    compare(lambda t: t.wait_exponential(max=float("inf")), Scenario(attempt=300))


def test_wait_exception_needs_a_failed_outcome() -> None:
    compare(CASES["wait_exception"], Scenario(value=KeyError("k"), failed=True))
    compare(CASES["wait_exception"], Scenario(value=3))
    compare(CASES["wait_exception"], Scenario(no_outcome=True))


def test_wait_chain_calls_by_keyword_and_combine_positionally() -> None:
    compare(lambda t: t.wait_chain(t.wait_fixed(1), wait_named_rs), Scenario(attempt=5))
    compare(lambda t: t.wait_combine(t.wait_fixed(1), wait_named_rs), Scenario(attempt=5))
    compare(lambda t: 0.0 + t.wait_fixed(1), Scenario(), exact_message=False)
    compare(lambda t: t.wait_fixed(1) + 5, Scenario(), exact_message=False)


def test_wait_chain_sleeps_like_tenacity() -> None:
    case = CASES["wait_chain"]
    ours = [build(case, pertinax)(make_state(pertinax, Scenario(n))) for n in range(1, 6)]
    theirs = [build(case, tenacity)(make_state(tenacity, Scenario(n))) for n in range(1, 6)]
    assert ours == theirs


def test_wait_with_unusable_values_fails_like_tenacity() -> None:
    for case in (
        lambda t: t.wait_exponential(multiplier="2"),
        lambda t: t.wait_exponential(exp_base=None),
        lambda t: t.wait_exponential_jitter(exp_base="2"),
        lambda t: t.wait_combine(None),
    ):
        compare(case, Scenario(attempt=3), exact_message=False)


class Chained(Exception):
    pass


def _chained(cause_type: type[BaseException]) -> BaseException:
    try:
        try:
            raise cause_type("cause")
        except BaseException as cause:
            raise OSError("outer") from cause
    except OSError as outer:
        return outer


def _cyclic() -> BaseException:
    first, second = Chained("a"), Chained("b")
    first.__cause__, second.__cause__ = second, first
    return first


def _context_only() -> BaseException:
    try:
        try:
            raise NameError("hidden")
        except NameError:
            raise OSError("outer")  # noqa: B904
    except OSError as outer:
        return outer


OUTCOMES = {
    "none": Scenario(value=None),
    "zero": Scenario(value=0),
    "text": Scenario(value="boom"),
    "list": Scenario(value=[1, 2]),
    "value_error": Scenario(value=ValueError("boom"), failed=True),
    "value_error_args": Scenario(value=ValueError(), failed=True),
    "key_error": Scenario(value=KeyError("boom"), failed=True),
    "message_case": Scenario(value=RuntimeError("BOOM!"), failed=True),
    "empty_message": Scenario(value=RuntimeError(), failed=True),
    "xboom": Scenario(value=RuntimeError("xboom"), failed=True),
    "keyboard": Scenario(value=KeyboardInterrupt(), failed=True),
    "cause_name": Scenario(value=_chained(NameError), failed=True),
    "cause_key": Scenario(value=_chained(KeyError), failed=True),
    "context_only": Scenario(value=_context_only(), failed=True),
    "cyclic": Scenario(value=_cyclic(), failed=True),
    "try_again": Scenario(value=tenacity.TryAgain(), failed=True),
    "no_outcome": Scenario(no_outcome=True),
}


@pytest.mark.parametrize("case", RETRY_CASES)
@pytest.mark.parametrize("scenario", sorted(OUTCOMES))
def test_retry_evaluation_matches_tenacity(case: str, scenario: str) -> None:
    compare(CASES[case], OUTCOMES[scenario])


def test_retry_predicates_return_raw_values() -> None:
    state = make_state(pertinax, OUTCOMES["value_error"])
    assert pertinax.retry_if_exception(exception_args)(state) == ("boom",)
    state = make_state(pertinax, OUTCOMES["list"])
    assert pertinax.retry_if_result(len)(state) == 2


def test_retry_reads_attributes_live() -> None:
    strategy = pertinax.retry_if_exception_type(KeyError)
    state = make_state(pertinax, OUTCOMES["value_error"])
    assert strategy(state) is False
    strategy.exception_types = ValueError
    assert strategy(state) is True


def test_retry_errors_propagate_unchanged() -> None:
    class Boom(Exception):
        pass

    boom = Boom()

    def explode(_):
        raise boom

    for strategy, scenario in (
        (pertinax.retry_if_exception(explode), "value_error"),
        (pertinax.retry_if_result(explode), "none"),
        (pertinax.retry_any(pertinax.retry_never, explode), "none"),
    ):
        with pytest.raises(Boom) as info:
            strategy(make_state(pertinax, OUTCOMES[scenario]))
        assert info.value is boom


# --- subclasses that customise the built-ins -----------------------------------------


def _subclass_pair(name: str, base_path: str, body: dict) -> dict[str, typing.Any]:
    classes = {}
    for lib in LIBS:
        module, _, cls = base_path.rpartition(".")
        base = getattr(importlib.import_module(f"{lib.__name__}.{module}"), cls)
        classes[lib.__name__] = type(name, (base,), dict(body))
    return classes


def test_subclass_overriding_check_is_honoured() -> None:
    classes = _subclass_pair(
        "retry_on_message_length",
        "retry.retry_if_exception_type",
        {"_check": lambda self, e: isinstance(e, self.exception_types) and len(str(e)) > 3},
    )
    for scenario in ("value_error", "key_error", "none", "value_error_args"):
        compare({k: v(ValueError) for k, v in classes.items()}, OUTCOMES[scenario])


def test_subclass_overriding_call_can_use_super() -> None:
    def call(self, retry_state):
        return not super(type(self), self).__call__(retry_state)

    stops = _subclass_pair("inverted_stop", "stop.stop_after_attempt", {"__call__": call})
    retries = _subclass_pair("inverted_retry", "retry.retry_if_result", {"__call__": call})

    def wait_call(self, retry_state):
        return super(type(self), self).__call__(retry_state) * 10

    waits = _subclass_pair("scaled_wait", "wait.wait_exponential", {"__call__": wait_call})
    for attempt in (1, 3, 5):
        scenario = Scenario(attempt=attempt)
        compare({k: v(3) for k, v in stops.items()}, scenario)
        compare({k: v(is_none) for k, v in retries.items()}, scenario)
        compare({k: v(max=50) for k, v in waits.items()}, scenario)


def test_subclass_without_call_override_acts_like_its_base() -> None:
    classes = _subclass_pair("my_fixed", "wait.wait_fixed", {"note": "x"})
    compare({k: v(2) for k, v in classes.items()}, Scenario(attempt=2))
    classes = _subclass_pair("my_none", "wait.wait_none", {})
    compare({k: v() for k, v in classes.items()}, Scenario(attempt=2))


# --- which attribute writes tell the engine -------------------------------------------


@pytest.fixture
def notified(monkeypatch: pytest.MonkeyPatch) -> list[typing.Any]:
    """The strategies the base classes report as changed (plans that read them recompile)."""
    seen: list[typing.Any] = []
    real = pertinax._utils._pertinax

    class Recording:
        def __getattr__(self, name: str) -> typing.Any:
            return getattr(real, name)

        @staticmethod
        def strategy_changed(strategy: typing.Any) -> None:
            seen.append(strategy)
            real.strategy_changed(strategy)

    monkeypatch.setattr(pertinax._utils, "_pertinax", Recording())
    return seen


def test_a_new_strategy_at_a_dead_compiled_ones_address_changes_no_plan() -> None:
    # The engine remembers which strategy objects plans have read. A new object built where
    # a dead compiled one lived (CPython reuses addresses at once) must not pass for it: its
    # constructor's writes would make every plan in the process compile again.
    reads = []

    class Three:
        """A number whose every read by a plan compile is counted."""

        def __float__(self) -> float:
            reads.append(1)
            return 3.0

    @pertinax.retry(stop=pertinax.stop_after_attempt(Three()))
    def steady() -> int:
        return 1

    steady()
    steady()
    assert len(reads) == 1
    for _ in range(200):
        stop = pertinax.stop_after_attempt(2)

        @pertinax.retry(stop=stop)
        def other() -> int:
            return 1

        other()  # compiles a plan that reads `stop`
        del other, stop
        for _ in range(3):
            pertinax.stop_after_attempt(5)  # likely at a freed compiled address
            pertinax.wait_fixed(1)
    steady()
    assert len(reads) == 1


def test_every_write_and_delete_tells_the_engine(notified: list[typing.Any]) -> None:
    # The engine decides whether a plan read the object; the strategy reports every change.
    stop = pertinax.stop_after_attempt(3)  # the constructor's write
    stop.max_attempt_number = 2
    wait = pertinax.wait_fixed(1)
    del wait.wait_fixed
    wait.wait_fixed = 2
    assert notified == [stop, stop, wait, wait, wait]


def test_an_instance_value_shadowing_a_class_value_takes_effect() -> None:
    for lib in (tenacity, pertinax):

        class Five(lib.stop_after_attempt):  # type: ignore[misc, name-defined]
            max_attempt_number = 5

            def __init__(self) -> None:
                pass

        stop = Five()
        attempts = []

        @lib.retry(stop=stop, sleep=lambda s: None, reraise=True)
        def fails() -> None:
            attempts.append(1)  # noqa: B023  (called within this iteration)
            raise OSError

        with pytest.raises(OSError):
            fails()
        stop.max_attempt_number = 2
        with pytest.raises(OSError):
            fails()
        assert len(attempts) == 5 + 2, lib.__name__
