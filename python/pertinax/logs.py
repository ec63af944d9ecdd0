"""What the retry engine logs, and at which levels.

The engine logs through Python's :mod:`logging`, under the ``pertinax`` logger, with one child
logger for each kind of event:

``pertinax.attempt_failed``
    an attempt raised, or returned a value the retry predicate rejected;
``pertinax.retrying``
    a retry is decided, with its wait;
``pertinax.gave_up``
    the stop strategy ended the retries;
``pertinax.recovered``
    a call returned after one or more retries;
``pertinax.alert``
    an alert rule's threshold was crossed (see :func:`pertinax.metrics.set_alert`); always
    ERROR.

Each message names the operation (the policy's ``name=``, else the function's qualified
name), the attempt, the wait and the exception, for example
``shop.fetch_price: retrying in 0.5 seconds: attempt 1 raised ConnectionError: refused``.

tenacity logs nothing of its own accord, so by default every event is logged at DEBUG: a
program that moves to pertinax logs nothing new at INFO or above. ``set_levels("loud")``, or a
policy's ``log_levels="loud"``, logs retries at WARNING, give-ups at ERROR and recoveries at
INFO.

The levels of the Python loggers are cached on the Rust side. The cache is dropped whenever
logging's own cache is (``Logger.setLevel``, ``logging.disable``, ``dictConfig``,
``fileConfig``, ``basicConfig(level=...)``); after changing a logger's ``disabled`` flag by
hand, call :func:`refresh`.
"""

import functools
import logging
import typing as t
from collections.abc import Mapping

from . import _pertinax

EVENTS = ("attempt_failed", "retrying", "gave_up", "recovered")
"""The events whose level can be set, in order."""

QUIET: t.Mapping[str, int] = {event: logging.DEBUG for event in EVENTS}
"""Every event at DEBUG: the default."""

LOUD: t.Mapping[str, int] = {
    "attempt_failed": logging.DEBUG,
    "retrying": logging.WARNING,
    "gave_up": logging.ERROR,
    "recovered": logging.INFO,
}
"""Retries at WARNING, give-ups at ERROR, recoveries at INFO."""

LevelsT = str | t.Mapping[str, int | str | None]

_PRESETS = {"quiet": QUIET, "loud": LOUD}
_NAMES = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40, "OFF": 0}


def set_levels(levels: LevelsT) -> None:
    """Sets the levels of every policy that has no ``log_levels=`` of its own.

    ``levels`` is ``"quiet"`` (all DEBUG, the default), ``"loud"``, or a mapping from event
    names to levels (``logging.WARNING``, ``"WARNING"``, or ``None`` for off); events it leaves
    out are logged at DEBUG.
    """
    _pertinax.log_set_levels(_level_numbers(levels, "levels"))


def get_levels() -> dict[str, int | None]:
    """The levels that apply to policies without ``log_levels=``, by event (None: off)."""
    return {e: (n or None) for e, n in zip(EVENTS, _pertinax.log_levels(), strict=True)}


def refresh() -> None:
    """Makes the engine ask Python logging for its loggers' levels again."""
    _pertinax.log_reset_cache()


def _level_numbers(levels: object, argument: str = "log_levels") -> tuple[int, int, int, int]:
    # The engine's form: one Python level number per event, 0 for off.
    if isinstance(levels, str):
        preset = _PRESETS.get(levels.lower())
        if preset is None:
            raise ValueError(
                f"{argument}={levels!r}: expected 'quiet', 'loud' or a mapping of "
                f"{', '.join(EVENTS)} to levels"
            )
        levels = preset
    if not isinstance(levels, Mapping):
        raise TypeError(
            f"{argument}: expected 'quiet', 'loud' or a mapping of event names to levels, "
            f"got {levels!r} (type {type(levels).__name__})"
        )
    unknown = set(levels) - set(EVENTS)
    if unknown:
        raise ValueError(
            f"{argument}: unknown event {sorted(map(str, unknown))[0]!r}; the events are "
            f"{', '.join(EVENTS)}"
        )
    numbers = tuple(_level_number(levels.get(e, logging.DEBUG), argument, e) for e in EVENTS)
    return t.cast("tuple[int, int, int, int]", numbers)


def _level_number(value: object, argument: str, event: str) -> int:
    if value is None:
        return 0
    if isinstance(value, str) and value.upper() in _NAMES:
        return _NAMES[value.upper()]
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 10, 20, 30, 40):
        return value
    raise ValueError(
        f"{argument}[{event!r}]={value!r}: expected DEBUG, INFO, WARNING, ERROR "
        f"(as a name or logging's number) or None for off"
    )


def _install_reconfiguration_hook() -> None:
    # logging calls Manager._clear_cache whenever a level may have changed: on
    # Logger.setLevel (which dictConfig, fileConfig and basicConfig use), and on
    # logging.disable. The engine's cached levels go with logging's own.
    manager: t.Any = logging.Manager  # _clear_cache is private: typeshed leaves it out
    original = manager._clear_cache
    if getattr(original, "_pertinax_resets_levels", False):
        return

    @functools.wraps(original)
    def _clear_cache(self: logging.Manager) -> None:
        original(self)
        _pertinax.log_reset_cache()

    _clear_cache._pertinax_resets_levels = True  # type: ignore[attr-defined]
    manager._clear_cache = _clear_cache


_install_reconfiguration_hook()
