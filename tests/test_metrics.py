"""The metrics registry: exact counts after scripted runs of decorated functions, opting out
and resetting, from many threads, and without garbage. The other drivers (call form,
iterator, async) are in ``test_metrics_drivers.py``."""

import gc
import pickle
import threading
import weakref

import pertinax
import pytest
from pertinax import (
    RetryError,
    Retrying,
    metrics,
    retry,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_fixed,
)

from tests.support.metric_counts import counts, expect
from tests.support.scripted import no_sleep, script

pytestmark = pytest.mark.usefixtures("fresh_metrics")


def test_first_try_successes_take_the_fast_path_and_count() -> None:
    @retry(name="fast")
    def ok() -> int:
        return 1

    for _ in range(5):
        assert ok() == 1
    assert counts("fast") == expect(calls=5, first_try=5, attempts=5)
    snap = metrics.snapshot()["fast"]
    assert snap["success_rate"] == 1.0
    assert snap["retry_rate"] == 0.0
    assert snap["give_up_rate"] == 0.0
    assert snap["duration"]["count"] == 5
    assert sum(snap["duration"]["counts"]) == 5
    assert snap["duration"]["sum"] > 0


def test_recovery_counts_attempts_retries_and_the_decided_waits() -> None:
    fn = script(OSError("a"), OSError("b"), "done")
    decorated = retry(name="recovers", wait=wait_fixed(0.1), sleep=no_sleep)(fn)
    assert decorated() == "done"
    assert counts("recovers") == expect(
        calls=1, recovered=1, attempts=3, retries=2, retried_calls=1, retry_sleep_seconds=0.2
    )
    assert metrics.snapshot()["recovers"]["retry_rate"] == 1.0


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"reraise": True},
        {"retry_error_callback": lambda rs: "fallback"},
    ],
    ids=["retry_error", "reraise", "callback"],
)
def test_every_kind_of_give_up_counts_as_gave_up(options: dict) -> None:
    decorated = retry(name="gives-up", stop=stop_after_attempt(3), sleep=no_sleep, **options)(
        script(OSError("x"))
    )
    try:
        decorated()
    except (RetryError, OSError):
        pass
    assert counts("gives-up") == expect(calls=1, gave_up=1, attempts=3, retries=2, retried_calls=1)
    assert metrics.snapshot()["gives-up"]["give_up_rate"] == 1.0


def test_errors_that_are_not_retried() -> None:
    decorated = retry(name="not-retried", retry=retry_if_exception_type(KeyError))(
        script(ValueError("v"))
    )
    with pytest.raises(ValueError):
        decorated()
    later = retry(name="not-retried", retry=retry_if_exception_type(KeyError), sleep=no_sleep)(
        script(KeyError("k"), ValueError("v"))
    )
    with pytest.raises(ValueError):
        later()
    assert counts("not-retried") == expect(
        calls=2, errors=2, attempts=3, retries=1, retried_calls=1
    )
    assert metrics.snapshot()["not-retried"]["success_rate"] == 0.0


