"""Which attribute writes tell the engine that a compiled plan is stale."""

import typing

import pertinax
import pertinax.nap
import pertinax.stop
import pertinax.wait
import pytest
import tenacity


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
