"""System checks (``manage.py check``) for the app's settings.

==============  ==============================================================================
``E001``        ``PERTINAX`` is not a dict, or has a key the app does not know
``E002``        a policy setting with an unknown key (``PERTINAX["policies"]``/``RETRY_CONFIG``)
``E003``        a wait (``wait``, ``min``, ``max``, ``multiplier``, ``jitter``, ``deadline``) that
                is negative or not a number
``E004``        a policy whose ``min`` wait is greater than its ``max``
``E005``        an exception name in ``retry_on`` that cannot be imported
``E006``        any other invalid policy value (``attempts``, ``log_level``...)
``E007``        invalid ``log_levels`` or ``metrics`` alerts
``E008``        invalid middleware options (paths, methods, policy, ``retry_after``)
``E009``        ``RetryMiddleware`` placed where it cannot work
``E010``        ``ATOMIC_REQUESTS`` on a database: views run inside the request's transaction,
                where ``database_retry`` cannot retry
``E011``        invalid dashboard options
``E012``        ``RETRY_CONFIG`` is not a dict
``E013``        invalid ``store`` options, or a store without redis-py installed
==============  ==============================================================================

The checks read the settings when they run; nothing is checked (or fails) at import time.
"""

import numbers
import typing as t
from collections.abc import Mapping

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.utils.module_loading import import_string

from pertinax import logs
from pertinax._settings import FLAT, KEYS

from . import conf

__all__ = ["check_settings"]

# The per-policy keys `pertinax.policies.configure` reads, and the guide's flat keys by
# suffix: the checks name the same ones.
POLICY_KEYS = KEYS
WAIT_KEYS = ("wait", "multiplier", "min", "max", "jitter", "deadline")
MIDDLEWARE_PATH = "pertinax.integrations.django.middleware.RetryMiddleware"
HTTP_METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE")


def check_settings(app_configs: t.Any = None, **kwargs: t.Any) -> list[CheckMessage]:
    """Every problem in ``PERTINAX``, ``RETRY_CONFIG``, ``MIDDLEWARE`` and ``DATABASES``."""
    return [
        *_check_top_level(),
        *_check_policies(),
        *_check_observability(),
        *_check_middleware_options(),
        *_check_middleware_position(),
        *_check_atomic_requests(),
        *_check_dashboard(),
        *_check_store(),
    ]


def _error(id_: int, msg: str, hint: str, obj: object = None) -> Error:
    return Error(msg, hint=hint, obj=obj, id=f"pertinax.E{id_:03d}")


def _number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_top_level() -> list[CheckMessage]:
    value = getattr(settings, "PERTINAX", {})
    errors: list[CheckMessage] = []
    if not isinstance(value, Mapping):
        return [_error(1, f"PERTINAX={value!r} is not a dict.", "Set PERTINAX to a dict.")]
    for key in value:
        if key not in conf.SECTIONS:
            errors.append(
                _error(
                    1,
                    f"PERTINAX has an unknown key {key!r}.",
                    f"The keys are {', '.join(conf.SECTIONS)}.",
                )
            )
    raw = getattr(settings, "RETRY_CONFIG", {})
    if not isinstance(raw, Mapping):
        errors.append(
            _error(12, f"RETRY_CONFIG={raw!r} is not a dict.", "Set RETRY_CONFIG to a dict.")
        )
    return errors


def _check_policies() -> list[CheckMessage]:
    from pertinax import policies

    errors: list[CheckMessage] = []
    raw = conf.pertinax_settings().get("policies", {})
    if not isinstance(raw, Mapping):
        return [
            _error(
                1,
                f"PERTINAX['policies']={raw!r} is not a dict.",
                "Give a dict of policy names to their settings, as policies.configure takes.",
            )
        ]
    for setting, data in (("RETRY_CONFIG", conf.retry_config()), ("PERTINAX['policies']", raw)):
        if not data:
            continue
        for problem in policies.validate(data):
            errors.append(_policy_error(setting, problem))
    return errors


def _problem_fields(problem: t.Any) -> tuple[str, str, object, str]:
    if isinstance(problem, tuple) and len(problem) == 4:
        return problem[0], problem[1], problem[2], str(problem[3])
    return (
        getattr(problem, "policy", "?"),
        getattr(problem, "key", "?"),
        getattr(problem, "value", None),
        str(getattr(problem, "message", problem)),
    )


