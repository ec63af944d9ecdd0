"""Management commands that retry: a base class whose ``handle`` runs under a policy, and a
decorator for one step of a command. Each retry is reported through the command's own
``stderr``, in its style (so ``--no-color``, ``--force-color`` and ``call_command(stderr=...)``
apply)::

    class Command(RetryCommand):
        retry_policy = "api"

        def handle(self, *args, **options):
            ...

    class Command(BaseCommand):
        @retry_step("database")
        def save(self, rows): ...
"""

import functools
import typing as t

from django.core.management.base import BaseCommand

from pertinax import RetryCallState

__all__ = ["RetryCommand", "retry_step"]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def _reporter(command: BaseCommand, label: str) -> t.Callable[[RetryCallState], None]:
    def report(retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        if outcome is not None and outcome.failed:
            error = outcome.exception()
            what = f"raised {type(error).__name__}: {error}"
        else:
            what = f"returned {outcome.result() if outcome is not None else None!r}"
        wait = retry_state.upcoming_sleep
        command.stderr.write(
            command.style.WARNING(
                f"{label}: attempt {retry_state.attempt_number} {what}; "
                f"retrying in {wait:g} seconds"
            )
        )

    return report


def _run(
    command: BaseCommand,
    policy_name: str,
    label: str,
    fn: t.Callable[..., t.Any],
    args: tuple[t.Any, ...],
    kwargs: dict[str, t.Any],
) -> t.Any:
    from pertinax import policies

    from .db import _chain

    policy = policies.get(policy_name)
    before_sleep = _chain(_reporter(command, label), policy.kwargs.get("before_sleep"))
    return policy.retrying(before_sleep=before_sleep)(fn, *args, **kwargs)


class RetryCommand(BaseCommand):
    """A command whose ``handle`` runs under the policy named ``retry_policy``."""

    retry_policy: t.ClassVar[str] = "api"

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        handle = cls.__dict__.get("handle")
        if handle is None or getattr(handle, "_pertinax_retried", False):
            return
        label = f"{cls.__module__.rpartition('.')[2]}.handle"

        @functools.wraps(handle)
        def retried_handle(self: RetryCommand, *args: t.Any, **options: t.Any) -> t.Any:
            return _run(self, self.retry_policy, label, handle, (self, *args), options)

        retried_handle._pertinax_retried = True  # type: ignore[attr-defined]
        cls.handle = retried_handle


def retry_step(policy: str = "api") -> t.Callable[[F], F]:
    """Runs a command's method under ``policy``, reporting retries on the command's stderr."""
    if not isinstance(policy, str):
        raise TypeError(f"retry_step: policy={policy!r} is not a policy name")

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def step(self: BaseCommand, *args: t.Any, **kwargs: t.Any) -> t.Any:
            return _run(self, policy, method.__name__, method, (self, *args), kwargs)

        return t.cast(F, step)

    return decorate
