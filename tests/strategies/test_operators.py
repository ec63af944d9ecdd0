"""Strategy operators (``|``, ``&``, ``+``, ``sum``) and what they build, as tenacity."""

import pertinax
import pertinax.nap
import pertinax.stop
import pertinax.wait
import pytest
import tenacity

from tests.support.strategies import (
    attempt_as_wait,
    is_none,
    shape,
)


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
