"""What the strategy test files share: the tenacity/pertinax module pairs, module-level
callables (so strategies holding them pickle by reference), and the comparison helpers.
"""

import dataclasses
import inspect
import math
import random
import re
import sys
import types
import typing
from datetime import timedelta
from fractions import Fraction

import pertinax
import pertinax.nap
import pertinax.stop
import pertinax.wait
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


# --- the strategies both libraries build, by name -------------------------------

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


# --- states to evaluate strategies on -----------------------------------------------


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
