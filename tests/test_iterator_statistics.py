"""Which statistics dict a `for attempt in controller:` loop writes, compared with tenacity.

The engine reads the dict this thread already has without calling the `statistics` property
(for speed); every case where that shortcut must not apply is checked here against
tenacity 9.2.1: a class with its own property, a `_local` that is not a `threading.local`,
a dict put there by hand, a first loop in a new thread.
"""

from __future__ import annotations

import threading
import types
from typing import Any

import pertinax
import pytest
import tenacity

LIBRARIES = [tenacity, pertinax]
# Clock readings differ between runs; the rest must be equal.
TIMED = ("start_time", "delay_since_first_attempt")


def no_sleep(_seconds: float) -> None:
    pass


def loop(controller: Any, failures: int) -> None:
    """A loop whose body fails `failures` times, then returns."""
    left = [failures]
    for attempt in controller:
        with attempt:
            if left[0]:
                left[0] -= 1
                raise ValueError("boom")


def comparable(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: (type(v).__name__ if k in TIMED else v) for k, v in stats.items()}


def retrying(lib: Any, **kwargs: Any) -> Any:
    return lib.Retrying(stop=lib.stop_after_attempt(5), sleep=no_sleep, **kwargs)


@pytest.mark.parametrize("failures", [0, 2])
def test_a_reused_controller_writes_one_dict_per_thread_as_tenacity_does(failures: int) -> None:
    seen = {}
    for lib in LIBRARIES:
        r = retrying(lib)
        loop(r, 3)
        first = r.statistics
        loop(r, failures)
        # The same dict object, rewritten by the second loop.
        assert r.statistics is first
        seen[lib.__name__] = comparable(first)
    assert seen["pertinax"] == seen["tenacity"]
    assert seen["pertinax"]["attempt_number"] == failures + 1


def test_a_subclass_property_gets_the_figures() -> None:
    seen = {}
    for lib in LIBRARIES:

        class Own(lib.Retrying):  # type: ignore[name-defined,misc]
            store: dict[str, Any] = {"stale": True}

            @property
            def statistics(self) -> dict[str, Any]:
                return self.store

        loop(Own(stop=lib.stop_after_attempt(5), sleep=no_sleep), 2)
        seen[lib.__name__] = comparable(Own.store)
    assert seen["pertinax"] == seen["tenacity"]
    assert "stale" not in seen["pertinax"]
    assert seen["pertinax"]["attempt_number"] == 3


def test_a_local_that_is_not_a_threading_local_is_used() -> None:
    seen = {}
    for lib in LIBRARIES:
        r = retrying(lib)
        r._local = types.SimpleNamespace()
        loop(r, 1)
        assert r._local.statistics is r.statistics
        seen[lib.__name__] = comparable(r._local.statistics)
    assert seen["pertinax"] == seen["tenacity"]


def test_a_dict_put_in_the_local_by_hand_is_the_one_written() -> None:
    seen = {}
    for lib in LIBRARIES:
        r = retrying(lib)
        mine: dict[str, Any] = {"old": 1}
        r._local.statistics = mine
        loop(r, 1)
        assert r.statistics is mine
        seen[lib.__name__] = comparable(mine)
    assert seen["pertinax"] == seen["tenacity"]
    assert seen["pertinax"]["attempt_number"] == 2


def test_a_first_loop_in_another_thread_gets_its_own_dict() -> None:
    r = retrying(pertinax)
    loop(r, 2)
    mine = r.statistics
    theirs: list[dict[str, Any]] = []

    def run() -> None:
        assert "attempt_number" not in r.statistics or r.statistics is not mine
        loop(r, 0)
        theirs.append(r.statistics)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert theirs[0] is not mine
    assert theirs[0]["attempt_number"] == 1
    assert r.statistics is mine
    assert mine["attempt_number"] == 3


def test_a_fresh_controller_gets_a_dict_the_property_then_returns() -> None:
    r = retrying(pertinax)
    loop(r, 1)
    stats = r.statistics
    assert stats is r._local.statistics
    assert stats["attempt_number"] == 2
    loop(r, 0)
    assert r.statistics is stats


def test_a_decorated_functions_controller_used_as_a_loop_reports_through_its_property() -> None:
    @pertinax.retry(stop=pertinax.stop_after_attempt(5), sleep=no_sleep)
    def f() -> int:
        return 1

    f()
    controller = f.retry  # type: ignore[attr-defined]
    loop(controller, 2)
    # Whatever dict the property hands out, the loop wrote its figures there.
    assert controller.statistics["attempt_number"] == 3
