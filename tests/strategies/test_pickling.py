"""Strategies pickle and subclass as tenacity's do."""

import pickle
import threading
import types

import pertinax
import pertinax.nap
import pertinax.stop
import pertinax.wait
import pytest

from tests.support.strategies import (
    CASES,
    LIBS,
    build,
    shape,
)


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
