"""The strategy modules' surface: names, classes and signatures match tenacity 9.2.1."""

import inspect
import random
import time

import pertinax
import pertinax.nap
import pertinax.stop
import pertinax.wait
import pytest
import tenacity

from tests.support.strategies import (
    MODULE_PAIRS,
    P_RETRY,
    classes_of,
    parameters,
)


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
