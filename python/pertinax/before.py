"""Callbacks run before each attempt (tenacity's ``before``)."""

import typing

from . import _utils

if typing.TYPE_CHECKING:
    from ._pertinax import RetryCallState


def before_nothing(retry_state: "RetryCallState") -> None:
    """Do nothing before an attempt."""


def before_log(
    logger: _utils.LoggerProtocol, log_level: int
) -> typing.Callable[["RetryCallState"], None]:
    """A ``before`` callback that logs which call is starting and its attempt number."""

    def log_it(retry_state: "RetryCallState") -> None:
        # One pre-formatted message and no extra arguments: structlog and loguru
        # loggers would otherwise interpret the placeholders themselves.
        fn_name = retry_state.get_fn_name()
        ordinal = _utils.to_ordinal(retry_state.attempt_number)
        logger.log(
            log_level, f"Starting call to '{fn_name}', this is the {ordinal} time calling it."
        )

    return log_it
