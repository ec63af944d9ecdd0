"""`retry_context`: a policy's controller for a block, that logs the final failure once."""

import logging
import types
import typing as t

from ._policy import Policy, check_override_names

if t.TYPE_CHECKING:
    from ._retrying import Retrying
    from .asyncio import AsyncRetrying

_logger = logging.getLogger("pertinax.policies")


def _resolve(policy: str | Policy) -> Policy:
    if isinstance(policy, Policy):
        return policy
    from . import policies

    return policies.get(policy)


class retry_context:
    """``with retry_context(policy="api", **overrides) as retrying:`` gives a ``Retrying``
    (``async with``: an ``AsyncRetrying``) that re-raises the last error itself when it gives
    up. An error leaving the block is logged once, at ERROR, on ``pertinax.policies``, and
    re-raised unchanged. The policy is looked up on entering, so a named one is current."""

    __slots__ = ("_controller", "_overrides", "_policy")

    def __init__(self, policy: str | Policy = "api", **overrides: t.Any) -> None:
        if not isinstance(policy, (str, Policy)):
            raise TypeError(
                f"retry_context(): policy must be a policy name or a Policy, got {policy!r}"
            )
        check_override_names("retry_context()", overrides)
        self._policy = policy
        self._overrides = {"reraise": True, **overrides}
        self._controller: Retrying | AsyncRetrying | None = None

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self._overrides.items() if k != "reraise")
        return f"retry_context(policy={self._policy!r}{extra})"

    def __enter__(self) -> "Retrying":
        controller = _resolve(self._policy).retrying(**self._overrides)
        self._controller = controller
        return controller

    async def __aenter__(self) -> "AsyncRetrying":
        controller = _resolve(self._policy).async_retrying(**self._overrides)
        self._controller = controller
        return controller

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        controller, self._controller = self._controller, None
        # Interrupts and cancellations are not failures of the operation.
        if isinstance(exc, Exception) and controller is not None:
            attempts = controller.statistics.get("attempt_number", 1)
            plural = "" if attempts == 1 else "s"
            _logger.error(
                "%s: failed after %s attempt%s: %s: %s",
                controller,
                attempts,
                plural,
                type(exc).__name__,
                exc,
            )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
