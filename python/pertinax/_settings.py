"""Plain settings data (what a settings file holds) turned into policies.

Per policy: ``attempts``, ``wait`` (fixed seconds), ``multiplier``, ``min``, ``max``,
``jitter``, ``deadline``, ``retry_on`` (dotted exception names) and ``log_level``; and the
guide's flat keys, ``API_MAX_ATTEMPTS`` and the like. Reading never changes anything: it
returns the problems it found, or the new settings of each policy it names.
"""

from __future__ import annotations

import importlib
import math
import typing as t

from . import _utils
from . import logs as _logs
from ._policy import Policy
from .stop import stop_after_attempt, stop_after_delay, stop_any
from .wait import wait_combine, wait_exponential, wait_fixed, wait_random

KEYS = (
    "attempts",
    "wait",
    "multiplier",
    "min",
    "max",
    "jitter",
    "deadline",
    "retry_on",
    "log_level",
)
# The guide's flat keys: `<POLICY>_<SUFFIX>`, e.g. API_MAX_ATTEMPTS or FILE_UPLOAD_MIN_WAIT.
FLAT = {
    "MAX_ATTEMPTS": "attempts",
    "BACKOFF_MULTIPLIER": "multiplier",
    "MIN_WAIT": "min",
    "MAX_WAIT": "max",
    "WAIT": "wait",
    "JITTER": "jitter",
    "DEADLINE": "deadline",
    "RETRY_ON": "retry_on",
    "LOG_LEVEL": "log_level",
}
_EXPONENTIAL = ("multiplier", "min", "max")
_WAIT_KEYS = ("wait", "jitter", *_EXPONENTIAL)


class Problem(t.NamedTuple):
    """One thing wrong in settings data: which policy, which key, the value, and why."""

    policy: str | None
    key: str
    value: object
    message: str

    def __str__(self) -> str:
        where = f"policy {self.policy!r}, " if self.policy is not None else ""
        return f"{where}key {self.key!r}={self.value!r}: {self.message}"


class SettingsError(ValueError, TypeError):
    """Settings data that cannot be applied; ``problems`` lists each thing wrong with it.

    It is both a ``ValueError`` and a ``TypeError``, so either ``except`` catches it."""

    def __init__(self, problems: t.Sequence[Problem]) -> None:
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"invalid retry policy settings:\n{lines}")
        self.problems = list(problems)


class _Bad(Exception):
    """A value that cannot be used; the message says why."""


def _seconds(value: object, *, positive: bool = False) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(f"expected a number of seconds, got a {type(value).__name__}")
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise _Bad("expected a finite number " + ("above 0" if positive else "of 0 or more"))
    return value


def _attempts(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(f"expected a whole number of attempts, got a {type(value).__name__}")
    if value < 1:
        raise _Bad("expected at least 1 attempt")
    return value


def _exception_class(dotted: object) -> type[BaseException]:
    if not isinstance(dotted, str) or not dotted.strip():
        raise _Bad("expected a dotted exception name such as 'requests.ConnectionError'")
    module_name, _, attr = dotted.strip().rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name or "builtins"), attr)
    except (ImportError, AttributeError) as exc:
        raise _Bad(f"cannot import {dotted!r}: {exc}") from None
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        raise _Bad(f"{dotted!r} is {found!r}, not an exception class")
    return found


