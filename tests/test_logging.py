"""The engine's log events: names, levels, messages, and logging reconfigured at run time."""

import asyncio
import logging
import logging.config
import sys

import pytest
from pertinax import (
    AsyncRetrying,
    RetryError,
    Retrying,
    logs,
    retry,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_fixed,
)

from tests.support.scripted import no_sleep

EVENT_LOGGERS = [f"pertinax.{e}" for e in (*logs.EVENTS, "alert")]


def script(*steps: object):
    """A function that raises or returns each step in turn, then repeats the last. Defined
    here, not imported: the messages under test name it by its qualified name."""
    queue = list(steps)

    def fn(*args: object, **kwargs: object) -> object:
        step = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(step, BaseException):
            raise step
        return step

    return fn


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[tuple[str, str, str]]:
        return [(r.name, r.levelname, r.getMessage()) for r in self.records]


@pytest.fixture(autouse=True)
def restore_logging():
    """Each test starts from Python's defaults for the pertinax loggers and ends there."""
    root = logging.getLogger()
    saved_root = (root.level, root.handlers[:])
    names = ["pertinax", *EVENT_LOGGERS]
    saved = {
        n: (lg.level, lg.handlers[:], lg.propagate, lg.disabled, lg.filters[:])
        for n in names
        for lg in [logging.getLogger(n)]
    }
    yield
    logs.set_levels("quiet")
    logging.disable(logging.NOTSET)
    root.setLevel(saved_root[0])
    root.handlers[:] = saved_root[1]
    for n, (level, handlers, propagate, disabled, filters) in saved.items():
        lg = logging.getLogger(n)
        lg.handlers[:] = handlers
        lg.propagate = propagate
        lg.disabled = disabled
        lg.filters[:] = filters
        lg.setLevel(level)


@pytest.fixture
def captured():
    """A handler on the ``pertinax`` logger, which logs everything."""
    handler = ListHandler()
    lg = logging.getLogger("pertinax")
    lg.addHandler(handler)
    lg.setLevel(logging.DEBUG)
    return handler


def recover_twice(**options: object) -> object:
    fn = retry(stop=stop_after_attempt(3), wait=wait_fixed(0.5), sleep=no_sleep, **options)(
        script(ConnectionError("refused"), ConnectionError("refused"), "ok")
    )
    return fn()


def give_up(**options: object) -> None:
    fn = retry(stop=stop_after_attempt(2), sleep=no_sleep, **options)(script(KeyError("k")))
    with pytest.raises(RetryError):
        fn()


# --- names, levels and messages -----------------------------------------------------------


def test_every_event_is_logged_at_debug_by_default(captured: ListHandler) -> None:
    assert recover_twice(name="fetch") == "ok"
    give_up(name="lookup")
    assert captured.lines() == [
        ("pertinax.attempt_failed", "DEBUG", "fetch: attempt 1 raised ConnectionError: refused"),
        (
            "pertinax.retrying",
            "DEBUG",
            "fetch: retrying in 0.5 seconds: attempt 1 raised ConnectionError: refused",
        ),
        ("pertinax.attempt_failed", "DEBUG", "fetch: attempt 2 raised ConnectionError: refused"),
        (
            "pertinax.retrying",
            "DEBUG",
            "fetch: retrying in 0.5 seconds: attempt 2 raised ConnectionError: refused",
        ),
        ("pertinax.recovered", "DEBUG", "fetch: recovered after 3 attempts"),
        ("pertinax.attempt_failed", "DEBUG", "lookup: attempt 1 raised KeyError: 'k'"),
        (
            "pertinax.retrying",
            "DEBUG",
            "lookup: retrying in 0.0 seconds: attempt 1 raised KeyError: 'k'",
        ),
        ("pertinax.attempt_failed", "DEBUG", "lookup: attempt 2 raised KeyError: 'k'"),
        (
            "pertinax.gave_up",
            "DEBUG",
            "lookup: gave up after 2 attempts: the last raised KeyError: 'k'",
        ),
    ]


def test_messages_name_the_function_a_retried_value_and_an_error_not_retried(
    captured: ListHandler,
) -> None:
    @retry(retry=retry_if_result(lambda r: r is None), sleep=no_sleep)
    def poll() -> object:
        return next(results)

    results = iter([None, 4])
    assert poll() == 4
    strict = retry(retry=retry_if_exception_type(KeyError))(script(ValueError()))
    with pytest.raises(ValueError):
        strict()
    name = f"{__name__}.test_messages_name_the_function_a_retried_value_and_an_error_not_retried.<locals>.poll"
    assert captured.lines()[:3] == [
        ("pertinax.attempt_failed", "DEBUG", f"{name}: attempt 1 returned None"),
        ("pertinax.retrying", "DEBUG", f"{name}: retrying in 0.0 seconds: attempt 1 returned None"),
        ("pertinax.recovered", "DEBUG", f"{name}: recovered after 2 attempts"),
    ]
    assert captured.lines()[3] == (
        "pertinax.attempt_failed",
        "DEBUG",
        f"{__name__}.script.<locals>.fn: attempt 1 raised ValueError",
    )
    assert len(captured.lines()) == 4


