"""Self-checks of the differential harness: tenacity against itself, and against deliberately
broken copies of tenacity, which the harness must catch. They run whether or not the
candidate is importable.
"""

from __future__ import annotations

import random
import types
from typing import Any

import pytest
import tenacity
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from tests.support.differential import (
    Mismatch,
    Scenario,
    check,
    scenarios,
    waits,
)
from tests.support.differential_cases import (
    ATTEMPTS,
    HEALTH_CHECKS,
    REFERENCE,
    direct_compare,
    prepared_state,
    settings_for,
)


@settings_for(40)
@given(sc=scenarios())
def test_harness_is_deterministic(sc: Scenario) -> None:
    check(sc, REFERENCE, REFERENCE)


def _mutant(name: str, **overrides: Any) -> types.ModuleType:
    m = types.ModuleType("tenacity")
    m.__dict__.update({k: v for k, v in vars(tenacity).items() if not k.startswith("__")})
    m.__dict__.update(overrides)
    m.mutation = name
    return m


def _mutants() -> list[types.ModuleType]:
    class wait_fixed(tenacity.wait_fixed):  # int where tenacity gives a float
        def __call__(self, rs: Any) -> Any:
            return int(self.wait_fixed)

    class stop_after_attempt(tenacity.stop_after_attempt):  # off by one
        def __call__(self, rs: Any) -> bool:
            return rs.attempt_number > self.max_attempt_number

    private = random.Random(1)

    class wait_random(tenacity.wait_random):  # jitter not drawn from `random`
        def __call__(self, rs: Any) -> float:
            return self.wait_random_min + private.random() * (
                self.wait_random_max - self.wait_random_min
            )

    class NoAfter(tenacity.Retrying):  # `after` never called
        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, **k)
            self.after = None

    def retry(*dargs: Any, **dkw: Any) -> Any:
        return lambda f: NoAfter(*dargs, **dkw).wraps(f)

    class StaleIdle(tenacity.Retrying):  # idle_for not updated on the state
        def _post_stop_check_actions(self, rs: Any) -> None:
            idle = rs.idle_for
            super()._post_stop_check_actions(rs)
            self._add_action_func(lambda rs: setattr(rs, "idle_for", idle))

    def retry2(*dargs: Any, **dkw: Any) -> Any:
        return lambda f: StaleIdle(*dargs, **dkw).wraps(f)

    return [
        _mutant("wait_fixed returns int", wait_fixed=wait_fixed),
        _mutant("stop_after_attempt off by one", stop_after_attempt=stop_after_attempt),
        _mutant("wait_random private generator", wait_random=wait_random),
        _mutant("after never called", Retrying=NoAfter, retry=retry),
        _mutant("idle_for stale", Retrying=StaleIdle, retry=retry2),
    ]


@pytest.mark.parametrize("mutant", _mutants(), ids=lambda m: m.mutation)
def test_harness_catches_mutant(mutant: types.ModuleType) -> None:
    """Each broken copy of tenacity must be caught by the generated scenarios or, for strategy
    values, by the direct evaluation of generated waits."""
    quick = settings(
        max_examples=300,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=HEALTH_CHECKS,
        print_blob=False,
    )

    @quick
    @given(sc=scenarios())
    def generated(sc: Scenario) -> None:
        check(sc, REFERENCE, mutant)

    @quick
    @given(expr=waits(falsy=False), attempts=ATTEMPTS, seed=st.integers(0, 1000))
    def wait_values(expr: str, attempts: list[int], seed: int) -> None:
        calls = [
            lambda lib, rec, n=n: prepared_state(lib, rec, n, ("raise", "ErrA", "x", None))
            for n in attempts
        ]
        direct_compare(expr, calls, seed, mutant)

    caught = []
    for search in (generated, wait_values):
        try:
            search()
        except Mismatch:
            caught.append(search.__name__)
    assert caught, f"mutant {mutant.mutation!r} went unnoticed"