def _retry_on(value: object) -> tuple[type[BaseException], ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not names:
        raise _Bad("expected a dotted exception name or a non-empty list of them")
    return tuple(_exception_class(name) for name in names)


def _log_level(value: object) -> int:
    try:
        return _logs._level_number(value, "log_level", "retrying")
    except ValueError:
        raise _Bad(
            "expected DEBUG, INFO, WARNING, ERROR (a name or logging's number) or None"
        ) from None


_READERS: dict[str, t.Callable[[object], object]] = {
    "attempts": _attempts,
    "wait": _seconds,
    "multiplier": _seconds,
    "min": _seconds,
    "max": _seconds,
    "jitter": _seconds,
    "deadline": lambda v: _seconds(v, positive=True),
    "retry_on": _retry_on,
    "log_level": _log_level,
}


def read(
    data: object, names: t.Collection[str]
) -> tuple[list[Problem], dict[str, dict[str, object]]]:
    """The problems in ``data``, and each named policy's settings (raw values)."""
    problems: list[Problem] = []
    found: dict[str, dict[str, object]] = {}
    if not isinstance(data, t.Mapping):
        return [Problem(None, "(settings)", data, "expected a mapping")], found
    flat_prefixes = sorted(names, key=len, reverse=True)
    for key, value in data.items():
        if not isinstance(key, str):
            problems.append(Problem(None, repr(key), value, "keys must be strings"))
        elif isinstance(value, t.Mapping):
            if key not in names:
                problems.append(_unknown_policy(key, value, names))
                continue
            for setting, raw in value.items():
                if setting not in KEYS:
                    message = f"unknown setting; the settings are {', '.join(KEYS)}"
                    problems.append(Problem(key, str(setting), raw, message))
                else:
                    _put(found, problems, key, setting, raw)
        else:
            for name in flat_prefixes:
                prefix = name.upper() + "_"
                if key.startswith(prefix) and key[len(prefix) :] in FLAT:
                    _put(found, problems, name, FLAT[key[len(prefix) :]], value, key)
                    break
            else:
                message = (
                    "neither a policy name (with a mapping of settings) nor a flat key "
                    f"<POLICY>_<{'|'.join(FLAT)}> of a registered policy ({', '.join(sorted(names))})"
                )
                problems.append(Problem(None, key, value, message))
    return problems, found


def _unknown_policy(key: str, value: object, names: t.Collection[str]) -> Problem:
    known = ", ".join(sorted(names))
    return Problem(key, "(policy)", value, f"unknown policy; register it first (known: {known})")


def _put(
    found: dict[str, dict[str, object]],
    problems: list[Problem],
    policy: str,
    setting: str,
    raw: object,
    spelled: str | None = None,
) -> None:
    key = spelled or setting
    try:
        _READERS[setting](raw)
    except _Bad as exc:
        problems.append(Problem(policy, key, raw, str(exc)))
        return
    settings = found.setdefault(policy, {})
    if setting in settings and settings[setting] != raw:
        problems.append(
            Problem(policy, key, raw, f"conflicts with {setting}={settings[setting]!r}")
        )
    settings[setting] = raw


def merge(old: t.Mapping[str, object], new: t.Mapping[str, object]) -> dict[str, object]:
    """``old`` updated with ``new``; a fixed ``wait`` and exponential numbers replace each
    other."""
    merged = dict(old)
    if "wait" in new:
        for key in _EXPONENTIAL:
            merged.pop(key, None)
    elif any(key in new for key in _EXPONENTIAL):
        merged.pop("wait", None)
    merged.update(new)
    return merged


def knobs(policy: Policy) -> dict[str, object]:
    """The numbers a policy's own strategies carry, as settings (as far as they can be read)."""
    found: dict[str, object] = {}
    kwargs = policy.kwargs
    stop = kwargs.get("stop")
    for part in stop.stops if type(stop) is stop_any else (stop,):
        if type(part) is stop_after_attempt:
            found["attempts"] = part.max_attempt_number
    wait = kwargs.get("wait")
    wait = getattr(wait, "fallback", wait) if _is_retry_after(wait) else wait
    if type(wait) is wait_combine and len(wait.wait_funcs) == 2:
        core, jitter = wait.wait_funcs
        if type(jitter) is wait_random and jitter.wait_random_min == 0:
            found["jitter"] = jitter.wait_random_max
            wait = core
    if type(wait) is wait_exponential:
        found.update(multiplier=wait.multiplier, min=wait.min, max=wait.max)
    elif type(wait) is wait_fixed:
        found["wait"] = wait.wait_fixed
    return found


def _is_retry_after(wait: object) -> bool:
    return type(wait).__name__ == "wait_retry_after" and hasattr(wait, "fallback")


def build(base: Policy, settings: t.Mapping[str, object]) -> Policy:
    """``base`` with ``settings`` applied; raises ``_Bad`` when they cannot go together."""
    if not settings:
        return base
    values = {key: _READERS[key](raw) for key, raw in settings.items()}
    numbers: dict[str, t.Any] = merge(knobs(base), values)
    kwargs = dict(base.kwargs)
    if "attempts" in values or "deadline" in values:
        stop: t.Any = stop_after_attempt(numbers["attempts"]) if "attempts" in numbers else None
        if "deadline" in values:
            limit = stop_after_delay(t.cast("float", values["deadline"]))
            stop = limit if stop is None else stop_any(stop, limit)
        kwargs["stop"] = stop
    if any(key in values for key in _WAIT_KEYS):
        kwargs["wait"] = _wait(base, numbers)
    if "retry_on" in values:
        from .retry import retry_if_exception_type

        kwargs["retry"] = retry_if_exception_type(t.cast("tuple[type]", values["retry_on"]))
    if "log_level" in values:
        levels = base.kwargs.get("log_levels")
        levels = dict(levels) if isinstance(levels, t.Mapping) else {}
        levels["retrying"] = values["log_level"] or None
        kwargs["log_levels"] = levels
    return Policy(base.name, **kwargs)


def _wait(base: Policy, numbers: t.Mapping[str, t.Any]) -> t.Any:
    low, high = numbers.get("min", 0), numbers.get("max", _utils.MAX_WAIT)
    if low > high:
        raise _Bad(f"min={low!r} is above max={high!r}")
    if "wait" in numbers:
        wait: t.Any = wait_fixed(numbers["wait"])
    else:
        wait = wait_exponential(multiplier=numbers.get("multiplier", 1), min=low, max=high)
    if numbers.get("jitter"):
        wait = wait_combine(wait, wait_random(0, numbers["jitter"]))
    old: t.Any = base.kwargs.get("wait")
    if _is_retry_after(old):
        # The policy honours Retry-After; the new numbers are its fallback, and its cap.
        cap = high if "max" in numbers else old.max
        wait = type(old)(fallback=wait, max=cap)
    return wait
