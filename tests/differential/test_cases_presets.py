"""Differential hand-written cases. pertinax's presets (``api_retry``, ``retry(policy=...)``,
``policy.retrying()``), configured, logged, reused and overridden, against the decorators a
tenacity user writes by hand from a retry guide (a class of preset numbers, decorators built
from it), with the guide's checklist done right: only transient errors are retried.

Under tenacity each case builds the hand-written equivalent; under pertinax, the one-liner.
Every event must match: each attempt, the ``RetryCallState`` each callback sees, each sleep,
each log line, the statistics, and the result or the exception (with its cause and context).
The forms beyond the decorator are in test_cases_policy_forms.py.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from tests.support.differential import Recorder, scrub
from tests.support.differential.guide import (
    PRESETS,
    SCRIPTS,
    acting,
    hand_written,
    hooks,
    preset_controller,
    preset_decorator,
)
from tests.support.differential_cases import (
    CANDIDATE,
    REFERENCE,
    Cases,
    compare_case,
    iterate,
    needs_candidate,
    outcome,
    stats,
)

CASES = Cases()
case = CASES.register


# The cases compare against the guide's numbers: the registry holds the presets as shipped,
# whatever an earlier test configured.
pytestmark = pytest.mark.usefixtures("fresh_policies")


@case
def presets_against_the_guides_decorators(lib: Any, rec: Recorder) -> Any:
    out = []
    for name in PRESETS:
        for spelling in ("bare", "by name", "policy object"):
            for script in SCRIPTS:
                f = preset_decorator(lib, rec, name, spelling)(acting(rec, *script))
                rec.stats_source = lambda f=f: f.statistics
                out.append((name, spelling, script, outcome(rec, lambda f=f: f("order-1"))))
                out.append(stats(rec, f.statistics))
    return out


@case
def presets_as_controllers(lib: Any, rec: Recorder) -> Any:
    out = []
    for name in PRESETS:
        for script in SCRIPTS:
            r = preset_controller(lib, rec, name)
            rec.stats_source = lambda r=r: r.statistics
            out.append(
                (
                    "call",
                    name,
                    script,
                    outcome(rec, lambda r=r, script=script: r(acting(rec, *script))),
                )
            )
            out.append(stats(rec, r.statistics))
            r = preset_controller(lib, rec, name)
            out.append(("iterator", name, script, iterate(lib, rec, r, acting(rec, *script))))
            out.append(stats(rec, r.statistics))
    return out


@case
def preset_controllers_reused_copied_and_disabled(lib: Any, rec: Recorder) -> Any:
    out = []
    for name in PRESETS:
        r = preset_controller(lib, rec, name)
        for script in (("refused", "ok"), ("timeout",), ("404",)):  # one controller, reused
            out.append((name, script, outcome(rec, lambda r=r, s=script: r(acting(rec, *s)))))
            out.append(stats(rec, r.statistics))
        c = r.copy(stop=lib.stop_after_attempt(2), reraise=False)
        out.append(("copy", outcome(rec, lambda c=c: c(acting(rec, "refused")))))
        out.append((stats(rec, c.statistics), stats(rec, r.statistics)))
        off = preset_controller(lib, rec, name, enabled=False)
        out.append(("disabled", outcome(rec, lambda off=off: off(acting(rec, "refused")))))
        f = preset_decorator(lib, rec, name, "by name")(acting(rec, "refused", "ok"))
        same = f.retry_with()
        out.append(("retry_with()", outcome(rec, same), stats(rec, same.statistics)))
        out.append((f.statistics is same.statistics, type(f.retry).__name__))
    return out


# The guide's settings dict, as flat keys, and the numbers it gives each preset.
SETTINGS = {
    "API_MAX_ATTEMPTS": 4,
    "API_BACKOFF_MULTIPLIER": 1,
    "API_MIN_WAIT": 0.5,
    "API_MAX_WAIT": 10,
    "DATABASE_MAX_ATTEMPTS": 2,
    "FILE_UPLOAD_MAX_WAIT": 5,
}
CONFIGURED = {"api": (4, 1, 0.5, 10), "database": (2, 1, 0.5, 10), "file_upload": (3, 3, 2, 5)}


@case
def configured_presets_against_the_guides_settings(lib: Any, rec: Recorder) -> Any:
    out = []
    for name in PRESETS:
        script = ("refused", "503", "429 in 120 s", "ok")
        if lib is REFERENCE:
            kw = {**hand_written(lib, name, CONFIGURED[name]), **hooks(rec)}
            before, after = lib.retry(**kw), lib.retry(**kw)
        else:
            before = preset_decorator(lib, rec, name, "bare")
            lib.policies.configure(SETTINGS)
            after = preset_decorator(lib, rec, name, "by name")
        # Decorated before the settings changed, then after: both follow them.
        for when, decorate in (("before", before), ("after", after)):
            f = decorate(acting(rec, *script))
            out.append((name, when, outcome(rec, f), stats(rec, f.statistics)))
        if lib is not REFERENCE:
            lib.policies.reset()
    return out


ELAPSED = re.compile(r"after [0-9.e+-]+\(s\)")  # after_log's measured time


def plain(message: str) -> str:
    """A log message without what cannot match: after_log's measured time, and the frames
    inside each library of the traceback before_sleep_log(exc_info=True) appends (its
    last line, the exception, stays)."""
    head, found, trace = message.partition("\nTraceback (most recent call last):\n")
    if found:
        head += f"\nTraceback: ... {trace.splitlines()[-1]}"
    return scrub(ELAPSED.sub("after <t>(s)", head))


class Lines(logging.Handler):
    """Keeps each record's logger, level and message."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[Any] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, record.levelname, record.getMessage(), record.exc_info))