def test_a_loop_logs_under_the_function_running_it(captured: ListHandler) -> None:
    def sync_inventory() -> None:
        fn = script(OSError("busy"), None)
        for attempt in Retrying(sleep=no_sleep):
            with attempt:
                fn()

    sync_inventory()
    name = f"{__name__}.test_a_loop_logs_under_the_function_running_it.<locals>.sync_inventory"
    assert captured.lines()[-1] == (
        "pertinax.recovered",
        "DEBUG",
        f"{name}: recovered after 2 attempts",
    )


def scenarios() -> None:
    """Every kind of event, from every driver."""
    recover_twice()
    give_up()
    with pytest.raises(ValueError):
        retry(retry=retry_if_exception_type(KeyError))(script(ValueError()))()
    fn = script(OSError(), 1)
    for attempt in Retrying(sleep=no_sleep):
        with attempt:
            fn()

    async def no_async_sleep(seconds: float) -> None:
        pass

    async def main() -> None:
        await AsyncRetrying(sleep=no_async_sleep)(script(OSError(), 1))

    asyncio.run(main())


def test_nothing_at_info_or_above_by_default(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    scenarios()
    assert [r for r in caplog.records if r.name.startswith("pertinax")] == []
    caplog.set_level(logging.DEBUG)
    scenarios()
    pertinax_records = [r for r in caplog.records if r.name.startswith("pertinax")]
    assert pertinax_records and {r.levelno for r in pertinax_records} == {logging.DEBUG}


def test_loud_levels_for_every_policy(captured: ListHandler) -> None:
    logs.set_levels("loud")
    assert logs.get_levels() == dict(logs.LOUD)
    recover_twice(name="fetch")
    give_up(name="lookup")
    levels = {(name, level) for name, level, _ in captured.lines()}
    assert levels == {
        ("pertinax.attempt_failed", "DEBUG"),
        ("pertinax.retrying", "WARNING"),
        ("pertinax.recovered", "INFO"),
        ("pertinax.gave_up", "ERROR"),
    }
    logs.set_levels("quiet")
    assert logs.get_levels() == dict(logs.QUIET)


def test_levels_per_policy(captured: ListHandler) -> None:
    recover_twice(name="loud", log_levels="loud")
    recover_twice(name="default")
    recover_twice(name="custom", log_levels={"attempt_failed": None, "retrying": "INFO"})
    by_op: dict[str, set[tuple[str, str]]] = {}
    for name, level, message in captured.lines():
        by_op.setdefault(message.split(":")[0], set()).add((name, level))
    assert by_op == {
        "loud": {
            ("pertinax.attempt_failed", "DEBUG"),
            ("pertinax.retrying", "WARNING"),
            ("pertinax.recovered", "INFO"),
        },
        "default": {
            ("pertinax.attempt_failed", "DEBUG"),
            ("pertinax.retrying", "DEBUG"),
            ("pertinax.recovered", "DEBUG"),
        },
        "custom": {("pertinax.retrying", "INFO"), ("pertinax.recovered", "DEBUG")},
    }


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ("shouting", ValueError, "log_levels='shouting'"),
        ({"retry": 10}, ValueError, "unknown event 'retry'"),
        ({"retrying": 15}, ValueError, r"log_levels\['retrying'\]=15"),
        ({"retrying": True}, ValueError, r"log_levels\['retrying'\]=True"),
        (30, TypeError, "got 30"),
    ],
)
def test_bad_levels_fail_at_construction(value: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Retrying(log_levels=value)  # type: ignore[arg-type]
    with pytest.raises(error):
        logs.set_levels(value)  # type: ignore[arg-type]


def test_copies_carry_levels_and_the_hook(captured: ListHandler) -> None:
    def hook(retry_state: object) -> None:
        pass

    r = Retrying(name="copied", log_levels="loud", on_recovered=hook, metrics=False)
    c = r.copy()
    assert (c.log_levels, c.on_recovered, c.metrics) == ("loud", hook, False)
    c = r.copy(log_levels=None, on_recovered=None)
    assert (c.log_levels, c.on_recovered, c.metrics) == (None, None, False)

    @retry(name="retried_with", log_levels="loud", sleep=no_sleep)
    def f() -> object:
        return next(steps)

    steps = iter([None])
    quiet = f.retry_with(log_levels="quiet", retry=retry_if_result(lambda r: r is None))
    steps = iter([None, 1])
    assert quiet() == 1
    assert {level for _, level, _ in captured.lines()} == {"DEBUG"}


# --- Django's LOGGING, dictConfig again and again ------------------------------------------


def list_handler_config(level: str, handler: ListHandler, *, disable: bool = False) -> dict:
    # What a Django project's LOGGING looks like: a logger named pertinax with its own
    # handler, not propagating to the root.
    return {
        "version": 1,
        "disable_existing_loggers": disable,
        "handlers": {"list": {"()": lambda: handler, "level": "DEBUG"}},
        "loggers": {"pertinax": {"handlers": ["list"], "level": level, "propagate": False}},
    }


def test_django_style_logging_dict(capsys: pytest.CaptureFixture[str]) -> None:
    handler = ListHandler()
    logging.config.dictConfig(list_handler_config("DEBUG", handler))
    recover_twice(name="django")
    assert [r.name for r in handler.records] == [
        "pertinax.attempt_failed",
        "pertinax.retrying",
        "pertinax.attempt_failed",
        "pertinax.retrying",
        "pertinax.recovered",
    ]


def test_dict_config_again_at_run_time_loses_no_record() -> None:
    handler = ListHandler()
    logging.config.dictConfig(list_handler_config("WARNING", handler))
    recover_twice(name="reconf")  # caches the loggers' levels: nothing at DEBUG is wanted
    assert handler.records == []
    for level, expected in [("DEBUG", 5), ("ERROR", 0), ("DEBUG", 5), ("INFO", 0)]:
        handler.records.clear()
        logging.config.dictConfig(list_handler_config(level, handler))
        recover_twice(name="reconf")
        assert len(handler.records) == expected, level
    # A config that leaves pertinax out and disables existing loggers silences it, as it
    # does any logger; naming it again with disable_existing_loggers=False brings it back.
    logging.config.dictConfig(
        {"version": 1, "disable_existing_loggers": False, "root": {"level": "DEBUG"}}
    )
    handler.records.clear()
    logging.config.dictConfig(list_handler_config("DEBUG", handler))
    recover_twice(name="reconf")
    assert len(handler.records) == 5


def test_without_the_reset_a_record_would_be_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    hooked = logging.Manager._clear_cache
    handler = ListHandler()
    lg = logging.getLogger("pertinax")
    lg.addHandler(handler)
    lg.setLevel(logging.WARNING)
    recover_twice(name="proof")  # the engine caches "WARNING and up"
    monkeypatch.setattr(logging.Manager, "_clear_cache", hooked.__wrapped__)
    lg.setLevel(logging.DEBUG)
    recover_twice(name="proof")
    assert handler.records == [], "the stale cache dropped the records"
    monkeypatch.setattr(logging.Manager, "_clear_cache", hooked)
    lg.setLevel(logging.DEBUG)
    recover_twice(name="proof")
    assert len(handler.records) == 5


def test_logging_disable_and_level_changes_apply_at_once(captured: ListHandler) -> None:
    logging.disable(logging.CRITICAL)
    recover_twice()
    assert captured.records == []
    logging.disable(logging.NOTSET)
    recover_twice()
    assert len(captured.records) == 5
    captured.records.clear()
    logging.getLogger("pertinax.retrying").setLevel(logging.INFO)
    recover_twice()
    assert [r.name for r in captured.records].count("pertinax.retrying") == 0
    assert len(captured.records) == 3


def test_refresh_after_flipping_disabled_by_hand(captured: ListHandler) -> None:
    lg = logging.getLogger("pertinax.recovered")
    lg.disabled = True
    recover_twice()
    lg.disabled = False  # no logging call sees this: the engine still has it as off
    captured.records.clear()
    recover_twice()
    assert "pertinax.recovered" not in [r.name for r in captured.records]
    logs.refresh()
    recover_twice()
    assert [r.name for r in captured.records][-1] == "pertinax.recovered"


def test_a_failing_log_filter_does_not_fail_the_call(
    captured: ListHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    def broken(record: logging.LogRecord) -> bool:
        raise RuntimeError("filter")

    logging.getLogger("pertinax.retrying").addFilter(broken)
    assert recover_twice() == "ok"
    assert [type(u.exc_value) for u in unraisable] == [RuntimeError, RuntimeError]
