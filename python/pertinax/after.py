"""Callbacks run after each retryable attempt (tenacity's ``after``)."""

import typing

from . import _utils

if typing.TYPE_CHECKING:
    from ._pertinax import RetryCallState


def after_nothing(retry_state: "RetryCallState") -> None:
    """Do nothing after an attempt."""


def after_log(
    logger: _utils.LoggerProtocol,
    log_level: int,
    sec_format: str = "%.3g",
) -> typing.Callable[["RetryCallState"], None]:
    """An ``after`` callback that logs the finished attempt and the time since the first.

    ``sec_format`` is a %-format for the elapsed seconds; ``?`` stands in when the state
    has no outcome timestamp.
    """

    def log_it(retry_state: "RetryCallState") -> None:
        fn_name = retry_state.get_fn_name()
        seconds = retry_state.seconds_since_start
        elapsed = "?" if seconds is None else sec_format % seconds
        ordinal = _utils.to_ordinal(retry_state.attempt_number)
        logger.log(
            log_level,
            f"Finished call to '{fn_name}' after {elapsed}(s), "
            f"this was the {ordinal} time calling it.",
        )

    return log_it
