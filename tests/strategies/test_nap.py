"""The nap module's sleeps, as tenacity's."""

import threading
import time

import pertinax
import pertinax.nap
import pertinax.stop
import pertinax.wait
import pytest
import tenacity

from tests.support.strategies import parameters


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
