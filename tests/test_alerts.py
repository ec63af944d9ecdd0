"""Alert rules: a rolling-window threshold on an operation's retry rate or give-up rate."""

import logging
import sys

import pytest
from pertinax import RetryError, _pertinax, metrics, retry, stop_after_attempt

from tests.support.scripted import no_sleep

WINDOW = 60.0


@pytest.fixture(autouse=True)
def clean():
    metrics.reset()
    metrics.clear_alerts()
    # Every test starts in a window of its own.
    _pertinax.metrics_advance_clock(10 * WINDOW)
    yield
    metrics.clear_alerts()
    metrics.reset()


def make(name: str):
    """A function that retries once when called with True, gives up when called with None."""

    @retry(name=name, sleep=no_sleep, stop=stop_after_attempt(2))
    def fn(mode: object = False) -> str:
        fn.tries = getattr(fn, "tries", 0) + 1  # type: ignore[attr-defined]
        if mode is None or (mode and fn.tries == 1):  # type: ignore[attr-defined]
            raise OSError("flaky")
        fn.tries = 0  # type: ignore[attr-defined]
        return "ok"

    def call(mode: object = False) -> None:
        fn.tries = 0  # type: ignore[attr-defined]
        try:
            fn(mode)
        except RetryError:
            pass

    return fn, call


def test_a_crossing_calls_back_and_logs_once_per_window(caplog: pytest.LogCaptureFixture) -> None:
    fired: list[metrics.Alert] = []
    fn, call = make("checkout")
    metrics.set_alert(fn, retry_rate=0.5, window=WINDOW, min_calls=4, callback=fired.append)
    caplog.set_level(logging.ERROR, logger="pertinax")
    for _ in range(2):
        call()
    call(True)
    assert fired == []  # 1 of 3, and fewer than min_calls
    call(True)
    assert fired == [
        metrics.Alert(
            operation="checkout",
            rate="retry_rate",
            value=0.5,
            threshold=0.5,
            window=WINDOW,
            calls=4,
            matching=2,
        )
    ]
    alerts = [r for r in caplog.records if r.name == "pertinax.alert"]
    assert [(r.levelname, r.getMessage()) for r in alerts] == [
        (
            "ERROR",
            "checkout: retry rate 0.500 over the last 60 seconds crossed the threshold 0.5 "
            "(2 of 4 calls)",
        )
    ]
    # The rate stays high: no storm within the window.
    for _ in range(20):
        call(True)
    assert len(fired) == 1
    # A window later it may fire again, if the rate is still high then.
    _pertinax.metrics_advance_clock(WINDOW)
    for _ in range(4):
        call(True)
    assert len(fired) == 2
    assert fired[1].calls == 4 and fired[1].value == 1.0


def test_first_try_successes_dilute_the_rate() -> None:
    fired: list[metrics.Alert] = []
    _, call = make("diluted")
    metrics.set_alert("diluted", retry_rate=0.5, window=WINDOW, min_calls=1, callback=fired.append)
    for _ in range(10):
        call()
    for _ in range(5):
        call(True)
    assert fired == []  # 5 of 15
    for _ in range(5):
        call(True)
    # The fifth more makes 10 of 20.
    assert [(a.matching, a.calls) for a in fired] == [(10, 20)]


def test_give_up_rate() -> None:
    fired: list[metrics.Alert] = []
    _, call = make("payments")
    metrics.set_alert(
        "payments", give_up_rate=0.25, window=WINDOW, min_calls=4, callback=fired.append
    )
    for mode in (False, True, False, None):
        call(mode)
    assert [(a.rate, a.value, a.calls, a.matching) for a in fired] == [("give_up_rate", 0.25, 4, 1)]


def test_calls_outside_the_window_do_not_count() -> None:
    fired: list[metrics.Alert] = []
    _, call = make("old")
    metrics.set_alert("old", retry_rate=0.5, window=WINDOW, min_calls=2, callback=fired.append)
    call(True)
    _pertinax.metrics_advance_clock(2 * WINDOW)
    call()
    call(True)
    assert [(a.matching, a.calls) for a in fired] == [(1, 2)]


def test_a_failing_callback_does_not_fail_the_call(monkeypatch: pytest.MonkeyPatch) -> None:
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    def broken(alert: metrics.Alert) -> None:
        raise RuntimeError("pager down")

    fn, call = make("broken")
    metrics.set_alert("broken", retry_rate=0.1, window=WINDOW, min_calls=1, callback=broken)
    fn.tries = 0  # type: ignore[attr-defined]
    assert fn(True) == "ok"
    assert [type(u.exc_value) for u in unraisable] == [RuntimeError]


def test_removing_rules() -> None:
    fired: list[metrics.Alert] = []
    _, call = make("removed")
    metrics.set_alert("removed", retry_rate=0.1, window=WINDOW, min_calls=1, callback=fired.append)
    metrics.set_alert("removed")
    call(True)
    metrics.set_alert("removed", retry_rate=0.1, window=WINDOW, min_calls=1, callback=fired.append)
    metrics.clear_alerts()
    call(True)
    assert fired == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"retry_rate": 1.5}, "retry_rate=1.5"),
        ({"give_up_rate": -0.1}, "give_up_rate=-0.1"),
        ({"retry_rate": 0.5, "window": 0}, "window=0"),
        ({"retry_rate": 0.5, "window": float("inf")}, "window=inf"),
        ({"retry_rate": 0.5, "min_calls": 0}, "min_calls=0"),
    ],
)
def test_bad_rules_are_refused(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        metrics.set_alert("bad", **kwargs)
    with pytest.raises(TypeError, match="not callable"):
        metrics.set_alert("bad", retry_rate=0.5, callback="page me")  # type: ignore[arg-type]