def _policy_error(setting: str, problem: t.Any) -> Error:
    policy, key, value, message = _problem_fields(problem)
    fields = {_field(part.strip()) for part in str(key).split(",")}
    field = _field(key)
    where = f"{setting}: " + (f"policy {policy!r}, " if policy is not None else "")
    where += f"key {key!r} = {value!r}: {message}"
    if {"min", "max"} <= fields:
        return _error(4, where, "Make the policy's 'min' wait no greater than its 'max'.")
    if field is None and key == "(policy)":
        return _error(
            2,
            where,
            "Configure a built-in policy (api, database, file_upload) or register the "
            "policy with pertinax.policies.register() before Django's apps are ready.",
        )
    if field is None:
        return _error(
            2,
            where,
            f"A policy's keys are {', '.join(POLICY_KEYS)} (flat keys: NAME_MAX_ATTEMPTS, "
            f"NAME_BACKOFF_MULTIPLIER, NAME_MIN_WAIT, NAME_MAX_WAIT).",
        )
    if field == "retry_on":
        return _error(
            5,
            where,
            "Give dotted paths of exception classes that can be imported, "
            "e.g. 'requests.ConnectionError'; install the package that defines them.",
        )
    if field in ("min", "max") and _number(value) and float(t.cast(float, value)) >= 0:
        return _error(4, where, "Make the policy's 'min' wait no greater than its 'max'.")
    if field in WAIT_KEYS:
        return _error(3, where, "Waits are numbers of seconds, zero or more.")
    return _error(6, where, "See pertinax.policies.configure for each key's values.")


def _field(key: object) -> str | None:
    if not isinstance(key, str):
        return None
    if key in POLICY_KEYS:
        return key
    for suffix, field in FLAT.items():
        if key.endswith("_" + suffix):
            return field
    return None


def _check_observability() -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    levels = conf.pertinax_settings().get("log_levels")
    if levels is not None:
        try:
            logs._level_numbers(levels, "PERTINAX['log_levels']")
        except (TypeError, ValueError) as e:
            errors.append(
                _error(
                    7,
                    str(e),
                    "Use 'quiet', 'loud' or a dict of attempt_failed, retrying, gave_up, "
                    "recovered to DEBUG/INFO/WARNING/ERROR or None.",
                )
            )
    section = conf.pertinax_settings().get("metrics", {})
    if not isinstance(section, Mapping) or set(section) - {"alerts"}:
        errors.append(
            _error(
                1,
                f"PERTINAX['metrics']={section!r}: the only key is 'alerts'.",
                "Write PERTINAX['metrics'] = {'alerts': {operation: {'retry_rate': 0.5}}}.",
            )
        )
    else:
        try:
            conf._check_alerts(section.get("alerts") or {})
        except (TypeError, ValueError) as e:
            errors.append(
                _error(
                    7,
                    str(e),
                    "Each alert is a dict of retry_rate and give_up_rate (fractions), window "
                    "(seconds) and min_calls, as pertinax.metrics.set_alert takes.",
                )
            )
    return errors


def _check_middleware_options() -> list[CheckMessage]:
    from pertinax import policies

    section = conf.pertinax_settings().get("middleware", {})
    if not isinstance(section, Mapping):
        return [_error(8, f"PERTINAX['middleware']={section!r} is not a dict.", "Use a dict.")]
    errors: list[CheckMessage] = []
    unknown = set(section) - set(conf.MIDDLEWARE_DEFAULTS)
    for key in sorted(map(str, unknown)):
        errors.append(
            _error(
                1,
                f"PERTINAX['middleware'] has an unknown key {key!r}.",
                f"The keys are {', '.join(conf.MIDDLEWARE_DEFAULTS)}.",
            )
        )
    options = conf.middleware_options()
    paths = options["paths"]
    if (
        isinstance(paths, str)
        or not isinstance(paths, (list, tuple))
        or not all(isinstance(p, str) and p.startswith("/") for p in paths)
    ):
        errors.append(
            _error(
                8,
                f"PERTINAX['middleware']['paths']={paths!r} is not a list of path prefixes.",
                "Give a list of prefixes that start with '/', e.g. ['/api/'].",
            )
        )
    methods = options["methods"]
    if (
        isinstance(methods, str)
        or not isinstance(methods, (list, tuple))
        or not all(isinstance(m, str) and m.upper() in HTTP_METHODS for m in methods)
    ):
        errors.append(
            _error(
                8,
                f"PERTINAX['middleware']['methods']={methods!r} is not a list of HTTP methods.",
                "Give HTTP methods, e.g. ['GET', 'HEAD', 'OPTIONS']; mark views that are safe "
                "to repeat for other methods with @idempotent.",
            )
        )
    name = options["policy"]
    data = conf.policy_data()
    if not isinstance(name, str) or (name not in policies.names() and name not in data):
        errors.append(
            _error(
                8,
                f"PERTINAX['middleware']['policy']={name!r} is not a registered policy.",
                f"Use one of {', '.join(map(repr, policies.names()))}, or define it in "
                f"PERTINAX['policies'].",
            )
        )
    retry_after = options["retry_after"]
    if not _number(retry_after) or retry_after < 0:
        errors.append(
            _error(
                8,
                f"PERTINAX['middleware']['retry_after']={retry_after!r} is not a number of "
                f"seconds.",
                "Give the seconds a client should wait before trying again, e.g. 5.",
            )
        )
    return errors