def test_an_interrupt_ends_the_call_as_an_error() -> None:
    decorated = retry(name="interrupted")(script(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        decorated()
    assert counts("interrupted") == expect(calls=1, errors=1, attempts=1)


def test_a_failing_callback_ends_the_call_as_an_error() -> None:
    def before_sleep(retry_state: object) -> None:
        raise RuntimeError("hook")

    decorated = retry(name="hook-fails", before_sleep=before_sleep)(script(OSError("x")))
    with pytest.raises(RuntimeError):
        decorated()
    assert counts("hook-fails") == expect(calls=1, errors=1, attempts=1, retries=1, retried_calls=0)


def test_a_retried_result_and_a_python_hook_go_through_the_engine() -> None:
    seen = []
    decorated = retry(
        name="result",
        retry=retry_if_result(lambda r: r is None),
        before=seen.append,
        sleep=no_sleep,
    )(script(None, None, 7))
    assert decorated() == 7
    assert len(seen) == 3
    first = retry(name="result", before=seen.append)(script(1))
    assert first() == 1
    assert counts("result") == expect(
        calls=2, first_try=1, recovered=1, attempts=4, retries=2, retried_calls=1
    )


def test_an_unnamed_function_counts_under_its_qualified_name() -> None:
    @retry
    def plain() -> int:
        return 3

    plain()
    name = metrics.operation_name(plain)
    assert (
        name
        == f"{__name__}.test_an_unnamed_function_counts_under_its_qualified_name.<locals>.plain"
    )
    assert counts(name) == expect(calls=1, first_try=1, attempts=1)
    with pytest.raises(TypeError, match="not a function decorated"):
        metrics.operation_name(len)


def test_one_handle_per_function_resolved_at_decoration() -> None:
    controller = Retrying(sleep=no_sleep)

    def first() -> int:
        return 1

    def second() -> int:
        return 2

    a = controller.wraps(first)
    b = controller.wraps(second)
    a(), b(), b()
    assert {n.rsplit(".", 1)[1]: s["calls"] for n, s in metrics.snapshot().items()} == {
        "first": 1,
        "second": 2,
    }


def test_a_callable_whose_name_cannot_be_read_still_runs() -> None:
    class Nameless:
        # No __qualname__ or __name__ on the instance: the name would be its repr.
        def __repr__(self) -> str:
            raise RuntimeError("no name")

        def __call__(self) -> int:
            return 1

    assert Retrying()(Nameless()) == 1
    assert counts("<unknown>") == expect(calls=1, first_try=1, attempts=1)


# --- opting out, resetting --------------------------------------------------------------


def test_a_policy_opts_out_and_copies_carry_the_choice() -> None:
    @retry(name="quiet", metrics=False, sleep=no_sleep)
    def quiet() -> int:
        return 1

    quiet()
    assert "quiet" not in metrics.snapshot()
    assert quiet.retry.metrics is False
    assert quiet.retry.copy().metrics is False
    again = quiet.retry_with(stop=stop_after_attempt(2))
    again()
    assert "quiet" not in metrics.snapshot()
    counted = quiet.retry_with(metrics=True)
    counted()
    assert counts("quiet") == expect(calls=1, first_try=1, attempts=1)
    # Flipping the attribute recompiles the plan, as any other attribute does.
    counted.retry.metrics = False
    counted()
    assert counts("quiet")["calls"] == 1


def test_the_options_survive_pickling() -> None:
    r = Retrying(name="pickled", metrics=False, log_levels="loud")
    again = pickle.loads(pickle.dumps(r))
    assert (again.metrics, again.log_levels, again.on_recovered) == (False, "loud", None)
    again(script(1))
    assert "pickled" not in metrics.snapshot()


def test_on_recovered_must_be_callable_and_a_refusal_changes_nothing() -> None:
    with pytest.raises(TypeError, match="on_recovered must be callable or None, got 3"):
        Retrying(on_recovered=3)
    r = Retrying(on_recovered=print)
    with pytest.raises(TypeError, match="on_recovered must be callable or None, got 'x'"):
        r.copy(on_recovered="x")
    assert r.on_recovered is print


def test_the_new_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Retrying(
            no_sleep, None, None, None, None, None, None, False, RetryError, None, None, True, False
        )  # type: ignore[call-arg]


def test_a_disabled_policy_counts_nothing() -> None:
    @retry(name="off", enabled=False)
    def off() -> int:
        return 1

    off()
    assert "off" not in metrics.snapshot()


def test_reset_zeroes_everything_and_handles_stay_valid() -> None:
    @retry(name="reset")
    def ok() -> int:
        return 1

    ok()
    metrics.reset()
    assert "reset" not in metrics.snapshot()
    ok()
    assert counts("reset") == expect(calls=1, first_try=1, attempts=1)


def test_the_histogram_is_plain_data() -> None:
    @retry(name="hist", wait=wait_fixed(0), sleep=no_sleep)
    def ok() -> int:
        return 1

    ok()
    h = metrics.snapshot()["hist"]["duration"]
    assert len(h["bounds"]) == 20 and len(h["counts"]) == 21
    assert list(h["bounds"]) == sorted(h["bounds"])
    assert h["count"] == 1 and sum(h["counts"]) == 1
    assert isinstance(h["sum"], float)


# --- threads ----------------------------------------------------------------------------


def test_sixteen_threads_at_once_give_exact_counts() -> None:
    per_thread = 300
    local = threading.local()

    @retry(
        name="threads",
        sleep=no_sleep,
        stop=stop_after_attempt(3),
        retry_error_callback=lambda rs: None,
    )
    def work(i: int) -> int:
        # i % 3 == 0: first try; 1: one retry; 2: never succeeds (gives up after 3).
        n = local.tries = getattr(local, "tries", 0) + 1
        if i % 3 == 0 or (i % 3 == 1 and n == 2):
            local.tries = 0
            return i
        if n == 3:
            local.tries = 0
        raise OSError(i)

    @retry(name="threads-fast")
    def fast(i: int) -> int:
        return i

    barrier = threading.Barrier(16)
    errors = []

    def run() -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                work(i)
                fast(i)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    each = per_thread // 3
    assert counts("threads") == expect(
        calls=16 * per_thread,
        first_try=16 * each,
        recovered=16 * each,
        gave_up=16 * each,
        attempts=16 * each * (1 + 2 + 3),
        retries=16 * each * (1 + 2),
        retried_calls=16 * each * 2,
    )
    assert metrics.snapshot()["threads"]["duration"]["count"] == 16 * per_thread
    assert counts("threads-fast") == expect(
        calls=16 * per_thread, first_try=16 * per_thread, attempts=16 * per_thread
    )


# --- garbage ----------------------------------------------------------------------------


def test_plans_let_go_of_their_hook_and_their_last_function() -> None:
    class Holder:
        pass

    def make() -> weakref.ref[Holder]:
        # holder -> controller -> plan -> hook and last function -> holder: a cycle that
        # only the GC can free, through the plan's __traverse__.
        holder = Holder()
        r = Retrying(on_recovered=lambda rs: holder, sleep=no_sleep)
        holder.r = r  # type: ignore[attr-defined]

        def work() -> Holder:
            return holder

        r(work)
        return weakref.ref(holder)

    ref = make()
    gc.collect()
    assert ref() is None


def test_the_package_exposes_the_modules() -> None:
    assert pertinax.metrics is metrics
    assert "metrics" not in pertinax.__all__
