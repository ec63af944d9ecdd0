"""Evaluating strategies (through the Rust engine): every value, its type and every error match
tenacity for the same state; random strategies under the same ``random.seed``.
"""

import random
import threading
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
    OUTCOMES,
    RETRY_CASES,
    STOP_CASES,
    WAIT_CASES,
    Scenario,
    build,
    compare,
    exception_args,
    make_state,
    wait_named_rs,
)

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