@case
def the_guides_log_callbacks_on_presets(lib: Any, rec: Recorder) -> Any:
    """before_sleep_log and after_log (and their exc_info) next to a preset's own logging."""
    logger = logging.getLogger("tests.guide.services")
    lines = Lines()
    logger.addHandler(lines)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    out = []
    try:
        for name in PRESETS:
            for exc_info in (False, True):
                extra = {
                    "before_sleep": lib.before_sleep_log(logger, logging.WARNING, exc_info),
                    "after": lib.after_log(logger, logging.INFO),
                    "sleep": rec.sleep,
                }
                if lib is REFERENCE:
                    decorate = lib.retry(**{**hand_written(lib, name), **extra})
                else:
                    decorate = lib.retry(policy=name, **extra)
                for script in (("refused", "503", "ok"), ("timeout",) * 5, ("404",)):
                    f = decorate(acting(rec, *script))
                    out.append((name, exc_info, script, outcome(rec, f)))
                    out.append([(n, lvl, plain(msg), bool(i)) for n, lvl, msg, i in lines.lines])
                    lines.lines.clear()
    finally:
        logger.removeHandler(lines)
    return out


@case
def retry_with_on_presets(lib: Any, rec: Recorder) -> Any:
    out = []
    for name in PRESETS:
        for overrides in (
            {"stop": lib.stop_after_attempt(2)},
            {"wait": lib.wait_fixed(0.5)},
            {"reraise": False},
            {"retry": lib.retry_if_exception_type(ValueError)},
            {"stop": lib.stop_after_attempt(6), "wait": lib.wait_none()},
        ):
            script = ("refused", "refused", "503", "503", "ok")
            f = preset_decorator(lib, rec, name, "bare")(acting(rec, *script))
            g = f.retry_with(**overrides)
            out.append((name, sorted(overrides), outcome(rec, g)))
            out.append((stats(rec, g.statistics), stats(rec, f.statistics)))
            out.append(outcome(rec, f))  # the preset itself is unchanged
            out.append(stats(rec, f.statistics))
    return out


@needs_candidate
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_case(case_fn: Any) -> None:
    compare_case(case_fn, CANDIDATE)


# The harness's own check: each case gives tenacity the same events twice.
@pytest.mark.parametrize("case_fn", CASES, ids=lambda c: c.__name__)
def test_harness_cases_are_deterministic(case_fn: Any) -> None:
    compare_case(case_fn, REFERENCE)
