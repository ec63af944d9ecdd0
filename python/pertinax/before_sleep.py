"""Callbacks run before sleeping between attempts (tenacity's ``before_sleep``)."""

import traceback
import typing

from . import _utils

if typing.TYPE_CHECKING:
    from ._pertinax import RetryCallState


def before_sleep_nothing(retry_state: "RetryCallState") -> None:
    """Do nothing before sleeping."""


def before_sleep_log(
    logger: _utils.LoggerProtocol,
    log_level: int,
    exc_info: bool = False,
    sec_format: str = "%.3g",
) -> typing.Callable[["RetryCallState"], None]:
    """A ``before_sleep`` callback that logs the coming sleep and what the attempt did.

    With ``exc_info`` the traceback of a failed attempt is appended to the message itself,
    so the logger receives a single string whatever its kind.
    """

    def log_it(retry_state: "RetryCallState") -> None:
        outcome = retry_state.outcome
        if outcome is None:
            raise RuntimeError("log_it() called before outcome was set")
        next_action = retry_state.next_action
        if next_action is None:
            raise RuntimeError("log_it() called before next_action was set")

        exc = outcome.exception() if outcome.failed else None
        if exc is not None:
            verb, value = "raised", f"{exc.__class__.__name__}: {exc}"
        else:
            verb, value = "returned", outcome.result()

        fn_name = retry_state.get_fn_name()
        seconds = sec_format % next_action.sleep
        message = f"Retrying {fn_name} in {seconds} seconds as it {verb} {value}."
        if exc_info and exc is not None:
            lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
            message = f"{message}\n{''.join(lines).rstrip()}"
        logger.log(log_level, message)

    return log_it