def _check_middleware_position() -> list[CheckMessage]:
    from .middleware import RetryMiddleware

    listed = list(getattr(settings, "MIDDLEWARE", None) or [])
    classes: list[tuple[str, t.Any]] = []
    for path in listed:
        try:
            classes.append((path, import_string(path)))
        except ImportError:
            classes.append((path, None))  # Django's own loading reports it
    ours = [
        i
        for i, (_, c) in enumerate(classes)
        if isinstance(c, type) and issubclass(c, RetryMiddleware)
    ]
    if not ours:
        return []
    errors: list[CheckMessage] = []
    if len(ours) > 1:
        errors.append(
            _error(
                9,
                "RetryMiddleware is listed more than once in MIDDLEWARE: every retry would be "
                "retried again.",
                "Keep one RetryMiddleware in MIDDLEWARE.",
            )
        )
    skipped = [
        path
        for path, c in classes[ours[0] + 1 :]
        if c is not None and not (isinstance(c, type) and issubclass(c, RetryMiddleware))
        if hasattr(c, "process_view")
    ]
    if skipped:
        errors.append(
            _error(
                9,
                f"RetryMiddleware comes before {', '.join(skipped)} in MIDDLEWARE: it answers "
                f"retried requests from process_view, so their process_view (CSRF checks, for "
                f"one) would never run.",
                "Move RetryMiddleware to the end of MIDDLEWARE, after every middleware with a "
                "process_view.",
            )
        )
    return errors


def _check_atomic_requests() -> list[CheckMessage]:
    databases = getattr(settings, "DATABASES", None) or {}
    errors: list[CheckMessage] = []
    for alias, options in databases.items():
        if isinstance(options, Mapping) and options.get("ATOMIC_REQUESTS"):
            errors.append(
                _error(
                    10,
                    f"DATABASES[{alias!r}]['ATOMIC_REQUESTS'] is on: every view runs inside "
                    f"the request's transaction, so database_retry in a view refuses to "
                    f"retry (a broken transaction cannot be retried from inside).",
                    "Turn ATOMIC_REQUESTS off and put transaction.atomic() inside functions "
                    "decorated with database_retry; or mark those views "
                    "@transaction.non_atomic_requests. RetryMiddleware itself runs each "
                    "attempt in its own transaction: if only it retries, silence "
                    "pertinax.E010 in SILENCED_SYSTEM_CHECKS.",
                    obj=alias,
                )
            )
    return errors


def _check_dashboard() -> list[CheckMessage]:
    section = conf.pertinax_settings().get("dashboard", {})
    if not isinstance(section, Mapping):
        return [_error(11, f"PERTINAX['dashboard']={section!r} is not a dict.", "Use a dict.")]
    errors: list[CheckMessage] = []
    for key in sorted(map(str, set(section) - set(conf.DASHBOARD_DEFAULTS))):
        errors.append(
            _error(
                1,
                f"PERTINAX['dashboard'] has an unknown key {key!r}.",
                f"The keys are {', '.join(conf.DASHBOARD_DEFAULTS)}.",
            )
        )
    options = conf.dashboard_options()
    if not _number(options["interval"]) or options["interval"] <= 0:
        errors.append(
            _error(
                11,
                f"PERTINAX['dashboard']['interval']={options['interval']!r} is not a positive "
                f"number of seconds.",
                "Give the seconds between two points of the chart, e.g. 10.",
            )
        )
    points = options["points"]
    if not isinstance(points, int) or isinstance(points, bool) or points < 2:
        errors.append(
            _error(
                11,
                f"PERTINAX['dashboard']['points']={points!r} is not an integer of 2 or more.",
                "Give how many points the chart keeps, e.g. 360.",
            )
        )
    return errors


def _check_store() -> list[CheckMessage]:
    from .fleet import STORE_KEYS, store_problems

    section = conf.pertinax_settings().get("store")
    hint = f"PERTINAX['store'] takes {', '.join(STORE_KEYS)}; url is required."
    errors = [_error(13, f"{problem}.", hint) for problem in store_problems(section)]
    if section is not None and not errors:
        try:
            import redis  # noqa: F401
        except ImportError:
            errors.append(
                _error(
                    13,
                    "PERTINAX['store'] needs redis-py, which is not installed.",
                    "pip install 'pertinax[redis]'",
                )
            )
    return errors
